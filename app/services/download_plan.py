"""What a download would fetch, before anything moves: the files, their sizes, what is cached, the free space.

The listing is huggingface_hub's own (`snapshot_download(dry_run=True)`): the same files, filtered by the
same patterns, that the real download will fetch, with gating checked by a HEAD per file.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core import formatting
from app.core.model_id import cache_folder_name, validate_model_id

# What MLX needs to load and chat with a model, and nothing else (no .bin/.pth/.gguf duplicates of the weights).
MLX_ALLOW_PATTERNS: tuple[str, ...] = (
    "config.json", "generation_config.json", "README.md",
    "preprocessor_config.json", "processor_config.json",
    "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json",
    "added_tokens.json", "vocab.json", "vocab.txt", "merges.txt", "*.tiktoken", "tiktoken.model",
    "chat_template.json", "chat_template.jinja", "*.jinja",
    "*.safetensors", "*.safetensors.index.json",
)

FreeSpace = Callable[[str], int]


def free_space(path: str) -> int:
    """Free bytes on the disk that holds `path` (its nearest existing folder: the cache may not exist yet)."""
    probe = Path(path).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


@dataclass(frozen=True)
class PlannedFile:
    path: str
    size: int | None  # None when the Hub did not say
    cached: bool
    local_path: str


@dataclass(frozen=True)
class DownloadPlan:
    repo_id: str
    commit: str
    files: tuple[PlannedFile, ...]
    free_bytes: int
    cache_dir: str

    @property
    def total_bytes(self) -> int:
        return sum(f.size or 0 for f in self.files)

    @property
    def cached_bytes(self) -> int:
        return sum(f.size or 0 for f in self.files if f.cached)

    @property
    def to_fetch_bytes(self) -> int:
        return self.total_bytes - self.cached_bytes

    @property
    def fits(self) -> bool:
        return self.to_fetch_bytes <= self.free_bytes

    def present_bytes(self) -> int:
        """Bytes of planned files already in the snapshot now (finished files of an earlier attempt)."""
        return sum(f.size or 0 for f in self.files if f.cached or os.path.isfile(f.local_path))

    def no_room_message(self) -> str:
        return (f"{self.repo_id} needs {formatting.size(self.to_fetch_bytes)} but only "
                f"{formatting.size(self.free_bytes)} is free on the disk holding {self.cache_dir}. "
                "Free space with Clean Up or by deleting models, then try again.")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.repo_id, "commit": self.commit, "cache_dir": self.cache_dir,
            "total_bytes": self.total_bytes, "cached_bytes": self.cached_bytes,
            "to_fetch_bytes": self.to_fetch_bytes, "free_bytes": self.free_bytes, "fits": self.fits,
            "files": [{"path": f.path, "size": f.size, "cached": f.cached} for f in self.files],
        }


def make_plan(repo_id: str, *, cache_dir: str, endpoint: str | None = None, token: str | bool | None = None,
              free_space_fn: FreeSpace = free_space, tqdm_class: type[Any] | None = None) -> DownloadPlan:
    """List what `download` would fetch; raises huggingface_hub's errors (gated, not found, network)."""
    repo_id = validate_model_id(repo_id)
    from huggingface_hub import snapshot_download

    repo_dir = Path(cache_dir) / cache_folder_name(repo_id)
    existed = repo_dir.exists()
    try:
        infos = snapshot_download(
            repo_id, cache_dir=cache_dir, endpoint=endpoint, token=token,
            allow_patterns=list(MLX_ALLOW_PATTERNS), dry_run=True, tqdm_class=tqdm_class,
        )
    finally:
        if not existed:
            _remove_dry_run_traces(repo_dir, Path(cache_dir))
    files = tuple(sorted(
        (PlannedFile(i.filename, i.file_size, bool(i.is_cached and not i.will_download), i.local_path)
         for i in infos),
        key=lambda f: f.path,
    ))
    commit = infos[0].commit_hash if infos else ""
    return DownloadPlan(repo_id, commit, files, free_space_fn(cache_dir), cache_dir)


def _remove_dry_run_traces(repo_dir: Path, cache_root: Path) -> None:
    """A dry run writes `refs/main` into a folder that has no snapshot: a "model" with no files would show up
    in My Models (and scan_cache_dir calls it corrupted). Remove it when the dry run created it."""
    try:
        if not repo_dir.is_dir() or (repo_dir / "snapshots").exists():
            return
        if repo_dir.resolve().parent != cache_root.resolve():
            return  # never touch anything outside the cache
        shutil.rmtree(repo_dir)
    except OSError:
        pass
