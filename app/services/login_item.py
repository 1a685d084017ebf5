"""Start at login: a LaunchAgent on macOS, an XDG autostart entry elsewhere. Off unless the user turns it on.

Only this app's own file is ever written or removed.
"""

from __future__ import annotations

import os
import plistlib
import sys
from pathlib import Path

LABEL = "local.mlx-manager"


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def item_path() -> Path:
    if sys.platform == "darwin":
        return _home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    config = os.environ.get("XDG_CONFIG_HOME") or str(_home() / ".config")
    return Path(config) / "autostart" / "mlx-manager.desktop"


def launch_command() -> list[str]:
    """The program that starts this app: the bundle's executable, or this Python with `-m app`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "app"]


def is_enabled() -> bool:
    return item_path().is_file()


def set_enabled(on: bool) -> Path:
    path = item_path()
    if not on:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    command = launch_command()
    if sys.platform == "darwin":
        data = plistlib.dumps({"Label": LABEL, "ProgramArguments": command, "RunAtLoad": True,
                               "ProcessType": "Interactive"})
    else:
        quoted = " ".join(f'"{part}"' if " " in part else part for part in command)
        data = ("[Desktop Entry]\nType=Application\nName=MLX Manager\n"
                f"Exec={quoted}\nX-GNOME-Autostart-enabled=true\n").encode()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
