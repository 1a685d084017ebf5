"""`--screenshot PATH`: the real window, once what it shows has settled, saved as a PNG."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

SETTLE_TIMEOUT = 20.0
_POLL = 0.05


def settled(window: MainWindow) -> bool:
    """Whether the cards on screen are final: My Models scanned and sized; Hub searched, configs in."""
    c = window.controller
    if window.view == "my":
        return c.local_scanned and c.local_sized
    if c.hub_state in ("idle", "searching"):
        return False
    if c.hub_state != "ready":
        return True  # an empty, offline or error state is final too
    return not window.visibility_pending and c.configs_idle


async def wait_settled(window: MainWindow, timeout: float = SETTLE_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        # Settled for a few polls in a row: a config landing can schedule more work one turn later.
        quiet = quiet + 1 if settled(window) else 0
        if quiet >= 3:
            return True
        await asyncio.sleep(_POLL)
    return False


async def take_screenshot(window: MainWindow, path: str, *, expand: int | None = None,
                          timeout: float = SETTLE_TIMEOUT) -> int:
    ok = await wait_settled(window, timeout)
    if expand:
        model = window.current_model
        for row in range(min(expand, model.rowCount())):
            entry = model.entry_at(row)
            if entry is not None:
                model.set_expanded(entry.id, True)
        await wait_settled(window, 5.0)
    QApplication.processEvents()
    image = window.grab()
    if not image.save(path, "PNG"):
        print(f"mlx-manager: could not write {path}", file=sys.stderr)
        return 1
    note = "" if ok else " (not everything had settled after 20 s)"
    print(f"Saved {path}{note}")
    return 0
