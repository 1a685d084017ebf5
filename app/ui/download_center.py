"""The GUI's side of downloads: one `DownloadManager`, its reports hopped from worker threads to the GUI.

Workers report `DownloadStatus` values from their own threads; a queued signal carries each to the GUI
thread, where `status_changed` fires (cards repaint, the Downloads list updates) and `finished` fires once
per model that completed (My Models rescans so it appears with its badges).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.services.downloads import DownloadManager, DownloadState, DownloadStatus, JobFactory


class DownloadCenter(QObject):
    status_changed = Signal(object)  # DownloadStatus, on the GUI thread
    finished = Signal(str)  # repo id, once a download completed
    _reported = Signal(object)  # from worker threads

    def __init__(self, *, cache_dir: str | None = None, endpoint: str | None = None,
                 token: str | bool | None = None, job_factory: JobFactory | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.manager = DownloadManager(on_status=self._reported.emit, cache_dir=cache_dir, endpoint=endpoint,
                                       token=token, job_factory=job_factory)
        self._latest: dict[str, DownloadStatus] = {}
        self._reported.connect(self._on_report, Qt.ConnectionType.QueuedConnection)

    def start(self, repo_id: str) -> bool:
        started = self.manager.start(repo_id)
        if started:
            status = self.manager.status(repo_id)
            if status is not None:
                self._on_report(status)
        return started

    def resume(self, repo_id: str) -> bool:
        return self.start(repo_id)

    def cancel(self, repo_id: str) -> None:
        self.manager.cancel(repo_id)

    def status(self, repo_id: str) -> DownloadStatus | None:
        """The latest report the GUI has seen for this model (paint reads this: never waits)."""
        return self._latest.get(repo_id)

    def statuses(self) -> list[DownloadStatus]:
        """Active first, then recent; newest first within each."""
        latest = list(reversed(self._latest.values()))
        return [s for s in latest if s.active] + [s for s in latest if not s.active]

    def active_ids(self) -> list[str]:
        return [s.repo_id for s in self._latest.values() if s.active]

    def forget_finished(self) -> None:
        """Clear the recent (finished) downloads from the list."""
        for key in [k for k, s in self._latest.items() if not s.active]:
            del self._latest[key]
        self.status_changed.emit(None)

    def shutdown(self, timeout: float = 10.0) -> None:
        self.manager.shutdown(timeout)

    @Slot(object)
    def _on_report(self, status: DownloadStatus) -> None:
        before = self._latest.get(status.repo_id)
        # A report of a finished job can arrive after a newer job for the same model began: ignore it.
        if before is not None and status.started_at < before.started_at:
            return
        self._latest.pop(status.repo_id, None)
        self._latest[status.repo_id] = status
        self.status_changed.emit(status)
        if status.state is DownloadState.DONE and (before is None or before.state is not DownloadState.DONE):
            self.finished.emit(status.repo_id)
