"""Opening the window (the default command)."""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import threading
from typing import Any


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
    early = None if args.self_test else _start_early_scan()
    from app.ui.application import run_app

    return run_app(args, early_scan=early)


def _start_early_scan() -> concurrent.futures.Future[Any]:
    """The My Models first pass on a thread of its own, started before Qt is even imported: reading the
    cache overlaps loading Qt and building the window, so the list can paint sooner."""
    from app.services.local_cache import scan_first_pass

    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            models = scan_first_pass()
            future.set_result((models, [m.to_model_entry() for m in models]))
        except BaseException as exc:  # delivered to the window's scan task, which reports it
            future.set_exception(exc)

    threading.Thread(target=work, name="early-first-pass", daemon=True).start()
    return future
