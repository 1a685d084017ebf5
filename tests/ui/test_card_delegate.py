"""Card interaction: tooltips that explain each badge, the specs toggle, gated links, caching."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QToolTip

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.listing import with_config
from app.core.model_entry import ConfigStatus, Tier
from app.ui.theme import dark_palette, light_palette
from tests.ui.cardsamples import QWEN_CONFIG, hub, local, make_view, render_row


def _badge_point(view, delegate, row: int, kind: str) -> QPoint:  # type: ignore[no-untyped-def]
    index = view.model().index(row, 0)
    rect = view.visualRect(index)
    layout = delegate.layout_at(index)
    _, r = next((b, r) for b, r in layout.badges if b.kind == kind)
    return QPoint(rect.x() + r.x + r.w // 2, rect.y() + r.y + r.h // 2)


def _tooltip_at(view, pos: QPoint) -> str:  # type: ignore[no-untyped-def]
    QToolTip.hideText()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    return QToolTip.text()


def test_badge_tooltips_explain_the_fact_and_where_it_came_from(qapp) -> None:  # type: ignore[no-untyped-def]
    view, _model, delegate = make_view([local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)])
    quant = _tooltip_at(view, _badge_point(view, delegate, 0, "quant"))
    assert quant == "Quantized to 4 bits per weight in groups of 64 (affine) — read from config.json"
    context = _tooltip_at(view, _badge_point(view, delegate, 0, "context"))
    assert context.startswith("Context window of 32,768 tokens")
    view.close()


def test_a_guess_says_it_is_a_guess(qapp) -> None:  # type: ignore[no-untyped-def]
    view, _model, delegate = make_view([hub("mlx-community/Qwen2.5-7B-Instruct-4bit")])
    family = _tooltip_at(view, _badge_point(view, delegate, 0, "family"))
    assert "guessed from the model name; the config has not been read yet" in family
    view.close()


def test_config_unavailable_tooltip_says_why(qapp) -> None:  # type: ignore[no-untyped-def]
    broken = local("someone/broken-model", None)
    view, _model, delegate = make_view([broken])
    assert broken.config_status == ConfigStatus.UNAVAILABLE
    text = _tooltip_at(view, _badge_point(view, delegate, 0, "config"))
    assert text == "The config could not be read: config.json is not valid JSON (line 1)"
    view.close()


def test_gated_badge_says_what_to_do_and_a_click_opens_the_model_page(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    no_token = hub("meta-llama/Llama-3.3-70B-Instruct", gated="manual")
    refused = no_token.with_changes(
        id="meta-llama/Llama-3.1-8B", config_status=ConfigStatus.UNAVAILABLE,
        config_error="gated model: your token is not approved yet; request access at https://huggingface.co/x")
    view, model, delegate = make_view([no_token, refused])
    first = model.row_of(no_token.id)
    second = model.row_of(refused.id)
    layout = delegate.layout_at(model.index(first, 0))
    assert "Gated · needs token" in [b.text for b, _ in layout.badges]
    assert "log in with a Hugging Face token" in _tooltip_at(view, _badge_point(view, delegate, first, "gated"))
    layout = delegate.layout_at(model.index(second, 0))
    assert "Gated · request access" in [b.text for b, _ in layout.badges]
    assert "config unavailable" not in [b.text for b, _ in layout.badges]  # the gated badge says why
    assert "not approved" in _tooltip_at(view, _badge_point(view, delegate, second, "gated"))
    with qtbot.waitSignal(delegate.link_activated, timeout=1000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_badge_point(view, delegate, first, "gated"))
    assert blocker.args == ["https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct"]
    view.close()


def test_clicking_show_specs_expands_the_card_and_clicking_again_closes_it(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    entry = local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)
    view, model, delegate = make_view([entry, local("mlx-community/other-8bit", QWEN_CONFIG)])
    index = model.index(model.row_of(entry.id), 0)
    closed = view.visualRect(index).height()
    layout = delegate.layout_at(index)
    assert layout.toggle_text == "Show specs ▾"
    toggle = view.visualRect(index).topLeft() + QPoint(layout.toggle.x + 5, layout.toggle.y + 5)
    assert _tooltip_at(view, toggle).startswith("Show every spec")
    with qtbot.waitSignal(delegate.specs_toggled, timeout=1000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=toggle)
    assert blocker.args == [entry.id]
    assert model.is_expanded(entry.id)
    qtbot.waitUntil(lambda: view.visualRect(index).height() > closed + 40, timeout=2000)
    assert delegate.layout_at(index).toggle_text == "Hide specs ▴"
    # The card below moved down to make room.
    below = model.index(1 - index.row(), 0)
    if below.row() > index.row():
        assert view.visualRect(below).top() >= view.visualRect(index).bottom()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=toggle)
    assert not model.is_expanded(entry.id)
    qtbot.waitUntil(lambda: view.visualRect(index).height() == closed, timeout=2000)
    view.close()


def test_spec_tooltips_give_the_long_story(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    view, model, delegate = make_view([local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)])
    model.toggle_expanded(0)
    index = model.index(0, 0)
    qtbot.waitUntil(lambda: delegate.layout_at(index).specs != (), timeout=2000)
    layout = delegate.layout_at(index)
    cell = next(c for c in layout.specs if c.item.label == "Parameters")
    rect = view.visualRect(index)
    text = _tooltip_at(view, QPoint(rect.x() + cell.value.x + 4, rect.y() + cell.value.y + 4))
    assert text.startswith("Parameters: ≈ ")
    assert "derived from other values" in text
    heads = next(c for c in layout.specs if c.item.label == "Heads")
    assert heads.item.value == "28 (KV 4, GQA 7:1)" and heads.item.source == "config"
    view.close()


def test_a_config_landing_relayouts_that_card_only_when_its_height_changes(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    guess = hub("org/mystery-model")
    view, model, delegate = make_view([guess])
    index = model.index(0, 0)
    before = delegate.layout_at(index)
    assert delegate.layout_at(index) is before  # cached: the same layout object
    hints: list[int] = []
    delegate.sizeHintChanged.connect(lambda i: hints.append(i.row()))
    model.update_entry(guess.with_changes(likes=99))  # same height: no relayout asked
    assert hints == []
    assert delegate.layout_at(index) is not before  # but the card is re-measured for the new entry
    wide_config = {**QWEN_CONFIG, "vision_config": {"depth": 2}, "model_type": "qwen2_vl"}
    model.update_entry(with_config(model.entry_at(0), extract_characteristics(wide_config)))
    after = delegate.layout_at(index)
    assert [b.kind for b, _ in after.badges][:3] == ["family", "modality", "quant"]
    assert not any(b.guess for b, _ in after.badges)
    view.close()


def test_narrow_cards_use_the_short_toggle_and_stay_within_the_view(qapp) -> None:  # type: ignore[no-untyped-def]
    view, model, delegate = make_view([local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)], width=320)
    index = model.index(0, 0)
    layout = delegate.layout_at(index)
    assert layout.toggle_text == "Specs ▾"
    viewport = view.viewport().width()
    assert layout.card.x + layout.card.w <= viewport
    for _, rect in layout.badges:
        assert rect.x + rect.w <= layout.card.x + layout.card.w
    assert delegate.sizeHint(QStyleOptionViewItem(), index).height() == view.visualRect(index).height()
    view.close()


def test_switching_the_palette_repaints_in_the_new_theme(qapp) -> None:  # type: ignore[no-untyped-def]
    view, model, delegate = make_view([local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)],
                                      palette=light_palette())
    layout = delegate.layout_at(model.index(0, 0))
    spot = (layout.card.x + layout.card.w // 2, layout.card.y + layout.card.h - 4)
    light = render_row(view, delegate, 0).pixelColor(*spot)
    view.setPalette(dark_palette())
    dark = render_row(view, delegate, 0).pixelColor(*spot)
    assert light.lightnessF() > 0.9 and dark.lightnessF() < 0.3
    view.close()


def test_painting_calls_keep_their_references_to_none_and_true(qapp) -> None:  # type: ignore[no-untyped-def]
    """PySide6 6.12.0 on CPython 3.11 dropped a reference to None per void call (and to True per emit) until
    the app aborted mid-scroll; pyproject.toml pins below it. This fails if a leaking build comes back."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtGui import QColor

    class Emitter(QObject):
        fired = Signal(bool)

    color, emitter = QColor(), Emitter()
    emitter.fired.connect(lambda _: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(1000):
        color.setAlpha(1)
        emitter.fired.emit(True)
    assert sys.getrefcount(None) >= none_before - 10
    assert sys.getrefcount(True) >= true_before - 10


def test_every_spec_says_where_its_value_came_from(qapp) -> None:  # type: ignore[no-untyped-def]
    from app.core.describe import spec_items

    from_config = {i.label: i for i in spec_items(local("o/qwen-4bit", QWEN_CONFIG))}
    assert from_config["Context"].value == "32,768" and from_config["Context"].source == "config"
    assert from_config["Parameters"].source == "derived"  # computed from the shapes
    assert from_config["KV per 1K tok"].source == "derived"
    assert from_config["Quantization"].value == "4-bit · g64 · affine"
    guessed = {i.label: i for i in spec_items(hub("o/Qwen2.5-7B-Instruct-4bit"))}
    assert guessed["Parameters"].source == "name" and guessed["Quantization"].source == "name"
    listed = hub("o/some-model").with_changes(
        characteristics=ModelCharacteristics(quantization_bits=4, quantization_group_size=64),
        provenance=(("quantization_bits", Tier.LISTING), ("quantization_group_size", Tier.LISTING)))
    assert [(i.label, i.value, i.source) for i in spec_items(listed)] == [("Quantization", "4-bit · g64",
                                                                            "Hub listing")]


def test_a_bigger_font_makes_taller_cards(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    view, model, delegate = make_view([local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)])
    index = model.index(0, 0)
    before = view.visualRect(index).height()
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    view.setFont(font)
    qtbot.waitUntil(lambda: view.visualRect(index).height() > before * 1.3, timeout=2000)
    assert delegate.metrics().font.pointSizeF() == font.pointSizeF()
    view.close()


def test_narrowing_the_window_rewraps_the_badges_and_grows_the_card(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.cardsamples import MOE_CONFIG

    view, model, delegate = make_view([local("mlx-community/Qwen3-30B-A3B-4bit", MOE_CONFIG)], width=980)
    index = model.index(0, 0)
    wide = view.visualRect(index).height()
    assert delegate.layout_at(index).badge_rows == 1
    view.resize(320, 900)
    qtbot.waitUntil(lambda: view.visualRect(index).height() > wide, timeout=2000)
    assert delegate.layout_at(index).badge_rows >= 2
    view.resize(980, 900)
    qtbot.waitUntil(lambda: view.visualRect(index).height() == wide, timeout=2000)
    view.close()


def test_the_stats_line_tooltip_gives_exact_figures(qapp) -> None:  # type: ignore[no-untyped-def]
    entry = local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG, size=4_312_345_678)
    view, model, delegate = make_view([entry])
    layout = delegate.layout_at(model.index(0, 0))
    text = _tooltip_at(view, QPoint(layout.sub.x + 20, layout.sub.y + layout.sub.h // 2))
    assert "4,312,345,678 bytes on disk" in text and "Last used: " in text
    view.close()
