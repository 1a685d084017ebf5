"""The menu-bar icon: a template image at 1× and 2×, a left click opening the quick search under it, a right
click popping up our own menu (none set on the icon), and one log line where there is no tray."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from app.ui.app_preferences import AppPreferences
from app.ui.shell import Shell
from app.ui.tray import MenuBarIcon, resource_path, template_icon
from tests.cachebuilder import CacheBuilder


def test_the_template_icon_is_a_mask_at_one_and_two_times(qapp: QApplication) -> None:
    assert resource_path("icons", "menubar-template.svg").is_file()
    icon = template_icon()
    assert icon.isMask(), "macOS tints it only when it is a template (mask)"
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert sizes == {(18, 18), (36, 36)}
    image = icon.pixmap(QSize(36, 36)).toImage()
    inked = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())
             if image.pixelColor(x, y).alpha() > 0]
    assert inked, "something is drawn"
    assert all(c.red() == c.green() == c.blue() == 0 for c in inked), "black on transparent only"


@pytest.fixture
def shell(qtbot: QtBot, qapp: QApplication, hf_cache: CacheBuilder, make_window: Any) -> Any:
    window = make_window()
    qtbot.waitUntil(lambda: window.controller.local_scanned, timeout=10_000)
    shell = Shell(qapp, window, AppPreferences(window.settings.qsettings), quit=lambda: None, tray=True)
    yield shell
    shell.close()


def test_clicks_on_the_icon(qtbot: QtBot, shell: Any) -> None:
    tray = shell.tray
    assert tray.icon.contextMenu() is None, "a context menu on the icon would open on every click on macOS"
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == ["Quick Search…", "MLX Manager", "Preferences…", "Quit MLX Manager"]
    tray._activated(QSystemTrayIcon.ActivationReason.Trigger)
    qtbot.waitUntil(shell.quick.isVisible, timeout=2_000)
    tray._activated(QSystemTrayIcon.ActivationReason.Trigger)  # a second click closes it again
    assert not shell.quick.isVisible()
    tray._activated(QSystemTrayIcon.ActivationReason.Context)
    qtbot.waitUntil(tray.menu.isVisible, timeout=2_000)
    tray.menu.hide()


def test_anchored_under_the_icon_geometry(qtbot: QtBot, shell: Any) -> None:
    screen = QApplication.primaryScreen().availableGeometry()
    icon = QRect(screen.center().x(), screen.top(), 22, 22)
    shell.tray.quick_search_requested.emit(icon)
    qtbot.waitUntil(shell.quick.isVisible, timeout=2_000)
    geometry = shell.quick.geometry()
    assert abs(geometry.center().x() - icon.center().x()) <= 1
    assert geometry.top() > icon.bottom()
    shell.quick.hide()


def test_without_a_tray_one_line_is_logged(qapp: QApplication, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mlx_manager.ui")
    icon = MenuBarIcon([QAction("Quit")])
    if icon.available:
        pytest.skip("this machine has a system tray")
    icon.show()
    assert not icon.icon.isVisible()
    lines = [r.getMessage() for r in caplog.records if "tray" in r.getMessage()]
    assert len(lines) == 1 and "⌘K" in lines[0]
    icon.deleteLater()
