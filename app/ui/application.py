"""The application: one QApplication, one qasync event loop for the app's whole life, a clean shutdown.

`run_app` becomes the single instance (or hands over to the one running), builds the window and its shell
(menus, menu-bar icon, quick search), runs until Quit (⌘Q, the menu-bar icon, the Dock, SIGTERM/SIGINT; or
closing the window where there is no menu-bar icon nor Dock to come back from), then awaits the
controller's shutdown (fetcher stopped, HTTP client closed, store closed, every task finished) before
closing the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.services.early_scan import EarlyScan
from app.ui.errors import ErrorReporter
from app.ui.settings import APPLICATION, ORGANISATION, ORGANISATION_DOMAIN

if TYPE_CHECKING:
    from app.ui.card_list_view import CardListView
    from app.ui.single_instance import InstanceServer

log = logging.getLogger("mlx_manager.ui")

EXIT_AFTER_FIRST_PAINT = "MLX_MANAGER_EXIT_AFTER_FIRST_PAINT"


def make_qapplication(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    app.setOrganizationDomain(ORGANISATION_DOMAIN)
    return app


def apply_theme(app: QApplication, dark: bool) -> None:
    if dark:
        from app.ui.theme import dark_palette

        app.setStyle("Fusion")  # the native macOS style ignores a custom palette in places
        app.setPalette(dark_palette())
    from app.ui.contrast_style import install_contrast_style

    install_contrast_style(app)  # Fusion's faint edges (dark boxes, light scroll bars) drawn visibly


def parse_size(text: str | None) -> QSize | None:
    if not text:
        return None
    try:
        w, h = (int(part) for part in text.lower().split("x", 1))
    except ValueError:
        return None
    return QSize(w, h) if w > 0 and h > 0 else None


def report_first_paint(view: CardListView, ready: Callable[[], bool], done: Callable[[], None]) -> None:
    """Once `view` has painted with `ready()` true, prints the wall-clock time of that moment
    (`first-paint <epoch seconds>`, for the startup benchmark) and calls `done`."""

    def painted() -> None:
        if ready():
            view.painted.disconnect(painted)
            QTimer.singleShot(0, reported)  # after this paint has finished

    def reported() -> None:
        import time

        print(f"first-paint {time.time():.6f}", flush=True)
        done()

    view.painted.connect(painted)


class _QuitGuard(QObject):
    """Turns a request to quit (⌘Q, the Dock's Quit, QApplication.quit) into the window's own shutdown.

    Left alone, it would end Qt's event loop under asyncio: tasks would then take their last steps with no
    running loop. Instead the window's run finishes, awaits the shutdown, and only then the loop stops.
    """

    def __init__(self, app: QApplication, finish: Callable[[], None]) -> None:
        super().__init__(app)
        self._finish = finish
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Quit and watched is QApplication.instance():
            self._finish()
            return True
        return False


def is_scripted(args: argparse.Namespace) -> bool:
    """A screenshot, a self-test or a startup measurement: no single instance, no saved state."""
    return bool(getattr(args, "screenshot", None) or getattr(args, "self_test", False)
                or os.environ.get(EXIT_AFTER_FIRST_PAINT))


def launch_payload(args: argparse.Namespace) -> dict[str, str]:
    """What a second launch hands to the running one."""
    return {key: value for key in ("view", "query") if isinstance(value := getattr(args, key, None), str)}


async def _run_window(app: QApplication, args: argparse.Namespace, reporter: ErrorReporter,
                      early_scan: concurrent.futures.Future[Any] | EarlyScan | None,
                      server: InstanceServer | None = None) -> int:
    from app.ui.app_preferences import AppPreferences
    from app.ui.lifecycle import QuitOnSignal
    from app.ui.main_window import DEFAULT_SIZE, MainWindow
    from app.ui.settings import WindowSettings
    from app.ui.shell import Shell

    # A screenshot or a self-test neither reads nor changes the user's window layout.
    first_paint_exit = bool(os.environ.get(EXIT_AFTER_FIRST_PAINT))
    scripted = is_scripted(args)
    settings = WindowSettings()
    prefs = AppPreferences(settings.qsettings)
    view = getattr(args, "view", None) or ("my" if scripted else prefs.start_view(settings.view()))
    window = MainWindow(reporter, initial_view=view, settings=settings)
    if isinstance(early_scan, EarlyScan):
        window.controller.early_scan = early_scan.first
        window.controller.early_rest, window.controller.early_sizes = early_scan.rest, early_scan.sizes
    else:
        window.controller.early_scan = early_scan
    size = parse_size(getattr(args, "size", None))
    if size is not None:
        window.resize(size.expandedTo(window.minimumSize()) if not scripted else size)
    elif scripted:
        window.resize(*DEFAULT_SIZE)
    if getattr(args, "query", None):
        window.toolbar.search.setText(args.query)
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[int] = loop.create_future()

    def finish(code: int = 0) -> None:
        if not finished.done():
            finished.set_result(code)

    window.closed.connect(lambda: finish(0))
    app.aboutToQuit.connect(lambda: finish(0))
    guard = _QuitGuard(app, lambda: finish(0))
    signals = QuitOnSignal(lambda: finish(0))
    shell = Shell(app, window, prefs, quit=lambda: finish(0), tray=not scripted)
    if server is not None:
        server.activated.connect(shell.handle_launch)
    exit_code = 0
    try:
        if getattr(args, "self_test", False):
            from app.self_test.window_probe import probe  # the window part of --self-test (app/self_test)

            return await probe(window)
        if getattr(args, "screenshot", None) and getattr(args, "quick_search", None) is not None:
            from app.ui.quick_search_shot import take_quick_search_screenshot

            window.start()
            return await take_quick_search_screenshot(shell.quick, args.screenshot, args.quick_search)
        if getattr(args, "screenshot", None):
            from app.ui.screenshot import take_screenshot

            window.show()
            window.start()
            return await take_screenshot(window, args.screenshot, expand=getattr(args, "expand", None))
        if first_paint_exit:
            report_first_paint(window.local_view, lambda: window.controller.local_scanned, lambda: finish(0))
        window.show()
        window.start()
        exit_code = await finished
        return exit_code
    finally:
        signals.close()
        if server is not None:
            server.close()
        shell.close()
        if not scripted:
            window.save_settings()
        await window.aclose()
        app.removeEventFilter(guard)
        window.hide()
        window.deleteLater()


def run_app(args: argparse.Namespace,
            early_scan: concurrent.futures.Future[Any] | EarlyScan | None = None) -> int:
    """Run the window until it is closed. `early_scan`: a first pass of the cache already under way
    (see app/services/early_scan.py), or a future resolving to (models, entries)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = make_qapplication()
    server: InstanceServer | None = None
    if not is_scripted(args):
        from app.ui.single_instance import InstanceServer, instance_name

        server = InstanceServer(instance_name())
        if server.listen(launch_payload(args)) is None:
            server.close()
            return 0  # another instance started at the same moment and took our request
    app.setQuitOnLastWindowClosed(False)  # closing the window ends `_run_window`, which shuts down cleanly
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, sys.platform == "darwin")
    apply_theme(app, bool(getattr(args, "dark", False)))
    reporter = ErrorReporter()
    # Imported after PySide6: qasync binds to the Qt module already loaded (else it tries PyQt5 first).
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(reporter.handle_loop_exception)
    main = loop.create_task(_run_window(app, args, reporter, early_scan, server), name="window")
    try:
        try:
            return int(loop.run_until_complete(main))
        except RuntimeError:
            if main.done():
                raise
            # app.quit() from elsewhere (the Dock's Quit, ⌘Q) ended the Qt loop under us: aboutToQuit has
            # resolved the window's future, so run the loop again until the shutdown has been awaited.
            return int(loop.run_until_complete(main))
    finally:
        _drain(loop, reporter)
        asyncio.set_event_loop(None)


def _drain(loop: Any, reporter: ErrorReporter) -> None:
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        if pending:
            loop.run_until_complete(reporter.cancel_all())
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
