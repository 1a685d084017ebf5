"""Parameters measured from local safetensors headers: what My Models shows, and what filters use."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import pytest

from app.core.filters import FilterState, Match, matches
from app.services import weight_count
from app.services.local_cache import fill_weights, scan_first_pass, scan_full
from tests.cachebuilder import CacheBuilder

# A small LLaMA: the estimate from its shapes is about 50M parameters.
CONFIG: dict[str, Any] = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 512, "num_hidden_layers": 8,
    "intermediate_size": 1024, "num_attention_heads": 8, "num_key_value_heads": 8, "vocab_size": 32000,
    "tie_word_embeddings": False,
}


def safetensors(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    """A real safetensors file: header and zero-filled data (2 bytes per element is enough here)."""
    header: dict[str, Any] = {"__metadata__": {"format": "mlx"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = math.prod(shape) * (4 if dtype in ("U32", "F32") else 2)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    weight_count.clear()


def test_a_measured_count_replaces_a_far_off_estimate(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    weights = safetensors({"model.embed_tokens.weight": ("BF16", [32000, 512]),
                           "model.big.weight": ("BF16", [100_000, 1024])})  # 118.8M in total
    cache.add_model("org/tiny-llama", {"config.json": CONFIG, "model.safetensors": weights})
    first = scan_first_pass(cache.root)[0]
    assert first.characteristics is not None
    estimate = first.characteristics.parameter_count_estimate
    assert estimate is not None and 40e6 < estimate < 60e6  # the first pass has only the config

    [model] = fill_weights(scan_full(cache.root))
    c = model.characteristics
    assert c is not None
    assert c.parameter_count_estimate == 32000 * 512 + 100_000 * 1024
    assert c.parameter_count_method == "local safetensors headers"
    assert c.parameter_count_config_estimate == estimate and c.parameter_count_note
    entry = model.to_model_entry()
    assert matches(FilterState(parameters=frozenset({"<3B"})), entry) == Match.YES
    assert model.to_json_dict()["characteristics"]["parameter_count_config_estimate"] == estimate


def test_mlx_packed_weights_count_as_the_weights_they_hold(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    config = {**CONFIG, "quantization": {"bits": 4, "group_size": 64}}
    # A 4-bit [4096, 1024] weight: 1024 * 4 / 32 = 128 packed columns, 1024 / 64 = 16 groups per row.
    weights = safetensors({"layer.weight": ("U32", [4096, 128]), "layer.scales": ("BF16", [4096, 16]),
                           "layer.biases": ("BF16", [4096, 16]), "norm.weight": ("BF16", [1024])})
    cache.add_model("org/packed", {"config.json": config, "model.safetensors": weights})
    [model] = fill_weights(scan_full(cache.root))
    assert model.characteristics is not None
    assert model.characteristics.parameter_count_estimate == 4096 * 1024 + 1024


def test_shards_follow_the_index_and_a_missing_shard_gives_no_figure(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    index = {"metadata": {}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
                                            "b.weight": "model-00002-of-00002.safetensors"}}
    files: dict[str, Any] = {
        "config.json": CONFIG, "model.safetensors.index.json": index,
        "model-00001-of-00002.safetensors": safetensors({"a.weight": ("BF16", [1000, 1000])}),
        "model-00002-of-00002.safetensors": safetensors({"b.weight": ("BF16", [1000, 500])}),
        "consolidated.safetensors": safetensors({"a.weight": ("BF16", [1000, 1500])}),
    }
    cache.add_model("org/sharded", files)
    cache.add_model("org/half-downloaded", {k: v for k, v in files.items() if "00002" not in k})
    models = {m.id: m for m in fill_weights(scan_full(cache.root))}
    sharded = models["org/sharded"].characteristics
    assert sharded is not None and sharded.parameter_count_estimate == 1_500_000
    half = models["org/half-downloaded"].characteristics
    assert half is not None and half.parameter_count_method is not None
    assert half.parameter_count_method.startswith("from config shapes")


def test_files_that_are_not_safetensors_leave_the_estimate(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    cache.add_model("org/junk", {"config.json": CONFIG, "model.safetensors": b"\xff" * 64})
    [model] = fill_weights(scan_full(cache.root))
    assert model.characteristics is not None and model.characteristics.parameter_count_method is not None
    assert model.characteristics.parameter_count_method.startswith("from config shapes")


def test_an_exact_match_with_an_mlx_lm_build(tmp_path: Path) -> None:
    pytest.importorskip("mlx.core")
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten
    from mlx_lm.models import llama

    small = {**CONFIG, "hidden_size": 256, "num_hidden_layers": 2, "intermediate_size": 512, "vocab_size": 1000,
             "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5}
    model = llama.Model(llama.ModelArgs.from_dict(small))  # type: ignore[no-untyped-call]
    flat = tree_flatten(model.parameters())
    assert isinstance(flat, list)
    exact = sum(int(v.size) for _, v in flat)
    nn.quantize(model, group_size=32, bits=4)  # type: ignore[attr-defined]
    flat = tree_flatten(model.parameters())
    assert isinstance(flat, list)
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    mx.save_safetensors(str(snapshot / "model.safetensors"), dict(flat))
    from app.core.characteristics import extract_or_raise

    c = extract_or_raise({**small, "quantization": {"bits": 4, "group_size": 32}})
    assert weight_count.count_snapshot(str(snapshot), c) == (exact, weight_count.METHOD)
