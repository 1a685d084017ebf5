"""Badge painting: a rounded pill per fact, solid for a fact, dashed and lighter for a guess.

Each badge is rendered once into a pixmap per (text, kind, guess, width, device pixel ratio, theme,
font) and blitted afterwards, so scrolling paints a handful of pixmaps per card instead of text.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap

from app.core.describe import CardBadge
from app.ui.card_layout import Font, Metrics, Rect
from app.ui.theme import BadgeColors, CardTheme, blend

_MAX_CACHED = 4000


class BadgePainter:
    def __init__(self) -> None:
        self._cache: dict[tuple[object, ...], QPixmap] = {}

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)

    def paint(self, painter: QPainter, badge: CardBadge, rect: Rect, m: Metrics, theme: CardTheme,
              dpr: float) -> None:
        painter.drawPixmap(rect.x, rect.y, self.pixmap(badge, rect.w, rect.h, m, theme, dpr))

    def pixmap(self, badge: CardBadge, w: int, h: int, m: Metrics, theme: CardTheme, dpr: float) -> QPixmap:
        key = (badge.text, badge.kind, badge.guess, w, h, dpr, theme.card.rgba(), theme.dark, m.key)
        found = self._cache.get(key)
        if found is not None:
            return found
        pixmap = QPixmap(max(1, round(w * dpr)), max(1, round(h * dpr)))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        try:
            draw_badge(p, badge, QRectF(0, 0, w, h), m, theme)
        finally:
            p.end()
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()  # crude but bounded; the working set is a few dozen badges
        self._cache[key] = pixmap
        return pixmap


# "Will it run / will it fit" badges: green, amber and red for the verdict; a muted grey when mlx-lm cannot
# run the model (a fact worth a tooltip, not an alarm). (light fill, light text), (dark fill, dark text).
_RUNTIME_COLORS = {
    "runs": (("#dcefe9", "#0f5132"), ("#17382e", "#8fdcc0")),
    "runs-not": (("#eceef1", "#6b7280"), ("#33363b", "#9aa1ab")),
    "fits": (("#d7f5df", "#166534"), ("#183a26", "#86efac")),
    "tight": (("#fdf0c8", "#8a5a00"), ("#4a3a12", "#fcd34d")),
    "too-large": (("#fde0e0", "#9b1c1c"), ("#4a1f22", "#f7a1a1")),
}


def badge_colors(kind: str, guess: bool, theme: CardTheme) -> BadgeColors:
    pair = _RUNTIME_COLORS.get(kind)
    if pair is None:
        return theme.badge(kind, guess)
    fill_hex, text_hex = pair[1] if theme.dark else pair[0]
    fill, text = QColor(fill_hex), QColor(text_hex)
    if guess:  # drawn like every other guess: lighter, dashed outline
        return BadgeColors(blend(fill, theme.card, 0.6), text, blend(text, theme.card, 0.25))
    return BadgeColors(fill, text, fill)


def draw_badge(p: QPainter, badge: CardBadge, rect: QRectF, m: Metrics, theme: CardTheme) -> None:
    colors = badge_colors(badge.kind, badge.guess, theme)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    radius = min(rect.height() / 2, m.radius * 0.8)
    body = rect.adjusted(0.5, 0.5, -0.5, -0.5)
    p.setBrush(colors.fill)
    if badge.guess:
        pen = QPen(colors.border, 1.0)
        pen.setDashPattern([3.0, 2.0])
        p.setPen(pen)
    else:
        p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(body, radius, radius)
    text_rect = rect.adjusted(m.badge_pad, 0, -m.badge_pad, 0)
    if badge.kind == "gated":
        _draw_lock(p, QRectF(text_rect.x(), rect.y(), m.lock_width - 4, rect.height()), colors.text)
        text_rect.setLeft(text_rect.left() + m.lock_width)
    p.setFont(m.badge_font)
    p.setPen(colors.text)
    text = badge.text
    if m.width(Font.BADGE, text) > text_rect.width():
        text = m.fm_badge.elidedText(text, Qt.TextElideMode.ElideRight, int(text_rect.width()))
    p.drawText(text_rect, int(Qt.AlignmentFlag.AlignCenter), text)


def _draw_lock(p: QPainter, area: QRectF, color: QColor) -> None:
    """A small padlock: a rounded body and an arched shackle (no emoji font needed)."""
    w = area.width()
    body_h = area.height() * 0.32
    cy = area.center().y()
    body = QRectF(area.x(), cy - body_h * 0.15, w, body_h)
    p.save()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawRoundedRect(body, 1.5, 1.5)
    shackle = QPainterPath()
    r = w * 0.3
    top = body.top() - r * 2.1
    shackle.moveTo(QPointF(body.center().x() - r, body.top()))
    shackle.lineTo(QPointF(body.center().x() - r, top + r))
    shackle.arcTo(QRectF(body.center().x() - r, top, 2 * r, 2 * r), 180, -180)
    shackle.lineTo(QPointF(body.center().x() + r, body.top()))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(color, max(1.2, w * 0.16)))
    p.drawPath(shackle)
    p.restore()
