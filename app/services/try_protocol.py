"""What the app and its model worker say to each other: one JSON object per line.

The worker (`python -m app --worker`, or the bundle's executable with `--worker`) reads requests on stdin
and writes answers on stdout:

    {"op": "ping"}                                     -> {"ok": true, "pid": N, "mlx_device": "cpu"}
    {"op": "load", "id": K, "path": SNAPSHOT,
     "model": ID}                                      -> {"op": "loaded", "id": K, "ok": true, "load_seconds": s}
    {"op": "generate", "id": K, "prompt": TEXT,
     "max_tokens": N, "temperature": T}                -> {"op": "token", "id": K, "text": "...", "token": t} ...
                                                          {"op": "done", "id": K, "ok": true, FIGURES...}
    {"op": "stop"}                                     -> the running generation ends with finish "stopped"
    {"op": "quit"}  (or stdin closed)                  -> the worker exits

A failure is `{"ok": false, "op": ..., "kind": KIND, "error": "a sentence"}`; kinds are listed below.
`ping` and `stop` are answered even while a generation streams. FIGURES are mlx-lm's own (`prompt_tokens`,
`prompt_tps`, `generation_tokens`, `generation_tps`, `peak_memory` in GB as mlx-lm reports it) plus
`peak_memory_bytes`, `finish_reason` ("stop", "length" or "stopped") and `worker_ttft_ms` (request read to
first token, inside the worker).
"""

from __future__ import annotations

import json
from typing import Any

# Error kinds: what went wrong, so a UI can offer the right next step (download, retry...).
NOT_DOWNLOADED = "not_downloaded"
NO_WEIGHTS = "no_weights"
MISSING_TOKENIZER = "missing_tokenizer"
UNSUPPORTED_ARCHITECTURE = "unsupported_architecture"
REMOTE_CODE = "remote_code"
BAD_CONFIG = "bad_config"
LOAD_FAILED = "load_failed"
GENERATION_FAILED = "generation_failed"
WORKER_DIED = "worker_died"
WORKER_UNAVAILABLE = "worker_unavailable"
BAD_REQUEST = "bad_request"

# Kinds a retry can fix (the model itself is fine).
RETRYABLE = frozenset({WORKER_DIED, WORKER_UNAVAILABLE, GENERATION_FAILED})
# Kinds that downloading the model would fix.
NEEDS_DOWNLOAD = frozenset({NOT_DOWNLOADED, NO_WEIGHTS})

FIGURE_KEYS = ("prompt_tokens", "prompt_tps", "generation_tokens", "generation_tps", "peak_memory",
               "peak_memory_bytes", "finish_reason", "worker_ttft_ms")

DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_TOKENS = 512
MAX_LINE_BYTES = 1 << 20


class TryError(Exception):
    """Trying a model failed; `str(error)` is one sentence for a person, `kind` one of the kinds above."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    @property
    def needs_download(self) -> bool:
        return self.kind in NEEDS_DOWNLOAD


def encode(message: dict[str, Any]) -> bytes:
    """One line; non-ASCII stays readable text, and a newline inside a token cannot split the line."""
    return (json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8", "replace")


def decode(line: bytes | str) -> dict[str, Any]:
    """A line as a JSON object; raises ValueError with a short reason otherwise."""
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
