"""The launch's read of My Models, started before Qt is even imported so that it overlaps loading Qt and
building the window.

Where the process can fork and has no other thread yet, it runs in a child process: a thread here would
hold the GIL for its imports and its Python work, which is exactly when the window's own imports need it.
The child runs on another core and sends three answers down a pipe as it has them: the first screen (the
cards a first screen can show read fully, the others by name only; see `scan_first_pass_in_steps`), every
repo read, then every repo with its sizes. Elsewhere (Windows, or a process that already has threads, such as
a test with Qt loaded) a thread reads every repo in one answer and the window does the rest itself.

Only what is passed between processes is pickled: `LocalModel` and `ModelEntry` values, or an exception.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.model_entry import ModelEntry
    from app.services.local_cache import LocalModel

FirstPass = tuple["list[LocalModel]", "list[ModelEntry]"]
IN_THREAD = "MLX_MANAGER_FIRST_PASS_IN_THREAD"  # set: never fork (a test of the thread path, or a debugger)
_HEADER = struct.Struct("!Q?")  # length of the pickle, and whether it is an answer (else an exception)


@dataclass
class EarlyScan:
    """`first`: (models, entries) for the first paint; `rest`, when given: every repo read (the entries
    of `first` may be `pending`); `sizes`: the models of `rest` with their sizes filled in."""

    first: Future[FirstPass] = field(default_factory=Future)
    rest: Future[FirstPass] | None = None
    sizes: Future[list[LocalModel]] | None = None
    pid: int | None = None  # the child, until it has been waited for
    stopped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stop(self) -> None:
        """Nobody is waiting any more (the window closed, or another instance took the launch): a child still
        reading a large cache is ended rather than left to finish for nothing."""
        self.stopped = True
        with self._lock:
            if self.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGTERM)


def arrived(answer: Future[Any]) -> Future[None]:
    """Resolves once `answer` has arrived, without unpickling it (its `result()` does that, on any thread)."""
    signal: Future[None] = Future()
    answer.add_done_callback(lambda _: signal.set_result(None))
    return signal


def start() -> EarlyScan:
    scan = EarlyScan()
    if not _fork(scan):
        threading.Thread(target=_fill, args=(scan.first, _whole_pass), name="early-first-pass", daemon=True).start()
    return scan


def _whole_pass() -> FirstPass:
    from app.services.local_cache import scan_first_pass

    models = scan_first_pass()
    return models, [m.to_model_entry() for m in models]


def _fill(future: Future[Any], work: Callable[[], Any]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(work())
    except BaseException as exc:  # noqa: BLE001 - delivered to whoever awaits the future, which reports it
        future.set_exception(exc)


def can_fork() -> bool:
    # Forking a process with threads (Qt's included) can leave a lock held forever in the child.
    return (hasattr(os, "fork") and threading.active_count() == 1 and "PySide6.QtCore" not in sys.modules
            and not os.environ.get(IN_THREAD))


def _fork(scan: EarlyScan) -> bool:
    if not can_fork():
        return False
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # the child: read, send, leave without running any of the parent's cleanup
        status = 0
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                _child(out)
        except BaseException:  # noqa: BLE001 - the parent sees the pipe end early and reads the cache itself
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    scan.pid = pid
    # Each answer is unpickled when asked for: a relaunch skips the first (every card is read by then).
    scan.first, scan.rest, scan.sizes = _Pickled(), _Pickled(), _Pickled()
    threading.Thread(target=_receive, args=(scan, read_end, pid), name="early-first-pass", daemon=True).start()
    return True


def _child(out: Any) -> None:
    from app.services.local_cache import fill_sizes, scan_first_pass_in_steps

    models: list[LocalModel] = []
    try:
        for models in scan_first_pass_in_steps():
            _send(out, (True, (models, [m.to_model_entry() for m in models])))
    except Exception as exc:  # noqa: BLE001 - sent to the parent, which reports it
        _send(out, (False, exc))
        return
    try:
        _send(out, (True, fill_sizes(models)))
    except Exception as exc:  # noqa: BLE001 - sent to the parent, which reports it
        _send(out, (False, exc))


def _send(out: Any, payload: tuple[bool, Any]) -> None:
    ok, value = payload
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - an exception that cannot be pickled still says what happened
        ok, data = False, pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
    out.write(_HEADER.pack(len(data), ok) + data)
    out.flush()


class _Pickled(Future[Any]):
    """An answer that arrives pickled and is unpickled by whoever first asks for its result: unpickling
    thousands of cards holds the GIL, which during the launch belongs to the window's imports and paint."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._data: bytes | None = None
        self._value: Any = None
        self._pickled = False

    def set_pickled(self, data: bytes) -> None:
        self._data = data
        self._pickled = True
        self.set_result(None)

    def result(self, timeout: float | None = None) -> Any:
        value = super().result(timeout)
        if not self._pickled:  # answered here rather than by the child
            return value
        with self._lock:
            if self._data is not None:
                data, self._data = self._data, None
                self._value = pickle.loads(data)
            return self._value


def _receive(scan: EarlyScan, fd: int, pid: int) -> None:
    assert scan.rest is not None and scan.sizes is not None
    futures: list[Future[Any]] = [scan.first, scan.rest, scan.sizes]
    with os.fdopen(fd, "rb") as pipe:
        for future in futures:
            message = _read(pipe)  # blocks without the GIL while the child works
            if message is None:
                break
            if not future.set_running_or_notify_cancel():
                continue
            ok, data = message
            try:
                if not ok:
                    future.set_exception(pickle.loads(data))
                elif isinstance(future, _Pickled):
                    future.set_pickled(data)
                else:
                    future.set_result(pickle.loads(data))
            except Exception as exc:  # noqa: BLE001 - garbled: said as what it is rather than left waiting
                if not future.done():
                    future.set_exception(RuntimeError(f"the first pass's answer could not be read ({exc})"))
    with scan._lock:  # the pid is not signalled once waited for: it may belong to another process by then
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)  # no zombie left behind
        scan.pid = None
    if scan.stopped:
        return
    # The child died or was cut short (rare): the answers it never sent are worked out here instead.
    if not scan.first.done():
        _fill(scan.first, _whole_pass)
    if not scan.rest.done():
        _fill(scan.rest, lambda: _complete(scan.first))
    if not scan.sizes.done():
        rest = scan.rest
        _fill(scan.sizes, lambda: _sized(rest))


def _complete(first: Future[FirstPass]) -> FirstPass:
    models, entries = first.result()
    return _whole_pass() if any(m.pending for m in models) else (models, entries)


def _sized(rest: Future[FirstPass]) -> list[LocalModel]:
    from app.services.local_cache import fill_sizes

    return fill_sizes(rest.result()[0])


def _read(pipe: Any) -> tuple[bool, bytes] | None:
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size, ok = _HEADER.unpack(header)
    data = pipe.read(size)
    return (bool(ok), data) if len(data) == size else None
