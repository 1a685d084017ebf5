"""Trying a local model: the asyncio client of the model worker (no Qt; the CLI and the window share it).

    runner = MlxRunner()
    figures = await runner.run(TryRequest("org/name", "Hello"), on_event)   # Loading, Loaded, Token...
    runner.stop()            # at any time: the answer ends with finish_reason "stopped"
    await runner.aclose()    # on quit: the worker ends

The worker (`<this executable> --worker`, see `mlx_worker`) is started on first use and kept while the same
model is tried again; another model gets a fresh process (so the previous one's memory is surely returned),
and an idle worker ends after `idle_seconds`. A worker that dies mid-answer (killed, out of memory) is
reported as `TryError(WORKER_DIED)` in words; the next `run` starts a new one, so retrying is running again.
A Stop that the worker cannot honour quickly (it is busy loading or reading a long prompt) ends the worker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.services.try_preflight import check_snapshot, locate_snapshot
from app.services.try_protocol import (
    BAD_REQUEST,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    MAX_LINE_BYTES,
    WORKER_DIED,
    WORKER_UNAVAILABLE,
    TryError,
    decode,
    encode,
)

log = logging.getLogger(__name__)

IDLE_SECONDS = 300.0
STOP_GRACE_SECONDS = 2.0
QUIT_GRACE_SECONDS = 3.0
# Variables a worker never needs: it reads only files already on disk (and runs offline).
_SECRET_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


@dataclass(frozen=True)
class TryRequest:
    model_id: str
    prompt: str
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE


@dataclass(frozen=True)
class Loading:
    """The model is being loaded (`reused`: the worker already holds it, this will be instant)."""

    model_id: str
    reused: bool


@dataclass(frozen=True)
class Loaded:
    model_id: str
    seconds: float
    reused: bool


@dataclass(frozen=True)
class Token:
    text: str
    token: int


@dataclass(frozen=True)
class TryFigures:
    """How the answer went. `time_to_first_token_ms` is measured by the app (request sent to first token
    read: what a person waits once the model is loaded); the rest are mlx-lm's own figures."""

    finish_reason: str  # "stop" (the model ended), "length" (max tokens), "stopped" (Stop)
    time_to_first_token_ms: float | None = None
    prompt_tokens: int | None = None
    prompt_tps: float | None = None
    generation_tokens: int | None = None
    generation_tps: float | None = None
    peak_memory: float | None = None  # GB, as mlx-lm reports it
    peak_memory_bytes: int | None = None
    worker_ttft_ms: float | None = None
    load_seconds: float | None = None
    text: str = field(default="", repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "finish_reason": self.finish_reason,
            "time_to_first_token_ms": self.time_to_first_token_ms,
            "prompt_tokens": self.prompt_tokens,
            "prompt_tps": self.prompt_tps,
            "generation_tokens": self.generation_tokens,
            "generation_tps": self.generation_tps,
            "peak_memory": self.peak_memory,
            "peak_memory_bytes": self.peak_memory_bytes,
            "worker_ttft_ms": self.worker_ttft_ms,
            "load_seconds": self.load_seconds,
        }


TryEvent = Loading | Loaded | Token
EventSink = Callable[[TryEvent], None]


