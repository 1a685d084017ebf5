"""Before a model is tried: find its snapshot in the local cache and check the files mlx-lm will need.

Cheap file checks only (no mlx import), so the common mistakes are said in words at once, without
starting a worker: not downloaded, no weights, some weight shards missing, no tokenizer, custom code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.core.model_id import InvalidModelId, cache_folder_name
from app.services.cache_layout import newest_snapshot
from app.services.local_cache import default_cache_dir
from app.services.try_protocol import (
    BAD_CONFIG,
    MISSING_TOKENIZER,
    NO_WEIGHTS,
    NOT_DOWNLOADED,
    REMOTE_CODE,
    TryError,
)

# Any one of these lets transformers build a tokenizer.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tiktoken.model", "vocab.txt",
                   "spiece.model")
MAX_CONFIG_BYTES = 4 << 20


def locate_snapshot(model_id: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The snapshot folder `refs/main` points to (else the newest one); TryError when there is none."""
    try:
        folder = cache_folder_name(model_id)
    except InvalidModelId as exc:
        raise TryError(NOT_DOWNLOADED, f"{exc}") from None
    repo = Path(cache_dir if cache_dir is not None else default_cache_dir()) / folder
    download_hint = "download it first"
    if not repo.is_dir():
        raise TryError(NOT_DOWNLOADED, f"{model_id} is not in the local Hugging Face cache: {download_hint}.")
    snapshots = repo / "snapshots"
    try:
        main = (repo / "refs" / "main").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        main = ""
    if main and "/" not in main and (snapshots / main).is_dir():
        return snapshots / main
    _, newest = newest_snapshot(str(snapshots), [])
    if newest is None:
        raise TryError(NOT_DOWNLOADED, f"{model_id} has no downloaded snapshot: {download_hint}.")
    return Path(newest)


def check_snapshot(model_id: str, snapshot: Path) -> None:
    """Raises TryError naming the first thing that stops mlx-lm from loading this snapshot."""
    download_hint = "download it first"
    config = _read_config(model_id, snapshot)
    weights = sorted(p.name for p in snapshot.glob("model*.safetensors") if p.exists())
    if not weights:
        other = [p.name for p in snapshot.glob("*") if p.suffix in (".bin", ".gguf", ".pth", ".pt")]
        why = f" (only {', '.join(sorted(other)[:3])}, which mlx-lm does not read)" if other else ""
        raise TryError(NO_WEIGHTS, f"{model_id} has no weights on disk{why}: {download_hint}.")
    missing = _missing_shards(snapshot)
    if missing:
        raise TryError(NO_WEIGHTS, f"{model_id} is missing {len(missing)} weight file"
                       f"{'s' if len(missing) != 1 else ''} ({missing[0]}…): {download_hint}.")
    if not any((snapshot / name).exists() for name in TOKENIZER_FILES) and not any(snapshot.glob("*.tiktoken")):
        raise TryError(MISSING_TOKENIZER, f"{model_id} has no tokenizer (no tokenizer.json, tokenizer.model or "
                       "vocabulary file), so text cannot be turned into tokens for it.")
    if config.get("model_file") is not None:
        raise TryError(REMOTE_CODE, f"{model_id} needs its own Python code ({config['model_file']}) to run; "
                       "MLX Manager does not run code that comes with a model.")


def _read_config(model_id: str, snapshot: Path) -> dict[str, object]:
    path = snapshot / "config.json"
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise TryError(NO_WEIGHTS, f"{model_id} has no config.json on disk: download it first.") from None
    except OSError as exc:
        raise TryError(BAD_CONFIG, f"{model_id}: config.json cannot be read ({exc.strerror}).") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise TryError(BAD_CONFIG, f"{model_id}: config.json is larger than {MAX_CONFIG_BYTES >> 20} MB.")
    try:
        config = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise TryError(BAD_CONFIG, f"{model_id}: config.json is not valid JSON.") from None
    if not isinstance(config, dict):
        raise TryError(BAD_CONFIG, f"{model_id}: config.json is not a JSON object.")
    if not isinstance(config.get("model_type"), str):
        raise TryError(BAD_CONFIG, f"{model_id}: config.json names no model_type, so no architecture can "
                       "be chosen for it.")
    return config


def _missing_shards(snapshot: Path) -> list[str]:
    """Shards the safetensors index lists that are not on disk (a download that stopped half way)."""
    index = snapshot / "model.safetensors.index.json"
    try:
        weight_map = json.loads(index.read_bytes()).get("weight_map")
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(weight_map, dict):
        return []
    names = sorted({name for name in weight_map.values() if isinstance(name, str) and "/" not in name})
    return [name for name in names if not (snapshot / name).exists()]
