"""A throw-away Hugging Face cache of a few small repos, for the window check to list and paint.

The layout is the one huggingface_hub writes: `models--ORG--NAME/{blobs,refs,snapshots}`, `refs/main`
without a trailing newline, snapshot files as relative links into `blobs/` (copies where links cannot be
made). Only configs and a README: nothing here is a runnable model.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.model_id import repo_folder_name


@dataclass(frozen=True)
class SampleRepo:
    repo_id: str
    config: dict[str, Any]
    family: str  # the architecture family the card should show


def _llama(**extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64,
        "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "vocab_size": 384, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "tie_word_embeddings": True,
    }
    config.update(extra)
    return config


SAMPLES = (
    SampleRepo("self-test/Tiny-Llama-4bit", _llama(quantization={"group_size": 64, "bits": 4}), "Llama"),
    SampleRepo("self-test/Tiny-Qwen2-bf16", {
        "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 384,
        "max_position_embeddings": 32768, "torch_dtype": "bfloat16", "rms_norm_eps": 1e-6,
    }, "Qwen"),
    SampleRepo("self-test/Tiny-Mixtral-8bit", {
        "model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "hidden_size": 64,
        "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "vocab_size": 384, "num_local_experts": 4, "num_experts_per_tok": 2, "max_position_embeddings": 4096,
        "quantization": {"group_size": 64, "bits": 8},
    }, "Mistral"),
)

README = "---\nlibrary_name: mlx\ntags:\n- mlx\n---\n# A sample model written by the self-test\n"


def tiny_llama_config() -> dict[str, Any]:
    """An unquantized tiny llama, for building a model without weights."""
    return _llama()


def write_sample_cache(root: Path) -> list[SampleRepo]:
    """Write SAMPLES under `root` (the HF_HUB_CACHE folder) and return them."""
    for sample in SAMPLES:
        write_repo(root, sample.repo_id, {
            "config.json": json.dumps(sample.config, indent=2).encode(),
            "README.md": README.encode(),
        })
    return list(SAMPLES)


def write_repo(root: Path, repo_id: str, files: dict[str, bytes]) -> None:
    folder = root / repo_folder_name(repo_id)
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = folder / "snapshots" / commit
    (folder / "blobs").mkdir(parents=True, exist_ok=True)
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(commit)  # huggingface_hub writes no newline
    for name, data in files.items():
        blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        target = snapshot / name
        try:
            os.symlink(os.path.relpath(blob, snapshot), target)
        except OSError:  # no links here (some Windows setups): a copy, as huggingface_hub falls back to
            target.write_bytes(data)
