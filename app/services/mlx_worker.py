"""The model worker: the app's own executable started with `--worker`, running mlx-lm in a process of its own.

A crash or an out-of-memory in MLX then ends this process, never the app. It speaks JSON lines on
stdin/stdout (see `try_protocol`). Only the main thread touches MLX; a reader thread answers `ping` and
`stop` at once (so Stop works mid-stream) and queues everything else. Nothing here imports Qt, and mlx-lm
is imported only when a model is loaded, so a `ping` answers in milliseconds.

stdout is the protocol channel alone: at start the worker keeps a private copy of it and points file
descriptor 1 at stderr, so whatever a library prints cannot corrupt a message.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from app.services.try_protocol import (
    BAD_REQUEST,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    GENERATION_FAILED,
    LOAD_FAILED,
    MAX_LINE_BYTES,
    MISSING_TOKENIZER,
    NO_WEIGHTS,
    UNSUPPORTED_ARCHITECTURE,
    decode,
    encode,
)

RECEIVED = "_received"  # set on each queued request: when the reader thread read it (perf_counter)


def mlx_device() -> str:
    """"gpu" or "cpu" as MLX sees it, or "unavailable" when MLX cannot be imported here."""
    try:
        import mlx.core as mx
    except Exception:  # noqa: BLE001 - said in the ping answer as "unavailable"
        return "unavailable"
    return str(mx.default_device().type.name)


class Worker:
    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._write_lock = threading.Lock()
        self._requests: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stopped: set[object] = set()
        self._current: object = None
        self._model: Any = None
        self._tokenizer: Any = None
        self._path: str | None = None

    # --- channel -------------------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        with self._write_lock:
            self._out.write(data)
            self._out.flush()

    def read_requests(self, stdin: IO[bytes]) -> None:
        """The reader thread: ping and stop now, the rest in order for the main thread."""
        try:
            for raw in iter(lambda: stdin.readline(MAX_LINE_BYTES + 1), b""):
                if not raw.strip():
                    continue
                if len(raw) > MAX_LINE_BYTES:
                    self.send({"ok": False, "kind": BAD_REQUEST, "error": "request line too long"})
                    continue
                try:
                    message = decode(raw)
                except ValueError as exc:
                    self.send({"ok": False, "kind": BAD_REQUEST, "error": f"bad request: {exc}"})
                    continue
                op = message.get("op")
                if op == "ping":
                    self.send({"ok": True, "pid": os.getpid(), "mlx_device": mlx_device()})
                elif op == "stop":
                    self._stopped.add(message.get("id", self._current))
                else:
                    message[RECEIVED] = time.perf_counter()
                    self._requests.put(message)
        except (OSError, ValueError):
            pass
        finally:
            # The app went away (or said nothing more): stop what runs and leave.
            self._stopped.add(self._current)
            self._requests.put(None)

    # --- main thread ---------------------------------------------------------------------------------

    def run(self) -> int:
        while True:
            message = self._requests.get()
            if message is None or message.get("op") == "quit":
                return 0
            op = message.get("op")
            if op == "load":
                self.load(message)
            elif op == "generate":
                self.generate(message)
            else:
                self.send({"ok": False, "op": op, "kind": BAD_REQUEST, "error": f"unknown op {op!r}"})

    def load(self, message: dict[str, Any]) -> None:
        path = message.get("path")
        name = str(message.get("model") or path)
        answer = {"op": "loaded", "id": message.get("id")}
        if not isinstance(path, str) or not path:
            self.send({"ok": False, **answer, "kind": BAD_REQUEST, "error": "load needs a path"})
            return
        if path == self._path:
            self.send({"ok": True, **answer, "load_seconds": 0.0, "reused": True})
            return
        self._model = self._tokenizer = self._path = None
        started = time.perf_counter()
        try:
            model, tokenizer = _load(Path(path), name)
        except _LoadError as exc:
            self.send({"ok": False, **answer, "kind": exc.kind, "error": str(exc)})
            return
        self._model, self._tokenizer, self._path = model, tokenizer, path
        self.send({"ok": True, **answer, "load_seconds": round(time.perf_counter() - started, 3)})

    def generate(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        self._current = request_id
        try:
            figures = self._stream(message, request_id)
        except _RequestError as exc:
            self.send({"ok": False, "op": "done", "id": request_id, "kind": BAD_REQUEST, "error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - MLX errors mid-generation: said in words, the worker lives on
            self.send({"ok": False, "op": "done", "id": request_id, "kind": GENERATION_FAILED,
                       "error": f"generation failed: {type(exc).__name__}: {exc}"})
        else:
            self.send({"ok": True, "op": "done", "id": request_id, **figures})
        finally:
            self._stopped.discard(request_id)
            self._current = None

    def _stream(self, message: dict[str, Any], request_id: object) -> dict[str, Any]:
        if self._model is None:
            raise _RequestError("no model is loaded")
        prompt = message.get("prompt")
        max_tokens = message.get("max_tokens", DEFAULT_MAX_TOKENS)
        temperature = message.get("temperature", DEFAULT_TEMPERATURE)
        if not isinstance(prompt, str):
            raise _RequestError("the prompt must be text")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise _RequestError("max_tokens must be a whole number of at least 1")
        if not isinstance(temperature, int | float) or isinstance(temperature, bool) or temperature < 0:
            raise _RequestError("temperature must be a number of at least 0")

        import mlx.core as mx
        from mlx_lm import stream_generate
        from mlx_lm.sample_utils import make_sampler

        received = float(message.get(RECEIVED, time.perf_counter()))
        tokens = _prompt_tokens(self._tokenizer, prompt)
        mx.reset_peak_memory()
        sampler = make_sampler(temp=float(temperature))
        stream = stream_generate(self._model, self._tokenizer, tokens, max_tokens=max_tokens, sampler=sampler)
        last: Any = None
        first_at: float | None = None
        stopped = False
        try:
            for response in stream:
                if first_at is None:
                    first_at = time.perf_counter()
                last = response
                if response.finish_reason is None or response.text:
                    self.send({"op": "token", "id": request_id, "text": response.text, "token": int(response.token)})
                if request_id in self._stopped:
                    stopped = True
                    break
        finally:
            stream.close()
        peak = int(mx.get_peak_memory())
        if last is None:  # max_tokens reached before anything (cannot happen with max_tokens >= 1)
            return {"finish_reason": "stopped" if stopped else "length", "prompt_tokens": len(tokens),
                    "generation_tokens": 0, "peak_memory": peak / 1e9, "peak_memory_bytes": peak}
        return {
            "finish_reason": "stopped" if stopped else (last.finish_reason or "length"),
            "prompt_tokens": int(last.prompt_tokens),
            "prompt_tps": round(float(last.prompt_tps), 3),
            "generation_tokens": int(last.generation_tokens),
            "generation_tps": round(float(last.generation_tps), 3),
            "peak_memory": float(last.peak_memory),
            "peak_memory_bytes": peak,
            "worker_ttft_ms": round(((first_at or received) - received) * 1000, 3),
        }


class _RequestError(Exception):
    pass


class _LoadError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _load(path: Path, name: str) -> tuple[Any, Any]:
    """mlx-lm's own loading, in two steps so that a tokenizer problem is told apart from a weights one."""
    import mlx_lm
    from mlx_lm.utils import load_model, load_tokenizer

    version = getattr(mlx_lm, "__version__", "?")
    tokenizer_loader: Any = load_tokenizer  # untyped in mlx-lm
    try:
        model, config = load_model(path)
    except FileNotFoundError as exc:
        raise _LoadError(NO_WEIGHTS, f"{name} has no weights on disk ({exc}).") from None
    except ValueError as exc:
        text = str(exc)
        if "not supported" in text and "Model type" in text:
            model_type = text.split("Model type", 1)[1].split("not supported", 1)[0].strip()
            raise _LoadError(UNSUPPORTED_ARCHITECTURE, f"mlx-lm {version} has no '{model_type}' architecture, "
                             f"so {name} cannot run with it.") from None
        raise _LoadError(LOAD_FAILED, f"{name} could not be loaded: {text}") from None
    except Exception as exc:  # noqa: BLE001 - re-raised as a load error in words
        raise _LoadError(LOAD_FAILED, f"{name} could not be loaded: {type(exc).__name__}: {exc}") from None
    try:
        tokenizer = tokenizer_loader(path, eos_token_ids=config.get("eos_token_id"))
    except Exception as exc:  # noqa: BLE001 - re-raised as a missing-tokenizer error in words
        raise _LoadError(MISSING_TOKENIZER, f"{name}'s tokenizer could not be loaded "
                         f"({type(exc).__name__}: {exc}).") from None
    return model, tokenizer


def _prompt_tokens(tokenizer: Any, prompt: str) -> list[int]:
    """The prompt as the model expects it: through its chat template when it has one."""
    if getattr(tokenizer, "has_chat_template", False):
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                             add_generation_prompt=True)
        return list(tokenizer.encode(text, add_special_tokens=False))
    return list(tokenizer.encode(prompt))


def _protocol_channel() -> IO[bytes]:
    """A private copy of stdout for messages; fd 1 then points at stderr, so stray prints cannot corrupt
    the channel."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return channel


def serve() -> int:
    """`--worker`: serve requests until stdin closes or `quit` arrives."""
    # Ctrl-C in a terminal reaches the whole process group; the app decides when the worker ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    channel = _protocol_channel()
    worker = Worker(channel)
    threading.Thread(target=worker.read_requests, args=(sys.stdin.buffer,), name="worker-requests",
                     daemon=True).start()
    try:
        code = worker.run()
    except BrokenPipeError:  # the app is gone
        code = 0
    # Leave at once: the reader thread may sit in a read of stdin, and a normal interpreter shutdown would
    # abort on that thread's lock (SIGABRT). Nothing here needs finalizing; messages are written unbuffered.
    sys.stderr.flush()
    os._exit(code)
