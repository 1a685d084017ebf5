"""Asking before deleting: on a terminal a y/N question; without one, refuse unless --yes was given."""

from __future__ import annotations

import sys


def confirmed(question: str, *, yes: bool) -> bool | None:
    """True to go ahead, False when the person said no, None when there is no terminal to ask on."""
    if yes:
        return True
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
