"""Notices when another tool downloads or deletes a model in the HF cache, so My Models follows it.

Change is decided by `cache_signature` (computed on a worker thread): repos added, removed, re-pointed,
finished, and a config.json edited in place (its mtime and size). A QFileSystemWatcher on the cache folder,
on a bounded number of repos' `refs`/`snapshots` folders and, with what the cap leaves, on their config.json
files only makes the check happen sooner. The periodic check is the fallback for everything not watched
(network drives, more repos than the cap).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from app.core.model_id import MODEL_FOLDER_PREFIX
from app.services.local_cache import cache_signature, default_cache_dir

# kqueue on macOS holds a file descriptor per watched path (the default limit is 256 per process).
MAX_WATCHED = 120
POLL_MS = 4000
SETTLE_MS = 300  # a download touches several folders in a burst: check once after it

Spawn = Callable[..., "asyncio.Task[Any]"]


def _scan_for_watch(root: str) -> tuple[tuple[object, ...], list[str], list[str]]:
    """(signature, folders to watch, config files to watch), the folders first within MAX_WATCHED."""
    signature = cache_signature(root)
    paths: list[str] = []
    configs: list[str] = []
    if os.path.isdir(root):
        paths.append(root)
        try:
            names = sorted(n for n in os.listdir(root) if n.startswith(MODEL_FOLDER_PREFIX))
        except OSError:
            names = []
        for name in names:
            for sub in ("refs", "snapshots"):
                if len(paths) >= MAX_WATCHED:
                    break
                path = os.path.join(root, name, sub)
                if os.path.isdir(path):
                    paths.append(path)
        for name in names:
            if len(paths) + len(configs) >= MAX_WATCHED:
                break
            snapshots = os.path.join(root, name, "snapshots")
            try:
                revisions = sorted(os.listdir(snapshots))
            except OSError:
                continue
            for rev in revisions:
                # Watching the link follows it to the blob: an edit written through it is seen at once.
                config = os.path.join(snapshots, rev, "config.json")
                if os.path.isfile(config) and len(paths) + len(configs) < MAX_WATCHED:
                    configs.append(config)
    return signature, paths, configs


class CacheWatcher(QObject):
    changed = Signal()

    def __init__(
        self,
        spawn: Callable[[Coroutine[Any, Any, None]], object],
        cache_dir: str | None = None,
        *,
        poll_ms: int = POLL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._spawn = spawn
        self._cache_dir = cache_dir
        self._signature: tuple[object, ...] | None = None
        self._checking = False
        self._again = False
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._soon)
        self._watcher.fileChanged.connect(self._soon)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.check)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.check)

    @property
    def root(self) -> str:
        return os.path.abspath(self._cache_dir or default_cache_dir())

    def start(self) -> None:
        self._poll.start()
        self.check()

    def stop(self) -> None:
        self._poll.stop()
        self._settle.stop()
        paths = self._watcher.directories() + self._watcher.files()
        if paths:
            self._watcher.removePaths(paths)

    def _soon(self, _path: str = "") -> None:
        self._settle.start()

    def check(self) -> None:
        if self._checking:
            self._again = True  # one more check once the running one ends, never two at a time
            return
        self._checking = True
        self._spawn(self._check())

    async def _check(self) -> None:
        try:
            signature, paths, files = await asyncio.to_thread(_scan_for_watch, self.root)
        finally:
            self._checking = False
        self._rewatch(paths, files)
        first = self._signature is None
        if signature != self._signature:
            self._signature = signature
            if not first:
                self.changed.emit()
        if self._again:
            self._again = False
            self.check()

    def _rewatch(self, paths: list[str], files: list[str]) -> None:
        # A file replaced by another (an editor saving) drops out of the watch: comparing re-adds it.
        current = set(self._watcher.directories()) | set(self._watcher.files())
        wanted = set(paths) | set(files)
        gone = sorted(current - wanted)
        new = sorted(wanted - current)
        if gone:
            self._watcher.removePaths(gone)
        if new:
            self._watcher.addPaths(new)
