"""Build real Hugging Face cache layouts on disk, for tests and benchmarks.

The layout is the one huggingface_hub writes (see shared/reference/hub-wire-facts.md §5.2):

    <cache>/models--org--name/blobs/<etag>
    <cache>/models--org--name/refs/main                  # the commit, no trailing newline
    <cache>/models--org--name/snapshots/<commit>/<path>  # relative symlink ../../blobs/<etag>

Usage:

    cache = CacheBuilder(tmp_path / "hub")
    repo = cache.add_model("mlx-community/Qwen3-8B-4bit", {"config.json": qwen_config(bits=4)})
    repo.commit, repo.snapshot_dir, repo.blob_for("config.json")
    cache.add_revision(repo.id, {"config.json": b"{}"}, ref="refs/pr/1")
    cache.add_incomplete(repo.id, 2)                   # a download still in progress
    cache.write_ref(repo.id, "main", commit, newline=True)  # a hand-written ref
    cache.add_model("org/copied", files, symlinks=False)    # Windows-style: real files in snapshots/
    cache.add_top_level_noise()                          # .locks, CACHEDIR.TAG, a shared blobs/ store
    repo.blob_bytes                                      # the size scan_cache_dir reports for the repo

Ready-made content: `populate_sample(cache)` (six realistic models: MLX and not, multimodal, MoE, a PR
ref, a partial download), `model_files(i)` (eight files of a typical repo), `sample_config(i)`,
`llama_config`, `qwen_config`, `vlm_config`, `moe_config`, `readme(library_name=..., tags=...)`.
Broken layouts are made by editing the paths a `Repo` exposes (delete a blob, replace a folder...).

Values in `files` may be bytes, str (UTF-8) or any JSON-able object (written with json.dumps).
Everything is deterministic: commits and etags are hashes of the content.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

FileContent = bytes | str | Mapping[str, object] | list[object]

REPO_TYPES = ("model", "dataset", "space", "kernel")


def to_bytes(content: FileContent) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode("utf-8")
    return json.dumps(content, indent=2).encode("utf-8")


def git_sha1(data: bytes) -> str:
    """The etag the Hub gives a small (non-LFS) file: the git blob hash."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(path: str) -> bool:
    return path.endswith((".safetensors", ".bin", ".gguf", ".npz"))


def etag_for(path: str, data: bytes) -> str:
    """LFS files (weights) are named by sha256, small files by git-sha1, as on the Hub."""
    return hashlib.sha256(data).hexdigest() if is_lfs(path) else git_sha1(data)


def folder_name(repo_id: str, repo_type: str = "model") -> str:
    return "--".join([f"{repo_type}s", *repo_id.split("/")])


@dataclass
class Repo:
    """One repo folder as built; `commit` is the revision `refs/main` points to (if written)."""

    id: str
    path: Path
    commit: str
    repo_type: str = "model"
    files: dict[str, bytes] = field(default_factory=dict)
    # What scan_cache_dir counts: each unique blob once (a real file in a snapshot is its own blob).
    stored: dict[str, int] = field(default_factory=dict)

    @property
    def blobs_dir(self) -> Path:
        return self.path / "blobs"

    @property
    def refs_dir(self) -> Path:
        return self.path / "refs"

    @property
    def snapshots_dir(self) -> Path:
        return self.path / "snapshots"

    @property
    def snapshot_dir(self) -> Path:
        return self.snapshots_dir / self.commit

    def snapshot_file(self, name: str, commit: str | None = None) -> Path:
        return self.snapshots_dir / (commit or self.commit) / name

    def blob_for(self, name: str) -> Path:
        return self.blobs_dir / etag_for(name, self.files[name])

    @property
    def blob_bytes(self) -> int:
        """Size on disk as huggingface_hub.scan_cache_dir counts it, over every revision written."""
        return sum(self.stored.values())


