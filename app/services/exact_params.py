"""Exact parameter counts: build the model from its config with mlx-lm's own classes, without weights.

MLX arrays are lazy, so constructing the module tree allocates nothing: a count takes tens of
milliseconds. Quantized configs are built quantized, as `mlx_lm.load` builds them, and counted the way
`mlx_lm.utils.get_total_parameters` counts (packed weights unpacked), so the figure is the model's, not
the packed storage's. mlx is imported only here, only when a count is asked for, and in the app in a
worker process (a thread in a frozen build), never on the startup path. Counts are remembered by the
config's hash (and the mlx-lm version) in the characteristics memo.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process  # BrokenProcessPool; not loaded when only a thread pool ever ran (frozen)
import hashlib
import json
import logging
import multiprocessing
import sys
import threading
from collections.abc import Mapping
from typing import Any

from app.services import characteristics_memo
from app.services.mlx_support import installed_version

log = logging.getLogger(__name__)


def config_hash(config: Mapping[str, Any]) -> str:
    """A stable hash of a config's content (key order and whitespace do not matter)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def count_exact(config: Mapping[str, Any]) -> int | None:
    """The model's parameter count as mlx-lm builds it; None where mlx-lm cannot build it."""
    try:
        return _count(dict(config))
    except Exception as exc:  # noqa: BLE001 - logged: an unsupported type or a rejected config has no exact figure
        log.debug("no exact count: %s: %s", type(exc).__name__, exc)
        return None


def _count(config: dict[str, Any]) -> int | None:
    if config.get("model_file") is not None:
        return None  # mlx-lm would run the model's own code: not without trust
    from mlx_lm.utils import _get_classes, get_total_parameters

    model_class, args_class = _get_classes(config=config)
    model = model_class(args_class.from_dict(config))
    quantization = _quantization(config)
    if quantization is not None:
        try:
            _quantize(model, quantization)
        except Exception as exc:  # noqa: BLE001 - logged: an unquantized build gives the same count
            log.debug("built unquantized: %s", exc)
    return int(get_total_parameters(model))  # type: ignore[no-untyped-call]


def _quantization(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The quantization mlx-lm applies at load: MLX's own `quantization`, or the legacy mxfp4/mxfp8 forms."""
    found = config.get("quantization")
    if isinstance(found, Mapping) and isinstance(found.get("bits"), int):
        return dict(found)
    legacy = config.get("quantization_config")
    if isinstance(legacy, Mapping):
        method = legacy.get("quant_method")
        if method == "mxfp4":
            return {"group_size": 32, "bits": 4, "mode": "mxfp4"}
        if method == "mxfp8":
            return {"group_size": 32, "bits": 8, "mode": "mxfp8"}
    return None


def _quantize(model: Any, quantization: dict[str, Any]) -> None:
    import mlx.nn as nn

    group_size = int(quantization.get("group_size") or 64)

    def predicate(path: str, module: Any) -> bool | dict[str, Any]:
        if path in quantization:  # per-layer settings (mixed quantization), or False for a layer kept whole
            value = quantization[path]
            return dict(value) if isinstance(value, Mapping) else bool(value)
        weight = getattr(module, "weight", None)
        # Without weights to look at, quantize what mlx-lm's convert would: layers whose rows split into groups.
        return hasattr(module, "to_quantized") and weight is not None and weight.shape[-1] % group_size == 0

    quantize = nn.quantize  # type: ignore[attr-defined]
    quantize(model, group_size=group_size, bits=int(quantization["bits"]),
             mode=str(quantization.get("mode", "affine")), class_predicate=predicate)


class ExactCounter:
    """Counts off the caller's thread, remembered by config hash; one worker, so mlx loads once."""

    def __init__(self, *, use_process: bool = True) -> None:
        self.version = installed_version()
        self._memo = characteristics_memo.shared()
        self._local: dict[str, int | None] = {}
        self._lock = threading.Lock()
        self._use_process = use_process and not getattr(sys, "frozen", False)
        self._executor: concurrent.futures.Executor | None = None

    def _key(self, digest: str) -> str:
        return f"exact:{self.version}:{digest}"

    def cached(self, digest: str) -> tuple[int | None] | None:
        """(count,) when known for this config hash (the count may be None: mlx-lm cannot build it)."""
        if self.version is None:
            return (None,)
        with self._lock:
            if digest in self._local:
                return (self._local[digest],)
        value = self._memo.get_json(self._key(digest)) if self._memo is not None else None
        if isinstance(value, list) and len(value) == 1 and (value[0] is None or isinstance(value[0], int)):
            with self._lock:
                self._local[digest] = value[0]
            return (value[0],)
        return None

    def remember(self, digest: str, count: int | None) -> None:
        with self._lock:
            self._local[digest] = count
        if self._memo is not None:
            self._memo.put_json(self._key(digest), [count])

    def count_now(self, config: Mapping[str, Any]) -> int | None:
        """In this thread (the CLI): from the memo, else built here."""
        digest = config_hash(config)
        known = self.cached(digest)
        if known is not None:
            return known[0]
        count = count_exact(config)
        self.remember(digest, count)
        return count

    async def count(self, config: Mapping[str, Any]) -> int | None:
        digest = config_hash(config)
        known = self.cached(digest)
        if known is not None:
            return known[0]
        loop = asyncio.get_running_loop()
        try:
            count = await loop.run_in_executor(self._worker(), count_exact, dict(config))
        except concurrent.futures.process.BrokenProcessPool:
            log.warning("the exact-count process died; counting in a thread from now on")
            self._use_process = False
            self._executor = None
            count = await loop.run_in_executor(self._worker(), count_exact, dict(config))
        self.remember(digest, count)
        return count

    def _worker(self) -> concurrent.futures.Executor:
        if self._executor is None:
            if self._use_process:
                # spawn: a fork of a Qt process is unsafe, and the child should import only this module.
                context = multiprocessing.get_context("spawn")
                self._executor = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context)
            else:
                self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                                       thread_name_prefix="exact-params")
        return self._executor

    def flush(self) -> None:
        if self._memo is not None:
            self._memo.flush()

    def close(self) -> None:
        self.flush()
        if self._executor is not None:
            # Waits for a count already running (tens of ms; the import, once); callers close off the GUI thread.
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
