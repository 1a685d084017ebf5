"""Shared output helpers for the CLI commands."""

from __future__ import annotations

import sys


def fail(message: str, *, code: int) -> int:
    """One line on stderr, no traceback; returns the exit code."""
    print(f"mlx-manager: {message}", file=sys.stderr)
    return code
