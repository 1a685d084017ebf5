"""Deleting models and cleaning up the cache, with the space each step frees, through huggingface_hub.

huggingface_hub owns the cache format: `scan_cache_dir().delete_revisions(...)` decides which blobs are
freed (a blob still used by another revision is kept and not counted) and `execute()` deletes. Partial
downloads (`*.incomplete`) are unlinked here, each checked to lie inside the cache folder first.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from app.core.model_id import repo_folder_name, validate_model_id

# A partial file younger than this may belong to a download running in another process: left alone.
BUSY_SECONDS = 120.0


class NothingToDelete(Exception):
    """None of the requested models is in the cache."""


@dataclass(frozen=True)
class DeletionPlan:
    repo_ids: tuple[str, ...]  # found in the cache
    missing: tuple[str, ...]  # asked for but not in the cache
    sizes: dict[str, int]  # on disk per repo (what the list shows)
    expected_freed: int  # what huggingface_hub will actually free (shared blobs excluded)
    cache_dir: str
    _strategy: Any = field(repr=False, compare=False, default=None)
    # Folders huggingface_hub cannot read (no snapshots, a broken link...): removed whole, their own files
    # counted (a link into a shared store frees nothing there).
    broken: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"ids": list(self.repo_ids), "missing": list(self.missing), "sizes": self.sizes,
                "expected_freed_bytes": self.expected_freed, "cache_dir": self.cache_dir,
                "broken": list(self.broken)}


def plan_deletion(repo_ids: Iterable[str], cache_dir: str | None = None) -> DeletionPlan:
    """Every cached revision of each model; raises InvalidModelId for an id that is not org/name."""
    wanted = list(dict.fromkeys(validate_model_id(r) for r in repo_ids))
    root = _root(cache_dir)
    info = _scan(root)
    by_id = {repo.repo_id: repo for repo in info.repos if repo.repo_type == "model"} if info else {}
    healthy = tuple(r for r in wanted if r in by_id)
    broken = tuple(r for r in wanted if r not in by_id and _is_repo_folder(root, r))
    missing = tuple(r for r in wanted if r not in by_id and r not in broken)
    if not healthy and not broken:
        raise NothingToDelete(f"not in the cache ({root}): {', '.join(missing)}")
    hashes = [rev.commit_hash for r in healthy for rev in by_id[r].revisions]
    strategy = info.delete_revisions(*hashes) if info and hashes else None
    _check_inside(root, [by_id[r].repo_path for r in healthy])
    sizes = {r: by_id[r].size_on_disk for r in healthy} | {r: _own_bytes(Path(root) / _folder(r)) for r in broken}
    freed = (strategy.expected_freed_size if strategy else 0) + sum(sizes[r] for r in broken)
    found = tuple(r for r in wanted if r in sizes)
    return DeletionPlan(found, missing, sizes, freed, root, strategy, broken)


def execute_deletion(plan: DeletionPlan) -> int:
    """Delete; returns the bytes freed as planned."""
    if plan._strategy is not None:
        plan._strategy.execute()
    for repo_id in plan.broken:
        if _is_repo_folder(plan.cache_dir, repo_id):
            shutil.rmtree(Path(plan.cache_dir) / _folder(repo_id))
    return plan.expected_freed


def _is_repo_folder(root: str, repo_id: str) -> bool:
    folder = Path(root) / _folder(repo_id)
    return folder.is_dir() and not folder.is_symlink() and _is_inside(root, folder / "x")


def _own_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.lstat().st_size
        except OSError:
            continue
    return total


CleanupKind = Literal["detached revision", "partial download"]


@dataclass(frozen=True)
class CleanupItem:
    kind: CleanupKind
    repo_id: str
    path: str
    size: int
    revision: str | None = None  # the commit, for a detached revision


@dataclass(frozen=True)
class CleanupPlan:
    items: tuple[CleanupItem, ...]
    expected_freed: int
    cache_dir: str
    skipped_busy: int = 0  # partial files too recent to be safely called abandoned
    _strategy: Any = field(repr=False, compare=False, default=None)

    def to_json(self) -> dict[str, Any]:
        return {"items": [{"kind": i.kind, "id": i.repo_id, "path": i.path, "size": i.size,
                           "revision": i.revision} for i in self.items],
                "expected_freed_bytes": self.expected_freed, "skipped_busy": self.skipped_busy,
                "cache_dir": self.cache_dir}


def plan_cleanup(cache_dir: str | None = None, *, busy_repos: Sequence[str] = (),
                 now: float | None = None, busy_seconds: float = BUSY_SECONDS) -> CleanupPlan:
    """Detached revisions of models that keep a referenced one, and abandoned partial downloads.

    A model whose only revisions are detached (downloaded by commit hash) is a complete model: kept.
    """
    root = _root(cache_dir)
    info = _scan(root)
    if info is None:
        return CleanupPlan((), 0, root)
    items: list[CleanupItem] = []
    detached: list[str] = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_id in busy_repos or not any(rev.refs for rev in repo.revisions):
            continue
        for rev in sorted(repo.revisions, key=lambda r: r.commit_hash):
            if rev.refs:
                continue
            alone = info.delete_revisions(rev.commit_hash).expected_freed_size
            items.append(CleanupItem("detached revision", repo.repo_id, str(rev.snapshot_path), alone,
                                     rev.commit_hash))
            detached.append(rev.commit_hash)
    strategy = info.delete_revisions(*detached) if detached else None
    partial, busy = _partial_files(root, info, busy_repos, time.time() if now is None else now, busy_seconds)
    items.extend(partial)
    freed = (strategy.expected_freed_size if strategy else 0) + sum(i.size for i in partial)
    return CleanupPlan(tuple(items), freed, root, busy, strategy)


def execute_cleanup(plan: CleanupPlan) -> int:
    if plan._strategy is not None:
        plan._strategy.execute()
    freed = plan._strategy.expected_freed_size if plan._strategy is not None else 0
    for item in plan.items:
        if item.kind != "partial download":
            continue
        path = Path(item.path)
        if not _is_inside(plan.cache_dir, path) or path.is_symlink():
            continue
        try:
            path.unlink()
            freed += item.size
        except FileNotFoundError:
            pass  # finished or removed meanwhile
    return freed


# --- helpers -------------------------------------------------------------------------------------------


def _root(cache_dir: str | None) -> str:
    from app.services.local_cache import default_cache_dir

    return os.path.abspath(cache_dir or default_cache_dir())


def _scan(root: str) -> Any:
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        return scan_cache_dir(root)
    except CacheNotFound:
        return None


def _partial_files(root: str, info: Any, busy_repos: Sequence[str], now: float,
                   busy_seconds: float) -> tuple[list[CleanupItem], int]:
    candidates = {str(f.file_path) for f in info.incomplete_files}
    # huggingface_hub lists per-repo blobs; the cache-wide shared store can hold partial files too.
    candidates.update(str(p) for p in Path(root).glob("*/blobs/*.incomplete"))
    candidates.update(str(p) for p in Path(root).glob("blobs/*.incomplete"))
    busy_folders = {_folder(r) for r in busy_repos}
    items: list[CleanupItem] = []
    busy = 0
    for text in sorted(candidates):
        path = Path(text)
        if not _is_inside(root, path) or path.is_symlink():
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        folder = path.parent.parent.name
        if folder in busy_folders or now - stat.st_mtime < busy_seconds:
            busy += 1
            continue
        items.append(CleanupItem("partial download", _repo_of(folder), text, stat.st_size))
    return items, busy


def _folder(repo_id: str) -> str:
    return repo_folder_name(repo_id)


def _repo_of(folder: str) -> str:
    parts = folder.split("--")
    return "/".join(parts[1:]) if len(parts) > 1 else "(shared blobs)"


def _is_inside(root: str, path: Path) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(path.parent)  # the file itself may be a dangling link: judge its folder
    return real != real_root and os.path.commonpath([real_root, real]) == real_root


def _check_inside(root: str, paths: Iterable[Path]) -> None:
    for path in paths:
        if not _is_inside(root, Path(path) / "x"):
            raise ValueError(f"refusing to touch {path}: it is outside the cache folder {root}")
