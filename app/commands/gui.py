"""Opening the window (the default command)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.services.early_scan import EarlyScan


def display_available() -> bool:
    """Whether Qt can open a window here; Qt aborts the process (no exception) when it cannot."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    from app.commands import gui_args
    from app.commands.output import fail

    bad = gui_args.problem(args)
    if bad is not None:
        return fail(bad, code=2)
    if args.screenshot or args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif not display_available():
        print("mlx-manager: no display here, so no window; listing the local models instead.")
        from app.commands import scan

        return scan.run(argparse.Namespace(json=False))
    # The scan starts first: checking for a running instance loads Qt, which the scan overlaps anyway.
    early = None if args.self_test else _start_early_scan()
    if not args.screenshot and not args.self_test and _handed_over(args):
        if early is not None:
            early.stop()
        return 0
    from app.ui.application import run_app

    try:
        return run_app(args, early_scan=early)
    finally:
        if early is not None:
            early.stop()


def _handed_over(args: argparse.Namespace) -> bool:
    """A running instance took this launch's --view/--query and came forward: nothing more to do here."""
    if os.environ.get("MLX_MANAGER_EXIT_AFTER_FIRST_PAINT"):  # a startup measurement stands alone
        return False
    from app.ui.single_instance import hand_over, instance_name

    payload = {k: v for k in ("view", "query") if isinstance(v := getattr(args, k, None), str)}
    return hand_over(instance_name(), payload)


def _start_early_scan() -> EarlyScan:
    """My Models' first pass, under way before Qt is imported (see app/services/early_scan.py)."""
    from app.services import early_scan

    return early_scan.start()
