"""One family table for configs, architectures and names, covering everything mlx-lm knows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from app.core.families import UNKNOWN, family_for_architecture, family_for_type, family_from_name


def _mlx_lm_model_types() -> list[str]:
    spec = importlib.util.find_spec("mlx_lm")
    if spec is None or spec.origin is None:
        pytest.skip("mlx-lm is not installed")
    models = Path(spec.origin).parent / "models"
    skip = {"__init__", "base", "cache", "activations", "rope_utils", "switch_layers", "pipeline", "ssm",
            "gated_delta", "bitlinear_layers", "mla"}
    return sorted(p.stem for p in models.glob("*.py") if p.stem not in skip)


def test_every_mlx_lm_architecture_has_a_family() -> None:
    missing = [t for t in _mlx_lm_model_types() if family_for_type(t) in (None, UNKNOWN)]
    assert not missing, f"no family for mlx-lm model types: {missing}"


def test_mlx_lm_remapped_types_have_a_family() -> None:
    from mlx_lm.utils import MODEL_REMAPPING  # type: ignore[import-untyped]

    missing = [t for t in MODEL_REMAPPING if family_for_type(t) in (None, UNKNOWN)]
    assert not missing


@pytest.mark.parametrize("model_type,family", [
    ("qwen3_moe", "Qwen"), ("qwen2_5_vl", "Qwen"), ("llama", "Llama"), ("mllama", "Llama"),
    ("mistral3", "Mistral"), ("mixtral", "Mistral"), ("gemma3_text", "Gemma"), ("paligemma", "Gemma"),
    ("phi3", "Phi"), ("phimoe", "Phi"), ("deepseek_v3", "DeepSeek"), ("kimi_k2", "Kimi"), ("gpt_oss", "GPT-OSS"),
    ("glm4_moe_lite", "GLM"), ("chatglm", "GLM"), ("nemotron-nas", "Nemotron"), ("whisper", "Whisper"),
    ("bert", "BERT"), ("xlm-roberta", "RoBERTa"), ("idefics3", "SmolVLM"), ("gpt_bigcode", "StarCoder"),
])
def test_display_names(model_type: str, family: str) -> None:
    assert family_for_type(model_type) == family


def test_unrecognised_type_is_none() -> None:
    assert family_for_type("zzz_custom") is None


@pytest.mark.parametrize("arch,family", [
    ("Qwen2ForCausalLM", "Qwen"), ("GptOssForCausalLM", "GPT-OSS"), ("DeepseekV3ForCausalLM", "DeepSeek"),
    ("LlavaForConditionalGeneration", "LLaVA"), ("MistralForCausalLM", "Mistral"),
])
def test_architecture_names(arch: str, family: str) -> None:
    assert family_for_architecture(arch) == family


@pytest.mark.parametrize("repo,family", [
    ("mlx-community/Qwen2.5-7B-Instruct-4bit", "Qwen"), ("mlx-community/Llama-3.3-70B-Instruct-4bit", "Llama"),
    ("mlx-community/gemma-3-27b-it-qat-4bit", "Gemma"), ("lmstudio-community/Phi-4-mini-MLX-4bit", "Phi"),
    ("mlx-community/DeepSeek-R1-Distill-Qwen-7B", "DeepSeek"), ("someone/optimus-prime", None),
    ("mlx-community/gpt-oss-20b-MXFP4-Q8", "GPT-OSS"), ("mlx-community/Mistral-Small-3.2-24B", "Mistral"),
])
def test_name_guess(repo: str, family: str | None) -> None:
    assert family_from_name(repo) == family
