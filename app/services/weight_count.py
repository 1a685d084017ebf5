"""The parameter count measured from a snapshot's safetensors headers (no tensor data is read).

A safetensors file starts with an 8-byte little-endian length and a JSON header giving each tensor's
dtype and shape, so a count costs one small read per shard. MLX stores quantized weights packed in U32
next to per-group `scales` (and `biases`): a packed weight counts as the weights it holds, rebuilt from
the scales' shape (groups x group size), and the scales and biases themselves are left out, which is
how mlx-lm counts. Other packings (GPTQ, AWQ int32 `qweight`...) are not guessed at: no figure then.
Headers are remembered per shard (inode, size, mtime) for the life of the process.
"""

from __future__ import annotations

import json
import logging
import math
import os
import struct
import threading
from collections.abc import Callable, Mapping

from app.core.model_characteristics import ModelCharacteristics

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 100 * 1024 * 1024  # the format's own limit; real headers are kilobytes to a few MB
INDEX_FILE = "model.safetensors.index.json"
METHOD = "local safetensors headers"
# Group sizes when a config gives none: mlx-lm's default for affine, the formats' own for microscaling.
_DEFAULT_GROUP = {"affine": 64, "mxfp4": 32, "mxfp8": 32, "nvfp4": 16}

Opener = Callable[[str], int]
_Tensors = dict[str, tuple[str, tuple[int, ...]]]
_cache: dict[tuple[int, int, int, int], _Tensors | None] = {}
_cache_lock = threading.Lock()


def count_snapshot(
    snapshot: str, c: ModelCharacteristics | None, *, opener: Opener | None = None,
    inside: Callable[[str], bool] | None = None,
) -> tuple[int, str] | None:
    """(total, method) from the weight files of a snapshot folder; None when they cannot all be read.

    `opener` opens a file read-only without following a link (the scan passes one that also leaves
    access times alone); `inside` says whether a resolved path may be read (links out of the cache are
    not followed).
    """
    files = _Files(snapshot, opener or _open, inside)
    names = files.weight_files()
    if not names:
        return None
    tensors: _Tensors = {}
    for name in names:
        header = files.header(name)
        if header is None:
            return None
        tensors.update(header)
    total = _count(tensors, c)
    return (total, METHOD) if total else None


def _open(path: str) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))


class _Files:
    """The files of one snapshot folder, opened through their links without following links blindly."""

    def __init__(self, snapshot: str, opener: Opener, inside: Callable[[str], bool] | None) -> None:
        self.snapshot = snapshot
        self.opener = opener
        self.inside = inside

    def open(self, name: str) -> int:
        """Open a snapshot file. The cache's own links are one relative hop into blobs/: one readlink
        instead of realpath, which costs a stat per path component; anything else gets realpath."""
        path = self.snapshot + os.sep + name
        try:
            link = os.readlink(path)
        except OSError:
            return self._open_checked(path)  # a real file (a snapshot copied where links are not possible)
        if not os.path.isabs(link):
            target = os.path.normpath(os.path.join(self.snapshot, link))
            try:
                return self._open_checked(target)
            except OSError:
                pass  # a link to a link (a shared blob store): resolve it fully
        return self._open_checked(os.path.realpath(path))

    def _open_checked(self, path: str) -> int:
        if self.inside is not None and not self.inside(path):
            raise PermissionError(f"{path} is outside the cache")
        return self.opener(path)

    def weight_files(self) -> list[str]:
        """The shards the index names, or the lone weight files; [] when there are none."""
        try:
            every = {entry.name for entry in os.scandir(self.snapshot)}
        except OSError:
            return []
        names = {name for name in every if name.endswith(".safetensors")}
        if INDEX_FILE in every:
            try:
                fd = self.open(INDEX_FILE)
                try:
                    size = min(os.fstat(fd).st_size, 64 * 1024 * 1024)
                    weight_map = json.loads(os.pread(fd, size, 0)).get("weight_map")
                finally:
                    os.close(fd)
            except (OSError, ValueError, AttributeError, RecursionError):
                return []
            if not isinstance(weight_map, Mapping) or not weight_map:
                return []
            shards = sorted({str(v) for v in weight_map.values()})
            # A shard missing from the folder is a download in progress: a partial count would mislead.
            return shards if all(s in names and "/" not in s for s in shards) else []
        if len(names) > 1:
            # Mistral-style repos carry both consolidated.safetensors and the transformers shards.
            names = {n for n in names if not n.startswith("consolidated")} or names
        return sorted(names)

    def header(self, name: str) -> _Tensors | None:
        try:
            fd = self.open(name)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            with _cache_lock:
                if key in _cache:
                    return _cache[key]
            tensors = _read_header(fd, st.st_size)
        except OSError:
            return None
        finally:
            os.close(fd)
        with _cache_lock:
            if len(_cache) > 50_000:
                _cache.clear()
            _cache[key] = tensors
        return tensors


def _read_header(fd: int, size: int) -> _Tensors | None:
    head = os.pread(fd, 8, 0)
    if len(head) != 8:
        return None
    (length,) = struct.unpack("<Q", head)
    if length < 2 or length > MAX_HEADER_BYTES or 8 + length > size:
        return None  # not a safetensors file (or a truncated one)
    raw = os.pread(fd, length, 8)
    if len(raw) != length:
        return None
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    tensors: _Tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            return None
        dtype, shape = info.get("dtype"), info.get("shape")
        if not isinstance(dtype, str) or not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            return None
        tensors[name] = (dtype.upper(), tuple(shape))
    return tensors


def _count(tensors: _Tensors, c: ModelCharacteristics | None) -> int:
    mode = (c.quantization_mode if c else None) or "affine"
    group = (c.quantization_group_size if c else None) or _DEFAULT_GROUP.get(mode, 64)
    total = 0
    for name, (dtype, shape) in tensors.items():
        stem, _, leaf = name.rpartition(".")
        if leaf in ("scales", "biases") and tensors.get(stem + ".weight", ("", ()))[0] == "U32":
            continue  # quantization bookkeeping, not parameters
        if dtype in ("U32", "I32"):
            scales = tensors.get(f"{stem}.scales") if leaf == "weight" else None
            if scales is None or not shape or not scales[1]:
                return 0  # a packing we do not know (GPTQ, AWQ...): no figure rather than a wrong one
            # [..., out, packed] with scales [..., out, groups]: the unpacked row holds groups x group.
            total += math.prod(shape[:-1]) * scales[1][-1] * group
            continue
        total += math.prod(shape)
    return total


def clear() -> None:
    with _cache_lock:
        _cache.clear()

