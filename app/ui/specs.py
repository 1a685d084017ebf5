"""The specs grid of an open card: label, bold value, and the small grey word saying where it came from.

Cells are placed by `card_layout.compute_layout` (aligned columns, row-major like reading); this module
only paints them. Values too long for their cell are elided; the full text is in the cell's tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRect, Qt
from PySide6.QtGui import QPainter, QPen

from app.core.describe import SpecItem
from app.ui.card_layout import CardLayout, Font, Metrics
from app.ui.theme import CardTheme

_LEFT_VCENTER = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def paint_specs(p: QPainter, layout: CardLayout, ox: int, oy: int, m: Metrics, theme: CardTheme) -> None:
    if layout.separator_y is None:
        return
    card = layout.card
    y = oy + layout.separator_y + 0.5
    p.setPen(QPen(theme.separator, 1.0))
    p.drawLine(QLineF(ox + layout.name.x, y, ox + card.x + card.w - m.pad, y))
    for cell in layout.specs:
        label, value = cell.label, cell.value
        p.setFont(m.font)
        p.setPen(theme.secondary)
        p.drawText(QRect(ox + label.x, oy + label.y, label.w, label.h), _LEFT_VCENTER,
                   m.fm.elidedText(cell.item.label, Qt.TextElideMode.ElideRight, label.w - 4))
        source_w = m.width(Font.SMALL, cell.item.source) if cell.item.source else 0
        room = value.w - (source_w + 6 if source_w else 0)
        text = cell.item.value
        width = m.width(Font.BOLD, text)
        if width > room:
            text = m.fm_bold.elidedText(text, Qt.TextElideMode.ElideRight, max(room, 10))
            width = m.fm_bold.horizontalAdvance(text)
        p.setFont(m.bold_font)
        p.setPen(theme.warning if cell.item.warning else theme.text)  # a value to check stands out
        p.drawText(QRect(ox + value.x, oy + value.y, width + 2, value.h), _LEFT_VCENTER, text)
        if source_w:
            p.setFont(m.small_font)
            p.setPen(theme.tertiary)
            # Sit on the value's baseline rather than centred, so the smaller word reads as a footnote.
            baseline = oy + value.y + (value.h + m.fm_bold.ascent() - m.fm_bold.descent()) // 2
            p.drawText(ox + value.x + width + 6, baseline, cell.item.source)


def spec_tooltip(item: SpecItem) -> str:
    source = {"config": "read from config.json", "Hub listing": "from the Hub listing",
              "name": "guessed from the model name", "derived": "derived from other values"}.get(item.source, "")
    head = f"{item.label}: {item.value}"
    if item.tooltip and item.tooltip != item.value:
        head += f"\n{item.tooltip}"
    return f"{head}\n({source})" if source else head
