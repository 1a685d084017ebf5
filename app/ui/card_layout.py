"""Where everything on a card goes: one computation shared by paint, sizeHint and hit-testing.

A layout depends on the entry, the width, whether the specs are open and the font; it holds plain int
rectangles relative to the item's top-left corner. Computing one is cheap (text widths are cached), so
`sizeHint` over 10,000 rows stays fast, and paint never measures anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import NamedTuple

from PySide6.QtGui import QFont, QFontMetrics

from app.core import formatting
from app.core.describe import CardBadge, SpecItem, card_badges, spec_items
from app.core.model_entry import ConfigStatus, ModelEntry, Source
from app.core.runtime_describe import runtime_badges, runtime_spec_items, with_exact_parameters

SHOW_SPECS = "Show specs ▾"
HIDE_SPECS = "Hide specs ▴"
NARROW = 26  # card widths below this many lines use the short toggle label


def toggle_label(expanded: bool, card_width: int, m: Metrics) -> str:
    if card_width < m.line * NARROW:
        return "Specs ▴" if expanded else "Specs ▾"
    return HIDE_SPECS if expanded else SHOW_SPECS


class Rect(NamedTuple):
    x: int
    y: int
    w: int
    h: int

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h


class Font(IntEnum):
    """Which of a card's fonts a text is set in (what `Metrics.width` and `Metrics.fm_for` take)."""

    NORMAL = 0  # stats line, spec labels, the specs toggle
    BADGE = 1  # small bold, in badges
    SMALL = 2  # source words, footnotes
    BOLD = 3  # spec values
    NAME = 4  # the model's name


# Spec labels are set in a column as wide as the longest of these (longer ones are elided, with the whole
# label in the tooltip): the width depends on the font alone, so every card's grid lines up with the next.
SPEC_LABEL_SAMPLES = ("Sliding window", "Memory at 128K", "KV per 1K tok")
# The narrowest room a value (with its source word) gets before the grid drops to fewer columns.
SPEC_VALUE_SAMPLE = ("131,072 (4,096 × 32)", "config")


class Metrics:
    """Fonts and spacings for one application font; sizes are relative to it."""

    def __init__(self, font: QFont) -> None:
        self.font = QFont(font)
        self.name_font = QFont(font)
        size = font.pointSizeF()
        if size > 0:
            self.name_font.setPointSizeF(size * 1.2)
        else:
            self.name_font.setPixelSize(round(font.pixelSize() * 1.2))
        self.name_font.setBold(True)
        self.small_font = QFont(font)
        if size > 0:
            self.small_font.setPointSizeF(max(size * 0.86, 7.0))
        else:
            self.small_font.setPixelSize(max(round(font.pixelSize() * 0.85), 9))
        self.badge_font = QFont(self.small_font)
        self.badge_font.setBold(True)
        self.bold_font = QFont(font)
        self.bold_font.setBold(True)
        self.fm = QFontMetrics(self.font)
        self.fm_name = QFontMetrics(self.name_font)
        self.fm_small = QFontMetrics(self.small_font)
        self.fm_badge = QFontMetrics(self.badge_font)
        self.fm_bold = QFontMetrics(self.bold_font)
        line = self.fm.height()
        self.line = line
        self.margin_x = max(8, round(line * 0.6))  # between the card and the view's edge
        self.margin_y = max(4, round(line * 0.3))  # half the gap between two cards
        self.pad = max(12, round(line * 1.1))  # inside the card
        self.avatar = max(28, round(line * 2.4))
        self.gap = max(8, round(line * 0.7))  # avatar to text
        self.badge_h = self.fm_badge.height() + max(5, round(line * 0.45))
        self.badge_pad = max(6, round(line * 0.5))
        self.badge_space = max(4, round(line * 0.35))
        self.spec_row = line + max(4, round(line * 0.4))
        self.radius = max(6, round(line * 0.55))
        self.key = font.key()
        self._fms = (self.fm, self.fm_badge, self.fm_small, self.fm_bold, self.fm_name)  # by Font
        self._widths: dict[tuple[Font, str], int] = {}
        self.spec_label_w = max(self.fm.horizontalAdvance(t) for t in SPEC_LABEL_SAMPLES) + self.gap
        value, source = SPEC_VALUE_SAMPLE
        self.spec_value_min = self.fm_bold.horizontalAdvance(value) + self.fm_small.horizontalAdvance(source) + 6

    def fm_for(self, which: Font) -> QFontMetrics:
        return self._fms[which]

    def width(self, which: Font, text: str) -> int:
        """Cached horizontal advance of `text` in one of the card's fonts."""
        key = (which, text)
        found = self._widths.get(key)
        if found is None:
            found = self._fms[which].horizontalAdvance(text)
            if len(self._widths) > 20_000:
                self._widths.clear()
            self._widths[key] = found
        return found

    def badge_width(self, text: str, kind: str = "") -> int:
        extra = self.lock_width if kind == "gated" else 0
        return self.width(Font.BADGE, text) + 2 * self.badge_pad + extra

    @property
    def lock_width(self) -> int:
        return round(self.fm_badge.height() * 0.62) + 4


