"""What a person sees on a card: colours by kind, dashed guesses, elided names, wrapping, specs, dark mode."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.listing import with_config
from app.core.model_entry import ConfigStatus, ModelEntry, Source, Tier
from app.ui.card_layout import Font
from app.ui.theme import card_theme, dark_palette, light_palette
from tests.ui.cardsamples import (
    MOE_CONFIG,
    QWEN_CONFIG,
    VL_CONFIG,
    count_color,
    hub,
    local,
    make_view,
    pixels,
    render_row,
)

LONG = "mlx-community/Meta-Llama-3.1-405B-Instruct-Abliterated-Uncensored-Extended-Context-4bit-mlx"


@pytest.fixture(params=["light", "dark"])
def palette(request):  # type: ignore[no-untyped-def]
    return light_palette() if request.param == "light" else dark_palette()


def _ink(image: QImage, rect: tuple[int, int, int, int], background: QColor, threshold: int = 120) -> list[int]:
    """x positions (in the rect) of pixels clearly different from the background: text or shapes."""
    bg = background.rgba()
    br, bgc, bb = (bg >> 16) & 255, (bg >> 8) & 255, bg & 255
    x0, _, w, _ = rect
    out = []
    for n, v in enumerate(pixels(image, rect)):
        if abs(((v >> 16) & 255) - br) + abs(((v >> 8) & 255) - bgc) + abs((v & 255) - bb) > threshold:
            out.append(x0 + n % w)
    return out


def test_badges_are_blue_green_purple_by_kind_in_both_themes(qapp, palette) -> None:  # type: ignore[no-untyped-def]
    view, _model, delegate = make_view([local("mlx-community/Qwen2-VL-7B-Instruct-4bit", VL_CONFIG)],
                                      palette=palette)
    image = render_row(view, delegate, 0)
    theme = card_theme(palette)
    hues = {"family": (200, 235), "modality": (95, 160), "quant": (260, 300), "context": (160, 185)}
    for kind, (low, high) in hues.items():
        fill = theme.badge(kind).fill
        assert count_color(image, fill) > 80, f"{kind} badge colour not painted"
        # A person reads the text colour: it carries the hue in both themes.
        assert low <= theme.badge(kind).text.hslHue() <= high, kind
    view.close()


def test_the_card_follows_the_theme(qapp, palette) -> None:  # type: ignore[no-untyped-def]
    view, model, delegate = make_view([local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)],
                                      palette=palette)
    image = render_row(view, delegate, 0)
    layout = delegate.layout_at(model.index(0, 0))
    card = layout.card
    inside = QColor.fromRgba(image.pixel(card.x + card.w // 2, card.y + card.h - 4))
    dark = palette is not None and palette.color(palette.ColorRole.Window).lightness() < 128
    assert (inside.lightnessF() < 0.3) if dark else (inside.lightnessF() > 0.9)
    # The name is drawn in the text colour, with strong contrast against the card.
    name = layout.name
    text = card_theme(palette).text
    assert count_color(image, text, (name.x, name.y, name.w, name.h), tolerance=90) > 40
    view.close()


def test_a_guess_is_dashed_and_lighter_then_solid_once_the_config_lands(qapp) -> None:  # type: ignore[no-untyped-def]
    guess = hub("mlx-community/Qwen2.5-7B-Instruct-4bit")
    view, model, delegate = make_view([guess], palette=light_palette())
    theme = card_theme(light_palette())
    solid_fill = theme.badge("family").fill

    def family_badge() -> tuple[QImage, tuple[int, int, int, int]]:
        image = render_row(view, delegate, 0)
        layout = delegate.layout_at(model.index(0, 0))
        _badge, rect = next((b, r) for b, r in layout.badges if b.kind == "family")
        return image, (rect.x, rect.y, rect.w, rect.h)

    image, rect = family_badge()
    kinds = [b.kind for b, _ in delegate.layout_at(model.index(0, 0)).badges]
    assert kinds[-1] == "pending"  # "…": more facts are on their way
    area = rect[2] * rect[3]
    assert count_color(image, solid_fill, rect) < area * 0.05  # lighter fill, not the fact's colour
    x, y, w, _ = rect
    top_edge = [QColor.fromRgba(image.pixel(px, y)).lightness() for px in range(x + 8, x + w - 8)]
    dark_runs = sum(1 for a, b in itertools.pairwise(top_edge) if a > 200 >= b)
    assert dark_runs >= 3, "the outline of a guess is dashed"

    model.update_entry(with_config(guess, extract_characteristics(QWEN_CONFIG)))
    image, rect = family_badge()
    assert count_color(image, solid_fill, rect) > rect[2] * rect[3] * 0.5
    assert "pending" not in [b.kind for b, _ in delegate.layout_at(model.index(0, 0)).badges]
    view.close()


def test_a_long_name_is_elided_in_the_middle_not_clipped_at_320px(qapp) -> None:  # type: ignore[no-untyped-def]
    view, model, delegate = make_view([local(LONG, QWEN_CONFIG)], width=320, palette=light_palette())
    index = model.index(0, 0)
    layout = delegate.layout_at(index)
    name = LONG.split("/", 1)[1]
    # What fits in the name's room at the card's font, shortened in the middle.
    shown = delegate.metrics().fm_for(Font.NAME).elidedText(name, Qt.TextElideMode.ElideMiddle, layout.name.w)
    head, _, tail = shown.partition("…")
    assert head and tail and name.startswith(head) and name.endswith(tail)
    image = render_row(view, delegate, 0)
    band = (layout.name.x, layout.name.y, layout.toggle.x - layout.name.x, layout.name.h)
    ink = _ink(image, band, card_theme(light_palette()).card)
    # Text runs close to the end of its room (it was shortened to fit) and stops before "Specs".
    assert max(ink) <= layout.name.x + layout.name.w
    assert max(ink) > layout.name.x + layout.name.w - 40
    view.close()


def test_badges_wrap_to_a_second_row_in_a_narrow_view(qapp) -> None:  # type: ignore[no-untyped-def]
    entry = local("mlx-community/Qwen3-30B-A3B-4bit", MOE_CONFIG)
    wide, _, _wide_delegate = make_view([entry], width=980, palette=light_palette())
    narrow, model, delegate = make_view([entry], width=320, palette=light_palette())
    assert narrow.visualRect(model.index(0, 0)).height() > wide.visualRect(model.index(0, 0)).height()
    image = render_row(narrow, delegate, 0)
    theme = card_theme(light_palette())
    rows_with_badges = set()
    for kind in ("family", "quant", "moe", "params", "context", "mlx"):
        fill = theme.badge(kind).fill
        for y in range(image.height()):
            if count_color(image, fill, (0, y, image.width(), 1)) > 6:
                rows_with_badges.add(y)
    bands = sum(1 for y in rows_with_badges if y - 1 not in rows_with_badges)
    assert bands >= 2, "badges should sit on two rows"
    wide.close()
    narrow.close()


def test_expanding_makes_the_card_taller_and_paints_the_specs(qapp, qtbot, palette) -> None:  # type: ignore[no-untyped-def]
    view, model, delegate = make_view([local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)],
                                      width=1100, palette=palette)
    index = model.index(0, 0)
    closed = view.visualRect(index).height()
    model.toggle_expanded(0)
    qtbot.waitUntil(lambda: view.visualRect(index).height() > closed + 40, timeout=2000)
    image = render_row(view, delegate, 0)
    layout = delegate.layout_at(index)
    assert layout.separator_y is not None and len(layout.specs) >= 9
    labels = [cell.item.label for cell in layout.specs]
    assert labels[:3] == ["Context", "Layers", "Hidden"]
    theme = card_theme(palette)
    for cell in layout.specs[:6]:
        value = cell.value
        assert _ink(image, (value.x, value.y, value.w, value.h), theme.card), f"{cell.item.label} value not painted"
    # Three aligned columns at this width: the cells of a column share their x.
    xs = sorted({cell.label.x for cell in layout.specs})
    assert len(xs) == 3
    view.close()


def test_hidpi_paints_at_twice_the_pixels_with_the_same_colours(qapp) -> None:  # type: ignore[no-untyped-def]
    view, _model, delegate = make_view([local("mlx-community/Qwen2-VL-7B-Instruct-4bit", VL_CONFIG)],
                                      palette=light_palette())
    one = render_row(view, delegate, 0, dpr=1.0)
    two = render_row(view, delegate, 0, dpr=2.0)
    assert two.width() == one.width() * 2 and two.height() == one.height() * 2
    fill = card_theme(light_palette()).badge("modality").fill
    # Four times the pixels of badge colour: the badge was rendered at device resolution, not scaled up.
    assert count_color(two, fill) > 3.3 * count_color(one, fill)
    view.close()


def test_a_problem_is_painted_in_the_warning_colour_and_missing_data_as_placeholders(qapp) -> None:  # type: ignore[no-untyped-def]
    broken = local("someone/broken-model", None, size=None, used_days=None, problem="refs/main points nowhere",
                   is_mlx=None)
    nothing = hub("someone/mystery")  # no hint at all in the name: a pending placeholder
    view, model, delegate = make_view([broken, nothing], palette=light_palette())
    theme = card_theme(light_palette())
    row = model.row_of(broken.id)
    image = render_row(view, delegate, row)
    layout = delegate.layout_at(model.index(row, 0))
    problem = layout.problem
    assert problem is not None
    assert count_color(image, theme.warning, (problem.x, problem.y, problem.w, problem.h), tolerance=60) > 20
    assert [b.text for b, _ in layout.badges] == ["config unavailable"]
    row = model.row_of(nothing.id)
    image = render_row(view, delegate, row)
    layout = delegate.layout_at(model.index(row, 0))
    assert [b.kind for b, _ in layout.badges] == ["pending"]
    assert count_color(image, theme.badge("pending").fill) > 50
    view.close()


_small = st.none() | st.integers(min_value=-5, max_value=10**13)
_text = st.none() | st.text(max_size=60)
_characteristics = st.none() | st.builds(
    ModelCharacteristics,
    model_type=_text, architecture_family=_text, max_position_embeddings=_small, num_hidden_layers=_small,
    hidden_size=_small, vocab_size=_small, num_attention_heads=_small, num_key_value_heads=_small,
    quantization_bits=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    quantization_group_size=_small, is_multimodal=st.none() | st.booleans(),
    multimodal_type=st.none() | st.sampled_from(["vision", "audio", "vision-audio", "smell"]),
    head_dim=_small, parameter_count_estimate=_small, parameter_count_method=_text, quantization_mode=_text,
    quantization_is_mixed=st.none() | st.booleans(), is_moe=st.none() | st.booleans(), num_experts=_small,
    num_experts_per_token=_small, sliding_window=_small, rope_scaling_factor=st.none() | st.floats(),
    original_max_position_embeddings=_small, torch_dtype=_text, use_cache=st.none() | st.booleans(),
)
_entries = st.builds(
    ModelEntry,
    id=st.text(min_size=1, max_size=120), source=st.sampled_from(list(Source)), characteristics=_characteristics,
    provenance=st.lists(st.tuples(st.sampled_from(ModelCharacteristics.field_names()), st.sampled_from(list(Tier))),
                        max_size=6).map(tuple),
    config_status=st.sampled_from(list(ConfigStatus)), config_error=_text, downloads=_small, likes=_small,
    gated=st.none() | st.sampled_from(["auto", "manual"]), size_on_disk=_small, problem=_text,
    is_mlx=st.none() | st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entry=_entries, width=st.integers(min_value=120, max_value=1600), expanded=st.booleans())
def test_any_entry_paints_without_error_within_its_card(qapp, entry, width, expanded) -> None:  # type: ignore[no-untyped-def]
    """Untrusted data (odd names, absurd numbers, NaN bits, unknown words) still paints a card."""
    view, model, delegate = _fuzz_view()
    model.set_entries([entry])
    model.set_expanded(entry.id, expanded)
    view.resize(width, 600)
    QApplication.processEvents()
    image = render_row(view, delegate, 0)
    layout = delegate.layout_at(model.index(0, 0))
    assert layout is not None and image.height() == layout.height
    for _, rect in layout.badges:
        assert rect.x + rect.w <= layout.card.x + layout.card.w


_FUZZ: list[object] = []


def _fuzz_view():  # type: ignore[no-untyped-def]
    if not _FUZZ:
        _FUZZ.extend(make_view([], width=600, palette=light_palette()))
    return _FUZZ
