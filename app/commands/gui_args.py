"""The window's command-line options checked before Qt starts: bad input is exit 2 with one line."""

from __future__ import annotations

import argparse
import os

from app.core.window_size import parse_window_size


def problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the GUI options, in one line; None when they are usable."""
    size = getattr(args, "size", None)
    if size is not None:
        try:
            parse_window_size(size)
        except ValueError as exc:
            return str(exc)
    expand = getattr(args, "expand", None)
    if expand is not None and expand < 0:
        return f"--expand {expand}: give a number of cards, 0 or more"
    path = getattr(args, "screenshot", None)
    if path is not None:
        return _screenshot_problem(path)
    return None


def _screenshot_problem(path: str) -> str | None:
    if not path.strip():
        return "--screenshot needs a file name"
    if os.path.isdir(path):
        return f"--screenshot {path}: is a folder; give a file name such as {os.path.join(path, 'window.png')}"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(folder):
        return f"--screenshot {path}: the folder {folder} does not exist"
    if not os.path.isdir(folder):
        return f"--screenshot {path}: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK):
        return f"--screenshot {path}: the folder {folder} is not writable"
    return None