_METRICS: dict[str, Metrics] = {}


def metrics_for(font: QFont) -> Metrics:
    key = font.key()
    found = _METRICS.get(key)
    if found is None:
        found = _METRICS[key] = Metrics(font)
    return found


def stats_tooltip(entry: ModelEntry) -> str:
    """The exact figures behind the rounded stats line."""
    lines = [entry.id]
    if entry.size_on_disk is not None:
        lines.append(f"{entry.size_on_disk:,} bytes on disk")
    elif entry.source == Source.LOCAL:
        lines.append("Size on disk: still being measured")
    for label, moment in (("Last used", entry.last_accessed), ("Updated", entry.last_modified),
                          ("Created", entry.created_at)):
        if moment is not None:
            lines.append(f"{label}: {moment:%Y-%m-%d %H:%M} UTC")
    if entry.downloads is not None:
        lines.append(f"{entry.downloads:,} downloads (last 30 days)")
    if entry.likes is not None:
        lines.append(f"{entry.likes:,} likes")
    return "\n".join(lines)


def stats_text(entry: ModelEntry) -> str:
    """The line under the name: publisher, then Hub stats or local size and use."""
    parts: list[str] = []
    # A Hub card keeps its Hub stats when the model is downloaded too (it says so in its badge).
    if entry.source == Source.HUB or (entry.source == Source.BOTH and entry.size_on_disk is None):
        if entry.downloads is not None:
            parts.append(f"↓ {formatting.count(entry.downloads)}")
        if entry.likes is not None:
            parts.append(f"♥ {formatting.count(entry.likes)}")
        updated = formatting.ago(entry.last_modified)
        if updated:
            parts.append(f"updated {updated}")
    else:
        size = formatting.size(entry.size_on_disk)
        parts.append(f"{size or '…'} on disk")
        used = formatting.ago(entry.last_accessed)
        if used:
            parts.append(f"used {used}")
        if entry.source == Source.BOTH and entry.downloads is not None:
            parts.append(f"↓ {formatting.count(entry.downloads)}")
    # A repo without an organisation (models--foo) names no publisher rather than inventing one.
    stats = " · ".join(parts)
    if not entry.author:
        return stats
    return f"{entry.author}  ·  {stats}" if stats else entry.author


@dataclass(frozen=True)
class SpecCell:
    item: SpecItem
    label: Rect
    value: Rect  # value then its source word, left-aligned in this rect


@dataclass
class CardLayout:
    entry: ModelEntry
    expanded: bool
    width: int
    height: int
    card: Rect
    avatar: Rect
    name: Rect
    sub: Rect
    problem: Rect | None
    badges: tuple[tuple[CardBadge, Rect], ...]
    badge_rows: int
    toggle: Rect
    separator_y: int | None
    specs: tuple[SpecCell, ...]
    label_width: int
    toggle_text: str

    @cached_property
    def stats(self) -> str:
        # Only painted rows need it; sizeHint over thousands of rows does not.
        return stats_text(self.entry)

    def hit(self, x: float, y: float) -> tuple[str, object]:
        """What is under a point (item coordinates): ("toggle", None), ("badge", CardBadge),
        ("spec", SpecItem), ("name", entry id), ("problem", text), ("stats", entry) or ("card", None)/("none", None)."""
        if not self.card.contains(x, y):
            return ("none", None)
        if self.toggle.contains(x, y):
            return ("toggle", None)
        for badge, rect in self.badges:
            if rect.contains(x, y):
                return ("badge", badge)
        for cell in self.specs:
            if cell.label.contains(x, y) or cell.value.contains(x, y):
                return ("spec", cell.item)
        if self.name.contains(x, y):
            return ("name", self.entry.id)
        if self.problem is not None and self.problem.contains(x, y):
            return ("problem", self.entry.problem)
        if self.sub.contains(x, y):
            return ("stats", self.entry)
        return ("card", None)


