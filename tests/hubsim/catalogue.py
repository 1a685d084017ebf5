"""The simulated Hub's repos: what a repo holds, the hashes the wire exposes, and the listing queries."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

# Files the Hub stores in LFS even when small; everything above LFS_MIN_SIZE as well.
LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt", ".pth", ".npz", ".onnx", ".h5", ".msgpack")
LFS_MIN_SIZE = 1_000_000

# Every value `expand` accepts (huggingface_hub 2.4.0, ExpandModelProperty_T).
EXPAND_KEYS = frozenset((
    "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled", "downloads",
    "downloadsAllTime", "evalResults", "gated", "gguf", "inference", "inferenceProviderMapping",
    "lastModified", "library_name", "likes", "mask_token", "model-index", "pipeline_tag", "private",
    "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags", "transformersInfo", "trendingScore",
    "usedStorage", "widgetData",
))

# Sort keys the Hub accepts; the snake_case aliases map to the wire names.
SORT_ALIASES = {
    "downloads": "downloads",
    "likes": "likes",
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "id": "id",
}

# The keys of config.json the Hub copies into API responses (huggingface.js ModelData.config).
_CONFIG_SUBSET_KEYS = ("architectures", "auto_map", "model_type")
_QUANT_SUBSET_KEYS = ("bits", "load_in_4bit", "load_in_8bit", "quant_method")
_TOKENIZER_SUBSET_KEYS = ("bos_token", "eos_token", "pad_token", "unk_token", "chat_template")

DEFAULT_DATE = "2022-03-02T23:29:04.000Z"  # what the Hub shows for repos older than creation dates


def git_sha1(content: bytes) -> str:
    """The git blob id: the Hub's ETag for regular files."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def placeholder_safetensors(parameters: dict[str, int], prefix: str = "weights") -> bytes:
    """A header-only safetensors file whose parameter counts per dtype equal `parameters`.

    The data section is absent (offsets point past the end), so it is not loadable; but
    `get_safetensors_metadata` reads only the header and reports the same counts as the listing.
    """
    width = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "BF16": 2, "F16": 2}
    header: dict[str, Any] = {"__metadata__": {"format": "mlx"}}
    offset = 0
    for i, (dtype, count) in enumerate(sorted(parameters.items())):
        end = offset + max(count, 1) * width.get(dtype, 1)
        header[f"{prefix}.{i}"] = {"dtype": dtype, "shape": [max(count, 1)], "data_offsets": [offset, end]}
        offset = end
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


@dataclass(frozen=True)
class FileInfo:
    """What the wire says about one file of a repo."""

    path: str
    content: bytes
    size: int
    git_sha1: str  # ETag of a regular file; for LFS files the id of the pointer (blobId, tree oid)
    sha256: str | None  # LFS files only: X-Linked-Etag, lfs.sha256
    pointer_size: int | None

    @property
    def is_lfs(self) -> bool:
        return self.sha256 is not None

    @property
    def etag(self) -> str:
        """The name huggingface_hub gives the blob: sha256 for LFS, git sha1 otherwise."""
        return self.sha256 if self.sha256 is not None else self.git_sha1

    def sibling(self, blobs: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"rfilename": self.path}
        if blobs:
            item["size"] = self.size
            item["blobId"] = self.git_sha1
            if self.sha256 is not None:
                item["lfs"] = {"size": self.size, "sha256": self.sha256, "pointerSize": self.pointer_size}
        return item

    def tree_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "file", "oid": self.git_sha1, "size": self.size, "path": self.path}
        if self.sha256 is not None:
            item["lfs"] = {"oid": self.sha256, "size": self.size, "pointerSize": self.pointer_size}
        return item


def file_info(path: str, content: bytes) -> FileInfo:
    if path.endswith(LFS_SUFFIXES) or len(content) > LFS_MIN_SIZE:
        sha = hashlib.sha256(content).hexdigest()
        pointer = lfs_pointer(sha, len(content))
        # git stores the pointer for LFS files, so the blob id is the pointer's.
        return FileInfo(path, content, len(content), git_sha1(pointer), sha, len(pointer))
    return FileInfo(path, content, len(content), git_sha1(content), None, None)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(eq=False)
