"""The specs grid: columns line up from one card to the next, and a card with no specs says why."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QFont, QImage

from app.core.model_entry import ConfigStatus
from app.ui.card_layout import Font, compute_layout, metrics_for
from app.ui.theme import card_theme, light_palette
from tests.ui.cardsamples import GEMMA_CONFIG, MOE_CONFIG, QWEN_CONFIG, local, make_view, render_row

SHORT_CONFIG = {"model_type": "llama", "max_position_embeddings": 4096, "num_hidden_layers": 2}


def first_ink_x(image: QImage, rect: tuple[int, int, int, int], background: QColor) -> int | None:
    """The leftmost x in `rect` where something clearly darker than the background is painted."""
    x0, y0, w, h = rect
    for x in range(x0, x0 + w):
        for y in range(y0, y0 + h):
            if QColor.fromRgba(image.pixel(x, y)).lightness() < background.lightness() - 90:
                return x
    return None


def test_value_columns_line_up_from_one_card_to_the_next(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    # Different labels on each card ("Sliding window", "Experts", a short config): the grid is the same.
    entries = [local("org/qwen-4bit", QWEN_CONFIG), local("org/moe-4bit", MOE_CONFIG),
               local("org/gemma-8bit", GEMMA_CONFIG), local("org/tiny", SHORT_CONFIG)]
    view, model, delegate = make_view(entries, width=1100, palette=light_palette())  # the window's default
    for row in range(len(entries)):
        model.toggle_expanded(row)
    qtbot.waitUntil(lambda: all(delegate.layout_at(model.index(r, 0)).specs for r in range(len(entries))))
    layouts = [delegate.layout_at(model.index(r, 0)) for r in range(len(entries))]
    assert len({tuple(c.item.label for c in layout.specs) for layout in layouts}) == len(entries)
    grids = [sorted({(c.label.x, c.value.x) for c in layout.specs}) for layout in layouts]
    # Three columns at this width; a card with fewer specs fills fewer of them, at the same x.
    assert len(grids[0]) == 3 and all(set(grid) <= set(grids[0]) for grid in grids), grids

    # And on screen: each card's first value in the middle column starts at the same pixel.
    background = card_theme(light_palette()).card
    starts = []
    for row, layout in enumerate(layouts):
        image = render_row(view, delegate, row)
        cell = layout.specs[1]
        starts.append(first_ink_x(image, (cell.value.x, cell.value.y, cell.value.w, cell.value.h), background))
    assert None not in starts and max(starts) - min(starts) <= 1, starts  # type: ignore[operator]
    view.close()


def test_a_narrower_card_drops_to_fewer_columns_rather_than_cutting_values(qapp) -> None:  # type: ignore[no-untyped-def]
    entry = local("org/qwen-4bit", QWEN_CONFIG)
    view, _model, delegate = make_view([entry], width=1100, palette=light_palette())
    m = delegate.metrics()
    columns = []
    for width in (1100, 900, 600):
        layout = compute_layout(entry, width, True, m)
        columns.append(len({c.value.x for c in layout.specs}))
        context = next(c for c in layout.specs if c.item.label == "Context")
        assert context.item.value == "32,768"
        # A value of the sample's length fits whole, with its source word.
        assert m.spec_value_min <= context.value.w
    assert columns[0] == 3 and columns[0] > columns[1] >= columns[2] >= 1
    view.close()


def test_the_grid_follows_the_font_not_the_labels(qapp) -> None:  # type: ignore[no-untyped-def]
    small, large = QFont("Sans Serif"), QFont("Sans Serif")
    small.setPixelSize(12)
    large.setPixelSize(20)
    widths = []
    for font in (small, large):
        m = metrics_for(font)
        layout = compute_layout(local("org/qwen-4bit", QWEN_CONFIG), 980, True, m)
        assert {c.label.w for c in layout.specs} == {m.spec_label_w}
        assert m.spec_label_w > m.width(Font.NORMAL, "Context")  # not the card's own longest label
        widths.append(m.spec_label_w)
    assert widths[1] > widths[0]


def test_a_card_whose_config_is_invalid_says_why_it_has_no_specs(qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    broken = local("org/broken", None, problem="config.json is not valid JSON (line 1)")
    waiting = local("org/waiting", None).with_changes(config_status=ConfigStatus.PENDING, config_error=None)
    view, model, delegate = make_view([broken, waiting], palette=light_palette())
    model.toggle_expanded(0)
    model.toggle_expanded(1)
    qtbot.waitUntil(lambda: bool(delegate.layout_at(model.index(1, 0)).specs))
    (cell,) = delegate.layout_at(model.index(model.row_of(broken.id), 0)).specs
    assert cell.item.value == "none, config.json is not valid JSON (line 1)"
    # The lone row has the card's width: the reason is not cut short.
    m = delegate.metrics()
    assert m.width(Font.BOLD, cell.item.value) <= cell.value.w
    (pending,) = delegate.layout_at(model.index(model.row_of(waiting.id), 0)).specs
    assert pending.item.value == "not known yet"  # still to come: that is true there
    tip = delegate.tooltip_at(model.index(model.row_of(broken.id), 0),
                              view.visualRect(model.index(model.row_of(broken.id), 0)).topLeft()
                              + QPoint(cell.value.x + 2, cell.value.y + 2))
    assert tip is not None and "not valid JSON" in tip
    view.close()