def spec_grid(content_width: int, m: Metrics) -> tuple[int, list[int], list[int]]:
    """How many columns (3, 2 or 1) the specs take, each column's label width and total width.

    Row-major, like reading. Widths come from the font and the card's width only, never from the card's
    own labels or values: two cards of one list put their labels and values at the same x. The most
    columns that leave each value `spec_value_min` win; the columns share the card's width equally.
    """
    need = m.spec_label_w + m.spec_value_min + m.gap
    cols = next((n for n in (3, 2) if n * need <= content_width), 1)
    width = max(content_width // cols, need if cols > 1 else content_width)
    return cols, [m.spec_label_w] * cols, [width] * cols


def no_specs_item(entry: ModelEntry) -> SpecItem:
    """The one spec row of a card with no specs: still to come, or why none will (the config is unusable)."""
    if entry.config_status is not ConfigStatus.UNAVAILABLE:
        return SpecItem("Specs", "not known yet", "", "The config has not been read yet")
    why = entry.config_error or entry.problem or "it could not be read"
    sentence = why if "config" in why else f"config.json: {why}"
    return SpecItem("Specs", f"none, {sentence}", "",
                    f"The specs are read from config.json, and it cannot be used: {sentence}")


WIDTH_BUCKET = 16  # px: badge wrapping and spec columns are decided per bucket, so heights change less often


def bucket(width: int) -> int:
    return max(width - width % WIDTH_BUCKET, WIDTH_BUCKET)


def with_runtime_specs(items: list[SpecItem], entry: ModelEntry) -> list[SpecItem]:
    """The mlx-lm and memory rows after the others, the exact count right after the estimated one."""
    extra = runtime_spec_items(entry.runtime)
    if not extra or not items:
        return items + extra if items else []
    exact = [i for i in extra if i.label == "Exact params"]
    rest = [i for i in extra if i.label != "Exact params"]
    at = next((n + 1 for n, i in enumerate(items) if i.label == "Parameters"), len(items))
    return items[:at] + exact + items[at:] + rest


def compute_layout(entry: ModelEntry, width: int, expanded: bool, m: Metrics) -> CardLayout:
    """The card at `width`; everything that sets its height is decided at `bucket(width)`, so the height
    is the same for every width of a bucket (sizeHint computes it once per bucket for all rows)."""
    wrap_cut = width - bucket(width)  # px the wrapping leaves unused on the right, < WIDTH_BUCKET
    card = Rect(m.margin_x, m.margin_y, max(width - 2 * m.margin_x, 1), 0)
    avatar = Rect(card.x + m.pad, card.y + m.pad, m.avatar, m.avatar)
    text_x = avatar.x + m.avatar + m.gap
    right = card.x + card.w - m.pad
    toggle_text = toggle_label(expanded, card.w, m)
    toggle_w = m.width(Font.NORMAL, toggle_text)
    toggle = Rect(right - toggle_w, card.y + m.pad, toggle_w, m.line + 2)
    name_h = m.fm_name.height()
    name = Rect(text_x, card.y + m.pad - 2, max(toggle.x - m.gap - text_x, 10), name_h)
    y = name.y + name_h
    sub = Rect(text_x, y, max(right - text_x, 10), m.line)
    y += m.line
    problem = None
    if entry.problem:
        problem = Rect(text_x, y, sub.w, m.line)
        y += m.line
    y += max(6, m.line // 2)

    badges: list[tuple[CardBadge, Rect]] = []
    x, rows = text_x, 1
    limit = right - wrap_cut
    for badge in with_exact_parameters(card_badges(entry), entry.runtime) + runtime_badges(entry.runtime):
        w = min(m.badge_width(badge.text, badge.kind), max(limit - text_x, 20))
        if x + w > limit and x > text_x:
            rows += 1
            x = text_x
            y += m.badge_h + m.badge_space
        badges.append((badge, Rect(x, y, w, m.badge_h)))
        x += w + m.badge_space
    y += m.badge_h
    bottom = max(y, avatar.y + avatar.h)

    cells: list[SpecCell] = []
    separator_y = None
    label_w = 0
    if expanded:
        items = with_runtime_specs(spec_items(entry), entry) or [no_specs_item(entry)]
        separator_y = bottom + m.pad - 2
        y = separator_y + max(6, m.line // 2)
        content_w = right - wrap_cut - text_x
        cols, label_ws, col_ws = spec_grid(content_w, m)
        if len(items) == 1:  # a lone row (no specs, and why) takes the card's whole width
            cols, label_ws, col_ws = 1, label_ws[:1], [content_w]
        label_w = max(label_ws)
        xs = [text_x]
        for w in col_ws[:-1]:
            xs.append(xs[-1] + w)
        for n, item in enumerate(items):
            row, col = divmod(n, cols)
            cy = y + row * m.spec_row
            lw = label_ws[col]
            cells.append(SpecCell(item, Rect(xs[col], cy, lw, m.spec_row),
                                  Rect(xs[col] + lw, cy, max(col_ws[col] - lw - m.gap, 10), m.spec_row)))
        bottom = y + ((len(items) + cols - 1) // cols) * m.spec_row
    height = bottom + m.pad + m.margin_y
    card = Rect(card.x, card.y, card.w, height - 2 * m.margin_y)
    return CardLayout(entry=entry, expanded=expanded, width=width, height=height, card=card, avatar=avatar,
                      name=name, sub=sub, problem=problem, badges=tuple(badges), badge_rows=rows, toggle=toggle,
                      separator_y=separator_y, specs=tuple(cells), label_width=label_w,
                      toggle_text=toggle_text)
