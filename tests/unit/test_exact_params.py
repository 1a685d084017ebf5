"""Exact parameter counts from mlx-lm's own model classes, built without weights."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.services import characteristics_memo
from app.services.exact_params import ExactCounter, config_hash, count_exact

pytest.importorskip("mlx_lm")

# Published totals (model cards / safetensors metadata), in billions to three decimals.
PUBLISHED = {
    "Qwen__Qwen2.5-7B-Instruct.json": 7.616,
    "meta-llama__Meta-Llama-3.1-8B.json": 8.030,
    "google__gemma-2-9b.json": 9.242,
    "microsoft__phi-4.json": 14.660,
    "Qwen__Qwen3-30B-A3B.json": 30.532,
    "openai__gpt-oss-20b.json": 20.915,
}

TINY = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 1000, "hidden_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
        "rms_norm_eps": 1e-5, "tie_word_embeddings": True}


def tiny_by_hand() -> int:
    hidden, inter, vocab, layers, kv_dim = 64, 128, 1000, 2, 2 * 16
    attention = hidden * hidden * 2 + hidden * kv_dim * 2  # q, o; k, v
    per_layer = attention + 3 * hidden * inter + 2 * hidden  # + gate/up/down + two norms
    return vocab * hidden + layers * per_layer + hidden  # tied embedding, final norm


def test_tiny_llama_counts_every_parameter_once() -> None:
    assert count_exact(TINY) == tiny_by_hand()


def test_quantized_config_counts_the_model_not_the_packed_storage() -> None:
    quantized = {**TINY, "quantization": {"group_size": 32, "bits": 4},
                 "quantization_config": {"group_size": 32, "bits": 4}}
    assert count_exact(quantized) == tiny_by_hand()


def test_what_mlx_lm_cannot_build_has_no_exact_count() -> None:
    assert count_exact({"model_type": "whisper", "d_model": 384}) is None
    assert count_exact({"model_type": "llama"}) is None  # shapes missing
    assert count_exact({**TINY, "model_file": "custom.py"}) is None  # would run the model's own code


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_corpus_counts_match_published_totals(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the corpus")
    count = count_exact(json.loads(path.read_text()))
    assert count is not None and round(count / 1e9, 3) == PUBLISHED[name]


def test_mlx_quantized_corpus_config_matches_its_base(corpus_dir: Path) -> None:
    base, quantized = corpus_dir / "Qwen__Qwen2.5-7B-Instruct.json", \
        corpus_dir / "mlx-community__Qwen2.5-7B-Instruct-4bit__fused.json"
    if not (base.is_file() and quantized.is_file()):
        pytest.skip("Qwen2.5-7B configs not in the corpus")
    assert count_exact(json.loads(quantized.read_text())) == count_exact(json.loads(base.read_text()))


def test_config_hash_ignores_key_order() -> None:
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_counts_in_a_worker_process_and_remembers_by_config_hash(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLX_MANAGER_CACHE_DIR", str(tmp_path))
    characteristics_memo.forget_shared()
    counter = ExactCounter(use_process=True)
    try:
        assert asyncio.run(counter.count(TINY)) == tiny_by_hand()
    finally:
        counter.close()
    characteristics_memo.forget_shared()  # a new launch: only the memo file remembers
    again = ExactCounter(use_process=False)
    try:
        assert again.cached(config_hash(TINY)) == (tiny_by_hand(),)
    finally:
        again.close()
        characteristics_memo.forget_shared()
