"""Run the self-test's checks, print each part, and say in the exit status whether everything started."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app import __version__

Check = tuple[str, Callable[[], str]]  # a name, and a function returning what it saw (raising on failure)


class CheckFailed(Exception):
    """A check saw something wrong; the message is the sentence shown (no exception type prefixed)."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str | None  # what the check saw, when it passed
    error: str | None  # what went wrong, when it failed
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "error": self.error,
                "seconds": round(self.seconds, 3)}


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check()
    except CheckFailed as exc:
        return CheckResult(name, False, None, str(exc), time.perf_counter() - started)
    except BaseException as exc:  # SystemExit from a library counts as a failure too, not as our exit
        if isinstance(exc, KeyboardInterrupt):
            raise
        return CheckResult(name, False, None, failure_words(exc), time.perf_counter() - started)
    return CheckResult(name, True, detail, None, time.perf_counter() - started)


def failure_words(exc: BaseException) -> str:
    """`Type: message`, then what caused it (an ImportError from an extension hides its reason there)."""
    words = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return f"{words} (caused by {failure_words(cause)})" if cause is not None else words


def run_checks(checks: Sequence[Check], *, started: Callable[[str], None] | None = None,
               finished: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    results = []
    for name, check in checks:
        if started is not None:
            started(name)
        result = run_check(name, check)
        if finished is not None:
            finished(result)
        results.append(result)
    return results


def text_line(result: CheckResult, width: int) -> str:
    return f"{'ok  ' if result.ok else 'FAIL'}  {result.name:<{width}}  {result.detail if result.ok else result.error}"


def report(results: Sequence[CheckResult], *, as_json: bool, out: IO[str], err: IO[str],
           lines_printed: bool = False) -> int:
    """Print every part (the text lines unless `lines_printed`: already shown as each check ended); returns 0
    when all passed, else 1 with one line on `err` naming the failures."""
    failed = [r for r in results if not r.ok]
    if as_json:
        payload = {"ok": not failed, "version": __version__, "frozen": bool(getattr(sys, "frozen", False)),
                   "failed": [r.name for r in failed], "checks": [r.to_dict() for r in results]}
        print(json.dumps(payload, indent=2, ensure_ascii=False), file=out)
    else:
        if not lines_printed:
            width = max((len(r.name) for r in results), default=0)
            for r in results:
                print(text_line(r, width), file=out)
        if not failed:
            print(f"self-test passed: {len(results)} parts started", file=out)
    out.flush()
    if failed:
        names = "; ".join(f"{r.name} ({r.error})" for r in failed)
        print(f"mlx-manager: self-test failed: {names}", file=err, flush=True)
        return 1
    return 0


@contextlib.contextmanager
def isolated_place() -> Iterator[Path]:
    """A temp folder holding the self-test's HF cache and store, selected through the environment for the
    checks (and the worker they start); the environment and the folder are put back afterwards."""
    root = Path(tempfile.mkdtemp(prefix="mlx-manager-self-test-"))
    settings = {
        "HF_HUB_CACHE": str(root / "hub"),
        "MLX_MANAGER_CACHE_DIR": str(root / "store"),
        "HF_HUB_OFFLINE": "1",  # nothing here may reach the network
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "QT_QPA_PLATFORM": "offscreen",  # the window is built and painted, never shown on a screen
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield root
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(root, ignore_errors=True)


def run_self_test(*, as_json: bool, checks: Callable[[Path], Sequence[Check]] | None = None,
                  out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """`checks`: the list to run in the temp place (default: every run-time part, see `checks.all_checks`).
    Each part is said as soon as it is known (text on `out`, or a progress line on `err` with --json), so a
    check that aborts the whole process is still named by what was printed last."""
    out = out or sys.stdout
    err = err or sys.stderr
    with isolated_place() as place:
        if checks is None:
            from app.self_test.checks import all_checks

            checks = all_checks
        listed = checks(place)
        width = max((len(name) for name, _ in listed), default=0)

        def started(name: str) -> None:
            if as_json:
                print(f"self-test: {name}…", file=err, flush=True)

        def finished(result: CheckResult) -> None:
            if not as_json:
                print(text_line(result, width), file=out, flush=True)

        results = run_checks(listed, started=started, finished=finished)
    return report(results, as_json=as_json, out=out, err=err, lines_printed=not as_json)
