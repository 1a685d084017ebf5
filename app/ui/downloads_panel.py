"""The Downloads list (toolbar button): the active downloads and the recent ones, each with its progress,
what went wrong in words, and Cancel / Resume. One line says what Resume does, honestly."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core import formatting
from app.services.downloads import RESUME_NOTE, DownloadState, DownloadStatus
from app.ui.download_center import DownloadCenter

EMPTY_TEXT = "No downloads yet. Use “⤓ Download” on a Hugging Face card."
_STATE_WORDS = {
    DownloadState.PLANNING: "Checking the files and the free space…",
    DownloadState.DONE: "Downloaded",
    DownloadState.CANCELLED: "Cancelled",
}


def row_text(status: DownloadStatus) -> str:
    if status.state is DownloadState.DOWNLOADING:
        return status.progress_text()
    if status.state is DownloadState.DONE:
        return f"Downloaded · {formatting.size(status.total_bytes)}"
    if status.state is DownloadState.FAILED:
        return f"⚠ {status.message}"
    if status.message:
        return status.message
    return _STATE_WORDS.get(status.state, status.state.value)


class DownloadRow(QWidget):
    def __init__(self, panel: DownloadsPanel, repo_id: str) -> None:
        super().__init__(panel)
        self.repo_id = repo_id
        self._panel = panel
        self._link: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        top = QHBoxLayout()
        self.title = QLabel(repo_id, self)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.title, 1)
        self.link_button = QPushButton("Open Model Page", self)
        self.link_button.clicked.connect(self._open_link)
        top.addWidget(self.link_button)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(lambda: panel.center.cancel(repo_id))
        top.addWidget(self.cancel_button)
        self.resume_button = QPushButton("Resume", self)
        self.resume_button.setToolTip(RESUME_NOTE)
        self.resume_button.clicked.connect(lambda: panel.center.resume(repo_id))
        top.addWidget(self.resume_button)
        layout.addLayout(top)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        layout.addWidget(self.bar)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)

    def show_status(self, status: DownloadStatus) -> None:
        self.text.setText(row_text(status))
        self.bar.setVisible(status.total_bytes > 0 and status.state is not DownloadState.DONE)
        if status.total_bytes > 0:
            self.bar.setValue(int(1000 * min(status.done_bytes / status.total_bytes, 1.0)))
        self.cancel_button.setVisible(status.active)
        self.resume_button.setVisible(status.resumable)
        self.resume_button.setText("Retry" if status.state is DownloadState.FAILED else "Resume")
        self._link = status.failure.link if status.failure is not None else None
        self.link_button.setVisible(self._link is not None)

    def _open_link(self) -> None:
        if self._link:
            self._panel.open_url(QUrl(self._link))


class DownloadsPanel(QDialog):
    clean_up_requested = Signal()

    def __init__(self, center: DownloadCenter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Downloads")
        self.setModal(False)
        self.resize(520, 360)
        self.center = center
        self.open_url = QDesktopServices.openUrl  # a seam for tests
        self.rows: dict[str, DownloadRow] = {}
        layout = QVBoxLayout(self)
        self.note = QLabel(RESUME_NOTE, self)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.empty = QLabel(EMPTY_TEXT, self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty, 1)
        self._list = QWidget(self)
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.setSpacing(2)
        self._list_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)
        self._scroll = scroll
        layout.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        self.clean_button = QPushButton("Clean Up Cache…", self)
        self.clean_button.setToolTip("Remove detached revisions and partial files left by interrupted downloads")
        self.clean_button.clicked.connect(self.clean_up_requested)
        buttons.addWidget(self.clean_button)
        buttons.addStretch(1)
        self.clear_button = QPushButton("Clear Finished", self)
        self.clear_button.clicked.connect(center.forget_finished)
        buttons.addWidget(self.clear_button)
        layout.addLayout(buttons)
        center.status_changed.connect(self._on_status)
        self.refresh()

    def refresh(self) -> None:
        """Rows for every download the center knows, active first, each showing its latest report."""
        statuses = self.center.statuses()
        wanted = [s.repo_id for s in statuses]
        for repo_id in [r for r in self.rows if r not in wanted]:
            row = self.rows.pop(repo_id)
            self._list_layout.removeWidget(row)
            row.deleteLater()
        for position, status in enumerate(statuses):
            found = self.rows.get(status.repo_id)
            row = found if found is not None else DownloadRow(self, status.repo_id)
            self.rows[status.repo_id] = row
            if self._list_layout.indexOf(row) != position:
                self._list_layout.removeWidget(row)
                self._list_layout.insertWidget(position, row)
            row.show_status(status)
        self.empty.setVisible(not statuses)
        self._scroll.setVisible(bool(statuses))
        self.clear_button.setEnabled(any(not s.active for s in statuses))

    def _on_status(self, status: DownloadStatus | None) -> None:
        row = self.rows.get(status.repo_id) if status is not None else None
        if row is not None and status is not None and self._order() == [s.repo_id for s in self.center.statuses()]:
            row.show_status(status)  # a progress tick: only that row changes
            return
        self.refresh()

    def _order(self) -> list[str]:
        ids = []
        for i in range(self._list_layout.count()):
            item = self._list_layout.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, DownloadRow):
                ids.append(widget.repo_id)
        return ids