class SimModel:
    """One repo on the simulated Hub. Hashes and derived fields are computed lazily (50k repos stay cheap)."""

    id: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    gated: str | None = None  # None | "auto" | "manual"
    approved_tokens: frozenset[str] = frozenset()  # may download when gated, may see when private
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = "text-generation"
    library_name: str | None = "mlx"
    downloads: int = 0
    likes: int = 0
    trending_score: int = 0
    created_at: str = DEFAULT_DATE
    last_modified: str = DEFAULT_DATE
    safetensors: dict[str, Any] | None = None
    private: bool = False
    # Extensions beyond the brief's API (all optional).
    sha: str | None = None  # commit of main; default derived from the id and the file contents
    revisions: tuple[str, ...] = ()  # extra branch/tag names ("v1.0", "refs/pr/1") at the same commit
    renamed_from: tuple[str, ...] = ()  # old ids, answered with a relative 307 to this id
    resolve_cache: bool | None = None  # small files via 307 /api/resolve-cache/...; None: the sim's policy
    gguf: dict[str, Any] | None = None
    card_data: dict[str, Any] | None = None
    disabled: bool = False

    def __post_init__(self) -> None:
        if self.id.count("/") != 1 or not all(self.id.split("/")):
            raise ValueError(f"SimModel id must be 'org/name', got {self.id!r}")
        if self.gated not in (None, "auto", "manual"):
            raise ValueError(f"gated must be None, 'auto' or 'manual', got {self.gated!r}")
        self.tags = tuple(self.tags)
        self.approved_tokens = frozenset(self.approved_tokens)
        self.revisions = tuple(self.revisions)
        self.renamed_from = tuple(self.renamed_from)

    @property
    def author(self) -> str:
        return self.id.split("/", 1)[0]

    @cached_property
    def file_infos(self) -> dict[str, FileInfo]:
        return {path: file_info(path, bytes(content)) for path, content in sorted(self.files.items())}

    @cached_property
    def commit(self) -> str:
        """The commit hash of main: stable for the same id and content."""
        if self.sha is not None:
            return self.sha
        h = hashlib.sha1(self.id.encode())
        for info in self.file_infos.values():
            h.update(f"\0{info.path}\0{info.git_sha1}".encode())
        return h.hexdigest()

    @cached_property
    def object_id(self) -> str:
        return hashlib.md5(self.id.encode()).hexdigest()[:24]

    @cached_property
    def id_lower(self) -> str:
        return self.id.lower()

    @cached_property
    def tag_set(self) -> frozenset[str]:
        extra = {self.library_name} if self.library_name else set()
        return frozenset(self.tags) | extra

    @cached_property
    def hashed_half(self) -> bool:
        """A stable coin flip per id, for 'some repos do X' policies."""
        return hashlib.md5(self.id.encode()).digest()[0] % 2 == 0

    @cached_property
    def config_subset(self) -> dict[str, Any] | None:
        """The part of config.json the Hub repeats in API responses, or None without a usable config."""
        config = _json_object(self.files.get("config.json"))
        if config is None:
            return None
        subset = {k: config[k] for k in _CONFIG_SUBSET_KEYS if k in config}
        quant = config.get("quantization_config")
        if isinstance(quant, dict):
            subset["quantization_config"] = {k: quant[k] for k in _QUANT_SUBSET_KEYS if k in quant}
        tokenizer = _json_object(self.files.get("tokenizer_config.json"))
        if tokenizer is not None:
            tok_subset = {k: tokenizer[k] for k in _TOKENIZER_SUBSET_KEYS if k in tokenizer}
            if tok_subset:
                subset["tokenizer_config"] = tok_subset
        return subset

    @cached_property
    def used_storage(self) -> int:
        return sum(info.size for info in self.file_infos.values())

    def revision_exists(self, rev: str) -> bool:
        return rev in ("main", self.commit) or rev in self.revisions

    def may_download(self, token: str | None, username: str | None) -> bool:
        """Gating: file content is served to approved tokens and the owner only."""
        if self.gated is None:
            return True
        return token is not None and (token in self.approved_tokens or username == self.author)

    def visible_to(self, token: str | None, username: str | None) -> bool:
        if not self.private:
            return True
        return username == self.author or (token is not None and token in self.approved_tokens)

    def sort_value(self, key: str) -> Any:
        if key == "downloads":
            return self.downloads
        if key == "likes":
            return self.likes
        if key == "trendingScore":
            return self.trending_score
        if key == "lastModified":
            return self.last_modified
        if key == "createdAt":
            return self.created_at
        return self.id_lower

    def field_value(self, key: str, *, blobs: bool = False) -> Any:
        """The value of one API field; MISSING when the Hub would leave the key out."""
        simple = {
            "author": self.author, "createdAt": self.created_at, "lastModified": self.last_modified,
            "disabled": self.disabled, "downloads": self.downloads, "likes": self.likes,
            "private": self.private, "trendingScore": self.trending_score, "modelId": self.id,
            "downloadsAllTime": self.downloads * 7, "childrenModelCount": 0, "spaces": [],
            "evalResults": [], "inferenceProviderMapping": [],
        }
        if key in simple:
            return simple[key]
        if key == "sha":
            return self.commit
        if key == "gated":
            return self.gated if self.gated is not None else False
        if key == "tags":
            return list(self.tags)
        if key == "siblings":
            return [info.sibling(blobs) for info in self.file_infos.values()]
        if key == "usedStorage":
            return self.used_storage
        if key == "cardData":
            return self.card_data if self.card_data is not None else {"license": "apache-2.0"}
        optional = {
            "config": self.config_subset, "gguf": self.gguf, "safetensors": self.safetensors,
            "library_name": self.library_name or None, "pipeline_tag": self.pipeline_tag or None,
        }
        value = optional.get(key)
        return MISSING if value is None else value


