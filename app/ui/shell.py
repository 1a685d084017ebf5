"""Everything around the main window: the menu bar, the menu-bar icon, the quick search, Preferences, Help,
and how the app lives in the background (closing the window hides it; Quit quits).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenuBar, QMessageBox

from app import __version__
from app.core.hub_scope import search_scope
from app.ui.app_preferences import AppPreferences
from app.ui.lifecycle import DockReopen, HideOnClose, keeps_running_in_background, show_window
from app.ui.menus import AppActions, build_menu_bar, make_app_actions
from app.ui.quick_search import QuickSearch
from app.ui.tray import MenuBarIcon

if TYPE_CHECKING:
    from app.ui.help_window import HelpWindow
    from app.ui.main_window import MainWindow
    from app.ui.preferences import PreferencesDialog

log = logging.getLogger("mlx_manager.ui")


class Shell(QObject):
    def __init__(self, app: QApplication, window: MainWindow, prefs: AppPreferences, *,
                 quit: Callable[[], None], tray: bool = True) -> None:
        super().__init__(window)
        self.app = app
        self.window = window
        self.prefs = prefs
        self._quit = quit
        controller = window.controller
        self.quick = QuickSearch(window.local_model, controller, hub_model=window.hub_model)
        self.quick.open_url = lambda url: window.open_url(url)
        self.quick.open_requested.connect(self.open_model)
        self.actions: AppActions = make_app_actions(
            window, about=self.about, preferences=self.open_preferences, quit=quit,
            quick_search=self.quick_search, show_window=self.show_window, help=self.open_help)
        # On macOS a menu bar without a parent is the app's: it stays when the window is closed (hidden).
        self._own_bar = QMenuBar() if sys.platform == "darwin" else None
        self.menu_bar = build_menu_bar(window, self.actions, self._own_bar)
        self.tray: MenuBarIcon | None = None
        if tray:
            self.tray = MenuBarIcon([self.actions.quick_search, self.actions.show_window, None,
                                     self.actions.preferences, None, self.actions.quit], self)
            self.tray.quick_search_requested.connect(self._tray_clicked)
            self.tray.show()
        self.background = keeps_running_in_background(self.tray is not None and self.tray.available)
        self.hide_on_close = HideOnClose(window, window.save_settings)
        self.hide_on_close.enabled = self.background
        self.dock = DockReopen(app, window, self)
        self.preferences: PreferencesDialog | None = None
        self.help: HelpWindow | None = None
        prefs.changed.connect(self._preference_changed)
        self._apply_scope()
        controller.concurrency = prefs.concurrency
        window.runtime_facts.set_context(prefs.fit_context)

    # --- windows ----------------------------------------------------------------------------------------

    def show_window(self) -> None:
        show_window(self.window)

    def quick_search(self, anchor: QRect | None = None) -> None:
        self.quick.popup(anchor)

    def _tray_clicked(self, geometry: object) -> None:
        self.quick.toggle(geometry if isinstance(geometry, QRect) else None)

    def open_model(self, repo_id: str) -> None:
        self.window.open_model(repo_id, self.quick.entry(repo_id))

    def handle_launch(self, payload: dict[str, str]) -> None:
        """A second launch asked for this: come forward, in its view, with its query."""
        self.show_window()
        view = payload.get("view")
        if view in ("my", "hub"):
            self.window.set_view(view)
        query = payload.get("query")
        if query is not None:
            self.window.toolbar.search.setText(query)
            if self.window.view == "hub":
                self.window.controller.search_hub(query, self.window.hub_sort)

    def about(self) -> None:
        QMessageBox.about(self.window, "About MLX Manager",
                          f"<b>MLX Manager</b> {__version__}<br>Find, understand and manage MLX language models."
                          "<br><br>Press ⌘K anywhere in the app (or click the menu-bar icon) to search models.")

    def open_help(self) -> None:
        if self.help is None:
            from app.ui.help_window import HelpWindow

            self.help = HelpWindow()
        show_window(self.help)

    def open_preferences(self) -> None:
        if self.preferences is None:
            from app.services import login_item
            from app.services.paths import config_store_path
            from app.ui.preferences import PreferencesDialog

            store = self.window.controller.store_path
            self.preferences = PreferencesDialog(
                self.prefs, self.window.reporter, store_path=Path(store) if store else config_store_path(),
                set_login_item=login_item.set_enabled, parent=self.window)
        self.preferences.refresh()
        show_window(self.preferences)

    # --- preferences applied at once ---------------------------------------------------------------------

    def _preference_changed(self, key: str) -> None:
        controller = self.window.controller
        if key == "hub_scope":
            self._apply_scope()
            if controller.hub_query is not None:
                controller.search_hub(controller.hub_query, controller.hub_sort, force=True)
        elif key == "fit_context":
            self.window.runtime_facts.set_context(self.prefs.fit_context)
        elif key == "concurrency":
            controller.concurrency = self.prefs.concurrency
            resize = getattr(controller.fetcher, "set_concurrency", None)
            if resize is not None:
                resize(self.prefs.concurrency)

    def _apply_scope(self) -> None:
        scope = search_scope(self.prefs.hub_scope)
        self.quick.scope = scope
        self.window.controller.search_scope = scope

    # --- shutting down -----------------------------------------------------------------------------------

    def close(self) -> None:
        self.hide_on_close.enabled = False
        self.dock.enabled = False
        self.quick.hide()
        if self.tray is not None:
            self.tray.hide()
        for window in (self.preferences, self.help):
            if window is not None:
                window.close()
        if self.help is not None:
            self.help.deleteLater()
        if self._own_bar is not None:
            self._own_bar.deleteLater()
        self.quick.deleteLater()

    def every_action(self) -> list[QAction]:
        from app.ui.menus import all_actions

        return all_actions(self.menu_bar)
