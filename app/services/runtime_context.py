"""The inputs of "will it run here, will it fit", gathered once: registry, budget, exact counter, weight files.

Everything here may block (files, mlx): the CLI calls it directly, the window from a worker.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.core.characteristics import ModelCharacteristics
from app.core.config_parse import MAX_CONFIG_BYTES, ConfigError, parse_config_object
from app.core.memory import Budget
from app.core.mlx_support import Registry, code_facts, support_status
from app.core.runtime import ConfigExtras, RuntimeFacts, config_extras, runtime_facts
from app.services.exact_params import ExactCounter
from app.services.mlx_support import read_registry
from app.services.system import memory_budget

WEIGHT_SUFFIXES = (".safetensors",)  # what mlx-lm loads


def snapshot_weight_bytes(folder: str | os.PathLike[str] | None) -> int | None:
    """Bytes of the weight files in a snapshot (symlinks followed into blobs/); None when there are none."""
    if not folder:
        return None
    total = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(WEIGHT_SUFFIXES):
                    try:
                        total += entry.stat(follow_symlinks=True).st_size
                    except OSError:
                        continue  # a broken link: that file is not there to load
    except OSError:
        return None
    return total or None


class RuntimeContext:
    """Registry, budget and counter, each read on first use and kept."""

    def __init__(self, *, use_process: bool = False) -> None:
        self._lock = threading.Lock()
        self._registry: tuple[Registry | None] | None = None
        self._budget: Budget | None = None
        self._counter: ExactCounter | None = None
        self._use_process = use_process

    @property
    def registry(self) -> Registry | None:
        with self._lock:
            if self._registry is None:
                self._registry = (read_registry(),)
            return self._registry[0]

    @property
    def budget(self) -> Budget:
        with self._lock:
            if self._budget is None:
                self._budget = memory_budget()
            return self._budget

    @property
    def counter(self) -> ExactCounter:
        with self._lock:
            if self._counter is None:
                self._counter = ExactCounter(use_process=self._use_process)
            return self._counter

    def extras(self, config: Mapping[str, Any] | None, c: ModelCharacteristics | None) -> ConfigExtras:
        """What the raw config adds, with the exact count when mlx-lm would build the model."""
        if config is None:
            return ConfigExtras()
        exact = None
        if support_status(self.registry, c, code_facts(config)).runs:
            exact = self.counter.count_now(config)
        return config_extras(config, exact)

    def facts(self, c: ModelCharacteristics | None, config: Mapping[str, Any] | None, *,
              weight_files: int | None = None, listing_weights: int | None = None) -> RuntimeFacts:
        return runtime_facts(c, self.registry, self.budget, extras=self.extras(config, c),
                             weight_files=weight_files, listing_weights=listing_weights)

    def close(self) -> None:
        if self._counter is not None:
            self._counter.close()


def _read_untouched(path: Path, limit: int) -> bytes:
    """Read without updating the access time where the OS allows it: "last used" on a card is the blobs'
    access time, and looking at a config must not make a model look used today."""
    real = os.path.realpath(path)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        fd = os.open(real, os.O_RDONLY | noatime)
    except PermissionError:  # O_NOATIME needs the file's owner (or root)
        fd = os.open(real, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit)


def read_config(path: Path) -> dict[str, Any] | None:
    """A config.json as parsed JSON, capped in size; None when missing, too large or not an object."""
    try:
        data = _read_untouched(path, MAX_CONFIG_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CONFIG_BYTES:
        return None
    try:
        return parse_config_object(data)
    except ConfigError:
        return None
