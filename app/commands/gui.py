"""Opening the window (the default command)."""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
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
        return 0
    from app.ui.application import run_app

    return run_app(args, early_scan=early)


def _handed_over(args: argparse.Namespace) -> bool:
    """A running instance took this launch's --view/--query and came forward: nothing more to do here."""
    if os.environ.get("MLX_MANAGER_EXIT_AFTER_FIRST_PAINT"):  # a startup measurement stands alone
        return False
    from app.ui.single_instance import hand_over, instance_name

    payload = {k: v for k in ("view", "query") if isinstance(v := getattr(args, k, None), str)}
    return hand_over(instance_name(), payload)


def _start_early_scan() -> concurrent.futures.Future[Any]:
    """The My Models first pass, started before Qt is even imported, so that reading the cache overlaps
    loading Qt and building the window and the list can paint sooner.

    Where the process can fork and has no other thread yet (Qt not loaded), the pass runs in a child
    process: a thread here would hold the GIL for its imports and its Python work, which is exactly the
    time the window's own imports need; the child runs on another core and only its pickled answer comes
    back. Elsewhere (Windows, or a process that already has threads, such as a test) a thread does it."""
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    if not _fork_first_pass(future):
        threading.Thread(target=_first_pass_into, args=(future,), name="early-first-pass", daemon=True).start()
    return future


def _first_pass() -> tuple[Any, Any]:
    from app.services.local_cache import scan_first_pass

    models = scan_first_pass()
    return models, [m.to_model_entry() for m in models]


def _first_pass_into(future: concurrent.futures.Future[Any]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(_first_pass())
    except BaseException as exc:  # delivered to the window's scan task, which reports it
        future.set_exception(exc)


def _can_fork() -> bool:
    # Forking a process with threads (Qt's included) can leave a lock held forever in the child.
    return (hasattr(os, "fork") and threading.active_count() == 1 and "PySide6.QtCore" not in sys.modules
            and not os.environ.get("MLX_MANAGER_FIRST_PASS_IN_THREAD"))


def _fork_first_pass(future: concurrent.futures.Future[Any]) -> bool:
    if not _can_fork():
        return False
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # the child: scan, send, leave without running the parent's cleanup
        status = 0
        try:
            os.close(read_end)
            _send_first_pass(write_end)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    threading.Thread(target=_receive_first_pass, args=(future, read_end, pid), name="early-first-pass",
                     daemon=True).start()
    return True


def _send_first_pass(fd: int) -> None:
    import pickle

    try:
        payload: tuple[bool, Any] = (True, _first_pass())
    except Exception as exc:
        payload = (False, exc)
    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception that cannot be pickled still says what happened
        data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _receive_first_pass(future: concurrent.futures.Future[Any], fd: int, pid: int) -> None:
    import pickle

    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()  # blocks without the GIL until the child is done
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # no zombie left behind
    if not future.set_running_or_notify_cancel():
        return
    try:
        ok, value = pickle.loads(data)
    except Exception:  # the child died or sent garbage: do the pass here instead
        try:
            future.set_result(_first_pass())
        except BaseException as exc:
            future.set_exception(exc)
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
