"""The one place where background errors become visible: a banner in the window, and the log.

Every task the UI starts goes through `ErrorReporter.spawn`, and the event loop's exception handler is
`ErrorReporter.handle_loop_exception`, so an exception in a task is never lost and never kills the app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

log = logging.getLogger("mlx_manager.ui")

_T = TypeVar("_T")


class ErrorReporter(QObject):
    """Collects errors from tasks and from the loop; the window shows the latest in a banner."""

    reported = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.messages: list[str] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def report(self, message: str, exc: BaseException | None = None) -> None:
        if exc is not None:
            log.error("%s", message, exc_info=(type(exc), exc, exc.__traceback__))
        else:
            log.error("%s", message)
        self.messages.append(message)
        del self.messages[:-50]  # a storm of errors must not grow without bound
        self.reported.emit(message)

    def spawn(self, coro: Coroutine[Any, Any, _T], *, name: str) -> asyncio.Task[_T]:
        """A task whose uncaught exception is reported here; tracked so shutdown can cancel it."""
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.report(f"Something went wrong in the background ({task.get_name()}): {_words(exc)}", exc)

    @property
    def running(self) -> list[asyncio.Task[Any]]:
        return [t for t in self._tasks if not t.done()]

    async def cancel_all(self) -> None:
        """Cancel every task still running and wait for them, so nothing is pending when the loop closes."""
        tasks = self.running
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def handle_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = context.get("message") or "unhandled error"
        if isinstance(exc, BaseException):
            self.report(f"Something went wrong: {_words(exc)}", exc)
        else:
            self.report(f"Something went wrong: {message}")


def _words(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ErrorBanner(QFrame):
    """A thin strip above the list with the latest background error and a close button."""

    def __init__(self, reporter: ErrorReporter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#errorBanner { background: rgba(220, 38, 38, 0.12); border: 1px solid rgba(220, 38, 38, 0.45);"
            " border-radius: 6px; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()
        reporter.reported.connect(self.show_message)

    def show_message(self, message: str) -> None:
        self.label.setText(message)
        self.setToolTip(message)
        self.show()
