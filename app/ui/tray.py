"""The menu-bar icon: a template image (black on transparent, tinted by macOS for light and dark bars).

A left click opens the quick search; a right click pops up a small menu, placed by us: on macOS a menu
set with setContextMenu would open on every click, left ones included.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCursor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

log = logging.getLogger("mlx_manager.ui")

ICON_NAME = "menubar-template.svg"
ICON_POINTS = 18


def resource_path(*parts: str) -> Path:
    """A file under resources/, from a source checkout or from the PyInstaller bundle."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base.joinpath("resources", *parts)


def template_icon(path: Path | None = None, points: int = ICON_POINTS) -> QIcon:
    """The SVG rendered at 1× and 2×, marked as a mask (Qt hands isMask() to NSImage.template)."""
    renderer = QSvgRenderer(str(path or resource_path("icons", ICON_NAME)))
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(QSize(points * scale, points * scale))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:
            renderer.render(painter)
        finally:
            painter.end()
        pixmap.setDevicePixelRatio(scale)
        icon.addPixmap(pixmap)
    icon.setIsMask(True)
    return icon


class MenuBarIcon(QObject):
    quick_search_requested = Signal(object)  # the icon's geometry (QRect, maybe empty)

    def __init__(self, actions: list[QAction | None], parent: QObject | None = None) -> None:
        """`actions`: the right-click menu, None for a separator."""
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon = QSystemTrayIcon(template_icon(), self)
        self.icon.setToolTip("MLX Manager — click to search models")
        self.menu = QMenu()
        for action in actions:
            if action is None:
                self.menu.addSeparator()
            else:
                self.menu.addAction(action)
        self.icon.activated.connect(self._activated)
        if not self.available:
            log.warning("no system tray here: no menu-bar icon; quick search stays on ⌘K in the window")

    def show(self) -> None:
        if self.available:
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()
        self.menu.hide()

    def geometry(self) -> QRect:
        return self.icon.geometry()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Context:
            self.menu.popup(QCursor.pos())
        elif reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.quick_search_requested.emit(self.geometry())
