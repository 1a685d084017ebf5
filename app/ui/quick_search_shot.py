"""`--screenshot PATH --quick-search QUERY`: the quick search as it opens under a menu-bar icon at the top
right of the screen, with that query typed, saved once the results have settled."""

from __future__ import annotations

import asyncio
import sys
import time

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.ui.quick_search import QuickSearch

SETTLE_TIMEOUT = 20.0
_POLL = 0.05
ICON = (22, 24)  # a menu-bar item's size in points


def top_right_icon() -> QRect:
    """Where a menu-bar icon would be: in the bar at the top of the primary screen, near its right end."""
    screen = QGuiApplication.primaryScreen().geometry()
    w, h = ICON
    return QRect(screen.right() - 160, screen.top(), w, h)


async def wait_settled(quick: QuickSearch, local_ready: object, timeout: float = SETTLE_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if quick.settled and bool(getattr(local_ready, "local_sized", True)) else 0
        if quiet >= 3:
            return True
        await asyncio.sleep(_POLL)
    return False


async def take_quick_search_screenshot(quick: QuickSearch, path: str, query: str,
                                       timeout: float = SETTLE_TIMEOUT) -> int:
    controller = quick.controller
    deadline = time.monotonic() + timeout
    while not controller.local_scanned and time.monotonic() < deadline:
        await asyncio.sleep(_POLL)
    quick.hide_on_deactivate = False  # nothing else is active offscreen, but never lose it to focus
    quick.popup(top_right_icon())
    quick.set_query(query)
    ok = await wait_settled(quick, controller, max(1.0, deadline - time.monotonic()))
    QApplication.processEvents()
    image = quick.grab()
    if not image.save(path, "PNG"):
        print(f"mlx-manager: could not write {path}", file=sys.stderr)
        return 1
    note = "" if ok else f" (not everything had settled after {timeout:.0f} s)"
    print(f"Saved {path}{note}")
    return 0
