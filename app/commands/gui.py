"""Opening the window (the default command)."""

from __future__ import annotations

import argparse
import os
import sys


def display_available() -> bool:
    """Whether Qt can open a window here; Qt aborts the process (no exception) when it cannot."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    if args.screenshot or args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif not display_available():
        print("mlx-manager: no display here, so no window; listing the local models instead.")
        from app.commands import scan

        return scan.run(argparse.Namespace(json=False))
    from app.ui.application import run_app

    return run_app(args)
