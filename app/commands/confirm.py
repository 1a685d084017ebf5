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


def refused(question: str, *, yes: bool, verb: str, nothing: str) -> int | None:
    """None to go ahead; otherwise the exit code, once the reason is said (`verb`: "deleting", "cleaning")."""
    from app.commands.output import fail

    answer = confirmed(question, yes=yes)
    if answer is None:
        return fail(f"not {verb} without confirmation: run it on a terminal or pass --yes", code=2)
    if not answer:
        print(nothing)
        return 0
    return None