def worker_command() -> list[str]:
    """This same program in worker mode: the bundle's executable when frozen, else this Python with -m app."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--worker"]
    return [sys.executable, "-m", "app", "--worker"]


def worker_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for name in _SECRET_VARIABLES:
        env.pop(name, None)
    env["HF_HUB_OFFLINE"] = "1"  # trying never downloads
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def death_words(returncode: int | None) -> str:
    """How a worker ended, for a sentence: 'killed by SIGKILL', 'exit code 1'."""
    if returncode is None:
        return "for an unknown reason"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (perhaps out of memory)" if name == "SIGKILL" else ""
        return f"killed by {name}{hint}"
    return f"exit code {returncode}"


class _Worker:
    """One worker process: its pipes, the model it holds, and the last lines it wrote on stderr."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.model_path: str | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._stderr_task = asyncio.create_task(self._drain_stderr(), name=f"mlx-worker-stderr-{process.pid}")

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def _drain_stderr(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        while line := await stream.readline():
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                self.stderr_tail.append(text)
                log.debug("worker %s: %s", self.pid, text)

    def send(self, message: dict[str, Any]) -> None:
        stdin = self.process.stdin
        if stdin is None or stdin.is_closing():
            raise ConnectionResetError("the worker's input is closed")
        stdin.write(encode(message))

    async def receive(self) -> dict[str, Any] | None:
        """The next message; None when the worker has gone (its output closed)."""
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            try:
                line = await stdout.readline()
            except (ValueError, asyncio.LimitOverrunError):  # a line over the limit: not ours
                continue
            if not line:
                return None
            try:
                return decode(line)
            except ValueError as exc:
                log.warning("worker %s wrote a line that is not a message (%s)", self.pid, exc)

    def kill(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    def close_input(self) -> None:
        with contextlib.suppress(Exception):
            stdin = self.process.stdin
            if stdin is not None:
                stdin.close()

    async def end(self, grace: float = QUIT_GRACE_SECONDS) -> None:
        """Ask it to quit, then make sure: it is gone when this returns, and its pipes are closed."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.send({"op": "quit"})
            self.close_input()
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                self.kill()
        await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._stderr_task

    async def died(self) -> TryError:
        self.close_input()
        returncode = await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self._stderr_task, 1.0)
        last = next((line for line in reversed(self.stderr_tail) if line.strip()), "")
        said = f" Its last words: {last[:200]}" if last and returncode and returncode > 0 else ""
        return TryError(WORKER_DIED, f"The model's process ended unexpectedly ({death_words(returncode)}). "
                        f"Try again.{said}")


class MlxRunner:
    """Runs one answer at a time in a reusable worker process."""

    def __init__(
        self,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        idle_seconds: float = IDLE_SECONDS,
        stop_grace: float = STOP_GRACE_SECONDS,
        command: list[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._cache_dir = cache_dir
        self._idle_seconds = idle_seconds
        self._stop_grace = stop_grace
        self._command = command
        self._env = env
        self._worker: _Worker | None = None
        self._model_id: str | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._current: int | None = None
        self._stopping = False
        self._stop_timer: asyncio.TimerHandle | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_task: asyncio.Task[None] | None = None
        self._closed = False
        self._preparing: str | None = None  # the model being loaded ahead
        self._release_asked = False  # a prepare still to come, or under way, gives up
        self._active: TryRequest | None = None
        self._waiting: dict[int, bool] = {}  # id(request) -> stopped, for runs waiting their turn

    # --- state ---------------------------------------------------------------------------------------

    @property
    def worker_pid(self) -> int | None:
        worker = self._worker
        return worker.pid if worker is not None and worker.alive else None

    @property
    def model_id(self) -> str | None:
        """The model the live worker holds (None when no worker is running)."""
        return self._model_id if self.worker_pid is not None else None

    @property
    def worker_process(self) -> asyncio.subprocess.Process | None:
        """The live worker's process (for diagnostics and tests: `await process.wait()`)."""
        worker = self._worker
        return worker.process if worker is not None and worker.alive else None

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    @property
    def preparing(self) -> str | None:
        """The model being loaded ahead of the first question, if any (see `prepare`)."""
        return self._preparing

    # --- the work ------------------------------------------------------------------------------------

    async def run(self, request: TryRequest, on_event: EventSink | None = None) -> TryFigures:
        """Load (or reuse) the model and stream one answer; every event goes to `on_event` as it happens.
        Raises TryError (in words) for anything that stops the answer; Stop is not an error."""
        emit = on_event or (lambda _event: None)
        _check_request(request)
        key = id(request)
        self._waiting[key] = False
        try:
            await self._lock.acquire()
        finally:
            stopped = self._waiting.pop(key)
        try:
            if self._closed:
                raise TryError(WORKER_UNAVAILABLE, "The runner is closed.")
            if stopped:  # Stop was pressed while it waited for a load or another answer
                return TryFigures(finish_reason="stopped")
            self._cancel_idle()
            self._stopping = False
            self._active = request
            try:
                return await self._run(request, emit)
            finally:
                self._active = None
                self._current = None
                self._cancel_stop_timer()
                self._schedule_idle()
        finally:
            self._lock.release()

    async def _run(self, request: TryRequest, emit: EventSink) -> TryFigures:
        snapshot = await asyncio.to_thread(_checked_snapshot, request.model_id, self._cache_dir)
        held = self._worker
        reused = (held is not None and held.alive and self._model_id == request.model_id
                  and held.model_path == str(snapshot))
        worker = await self._worker_for(request.model_id)  # returns once the process exists, not when ready
        emit(Loading(request.model_id, reused))
        if self._stopping:
            return TryFigures(finish_reason="stopped")
        load_seconds = 0.0
        if not reused:  # the worker already holds this snapshot: no round trip needed
            load_id = next(self._ids)
            self._current = load_id
            answer = await self._exchange(worker, {"op": "load", "id": load_id, "path": str(snapshot),
                                                   "model": request.model_id})
            if answer is None:
                return TryFigures(finish_reason="stopped")
            if not answer.get("ok"):
                raise TryError(str(answer.get("kind") or BAD_REQUEST),
                               str(answer.get("error") or "loading failed"))
            worker.model_path = str(snapshot)
            load_seconds = float(answer.get("load_seconds") or 0.0)
        emit(Loaded(request.model_id, load_seconds, reused))
        if self._stopping:
            return TryFigures(finish_reason="stopped", load_seconds=load_seconds)
        return await self._generate(worker, request, emit, load_seconds)

    async def _generate(self, worker: _Worker, request: TryRequest, emit: EventSink,
                        load_seconds: float) -> TryFigures:
        request_id = next(self._ids)
        self._current = request_id
        sent = time.perf_counter()
        first: float | None = None
        text: list[str] = []
        worker.send({"op": "generate", "id": request_id, "prompt": request.prompt,
                     "max_tokens": request.max_tokens, "temperature": request.temperature})
        while True:
            message = await self._receive(worker, request_id)
            if message is None:  # ended by Stop (the worker did not answer in time and was ended)
                return TryFigures(finish_reason="stopped", text="".join(text), load_seconds=load_seconds,
                                  time_to_first_token_ms=_ms(sent, first))
            op = message.get("op")
            if op == "token":
                if first is None:
                    first = time.perf_counter()
                piece = str(message.get("text") or "")
                text.append(piece)
                emit(Token(piece, int(message.get("token") or 0)))
            elif op == "done":
                if not message.get("ok"):
                    raise TryError(str(message.get("kind") or BAD_REQUEST), str(message.get("error")))
                return _figures(message, text="".join(text), load_seconds=load_seconds,
                                ttft_ms=_ms(sent, first))

    async def _exchange(self, worker: _Worker, message: dict[str, Any]) -> dict[str, Any] | None:
        worker.send(message)
        return await self._receive(worker, message["id"])

    async def _receive(self, worker: _Worker, request_id: int) -> dict[str, Any] | None:
        """The next message about `request_id` (older ones, e.g. the tail of a stopped answer, are
        skipped); None when the worker went away after a Stop; TryError when it died on its own."""
        try:
            while True:
                message = await worker.receive()
                if message is None:
                    break
                if message.get("id") == request_id:
                    return message
        except asyncio.CancelledError:
            # The caller gave up (a closed panel, Ctrl-C): the worker stops this answer, and lives on.
            with contextlib.suppress(Exception):
                worker.send({"op": "stop", "id": request_id})
            raise
        stopped = self._stopping
        error = await worker.died()
        self._forget(worker)
        if stopped:
            return None
        raise error

    async def _worker_for(self, model_id: str | None) -> _Worker:
        """The live worker if it holds this model (or none yet), else a new one; `None`: any worker."""
        worker = self._worker
        if worker is not None and worker.alive and (model_id is None or self._model_id in (None, model_id)):
            if model_id is not None:
                self._model_id = model_id  # a worker started by ping holds no model yet
            return worker
        await self._end_worker()
        try:
            process = await asyncio.create_subprocess_exec(
                *(self._command or worker_command()),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=worker_environment(self._env),
                limit=MAX_LINE_BYTES,
            )
        except OSError as exc:
            raise TryError(WORKER_UNAVAILABLE, f"The model's process could not be started ({exc}).") from None
        self._worker, self._model_id = _Worker(process), model_id
        return self._worker

    def _forget(self, worker: _Worker) -> None:
        if self._worker is worker:
            self._worker = None
            self._model_id = None

    # --- control -------------------------------------------------------------------------------------

    def stop(self, request: TryRequest | None = None) -> None:
        """Stop the answer under way (no-op when idle); call it on the runner's loop. The worker finishes
        the token it is on; if it does not answer within the grace period (busy loading or reading a long
        prompt), it is ended. `request`: stop that one only (it may still be waiting its turn)."""
        if request is not None and request is not self._active:
            if id(request) in self._waiting:
                self._waiting[id(request)] = True
            return
        if not self.busy or self._stopping:
            return
        self._stopping = True  # checked between the steps of `run` too (a Stop before the worker started)
        worker = self._worker
        if worker is None:
            return
        if self._current is not None:
            with contextlib.suppress(Exception):
                worker.send({"op": "stop", "id": self._current})
        self._stop_timer = asyncio.get_running_loop().call_later(self._stop_grace, worker.kill)

    async def select(self, model_id: str | None) -> None:
        """The model now in view: a worker holding another model is ended (its memory comes back)."""
        if self._model_id is not None and model_id != self._model_id and not self.busy:
            await self._end_worker()

    async def ping(self) -> dict[str, Any]:
        """Start (or reuse) a worker and ping it: {"ok": true, "pid": N, "mlx_device": "..."}."""
        async with self._lock:
            worker = await self._worker_for(None)
            worker.send({"op": "ping"})
            while True:
                message = await worker.receive()
                if message is None:
                    error = await worker.died()
                    self._forget(worker)
                    raise error
                if "pid" in message:
                    return message

    async def prepare(self, model_id: str) -> float | None:
        """Start the worker and load the model before the first question, while the person types; returns
        the load time (0 when it was already loaded), or None when it could not be loaded (then `run` says
        why, in words). `release` and `aclose` cut a long load short."""
        async with self._lock:
            if self._closed:
                return None
            self._cancel_idle()
            self._preparing = model_id
            try:
                snapshot = await asyncio.to_thread(_checked_snapshot, model_id, self._cache_dir)
                if self._release_asked:
                    return None
                worker = await self._worker_for(model_id)
                if worker.model_path == str(snapshot):
                    return 0.0
                if self._release_asked:
                    return None
                load_id = next(self._ids)
                self._current = load_id
                answer = await self._exchange(worker, {"op": "load", "id": load_id, "path": str(snapshot),
                                                       "model": model_id})
                if answer is None or not answer.get("ok"):
                    return None
                worker.model_path = str(snapshot)
                return float(answer.get("load_seconds") or 0.0)
            except TryError:
                return None
            finally:
                self._preparing = None
                self._current = None
                self._cancel_stop_timer()
                self._schedule_idle()

    async def release(self) -> None:
        """End the worker now (it is started again when needed)."""
        self._release_asked = True
        if self._preparing is not None and self._worker is not None:
            self._worker.kill()  # a load nobody waits for any more
        async with self._lock:
            self._release_asked = False
            await self._end_worker()

    async def aclose(self) -> None:
        """On quit: stop any answer and end the worker; the runner cannot be used afterwards."""
        self._closed = True
        self._cancel_idle()
        self.stop()
        worker = self._worker
        if worker is not None and self.busy:
            worker.kill()
        async with self._lock:
            await self._end_worker()
        if self._idle_task is not None:
            self._idle_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_task

    async def _end_worker(self) -> None:
        worker, self._worker, self._model_id = self._worker, None, None
        if worker is not None:
            await worker.end()

    def _schedule_idle(self) -> None:
        if self._worker is None or self._closed:
            return
        self._idle_timer = asyncio.get_running_loop().call_later(self._idle_seconds, self._idle_expired)

    def _idle_expired(self) -> None:
        self._idle_timer = None
        self._idle_task = asyncio.create_task(self.release(), name="mlx-worker-idle-end")

    def _cancel_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _cancel_stop_timer(self) -> None:
        if self._stop_timer is not None:
            self._stop_timer.cancel()
            self._stop_timer = None
        self._stopping = False


def _checked_snapshot(model_id: str, cache_dir: str | os.PathLike[str] | None) -> Path:
    snapshot = locate_snapshot(model_id, cache_dir)
    check_snapshot(model_id, snapshot)
    return snapshot


def _check_request(request: TryRequest) -> None:
    if not isinstance(request.max_tokens, int) or request.max_tokens < 1:
        raise TryError(BAD_REQUEST, "max tokens must be a whole number of at least 1.")
    if not request.temperature >= 0:
        raise TryError(BAD_REQUEST, "temperature must be a number of at least 0.")


def _ms(start: float, end: float | None) -> float | None:
    return None if end is None else round((end - start) * 1000, 3)


def _figures(message: Mapping[str, Any], *, text: str, load_seconds: float, ttft_ms: float | None) -> TryFigures:
    def number(key: str) -> float | None:
        value = message.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def count(key: str) -> int | None:
        value = message.get(key)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    return TryFigures(
        finish_reason=str(message.get("finish_reason") or "length"),
        time_to_first_token_ms=ttft_ms,
        prompt_tokens=count("prompt_tokens"),
        prompt_tps=number("prompt_tps"),
        generation_tokens=count("generation_tokens"),
        generation_tps=number("generation_tps"),
        peak_memory=number("peak_memory"),
        peak_memory_bytes=count("peak_memory_bytes"),
        worker_ttft_ms=number("worker_ttft_ms"),
        load_seconds=load_seconds,
        text=text,
    )
