"""How the app lives in the background: closing the window hides it, the Dock brings it back, SIGTERM and
SIGINT quit the way Quit does.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger("mlx_manager.ui")


def keeps_running_in_background(tray_available: bool) -> bool:
    """Whether closing the window leaves the app running: with a menu-bar icon, or a Dock to come back
    from (macOS). Without either, a closed window could never be reopened, so closing it quits."""
    return tray_available or sys.platform == "darwin"


def show_window(window: QWidget) -> None:
    """Bring the window back from hidden or minimised, in front, with keyboard focus."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


class HideOnClose(QObject):
    """Closing the window (its close button, ⌘W) hides it and keeps the app in the menu bar."""

    def __init__(self, window: QWidget, before_hide: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._before_hide = before_hide
        self.enabled = True
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.enabled and watched is self._window and event.type() == QEvent.Type.Close:
            event.ignore()
            self._before_hide()
            self._window.hide()
            return True
        return False


class DockReopen(QObject):
    """A click on the Dock icon reaches Qt only as the application becoming active: when no window of ours
    is on screen at that moment (not even the quick search), the main window comes back."""

    def __init__(self, app: QGuiApplication, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self.enabled = True
        app.applicationStateChanged.connect(self._state_changed)

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive and self.enabled:
            # Next turn: a popup being shown right now (the quick search) is visible by then.
            QTimer.singleShot(0, self._reopen)

    def _reopen(self) -> None:
        if not self.enabled:
            return
        if not any(w.isVisible() for w in QApplication.topLevelWidgets()):
            show_window(self._window)


class QuitOnSignal(QObject):
    """SIGTERM and SIGINT call `quit` on the GUI thread, as the Quit command does.

    Python runs a signal handler only when the interpreter gets control, which an idle Qt loop never gives
    it: the C-level handler writes to a socket (`set_wakeup_fd`) that Qt watches, and that wakes the loop.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, quit: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit = quit
        self.received: list[int] = []
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        log.info("received %s: quitting", signal.Signals(signum).name)
        QTimer.singleShot(0, self._quit)

    def _drain(self) -> None:
        # Entering Python here runs the pending handler; the bytes only served to wake the loop.
        try:
            while self._reader.recv(512):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        self._notifier.setEnabled(False)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()
