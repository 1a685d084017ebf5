"""The memory arithmetic against hand-computed figures, and the verdict thresholds at their edges."""

from __future__ import annotations

import pytest

from app.core import memory
from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.memory import Budget, KvFacts, Weights, kv_facts, kv_layout, memory_report, verdict
from app.services.system import OVERRIDE, memory_budget

LLAMA_8B = ModelCharacteristics(model_type="llama", num_hidden_layers=32, num_attention_heads=32,
                                num_key_value_heads=8, head_dim=128, max_position_embeddings=131072,
                                parameter_count_estimate=8_030_261_248, quantization_bits=4,
                                quantization_group_size=64, quantization_mode="affine")


def test_kv_cache_is_two_times_layers_heads_head_dim_two_bytes() -> None:
    kv = kv_layout(LLAMA_8B)
    assert kv.bytes_per_token == 2 * 32 * 8 * 128 * 2 == 131_072
    assert kv.bytes_at(8192) == 131_072 * 8192 == 1_073_741_824


def test_quantized_weights_count_half_a_bit_of_scales_at_group_64() -> None:
    assert memory.estimated_weight_bytes(LLAMA_8B) == int(8_030_261_248 * 4.5 / 8)
    mxfp4 = ModelCharacteristics(parameter_count_estimate=1000, quantization_bits=4, quantization_mode="mxfp4",
                                 quantization_group_size=32)
    assert memory.estimated_weight_bytes(mxfp4) == int(1000 * 4.25 / 8)
    assert memory.estimated_weight_bytes(ModelCharacteristics(parameter_count_estimate=1000,
                                                              torch_dtype="bfloat16")) == 2000


def test_sliding_window_layers_are_capped_at_their_window() -> None:
    # gpt-oss style: 24 layers alternating sliding (window 128) and full attention.
    config = {"model_type": "gpt_oss", "num_hidden_layers": 24, "num_attention_heads": 64,
              "num_key_value_heads": 8, "head_dim": 64, "sliding_window": 128,
              "layer_types": ["sliding_attention", "full_attention"] * 12}
    c = extract_characteristics(config)
    kv = kv_layout(c, kv_facts(config))
    per_layer = 2 * 8 * 64 * 2
    assert (kv.full_layers, kv.sliding_layers, kv.window) == (12, 12, 128)
    assert kv.bytes_at(8192) == per_layer * (12 * 8192 + 12 * 128)
    assert kv.bytes_at(100) == per_layer * 24 * 100  # below the window every layer holds every token


def test_gemma3_pattern_slides_all_but_every_sixth_layer() -> None:
    facts = kv_facts({"model_type": "gemma3_text", "num_hidden_layers": 62, "sliding_window_pattern": 6})
    assert facts.sliding_layers == 62 - 10


def test_a_window_not_tied_to_layers_is_not_counted_on() -> None:
    c = extract_characteristics({"model_type": "mistral", "num_hidden_layers": 32, "num_attention_heads": 32,
                                 "num_key_value_heads": 8, "hidden_size": 4096, "sliding_window": 4096})
    kv = kv_layout(c, kv_facts({"sliding_window": 4096}))
    assert kv.sliding_layers == 0 and kv.bytes_at(32768) == 2 * 32 * 8 * 128 * 2 * 32768


def test_hybrid_models_count_only_attention_layers() -> None:
    c = ModelCharacteristics(num_hidden_layers=52, num_attention_layers=6, num_attention_heads=32,
                             num_key_value_heads=2, head_dim=128)
    assert kv_layout(c).bytes_per_token == 2 * 6 * 2 * 128 * 2


def test_mla_and_missing_shapes_are_unknown_not_wrong() -> None:
    mla = ModelCharacteristics(model_type="deepseek_v3", num_hidden_layers=61, num_attention_heads=128,
                               num_key_value_heads=128, head_dim=56)
    assert kv_layout(mla).bytes_per_token is None and "latent" in (kv_layout(mla).unknown_reason or "")
    assert kv_layout(ModelCharacteristics(model_type="x", num_hidden_layers=2), KvFacts(mla=True)).bytes_at(1) is None
    report = memory_report(mla, Weights(10**9, "files"), kv_layout(mla), Budget(10**12, "test"))
    assert report.at_default.verdict == "unknown" and report.max_context_that_fits is None


@pytest.mark.parametrize(("need", "expected"), [
    (900, "fits"), (901, "tight"), (1000, "tight"), (1001, "too large"), (None, "unknown"), (0, "fits"),
])
def test_verdict_thresholds_at_their_edges(need: int | None, expected: str) -> None:
    assert verdict(need, 1000) == expected


def test_report_at_8k_and_full_context_with_the_largest_context_that_fits() -> None:
    weights = Weights(4_000_000_000, "files")
    kv = kv_layout(LLAMA_8B)
    budget = Budget(10_000_000_000, "test")
    report = memory_report(LLAMA_8B, weights, kv, budget)
    at_8k = 4_000_000_000 + 131_072 * 8192 + memory.RUNTIME_OVERHEAD
    assert (report.at_default.bytes, report.at_default.verdict) == (at_8k, "fits")
    at_full = 4_000_000_000 + 131_072 * 131_072 + memory.RUNTIME_OVERHEAD
    assert (report.at_full.bytes, report.at_full.verdict) == (at_full, "too large")
    # 9e9 - 4e9 - 0.3e9 = 4.7e9 bytes of room for the cache: 4.7e9 // 131072 tokens
    assert report.max_context_that_fits == 4_700_000_000 // 131_072 == 35_858
    assert report.to_dict() == {
        "weights_bytes": 4_000_000_000, "weights_source": "files", "kv_bytes_per_token": 131_072,
        "budget_bytes": 10_000_000_000, "budget_source": "test",
        "at_8k": {"bytes": at_8k, "verdict": "fits"}, "at_full": {"bytes": at_full, "verdict": "too large"},
        "max_context_that_fits": 35_858,
    }
    assert report.arithmetic(report.at_default) == "weights 4.0 GB + KV cache at 8K 1.1 GB + 0.3 GB = 5.4 GB of 10.0 GB"


def test_whole_context_fitting_reports_the_model_context_and_weights_too_big_report_zero() -> None:
    kv = kv_layout(LLAMA_8B)
    roomy = memory_report(LLAMA_8B, Weights(10**9, "files"), kv, Budget(10**12, "test"))
    assert roomy.max_context_that_fits == 131_072 and roomy.at_full.verdict == "fits"
    cramped = memory_report(LLAMA_8B, Weights(10**10, "files"), kv, Budget(10**10, "test"))
    assert cramped.max_context_that_fits == 0 and cramped.at_default.verdict == "too large"


def test_weights_from_hub_safetensors_counts_bytes_per_stored_dtype() -> None:
    assert memory.weights_from_safetensors({"parameters": {"BF16": 100, "U32": 50}, "total": 150}) == 400
    assert memory.weights_from_safetensors({"parameters": {"WEIRD": 1}}) is None
    assert memory.weights_from_safetensors(None) is None


def test_budget_override_and_the_approximate_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OVERRIDE, "21300000000")
    assert memory_budget() == Budget(21_300_000_000, OVERRIDE, approximate=False)
    monkeypatch.setenv(OVERRIDE, "lots")
    fallback = memory_budget()
    assert fallback.bytes > 0 and "ignored (not a number)" in fallback.source
    monkeypatch.delenv(OVERRIDE)
    import sys

    if sys.platform == "linux":
        plain = memory_budget()
        assert plain.approximate and plain.source.startswith("75% of")