def _json_object(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)  # json accepts NaN/Infinity, which some real configs carry
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


# The shapes of the listing modes: default item, full=true, and model_info ("_id", "id" always come first).
LIST_DEFAULT_KEYS = (
    "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name", "createdAt",
    "modelId",
)
LIST_FULL_KEYS = (*LIST_DEFAULT_KEYS, "author", "sha", "lastModified", "gated", "disabled", "siblings")
INFO_KEYS = (
    "private", "pipeline_tag", "library_name", "tags", "downloads", "likes", "modelId", "author", "sha",
    "lastModified", "gated", "disabled", "config", "cardData", "siblings", "spaces", "createdAt",
    "safetensors", "gguf", "usedStorage",
)


def render(model: SimModel, keys: Iterable[str], *, blobs: bool = False) -> dict[str, Any]:
    """A JSON item: `_id` and `id` first, then the requested keys the model has."""
    item: dict[str, Any] = {"_id": model.object_id, "id": model.id}
    for key in keys:
        value = model.field_value(key, blobs=blobs)
        if value is not MISSING:
            item[key] = value
    return item


@dataclass(frozen=True)
class ListQuery:
    search: str | None = None
    author: str | None = None
    filters: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    sort: str = "trendingScore"
    ascending: bool = False
    gated: bool | None = None
    num_parameters: str | None = None


_QUERY_CACHE_SIZE = 32


