"""UI test fixtures: a qasync loop on pytest-qt's qapp, temp settings, a real cache on disk, the window.

Every test using `qloop` fails if it leaves asyncio tasks pending or non-daemon threads running.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ui.errors import ErrorReporter
from app.ui.settings import APPLICATION, ORGANISATION
from tests.cachebuilder import CacheBuilder, populate_sample


@pytest.fixture(autouse=True)
def temp_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """QSettings in a temp folder (INI), never the real user's settings."""
    folder = tmp_path_factory.mktemp("settings")
    previous = QSettings.defaultFormat()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    yield folder
    QSettings.setDefaultFormat(previous)


@pytest.fixture(scope="session")
def _session_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """One qasync loop for the session, running as Qt's event processing runs (qtbot.waitUntil/waitSignal).

    Built with qasync's public `already_running=True`: the UI tests run in a pytest process of their own
    (`make test`), so no other test needs `asyncio.run()` while this loop counts as running."""
    qapp.setOrganizationName(ORGANISATION)
    qapp.setApplicationName(APPLICATION)
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    loop.stop()  # the session is over: Qt's exit request no longer matters
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def qloop(_session_loop: qasync.QEventLoop) -> Iterator[asyncio.AbstractEventLoop]:
    """The loop, and a check that the test left no task pending, no loop error, no non-daemon thread."""
    loop = _session_loop
    before = {t for t in threading.enumerate() if not t.daemon}
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        yield loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        QApplication.processEvents()  # let the cancelled tasks finish
    finally:
        loop.set_exception_handler(None)
    assert not pending, f"tasks left pending by the test: {pending}"
    assert not errors, f"unhandled errors in the event loop: {errors}"
    leaked = [t for t in threading.enumerate() if not t.daemon and t not in before and t.is_alive()]
    assert not leaked, f"threads left running by the test: {leaked}"


def run(qtbot: QtBot, coro: Coroutine[Any, Any, Any], timeout: int = 10_000) -> Any:
    """Run a coroutine to completion on the (already running) qasync loop."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CacheBuilder:
    """A realistic HF cache on disk (six models), and HF_HUB_CACHE pointing at it."""
    root = tmp_path / "hf-cache"
    builder = CacheBuilder(root)
    populate_sample(builder)
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return builder


@pytest.fixture
def reporter(qloop: asyncio.AbstractEventLoop) -> ErrorReporter:
    return ErrorReporter()


@pytest.fixture
def make_window(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, reporter: ErrorReporter,
                tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Builds MainWindows (store in tmp, seams recorded); each is shut down cleanly after the test."""
    from app.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(*, start: bool = True, show: bool = True, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("store_path", tmp_path / "configs.sqlite3")
        window = MainWindow(reporter, **kwargs)
        window.opened_urls = []  # type: ignore[attr-defined]
        window.revealed = []  # type: ignore[attr-defined]
        window.open_url = window.opened_urls.append  # type: ignore[attr-defined]
        window.reveal_path = window.revealed.append  # type: ignore[attr-defined]
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        if start:
            window.start()
        return window

    yield make
    for window in windows:
        window.close()
        run(qtbot, window.aclose())
        window.deleteLater()
    QApplication.processEvents()
