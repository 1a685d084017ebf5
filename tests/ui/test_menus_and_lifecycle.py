"""The menu bar holds every command and every shortcut; each menu item does what it says. Closing the
window keeps the app running; the Dock brings it back; Quit quits."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.ui.app_preferences import AppPreferences
from app.ui.menus import all_actions
from app.ui.shell import Shell
from tests.cachebuilder import CacheBuilder

SHORTCUTS = {
    "Preferences…": "Ctrl+,", "Quit MLX Manager": "Ctrl+Q", "Refresh": "Ctrl+R", "Copy Model ID": "Ctrl+C",
    "Find…": "Ctrl+F", "My Models": "Ctrl+1", "Hugging Face": "Ctrl+2", "Filters…": "Ctrl+Shift+F",
    "Show Specs": "Space", "Quick Search…": "Ctrl+K", "Close Window": "Ctrl+W", "Minimize": "Ctrl+M",
}


@pytest.fixture
def shell(qtbot: QtBot, qapp: QApplication, hf_cache: CacheBuilder, make_window: Any) -> Any:
    window = make_window()
    qtbot.waitUntil(lambda: window.controller.local_scanned, timeout=10_000)
    quits: list[int] = []
    shell = Shell(qapp, window, AppPreferences(window.settings.qsettings), quit=lambda: quits.append(1), tray=False)
    shell.quits = quits  # type: ignore[attr-defined]
    yield shell
    shell.close()


def by_text(shell: Any) -> dict[str, QAction]:
    return {a.text(): a for a in all_actions(shell.menu_bar)}


def test_every_shortcut_of_the_window_is_in_the_menus(shell: Any) -> None:
    actions = by_text(shell)
    for text, keys in SHORTCUTS.items():
        assert text in actions, f"{text} is missing from the menus"
        shown = [k.toString() for k in actions[text].shortcuts()]
        assert QKeySequence(keys).toString() in shown, (text, shown)
    # Every action the window owns with a shortcut is reachable from the menus, and exists once.
    window_actions = [a for a in shell.window.findChildren(QAction)
                      if a.text() and any(not k.isEmpty() for k in a.shortcuts())]
    in_menus = set(map(id, all_actions(shell.menu_bar)))
    missing = [a.text() for a in window_actions if id(a) not in in_menus]
    assert not missing, f"shortcuts that no menu shows: {missing}"
    keys = [k.toString() for a in window_actions for k in a.shortcuts()]
    assert len(keys) == len(set(keys)), f"a shortcut defined twice: {sorted(keys)}"


def test_the_app_menu_items_carry_their_macos_roles(shell: Any) -> None:
    actions = by_text(shell)
    assert actions["Preferences…"].menuRole() == QAction.MenuRole.PreferencesRole
    assert actions["Quit MLX Manager"].menuRole() == QAction.MenuRole.QuitRole
    assert actions["About MLX Manager"].menuRole() == QAction.MenuRole.AboutRole
    titles = [a.text() for a in shell.menu_bar.actions()]
    assert titles == ["&File", "&Edit", "&View", "&Models", "&Window", "&Help"]


def test_sort_submenu_follows_the_view(qtbot: QtBot, shell: Any) -> None:
    window = shell.window

    def sort_items() -> list[str]:
        return [a.text() for a in all_actions(shell.menu_bar)
                if a.isCheckable() and a.parent() is window.toolbar.sort_menu and a.text() != "Reverse Order"]

    assert {"Name", "Size", "Last used"} <= set(sort_items())
    assert "Downloads" not in sort_items()
    next(a for a in all_actions(shell.menu_bar) if a.text() == "Size" and a.isCheckable()).trigger()
    assert window.local_sort == "size"
    by_text(shell)["Hugging Face"].trigger()
    assert window.view == "hub"
    assert {"Downloads", "Likes"} <= set(sort_items())
    by_text(shell)["My Models"].trigger()
    assert window.view == "my"
    assert "Downloads" not in sort_items()


def test_each_menu_item_does_what_it_says(qtbot: QtBot, shell: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    window = shell.window
    actions = by_text(shell)
    window.local_view.setCurrentIndex(window.local_model.index(0, 0))
    first = window.local_model.entry_at(0).id
    actions["Show Specs"].trigger()
    assert window.local_model.is_expanded(first)
    actions["Copy Model ID"].trigger()
    assert QApplication.clipboard().text() == first
    actions["Open on Hugging Face"].trigger()
    assert window.opened_urls[-1].toString().endswith("/" + first)
    actions["Reveal in Finder" if "Reveal in Finder" in actions else "Show in Folder"].trigger()
    assert window.revealed and window.revealed[-1].endswith("models--" + first.replace("/", "--"))
    actions["Find…"].trigger()
    assert window.toolbar.search.hasFocus() or QApplication.focusWidget() is window.toolbar.search
    actions["Quick Search…"].trigger()
    assert shell.quick.isVisible()
    shell.quick.hide()
    actions["Filters…"].trigger()
    qtbot.waitUntil(lambda: window.filter_dialog is not None and window.filter_dialog.isVisible(), timeout=2_000)
    window.filter_dialog.reject()
    actions["Preferences…"].trigger()
    qtbot.waitUntil(lambda: shell.preferences is not None and shell.preferences.isVisible(), timeout=2_000)
    qtbot.waitUntil(lambda: "token" in shell.preferences.token_label.text().lower(), timeout=10_000)
    shell.preferences.close()
    actions["MLX Manager Help"].trigger()
    assert shell.help is not None and shell.help.isVisible()
    assert "MLX Manager" in shell.help.toPlainText()
    shell.help.close()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _parent, title, _text: shown.append(title))
    actions["About MLX Manager"].trigger()
    assert shown == ["About MLX Manager"]
    actions["Refresh"].trigger()
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)
    actions["Minimize"].trigger()
    assert window.isMinimized() or window.windowState() & Qt.WindowState.WindowMinimized
    actions["MLX Manager"].trigger()
    assert window.isVisible() and not window.isMinimized()
    actions["Quit MLX Manager"].trigger()
    assert shell.quits == [1]


def test_closing_the_window_keeps_the_app_and_the_dock_brings_it_back(qtbot: QtBot, qapp: QApplication,
                                                                       shell: Any) -> None:
    window = shell.window
    shell.hide_on_close.enabled = True  # as with a menu-bar icon or on macOS
    closed: list[int] = []
    window.closed.connect(lambda: closed.append(1))
    # Nothing else of ours on screen (windows other tests of the session left open count otherwise).
    for widget in QApplication.topLevelWidgets():
        if widget is not window and widget.isVisible():
            widget.hide()
    shell.actions.close_window.trigger()
    assert not window.isVisible()
    assert closed == [] and shell.quits == [], "closing is not quitting"
    assert window.controller.local_model.rowCount() > 0, "nothing was torn down"
    qapp.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)  # what a Dock click gives Qt
    qtbot.waitUntil(window.isVisible, timeout=10_000)
    # With the quick search on screen, becoming active does not pull the window up too.
    window.close()
    assert not window.isVisible()
    shell.quick.popup()
    qapp.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    qtbot.waitUntil(lambda: shell.quick.isVisible(), timeout=10_000)
    qapp.processEvents()
    assert not window.isVisible()
    shell.quick.hide()


def test_without_a_way_back_closing_the_window_quits(qtbot: QtBot, shell: Any) -> None:
    shell.hide_on_close.enabled = shell.background
    if shell.background:
        pytest.skip("this platform keeps the app in the Dock")
    closed: list[int] = []
    shell.window.closed.connect(lambda: closed.append(1))
    shell.window.close()
    assert closed == [1]