class Catalogue:
    """All repos, thread-safe; listing results are cached until the catalogue changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, SimModel] = {}
        self._renames: dict[str, str] = {}
        self._query_cache: dict[ListQuery, list[SimModel]] = {}

    def add_many(self, models: Iterable[SimModel]) -> None:
        with self._lock:
            for model in models:
                self._models[model.id] = model
                for old in model.renamed_from:
                    self._renames[old] = model.id
            self._query_cache.clear()

    def remove(self, model_id: str) -> None:
        with self._lock:
            self._models.pop(model_id, None)
            self._query_cache.clear()

    def get(self, model_id: str) -> SimModel | None:
        return self._models.get(model_id)

    def renamed_to(self, model_id: str) -> str | None:
        return self._renames.get(model_id) if model_id not in self._models else None

    def snapshot(self) -> dict[str, SimModel]:
        with self._lock:
            return dict(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def query(self, q: ListQuery, token: str | None, username: str | None) -> list[SimModel]:
        with self._lock:
            cached = self._query_cache.get(q)
            models = list(self._models.values())
        if cached is None:
            cached = _run_query(q, models)
            with self._lock:
                # Bounded: search-as-you-type benchmarks send thousands of distinct queries.
                while len(self._query_cache) >= _QUERY_CACHE_SIZE:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[q] = cached
        # Private repos depend on the caller, so they are filtered after the shared cache.
        return [m for m in cached if not m.private or m.visible_to(token, username)]


def _run_query(q: ListQuery, models: list[SimModel]) -> list[SimModel]:
    if q.search:
        needle = q.search.lower()
        models = [m for m in models if needle in m.id_lower]
    if q.author:
        models = [m for m in models if m.author == q.author]
    for tag in q.filters:
        models = [m for m in models if tag in m.tag_set]
    if q.pipeline_tag:
        models = [m for m in models if m.pipeline_tag == q.pipeline_tag]
    if q.gated is not None:
        models = [m for m in models if (m.gated is not None) == q.gated]
    if q.num_parameters:
        models = _filter_num_parameters(models, q.num_parameters)
    descending = not q.ascending if q.sort != "id" else q.ascending
    return sorted(models, key=lambda m: m.sort_value(q.sort), reverse=descending)


def _parse_size(text: str) -> float | None:
    text = text.strip().upper()
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(text[-1:], 1.0)
    try:
        return float(text[:-1] if text[-1:] in ("K", "M", "B", "T") else text) * scale
    except ValueError:
        return None


def _filter_num_parameters(models: list[SimModel], spec: str) -> list[SimModel]:
    lo, hi = 0.0, math.inf
    for part in spec.split(","):
        name, _, value = part.partition(":")
        size = _parse_size(value)
        if size is not None and name.strip() == "min":
            lo = size
        elif size is not None and name.strip() == "max":
            hi = size
    out = []
    for m in models:
        total = (m.safetensors or m.gguf or {}).get("total")
        if isinstance(total, int) and lo <= total <= hi:
            out.append(m)
    return out


# --- the corpus of real configs as repos -------------------------------------------------------------

CORPUS_DIR = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "hf-configs"


def corpus_id(file_name: str) -> str:
    """`Qwen__Qwen3-8B.json` -> `Qwen/Qwen3-8B`; a third part is a variant: `A__B__x` -> `A/B-x`."""
    parts = file_name.removesuffix(".json").split("__")
    name = "-".join(parts[1:]) if len(parts) > 1 else parts[0]
    return f"{parts[0]}/{name}"


def _estimate_parameters(config: dict[str, Any]) -> int | None:
    inner = config.get("text_config")
    text = inner if isinstance(inner, dict) else config
    hidden = text.get("hidden_size") or text.get("n_embd") or text.get("d_model") or text.get("dim")
    layers = text.get("num_hidden_layers") or text.get("n_layer") or text.get("n_layers")
    vocab = text.get("vocab_size") or config.get("vocab_size") or 32000
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (hidden, layers, vocab)):
        return None
    assert isinstance(hidden, int) and isinstance(layers, int) and isinstance(vocab, int)
    experts = text.get("num_local_experts") or text.get("num_experts") or text.get("n_routed_experts") or 1
    experts = experts if isinstance(experts, int) and experts > 0 else 1
    return int(4 * layers * hidden * hidden + 8 * layers * hidden * hidden * experts + 2 * vocab * hidden)


def _pipeline_for(config: dict[str, Any]) -> str:
    archs = " ".join(a for a in config.get("architectures") or [] if isinstance(a, str))
    if "Whisper" in archs:
        return "automatic-speech-recognition"
    if "audio_config" in config or "VibeVoice" in archs:
        return "any-to-any"
    if "vision_config" in config or "image_token_id" in config or "image_token_index" in config:
        return "image-text-to-text"
    if "ViT" in archs:
        return "image-feature-extraction"
    if "BertModel" in archs or config.get("model_type") == "bert":
        return "feature-extraction"
    return "text-generation"


def corpus_models(directory: Path = CORPUS_DIR) -> list[SimModel]:
    """The real config.json corpus as repos (bytes served verbatim); empty when the corpus is absent."""
    if not directory.is_dir():
        return []
    models = []
    for index, path in enumerate(sorted(directory.glob("*.json"))):
        raw = path.read_bytes()
        model_id = corpus_id(path.name)
        config = _json_object(raw) or {}
        quant = config.get("quantization") if isinstance(config.get("quantization"), dict) else None
        is_mlx = quant is not None or "mlx" in path.name.lower() or model_id.startswith("mlx-community/")
        pipeline = _pipeline_for(config)
        model_type = config.get("model_type") if isinstance(config.get("model_type"), str) else None
        library = "mlx" if is_mlx else "transformers"
        tags = [library, "safetensors", *([model_type] if model_type else []), pipeline]
        bits = quant.get("bits") if quant is not None else None
        if isinstance(bits, int):
            tags.append(f"{bits}-bit")
        tags += ["license:apache-2.0", "region:us"]
        total = _estimate_parameters(config)
        safetensors: dict[str, Any] | None = None
        if total is not None:
            if isinstance(bits, int) and bits < 16:
                params = {"BF16": max(total // 32, 1), "U32": total * bits // 32}
            else:
                params = {"BF16": total}
            safetensors = {"parameters": params, "total": sum(params.values())}
        files = {"config.json": raw, "README.md": f"---\nlicense: apache-2.0\n---\n# {model_id}\n".encode()}
        if safetensors is not None:
            files["model.safetensors"] = placeholder_safetensors(safetensors["parameters"])
        month, day = 1 + index % 12, 1 + index % 28
        models.append(
            SimModel(
                id=model_id,
                files=files,
                gated="manual" if model_id.startswith("meta-llama/") else None,
                tags=tuple(tags),
                pipeline_tag=pipeline,
                library_name=library,
                downloads=(index * 7919) % 100_000 + 10,
                likes=(index * 104_729) % 5_000,
                trending_score=(index * 31) % 50,
                created_at=f"2024-{month:02d}-{day:02d}T10:00:00.000Z",
                last_modified=f"2025-{month:02d}-{day:02d}T10:00:00.000Z",
                safetensors=safetensors,
            )
        )
    return models
