"""Every real config in ../shared/corpus goes through the engine; many with exact expectations.

Published parameter totals are the model cards' figures; estimates must land within 10%.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.config_parse import parse_config_bytes


def _load(corpus: Path, name: str) -> ModelCharacteristics:
    return extract_characteristics(parse_config_bytes((corpus / name).read_bytes()))


def test_every_corpus_file_goes_through(corpus_dir: Path) -> None:
    files = sorted(corpus_dir.glob("*.json"))
    assert len(files) >= 50
    for path in files:
        c = extract_characteristics(parse_config_bytes(path.read_bytes()))
        json.dumps(c.to_dict(), allow_nan=False)  # serialisable, no NaN/Infinity leaking through
        assert c.architecture_family not in (None, "Unknown"), path.name


# file -> expected fields (a subset); "params" is the published total in billions.
EXPECTED: dict[str, dict[str, Any]] = {
    "meta-llama__Llama-2-7b-hf.json": dict(family="Llama", ctx=4096, layers=32, kv=32, dtype="float16", params=6.74),
    "meta-llama__Meta-Llama-3.1-8B.json": dict(ctx=131072, kv=8, rope=8.0, original=8192, params=8.03),
    "meta-llama__Llama-3.2-1B-Instruct.json": dict(head_dim=64, tied=True, params=1.24),
    "mlx-community__Llama-3.2-1B-Instruct-4bit__fused.json": dict(bits=4, group=64, mode="affine", label="4-bit",
                                                                  params=1.24),
    "Qwen__Qwen2.5-7B-Instruct.json": dict(family="Qwen", ctx=32768, sliding=None, params=7.62),
    "mlx-community__Qwen2.5-7B-Instruct-4bit__fused.json": dict(bits=4, vocab=152064, params=7.62),
    "Qwen__Qwen2.5-3B-Instruct__mlx-unquantized.json": dict(bits=None, mode=None, label="BF16", params=3.09),
    "georgehenney__Qwen3-8B-heretic__mlx-4bit.json": dict(bits=4, group=64, mode="affine", params=8.19),
    "unknown__mlx-engine__root-config-qwen3-4b-mlx-4bit-g128.json": dict(bits=4, group=128, use_cache=False),
    "Qwen__Qwen3-8B.json": dict(layers=36, params=8.19),
    "Qwen__Qwen3-30B-A3B.json": dict(moe=(128, 8), params=30.5),
    "Qwen__Qwen3-30B-A3B-FP8.json": dict(bits=8, mode="fp8", label="FP8", params=30.5),
    "Qwen__Qwen3-VL-8B-Instruct.json": dict(mm="vision", ctx=262144, layers=36, params=8.77),
    "Qwen__Qwen3-VL-30B-A3B-Instruct.json": dict(mm="vision", moe=(128, 8), params=31.1),
    "Qwen__Qwen2.5-VL-7B-Instruct.json": dict(mm="vision", ctx=128000, params=8.29),
    "Qwen__Qwen3.5-35B-A3B.json": dict(mm="vision", moe=(256, 8), params=35.0),
    "google__gemma-3-27b-it.json": dict(family="Gemma", mm="vision", ctx=131072, sliding=1024, params=27.4),
    "google__gemma-4-26B-A4B.json": dict(mm="vision", moe=(128, 8), params=25.2),
    "nvidia__Gemma-4-31B-IT-NVFP4.json": dict(mode="nvfp4", bits=4, label="NVFP4", params=30.7),
    "mistralai__Mistral-7B-Instruct-v0.3.json": dict(family="Mistral", vocab=32768, params=7.25),
    "mistralai__Mistral-Nemo-Instruct-2407.json": dict(head_dim=128, params=12.2),
    "mistralai__Mixtral-8x7B-v0.1.json": dict(moe=(8, 2), params=46.7),
    "mistralai__Voxtral-Mini-3B-2507.json": dict(mm="audio", params=4.68),
    "mistralai__Devstral-Small-2-24B-Instruct.json": dict(mm="vision", ctx=393216, mode="fp8", params=24.0),
    "deepseek-ai__DeepSeek-V3.json": dict(family="DeepSeek", moe=(256, 8), mode="fp8", params=671),
    "deepseek-ai__DeepSeek-V2-Lite.json": dict(moe=(64, 6), params=15.7),
    "moonshotai__Kimi-K2-Instruct.json": dict(family="Kimi", moe=(384, 8), params=1040),
    "moonshotai__Kimi-K2.5.json": dict(mm="vision", bits=4, mode="compressed-tensors"),
    "openai__gpt-oss-20b.json": dict(family="GPT-OSS", mode="mxfp4", bits=4, moe=(32, 4), params=20.9),
    "microsoft__phi-4.json": dict(family="Phi", params=14.7),
    "microsoft__Phi-mini-MoE-instruct.json": dict(moe=(16, 2), params=7.6),
    "zai-org__GLM-4.7-Flash.json": dict(family="GLM", moe=(64, 4), ctx=202752, params=31.2),
    "meta-llama__Llama-4-Scout-17B-16E-Instruct.json": dict(moe=(16, 1), ctx=10485760, params=109),
    "meta-llama__Llama-3.2-90B-Vision-Instruct.json": dict(mm="vision", layers=100, params=88.6),
    "allenai__Olmo-3.1-32B-Instruct.json": dict(family="OLMo", use_cache=False, params=32.2),
    "LGAI-EXAONE__EXAONE-4.0-32B.json": dict(family="EXAONE", params=32.0),
    "LiquidAI__LFM2-1.2B__mlx-4bit.json": dict(family="LFM", tied=True, bits=4, params=1.17, attn_layers=6),
    "nvidia__Llama-3_3-Nemotron-Super-49B-v1.json": dict(family="Nemotron", params=49.9),
    "nvidia__Nemotron-H-56B-Base-8K.json": dict(family="Nemotron", params=56.0, attn_layers=10),
    "nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.json": dict(moe=(128, 6), params=31.6),
    "openai-community__gpt2.json": dict(family="GPT-2", ctx=1024, layers=12, params=0.124),
    "openai__whisper-tiny.json": dict(family="Whisper", mm="audio", params=0.039),
    "HuggingFaceTB__SmolVLM-256M-Instruct.json": dict(mm="vision", ctx=8192, params=0.256),
    "wangjazz__Vidi1.5-9B-mlx-8bit.json": dict(bits=8, mm="vision-audio", sliding=4096),
    "Qwen__Qwen3-Embedding-0.6B.json": dict(family="Qwen", params=0.6),
    "sentence-transformers__all-MiniLM-L6-v2.json": dict(family="BERT", ctx=512, params=0.0227),
    "BAAI__bge-small-en-v1.5.json": dict(family="BERT", dtype="float32", params=0.0334),
    "unknown__Llama-3-from-scratch__mlx_model-config.json": dict(layers=32, kv=8, hidden=4096, params=8.03),
    "unknown__tt-metal__Phi-3.5-vision-instruct-text-config.json": dict(mm=None, ctx=131072, original=4096),
    "nvidia__Nemotron-H-56B-Base-8K.json#nonstrict": dict(ctx=8192),
}

_FIELDS = {
    "family": "architecture_family", "ctx": "max_position_embeddings", "layers": "num_hidden_layers",
    "kv": "num_key_value_heads", "dtype": "torch_dtype", "rope": "rope_scaling_factor",
    "original": "original_max_position_embeddings", "head_dim": "head_dim", "tied": "tie_word_embeddings",
    "bits": "quantization_bits", "group": "quantization_group_size", "mode": "quantization_mode",
    "label": "bits_label", "sliding": "sliding_window", "vocab": "vocab_size", "mm": "multimodal_type",
    "use_cache": "use_cache", "hidden": "hidden_size", "attn_layers": "num_attention_layers",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_expectations(corpus_dir: Path, name: str) -> None:
    c = _load(corpus_dir, name.split("#")[0])
    for key, expected in EXPECTED[name].items():
        if key == "params":
            assert c.parameter_count_estimate is not None, name
            published = expected * 1e9
            assert abs(c.parameter_count_estimate - published) / published <= 0.10, (
                f"{name}: estimate {c.parameter_count_estimate / 1e9:.2f}B vs published {expected}B"
            )
        elif key == "moe":
            assert c.is_moe is True and (c.num_experts, c.num_experts_per_token) == expected
        else:
            assert getattr(c, _FIELDS[key]) == expected, f"{name}: {key}"


def test_expectations_cover_at_least_twenty_files() -> None:
    assert len({name.split("#")[0] for name in EXPECTED}) >= 20
