"""The card in one line, for the quick search: avatar, name, publisher, the badges that fit, where it is.

A `CardDelegate` underneath, so the avatar and badge pixmaps, the fonts and the colours are the card's
own; only the arrangement differs. Rows never expand into specs here.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from app.core import formatting
from app.core.describe import CardBadge, card_badges
from app.core.model_entry import ModelEntry, Source
from app.ui.card_delegate import CardDelegate
from app.ui.card_layout import Font, Metrics, Rect
from app.ui.theme import CardTheme, card_theme

Index = QModelIndex | QPersistentModelIndex
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_SKIP_KINDS = ("pending",)


def where_text(entry: ModelEntry) -> str:
    """On this Mac (with its size) or on the Hub (with its downloads)."""
    if entry.source in (Source.LOCAL, Source.BOTH):
        size = formatting.size(entry.size_on_disk)
        return f"On disk · {size}" if size else "On disk"
    downloads = formatting.count(entry.downloads)
    return f"Hub · {downloads} ↓" if downloads else "Hub"


class CompactCardDelegate(CardDelegate):
    def row_height(self) -> int:
        m = self.metrics()
        return max(m.badge_h, m.fm_bold.height()) + 2 * max(5, m.line // 2)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(200, self.row_height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry, _ = self._entry(index)
        if entry is None:
            return
        m = self.metrics()
        theme = card_theme(option.palette)
        rect: QRect = option.rect
        dpr = painter.device().devicePixelRatioF()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            if selected or hover:
                painter.setPen(QPen(theme.border_selected if selected else theme.border_hover, 1.0))
                painter.setBrush(theme.card_selected if selected else theme.card_hover)
                body = QRectF(rect.x() + 4.5, rect.y() + 1.5, rect.width() - 9, rect.height() - 3)
                painter.drawRoundedRect(body, m.radius, m.radius)
            pending = getattr(index.model(), "is_pending", None)
            if pending is not None and pending(entry.id):
                painter.setOpacity(0.5)
            self._paint_line(painter, entry, rect, m, theme, dpr)
        finally:
            painter.restore()

    def _paint_line(self, p: QPainter, entry: ModelEntry, rect: QRect, m: Metrics, theme: CardTheme,
                    dpr: float) -> None:
        pad = m.margin_x + 4
        x = rect.x() + pad
        right = rect.right() - pad
        cy = rect.y() + rect.height() // 2
        avatar = max(18, m.badge_h)
        p.drawPixmap(x, cy - avatar // 2, self._avatar(entry.author or entry.name, avatar, m, dpr))
        x += avatar + m.gap

        where = where_text(entry)
        where_w = m.width(Font.SMALL, where)
        p.setFont(m.small_font)
        p.setPen(theme.secondary)
        p.drawText(QRect(right - where_w, rect.y(), where_w, rect.height()), _RIGHT, where)
        right -= where_w + m.gap

        # The name gets up to half of what is left, the badges the rest (as many as fit, in order).
        room = right - x
        name_w = min(m.width(Font.BOLD, entry.name), max(room // 2, room - self._badges_width(entry, m)))
        name = self._elide(entry.name, name_w, Font.BOLD, Qt.TextElideMode.ElideMiddle, m)
        p.setFont(m.bold_font)
        p.setPen(theme.text)
        p.drawText(QRect(x, rect.y(), name_w, rect.height()), _LEFT, name)
        x += m.width(Font.BOLD, name) + m.badge_space
        author = entry.author
        author_w = m.width(Font.SMALL, author) if author else 0
        if author and x + author_w + m.gap <= right:
            p.setFont(m.small_font)
            p.setPen(theme.tertiary)
            p.drawText(QRect(x, rect.y(), author_w, rect.height()), _LEFT, author)
            x += author_w
        x += m.gap
        for badge in self._compact_badges(entry):
            w = m.badge_width(badge.text, badge.kind)
            if x + w > right:
                break
            self._badges.paint(p, badge, Rect(x, cy - m.badge_h // 2, w, m.badge_h), m, theme, dpr)
            x += w + m.badge_space

    @staticmethod
    def _compact_badges(entry: ModelEntry) -> list[CardBadge]:
        return [b for b in card_badges(entry) if b.kind not in _SKIP_KINDS]

    def _badges_width(self, entry: ModelEntry, m: Metrics) -> int:
        return sum(m.badge_width(b.text, b.kind) + m.badge_space for b in self._compact_badges(entry))
