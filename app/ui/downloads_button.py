"""The toolbar's Downloads button: says how many downloads run and how far they are, opens the list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QWidget

from app.core import transfer_text
from app.services.downloads import DownloadState, DownloadStatus
from app.ui.download_center import DownloadCenter


def button_words(statuses: list[DownloadStatus]) -> tuple[str, str]:
    """(text, tooltip) for the button."""
    active = [s for s in statuses if s.active]
    failed = [s for s in statuses if s.state in (DownloadState.FAILED, DownloadState.PAUSED)]
    if active:
        done = sum(s.done_bytes for s in active)
        total = sum(s.total_bytes for s in active)
        pct = transfer_text.percent(done, total)
        text = f"⤓ {len(active)}" + (f" · {pct}%" if pct is not None else "")
        tip = "\n".join(f"{s.repo_id}: {s.progress_text() if s.total_bytes else 'starting…'}" for s in active)
        return text, tip
    if failed:
        return f"⤓ ⚠{len(failed)}", "\n".join(f"{s.repo_id}: {s.message}" for s in failed)
    return "⤓", "Downloads: active and recent (⇧⌘D)"


class DownloadsButton(QToolButton):
    def __init__(self, center: DownloadCenter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.center = center
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setAutoRaise(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Downloads")  # the label is a symbol, kept short for narrow windows
        center.status_changed.connect(self._refresh)
        self._refresh()

    def _refresh(self, *_args: object) -> None:
        text, tip = button_words(self.center.statuses())
        self.setText(text)
        self.setToolTip(tip)