class CacheBuilder:
    """Writes repos into a cache folder (created if missing)."""

    def __init__(self, root: Path | str, *, symlinks: bool = True, shared_store: bool = False) -> None:
        """`shared_store=True`: weight blobs live in the cache-wide store huggingface_hub 2.x keeps for
        Xet downloads (`<cache>/blobs/<h[:2]>/<h>`), each repo's `blobs/<etag>` a relative link to it."""
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.symlinks = symlinks
        self.shared_store = shared_store
        self.repos: dict[tuple[str, str], Repo] = {}

    # --- building -----------------------------------------------------------------------------------

    def add_model(
        self,
        repo_id: str,
        files: Mapping[str, FileContent] | None = None,
        *,
        commit: str | None = None,
        ref: str | None = "main",
        symlinks: bool | None = None,
        mtime: float | None = None,
        repo_type: str = "model",
    ) -> Repo:
        """A repo with one snapshot; `ref=None` writes no ref at all; `symlinks=False` copies files
        into the snapshot like huggingface_hub does where symlinks are unsupported (Windows)."""
        if files is None:
            files = {"config.json": {"model_type": "llama"}}
        data = {name: to_bytes(content) for name, content in files.items()}
        commit = commit or _commit_for(repo_id, data)
        path = self.root / folder_name(repo_id, repo_type)
        repo = Repo(id=repo_id, path=path, commit=commit, repo_type=repo_type, files=data)
        self.repos[(repo_type, repo_id)] = repo
        for sub in ("blobs", "refs", "snapshots"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        self._write_snapshot(repo, commit, data, self.symlinks if symlinks is None else symlinks, mtime)
        if ref is not None:
            self.write_ref(repo_id, ref, commit, repo_type=repo_type)
        return repo

    def add_revision(
        self,
        repo_id: str,
        files: Mapping[str, FileContent],
        *,
        commit: str | None = None,
        ref: str | None = None,
        mtime: float | None = None,
        repo_type: str = "model",
    ) -> str:
        """Another snapshot in an existing repo (blobs shared by content); returns its commit."""
        repo = self.repos[(repo_type, repo_id)]
        data = {name: to_bytes(content) for name, content in files.items()}
        commit = commit or _commit_for(repo_id + "@" + str(len(os.listdir(repo.snapshots_dir))), data)
        self._write_snapshot(repo, commit, data, self.symlinks, mtime)
        if ref is not None:
            self.write_ref(repo_id, ref, commit, repo_type=repo_type)
        return commit

    def write_ref(
        self, repo_id: str, name: str, commit: str, *, newline: bool = False, repo_type: str = "model"
    ) -> Path:
        """`name` is "main" or a path such as "refs/pr/1" (stored at refs/refs/pr/1, as huggingface_hub does
        it)."""
        path = self.root / folder_name(repo_id, repo_type) / "refs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(commit + ("\n" if newline else ""), encoding="ascii")
        return path

    def add_incomplete(
        self, repo_id: str, count: int = 1, *, size: int = 1000, repo_type: str = "model"
    ) -> None:
        """Partial downloads: `blobs/<sha256>.incomplete`."""
        blobs = self.root / folder_name(repo_id, repo_type) / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            name = hashlib.sha256(f"{repo_id}/incomplete/{i}".encode()).hexdigest()
            (blobs / f"{name}.incomplete").write_bytes(b"\0" * size)

    def add_no_exist(self, repo_id: str, commit: str, name: str) -> None:
        path = self.root / folder_name(repo_id) / ".no_exist" / commit / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")

    def add_top_level_noise(self) -> None:
        """What a real cache holds besides repos: .locks, CACHEDIR.TAG, a marked shared blob store."""
        (self.root / ".locks" / "models--x--y").mkdir(parents=True, exist_ok=True)
        (self.root / ".locks" / "models--x--y" / "abc.lock").write_bytes(b"")
        (self.root / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
        store = self.root / "blobs"
        store.mkdir(exist_ok=True)
        (store / ".huggingface-shared-blobs").write_text("1\n")

    # --- internals ----------------------------------------------------------------------------------

    def _link_to_store(self, blob: Path, content: bytes, mtime: float | None) -> None:
        store = self.root / "blobs"
        store.mkdir(exist_ok=True)
        (store / ".huggingface-shared-blobs").write_text("1\n")
        xet_hash = hashlib.sha256(b"xet" + content).hexdigest()
        stored = store / xet_hash[:2] / xet_hash
        stored.parent.mkdir(exist_ok=True)
        if not stored.exists():
            stored.write_bytes(content)
            if mtime is not None:
                os.utime(stored, (mtime, mtime))
        os.symlink(os.path.relpath(stored, blob.parent), blob)

    def _write_snapshot(
        self, repo: Repo, commit: str, data: Mapping[str, bytes], symlinks: bool, mtime: float | None
    ) -> None:
        snap = repo.snapshots_dir / commit
        snap.mkdir(parents=True, exist_ok=True)
        for name, content in data.items():
            repo.files.setdefault(name, content)
            target = snap / name
            target.parent.mkdir(parents=True, exist_ok=True)
            etag = etag_for(name, content)
            repo.stored[etag if symlinks else str(target)] = len(content)
            if symlinks:
                blob = repo.blobs_dir / etag
                if not blob.exists() and not blob.is_symlink():
                    if self.shared_store and is_lfs(name):
                        self._link_to_store(blob, content, mtime)
                    else:
                        blob.write_bytes(content)
                        if mtime is not None:
                            os.utime(blob, (mtime, mtime))
                depth = name.count("/")
                link = "../" * (2 + depth) + "blobs/" + etag
                if target.is_symlink() or target.exists():
                    target.unlink()
                os.symlink(link, target)
            else:
                target.write_bytes(content)
                if mtime is not None:
                    os.utime(target, (mtime, mtime))


def _commit_for(repo_id: str, data: Mapping[str, bytes]) -> str:
    h = hashlib.sha1(repo_id.encode("utf-8"))
    for name in sorted(data):
        h.update(name.encode("utf-8") + b"\0" + hashlib.sha1(data[name]).digest())
    return h.hexdigest()


# --- realistic configs ------------------------------------------------------------------------------


def llama_config(*, bits: int | None = None, group_size: int = 64, layers: int = 32, hidden: int = 4096,
                 context: int = 131072, model_type: str = "llama") -> dict[str, object]:
    config: dict[str, object] = {
        "architectures": ["LlamaForCausalLM" if model_type == "llama" else "Qwen2ForCausalLM"],
        "model_type": model_type,
        "hidden_size": hidden,
        "intermediate_size": hidden * 7 // 2,
        "num_hidden_layers": layers,
        "num_attention_heads": hidden // 128,
        "num_key_value_heads": 8,
        "max_position_embeddings": context,
        "vocab_size": 128256,
        "rms_norm_eps": 1e-5,
        "rope_theta": 500000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "use_cache": True,
    }
    if bits is not None:
        q = {"group_size": group_size, "bits": bits}
        config["quantization"] = q
        config["quantization_config"] = dict(q)
    return config


def qwen_config(*, bits: int | None = None) -> dict[str, object]:
    return llama_config(bits=bits, layers=36, hidden=4096, context=40960, model_type="qwen2")


def vlm_config(*, bits: int | None = None) -> dict[str, object]:
    config: dict[str, object] = {
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "model_type": "qwen2_5_vl",
        "text_config": llama_config(layers=28, hidden=3584, context=128000, model_type="qwen2"),
        "vision_config": {"depth": 32, "hidden_size": 1280, "model_type": "qwen2_5_vl"},
        "torch_dtype": "bfloat16",
    }
    if bits is not None:
        config["quantization"] = {"group_size": 64, "bits": bits}
    return config


def moe_config(*, bits: int | None = None) -> dict[str, object]:
    config = llama_config(bits=bits, layers=48, hidden=2048, context=262144, model_type="qwen3_moe")
    config["architectures"] = ["Qwen3MoeForCausalLM"]
    config["num_experts"] = 128
    config["num_experts_per_tok"] = 8
    config["moe_intermediate_size"] = 768
    return config


def sample_config(i: int) -> dict[str, object]:
    """A varied, deterministic config for the i-th synthetic repo (about a third MLX-quantized)."""
    bits = (None, 4, None, 8, None, 3)[i % 6]
    kind = i % 4
    if kind == 0:
        return llama_config(bits=bits, layers=16 + i % 24, hidden=2048 + 512 * (i % 5))
    if kind == 1:
        return qwen_config(bits=bits)
    if kind == 2:
        return vlm_config(bits=bits)
    return moe_config(bits=bits)


def readme(*, library_name: str | None = None, tags: tuple[str, ...] = (), body: str = "# Model\n") -> str:
    """A model card with YAML front matter, as the Hub writes it."""
    lines = ["---"]
    if library_name:
        lines.append(f"library_name: {library_name}")
    lines.append("license: apache-2.0")
    if tags:
        lines.append("tags:")
        lines.extend(f"- {t}" for t in tags)
    lines.append("pipeline_tag: text-generation")
    lines.append("---")
    return "\n".join(lines) + "\n" + body


def model_files(i: int, *, weights_bytes: int = 256) -> dict[str, FileContent]:
    """Eight files like a real small repo: config, tokenizer files, README, two weight shards, index."""
    config = sample_config(i)
    mlx = "quantization" in config
    return {
        "config.json": config,
        "generation_config.json": {"bos_token_id": 1, "eos_token_id": [2, i % 7 + 3]},
        "tokenizer.json": {"version": "1.0", "model": {"type": "BPE", "vocab": {f"t{i}": i}}},
        "tokenizer_config.json": {"model_max_length": 131072, "padding_side": "left"},
        "README.md": readme(library_name="mlx" if mlx else "transformers", tags=("mlx",) if mlx else ()),
        "model-00001-of-00002.safetensors": (b"A%d" % i) * (weights_bytes // 2),
        "model-00002-of-00002.safetensors": (b"B%d" % i) * (weights_bytes // 2),
        "model.safetensors.index.json": {"metadata": {"total_size": weights_bytes}, "weight_map": {}},
    }


def populate_sample(cache: CacheBuilder) -> list[Repo]:
    """A small, realistic cache for UI tests and screenshots: MLX and non-MLX models, one multimodal,
    one MoE, one with a PR ref, and one still downloading."""
    repos = [
        cache.add_model("mlx-community/Qwen3-8B-4bit", {"config.json": qwen_config(bits=4),
                                                        "model.safetensors": b"\1" * 4000}),
        cache.add_model("mlx-community/Llama-3.2-3B-Instruct-8bit",
                        {"config.json": llama_config(bits=8, layers=28, hidden=3072),
                         "model.safetensors": b"\2" * 8000}),
        cache.add_model("mlx-community/Qwen2.5-VL-7B-Instruct-4bit",
                        {"config.json": vlm_config(bits=4), "model.safetensors": b"\3" * 6000}),
        cache.add_model("lmstudio-community/Qwen3-30B-A3B-MLX-4bit",
                        {"config.json": moe_config(bits=4), "model.safetensors": b"\4" * 9000}),
        cache.add_model("meta-llama/Llama-3.1-8B-Instruct",
                        {"config.json": llama_config(), "README.md": readme(library_name="transformers"),
                         "model.safetensors": b"\5" * 16000}),
    ]
    cache.add_revision("meta-llama/Llama-3.1-8B-Instruct", {"config.json": llama_config(context=8192)},
                       ref="refs/pr/1")
    repos.append(cache.add_model("mlx-community/gemma-3-4b-it-4bit",
                                 {"config.json": llama_config(bits=4, model_type="gemma3_text")}))
    cache.add_incomplete("mlx-community/gemma-3-4b-it-4bit", 2)
    return repos
