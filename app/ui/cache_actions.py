"""Delete from My Models and Clean Up, from the window: plan off the GUI thread, one confirmation that
says the space freed, delete off the GUI thread, then tell the window (which drops the cards at once).

The cache is read and changed in worker threads (`scan_cache_dir` walks every repo); results come back
through a queued signal. The confirmation is a seam (`confirm`) so tests answer it without a dialog.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core import formatting

Confirm = Callable[[str, str, str], bool]  # title, question, details -> go ahead?
Inform = Callable[[str, str], None]  # title, text


def _ask(parent: QWidget | None) -> Confirm:
    def confirm(title: str, question: str, details: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, title, question,
                          QMessageBox.StandardButton.Cancel, parent)
        box.setInformativeText(details)
        ok = box.addButton("Delete" if title.startswith("Delete") else "Clean Up",
                           QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok
    return confirm


def _tell(parent: QWidget | None) -> Inform:
    def inform(title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)
    return inform


class CacheActions(QObject):
    deleted = Signal(list, int)  # repo ids removed, bytes freed
    cleaned = Signal(int)  # bytes freed
    failed = Signal(str)  # words
    _done = Signal(object, object, object)  # continuation, result, exception (from a worker thread)

    def __init__(self, parent: QWidget | None, *, cache_dir: str | None = None,
                 busy_ids: Callable[[], Sequence[str]] = lambda: ()) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self.busy_ids = busy_ids
        self.confirm: Confirm = _ask(parent)
        self.inform: Inform = _tell(parent)
        self.working = False
        self._threads: list[threading.Thread] = []
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # --- delete ---------------------------------------------------------------------------------------

    def delete(self, repo_ids: Sequence[str]) -> None:
        busy = [r for r in repo_ids if r in set(self.busy_ids())]
        wanted = [r for r in repo_ids if r not in busy]
        if busy:
            self.inform("Downloading", f"{', '.join(busy)}: cancel the download first, then delete.")
        if not wanted:
            return
        from app.services.cache_cleanup import plan_deletion

        self._off_thread(lambda: plan_deletion(wanted, self.cache_dir), self._confirm_deletion)

    def _confirm_deletion(self, plan: Any) -> None:
        count = len(plan.repo_ids)
        names = "\n".join(f"{r}  ({formatting.size(plan.sizes[r])})" for r in plan.repo_ids)
        what = plan.repo_ids[0] if count == 1 else f"{count} models"
        question = f"Delete {what}? This frees {formatting.size(plan.expected_freed)}."
        details = (f"{names}\n\nFiles shared with models you keep stay on disk and are not counted. "
                   "This cannot be undone; the models can be downloaded again.")
        if not self.confirm("Delete Models", question, details):
            return
        from app.services.cache_cleanup import execute_deletion

        self._off_thread(lambda: execute_deletion(plan),
                         lambda freed: self.deleted.emit(list(plan.repo_ids), int(freed)))

    # --- clean up -------------------------------------------------------------------------------------

    def clean_up(self) -> None:
        from app.services.cache_cleanup import plan_cleanup

        busy = list(self.busy_ids())
        self._off_thread(lambda: plan_cleanup(self.cache_dir, busy_repos=busy), self._confirm_cleanup)

    def _confirm_cleanup(self, plan: Any) -> None:
        if not plan.items:
            extra = (f" {plan.skipped_busy} partial file(s) of downloads still running were left alone."
                     if plan.skipped_busy else "")
            self.inform("Clean Up", f"Nothing to clean up: no detached revisions and no abandoned partial "
                                    f"downloads.{extra}")
            return
        lines = "\n".join(f"{i.repo_id}: {i.kind}  ({formatting.size(i.size)})" for i in plan.items)
        question = f"Remove {len(plan.items)} item(s) and free {formatting.size(plan.expected_freed)}?"
        details = f"{lines}\n\nComplete models are not touched."
        if not self.confirm("Clean Up", question, details):
            return
        from app.services.cache_cleanup import execute_cleanup

        self._off_thread(lambda: execute_cleanup(plan), lambda freed: self.cleaned.emit(int(freed)))

    # --- threads --------------------------------------------------------------------------------------

    def _off_thread(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which says it in words
                self._done.emit(then, None, exc)
            else:
                self._done.emit(then, result, None)

        self.working = True
        thread = threading.Thread(target=run, name="cache action", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    @Slot(object, object, object)
    def _deliver(self, then: Callable[[Any], None], result: Any, exc: BaseException | None) -> None:
        self.working = False
        if exc is None:
            then(result)
            return
        from app.services.cache_cleanup import NothingToDelete

        words = str(exc) if isinstance(exc, (NothingToDelete, ValueError, OSError)) else f"{type(exc).__name__}: {exc}"
        self.failed.emit(words)
