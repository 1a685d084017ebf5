"""The menu bar: every command the app has, with its shortcut, so none of them is a secret.

The window's own actions (created in `MainWindow._make_actions`) are put in the menus as they are, so
each shortcut exists once. On macOS, Qt moves About, Preferences… and Quit into the application menu by
their roles; elsewhere they stay in Help, Edit and File.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


@dataclass
class AppActions:
    """The commands that belong to the app rather than to the window."""

    about: QAction
    preferences: QAction
    quit: QAction
    quick_search: QAction
    close_window: QAction
    minimize: QAction
    zoom: QAction
    show_window: QAction
    help: QAction


def _keys(text: str, standard: QKeySequence.StandardKey | None = None) -> list[QKeySequence]:
    """The ⌘ shortcut the issue names first (shown in the menu), then the platform's own, if different."""
    keys = [QKeySequence(text)]
    if standard is not None:
        keys += [k for k in QKeySequence.keyBindings(standard) if k not in keys]
    return keys


def _action(parent: QObject, text: str, slot: Callable[[], object], keys: list[QKeySequence] | None = None,
            role: QAction.MenuRole = QAction.MenuRole.NoRole) -> QAction:
    action = QAction(text, parent)
    if keys:
        action.setShortcuts(keys)
    action.setMenuRole(role)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def make_app_actions(window: MainWindow, *, about: Callable[[], object], preferences: Callable[[], object],
                     quit: Callable[[], object], quick_search: Callable[[], object],
                     show_window: Callable[[], object], help: Callable[[], object]) -> AppActions:
    actions = AppActions(
        about=_action(window, "About MLX Manager", about, role=QAction.MenuRole.AboutRole),
        preferences=_action(window, "Preferences…", preferences, _keys("Ctrl+,", QKeySequence.StandardKey.Preferences),
                            QAction.MenuRole.PreferencesRole),
        quit=_action(window, "Quit MLX Manager", quit, _keys("Ctrl+Q", QKeySequence.StandardKey.Quit),
                     QAction.MenuRole.QuitRole),
        quick_search=_action(window, "Quick Search…", quick_search, _keys("Ctrl+K")),
        close_window=_action(window, "Close Window", window.close, _keys("Ctrl+W", QKeySequence.StandardKey.Close)),
        minimize=_action(window, "Minimize", window.showMinimized, _keys("Ctrl+M")),
        zoom=_action(window, "Zoom", lambda: window.showNormal() if window.isMaximized() else window.showMaximized()),
        show_window=_action(window, "MLX Manager", show_window),
        help=_action(window, "MLX Manager Help", help, [QKeySequence(QKeySequence.StandardKey.HelpContents)]),
    )
    for action in (actions.preferences, actions.quit, actions.quick_search, actions.close_window,
                   actions.minimize, actions.help):
        window.addAction(action)  # shortcuts work while the window is active, menu bar shown or not
    return actions


def _specs_shortcut(window: MainWindow) -> None:
    """Space (and Return) already open a card's specs in the lists; the menu item says so. Only in the
    lists: a window-wide Space would swallow spaces typed in the search field."""
    action = window.specs_action
    action.setShortcuts([QKeySequence(Qt.Key.Key_Space)])
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    for view in (window.local_view, window.hub_view):
        view.addAction(action)


def build_menu_bar(window: MainWindow, app: AppActions, menu_bar: QMenuBar | None = None) -> QMenuBar:
    bar = menu_bar if menu_bar is not None else window.menuBar()
    _specs_shortcut(window)

    file = bar.addMenu("&File")
    file.addAction(app.quick_search)
    file.addAction(window.refresh_action)
    file.addSeparator()
    file.addAction(app.close_window)
    file.addAction(app.quit)

    edit = bar.addMenu("&Edit")
    edit.addAction(window.copy_action)
    window.find_action.setText("Find…")
    edit.addAction(window.find_action)
    edit.addSeparator()
    edit.addAction(app.preferences)

    view = bar.addMenu("&View")
    view.addAction(window.my_action)
    view.addAction(window.hub_action)
    view.addSeparator()
    view.addAction(window.filters_action)
    view.addAction(window.specs_action)
    sort = window.toolbar.sort_menu  # the toolbar's own menu: it follows the view's sort keys
    sort.setTitle("Sort By")
    view.addMenu(sort)

    models = bar.addMenu("&Models")
    models.addAction(window.open_action)
    models.addAction(window.reveal_action)
    _add_other_actions(window, app, bar, models)
    # Features wired into the window later (Try, Downloads…) appear the next time the menu opens.
    models.aboutToShow.connect(lambda: _add_other_actions(window, app, bar, models))

    win = bar.addMenu("&Window")
    win.addAction(app.minimize)
    win.addAction(app.zoom)
    win.addSeparator()
    win.addAction(app.show_window)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(app.help)
    help_menu.addAction(app.about)
    return bar


def _add_other_actions(window: MainWindow, app: AppActions, bar: QMenuBar, menu: QMenu) -> None:
    """Every other command of the window that has a shortcut (those of Try, Downloads…), so that each
    shortcut the app has is shown somewhere; each once."""
    shown = set(map(id, all_actions(bar)))
    for action in window.findChildren(QAction):
        if id(action) in shown or not action.text() or action.isSeparator():
            continue
        if any(not key.isEmpty() for key in action.shortcuts()):
            menu.addAction(action)
            shown.add(id(action))


def all_actions(menu_bar: QMenuBar) -> list[QAction]:
    """Every action reachable from the menu bar, submenus included (for tests and the shortcut list)."""
    found: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub)
            elif not action.isSeparator():
                found.append(action)

    for top in menu_bar.actions():
        sub = top.menu()
        if isinstance(sub, QMenu):
            walk(sub)
    return found
