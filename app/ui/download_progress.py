"""Downloads on the cards: a Download button on Hub cards, then progress painted in place.

The card delegate calls `paint()` after drawing a card (its optional `overlay`); this module owns the
geometry, the painting and the clicks (an event filter on the view's viewport, before the delegate sees
them). Everything painted comes from the latest `DownloadStatus` the GUI holds: paint never waits.

Where: the right end of the card's stats line holds the control ("⤓ Download", or the progress words and
Cancel / Resume); a thin bar along the card's bottom edge shows how far the download is.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QListView

from app.core.model_entry import ModelEntry, Source
from app.services.downloads import DownloadState, DownloadStatus
from app.ui.card_layout import CardLayout, Metrics, Rect
from app.ui.download_center import DownloadCenter
from app.ui.theme import CardTheme

DOWNLOAD_TEXT = "⤓ Download"
_RIGHT_VCENTER = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
BAR_HEIGHT = 3


class CardOverlay(Protocol):
    """What the card delegate calls after painting a card."""

    def paint(self, p: QPainter, layout: CardLayout, ox: int, oy: int, m: Metrics, theme: CardTheme) -> None: ...


def action_for(entry: ModelEntry, status: DownloadStatus | None, offer_download: bool) -> str | None:
    """The control a card shows: "download", "cancel", "resume", "done" or None."""
    if status is not None:
        if status.active:
            return "cancel"
        if status.resumable:
            return "resume"
        if status.state is DownloadState.DONE:
            return "done"
    if entry.source is Source.BOTH:
        return "done"  # already in the cache: a Hub card says so
    if offer_download and entry.source is Source.HUB:
        return "download"
    return None


def words_for(status: DownloadStatus | None) -> str:
    """The words left of the control: progress while it runs, the reason when it stopped."""
    if status is None:
        return ""
    if status.state is DownloadState.DOWNLOADING:
        return status.progress_text()
    if status.state is DownloadState.PLANNING:
        return "Checking size and space…"
    if status.state is DownloadState.RETRYING:
        return "Connection lost, retrying…"
    if status.state is DownloadState.DONE:
        return ""
    if status.failure is not None:
        return {"gated": "Gated: needs access", "disk_full": "Not enough disk space",
                "network": "Paused: connection lost", "rate_limited": "Paused: Hub rate limit",
                "not_found": "Not found on the Hub"}.get(status.failure.kind, "Failed")
    return "Cancelled" if status.state is DownloadState.CANCELLED else ""


_BUTTON_TEXT = {"download": DOWNLOAD_TEXT, "cancel": "Cancel", "resume": "Resume", "done": "✓ Downloaded"}


def button_text(action: str, status: DownloadStatus | None) -> str:
    """"Retry" after a failure (a new attempt, e.g. once a token is set), "Resume" after a pause or Cancel."""
    if action == "resume" and status is not None and status.state is DownloadState.FAILED:
        return "Retry"
    return _BUTTON_TEXT[action]


class DownloadOverlay(QObject):
    download_requested = Signal(str)
    cancel_requested = Signal(str)
    resume_requested = Signal(str)

    def __init__(self, center: DownloadCenter, view: QListView, *, offer_download: bool) -> None:
        super().__init__(view)
        self.center = center
        self.view = view
        self.offer_download = offer_download
        center.status_changed.connect(self._on_status)
        self._viewport = view.viewport()
        self._viewport.installEventFilter(self)

    # --- geometry ---------------------------------------------------------------------------------------

    def _button(self, layout: CardLayout, m: Metrics, action: str) -> Rect:
        sub = layout.sub
        text = button_text(action, self.center.status(layout.entry.id))
        text_w = m.fm_small.horizontalAdvance(text) + 2 * max(6, m.line // 2)
        return Rect(sub.x + sub.w - text_w, sub.y - 1, text_w, sub.h + 2)

    def _words_rect(self, layout: CardLayout, m: Metrics, button: Rect) -> Rect:
        sub = layout.sub
        width = min(max(sub.w // 2, 120), sub.w) - button.w - m.gap
        return Rect(button.x - m.gap - width, sub.y, max(width, 0), sub.h)

    def hit(self, layout: CardLayout, x: float, y: float, m: Metrics) -> str | None:
        """The action under a point (item coordinates), if any."""
        action = action_for(layout.entry, self.center.status(layout.entry.id), self.offer_download)
        if action is None or action == "done":
            return None
        return action if self._button(layout, m, action).contains(x, y) else None

    # --- painting ---------------------------------------------------------------------------------------

    def paint(self, p: QPainter, layout: CardLayout, ox: int, oy: int, m: Metrics, theme: CardTheme) -> None:
        entry = layout.entry
        status = self.center.status(entry.id)
        action = action_for(entry, status, self.offer_download)
        if action is None:
            return
        p.save()
        try:
            button = self._button(layout, m, action)
            if action == "done":
                p.setFont(m.small_font)
                p.setPen(theme.secondary)
                p.drawText(QRect(ox + button.x, oy + button.y, button.w, button.h), _RIGHT_VCENTER,
                           _BUTTON_TEXT[action])
                return
            self._paint_button(p, Rect(ox + button.x, oy + button.y, button.w, button.h),
                               button_text(action, status), theme, m, primary=action in ("download", "resume"))
            words = words_for(status)
            if words:
                wr = self._words_rect(layout, m, button)
                p.setFont(m.small_font)
                failed = status is not None and status.state is DownloadState.FAILED
                p.setPen(theme.warning if failed else theme.secondary)
                p.drawText(QRect(ox + wr.x, oy + wr.y, wr.w, wr.h), _RIGHT_VCENTER,
                           m.fm_small.elidedText(words, Qt.TextElideMode.ElideLeft, wr.w))
            if status is not None and status.total_bytes > 0 and action in ("cancel", "resume"):
                self._paint_bar(p, layout, ox, oy, m, theme, status)
        finally:
            p.restore()

    @staticmethod
    def _paint_button(p: QPainter, r: Rect, text: str, theme: CardTheme, m: Metrics, *, primary: bool) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(theme.link if primary else theme.border_hover, 1.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        radius = r.h / 2
        p.drawRoundedRect(QRectF(r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1), radius, radius)
        p.setFont(m.small_font)
        p.setPen(theme.link if primary else theme.text)
        p.drawText(QRect(r.x, r.y, r.w, r.h), _CENTER, text)

    @staticmethod
    def _paint_bar(p: QPainter, layout: CardLayout, ox: int, oy: int, m: Metrics, theme: CardTheme,
                   status: DownloadStatus) -> None:
        card = layout.card
        inset = int(m.radius)
        x, w = ox + card.x + inset, max(card.w - 2 * inset, 1)
        y = oy + card.y + card.h - BAR_HEIGHT - 2
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.separator)
        p.drawRoundedRect(QRectF(x, y, w, BAR_HEIGHT), 1.5, 1.5)
        fraction = min(status.done_bytes / status.total_bytes, 1.0)
        if fraction > 0:
            p.setBrush(theme.link if status.active else theme.secondary)
            p.drawRoundedRect(QRectF(x, y, max(w * fraction, BAR_HEIGHT), BAR_HEIGHT), 1.5, 1.5)

    # --- clicks and repaints --------------------------------------------------------------------------

    def _action_at(self, pos: QPoint) -> tuple[str, str] | None:
        index = self.view.indexAt(pos)
        delegate = self.view.itemDelegateForIndex(index) if index.isValid() else None
        layout_at = getattr(delegate, "layout_at", None)
        metrics = getattr(delegate, "metrics", None)
        if layout_at is None or metrics is None:
            return None
        layout = layout_at(index)
        if layout is None:
            return None
        rect = self.view.visualRect(index)
        action = self.hit(layout, pos.x() - rect.x(), pos.y() - rect.y(), metrics())
        return (action, layout.entry.id) if action else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Compared with the viewport kept at construction: the view may be mid-destruction here.
        if watched is not getattr(self, "_viewport", None):
            return False
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
            return False
        assert isinstance(event, QMouseEvent)
        found = self._action_at(event.position().toPoint())
        if found is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        if kind == QEvent.Type.MouseButtonRelease:
            action, repo_id = found
            signal = {"download": self.download_requested, "cancel": self.cancel_requested,
                      "resume": self.resume_requested}[action]
            signal.emit(repo_id)
        return True  # the press too: a click on the button does not select the card

    def _on_status(self, status: DownloadStatus | None) -> None:
        model = self.view.model()
        row_of = getattr(model, "row_of", None)
        if status is None or row_of is None:
            self.view.viewport().update()
            return
        row = row_of(status.repo_id)
        if row is not None:
            self.view.update(model.index(row, 0))
