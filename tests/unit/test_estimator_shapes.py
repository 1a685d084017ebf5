"""Three config shapes the parameter estimator once read wrong, each checked against a count that is known.

An exact count comes from building the model with mlx-lm (random weights, nothing downloaded) where one is
installed, or from the published total of a real config in ../shared/corpus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.characteristics import extract_or_raise

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "hf-configs"


def _corpus(name: str) -> dict[str, Any]:
    path = CORPUS / f"{name}.json"
    if not path.is_file():
        pytest.skip("../shared/corpus is not present")
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return config


def _nemotron_h(latent: int | None) -> dict[str, Any]:
    """A tiny Nemotron-H hybrid (Mamba, attention and MoE layers), with or without a latent MoE."""
    config: dict[str, Any] = {
        "model_type": "nemotron_h", "architectures": ["NemotronHForCausalLM"], "vocab_size": 1000,
        "hidden_size": 256, "intermediate_size": 512, "max_position_embeddings": 4096, "num_attention_heads": 8,
        "num_key_value_heads": 2, "head_dim": 32, "attention_bias": False, "mamba_num_heads": 8,
        "mamba_head_dim": 32, "mamba_proj_bias": False, "ssm_state_size": 16, "conv_kernel": 4, "n_groups": 2,
        "mlp_bias": False, "layer_norm_epsilon": 1e-5, "use_bias": False, "use_conv_bias": True,
        "hybrid_override_pattern": "ME*EME", "num_hidden_layers": 6, "moe_intermediate_size": 128,
        "moe_shared_expert_intermediate_size": 384, "n_group": 1, "n_routed_experts": 16, "n_shared_experts": 1,
        "topk_group": 1, "num_experts_per_tok": 4, "norm_topk_prob": True, "routed_scaling_factor": 1.0,
        "tie_word_embeddings": False,
    }
    if latent is not None:
        config["moe_latent_size"] = latent
    return config


def _mlx_count(config: dict[str, Any]) -> int:
    pytest.importorskip("mlx.core")
    from mlx.utils import tree_flatten
    from mlx_lm.models import nemotron_h

    model = nemotron_h.Model(nemotron_h.ModelArgs.from_dict(config))  # type: ignore[no-untyped-call]
    leaves = tree_flatten(model.parameters())
    assert isinstance(leaves, list)
    return sum(int(array.size) for _, array in leaves)


@pytest.mark.parametrize("latent", [None, 64])
def test_latent_moe_matches_an_mlx_lm_build(latent: int | None) -> None:
    config = _nemotron_h(latent)
    exact = _mlx_count(config)
    estimate = extract_or_raise(config).parameter_count_estimate
    assert estimate is not None
    assert abs(estimate - exact) / exact < 0.01, (estimate, exact)


def test_latent_moe_is_smaller_than_the_same_model_without_latent() -> None:
    # Experts working in a latent four times narrower than hidden: counted at full width, the total
    # came out almost twice too big for this shape.
    wide = extract_or_raise(_nemotron_h(None)).parameter_count_estimate
    narrow = extract_or_raise(_nemotron_h(64)).parameter_count_estimate
    assert wide is not None and narrow is not None
    assert narrow < 0.6 * wide


def test_modelopt_group_size_is_read_from_config_groups() -> None:
    c = extract_or_raise(_corpus("nvidia__Gemma-4-31B-IT-NVFP4"))
    assert (c.quantization_mode, c.quantization_bits, c.quantization_group_size) == ("nvfp4", 4, 16)


def test_modelopt_group_size_on_an_authored_config() -> None:
    config = {"model_type": "llama", "quantization_config": {
        "quant_method": "modelopt", "quant_algo": "W4A16_AWQ",
        "config_groups": {"group_0": {"weights": {"num_bits": 4, "group_size": 128}, "targets": ["Linear"]}}}}
    c = extract_or_raise(config)
    assert (c.quantization_bits, c.quantization_group_size) == (4, 128)


def test_compressed_tensors_group_size_is_read_too() -> None:
    c = extract_or_raise(_corpus("moonshotai__Kimi-K2.5"))
    assert (c.quantization_bits, c.quantization_group_size) == (4, 32)


_LFM2 = {"model_type": "lfm2", "architectures": ["Lfm2ForCausalLM"], "vocab_size": 65536, "hidden_size": 2048,
         "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 12288,
         "block_auto_adjust_ff_dim": True, "block_ffn_dim_multiplier": 1.0, "block_multiple_of": 256,
         "layer_types": ["conv", "conv", "full_attention", "conv", "conv", "full_attention", "conv", "conv",
                         "full_attention", "conv", "full_attention", "conv", "full_attention", "conv",
                         "full_attention", "conv"]}


def test_a_family_that_ties_by_default_is_counted_once() -> None:
    absent = extract_or_raise(_LFM2)
    explicit = extract_or_raise({**_LFM2, "tie_embedding": False})
    assert absent.parameter_count_estimate is not None and explicit.parameter_count_estimate is not None
    assert explicit.parameter_count_estimate - absent.parameter_count_estimate == 65536 * 2048
    assert abs(absent.parameter_count_estimate - 1.17e9) / 1.17e9 < 0.03  # LFM2-1.2B: 1.17B published


def test_llama_without_the_key_keeps_separate_embeddings() -> None:
    # transformers' LlamaConfig defaults to untied: Llama 3 8B reads 8.03B with the key absent.
    config = _corpus("unknown__Llama-3-from-scratch__mlx_model-config")
    assert "tie_word_embeddings" not in config
    estimate = extract_or_raise(config).parameter_count_estimate
    assert estimate is not None and abs(estimate - 8.03e9) / 8.03e9 < 0.01


def test_lfm2_vl_without_the_key_matches_its_published_total() -> None:
    estimate = extract_or_raise(_corpus("LiquidAI__LFM2.5-VL-1.6B")).parameter_count_estimate
    assert estimate is not None and abs(estimate - 1.6e9) / 1.6e9 < 0.05
