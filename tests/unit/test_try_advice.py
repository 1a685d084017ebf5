"""What a card already says before Try: too large for this machine (asks first), or not runnable by mlx-lm."""

from __future__ import annotations

from dataclasses import replace

from app.core.characteristics import extract_characteristics
from app.core.memory import Budget
from app.core.mlx_support import Registry
from app.core.model_entry import ModelEntry, Source
from app.core.runtime import runtime_facts
from app.core.try_advice import cannot_run_reason, too_large_warning
from tests.cachebuilder import llama_config

REGISTRY = Registry(version="0.32.2", modules=frozenset({"llama", "qwen2"}))
GB = 1_000_000_000


def entry(config: dict[str, object], budget_gb: float, weight_files: int | None = None) -> ModelEntry:
    c = extract_characteristics(config)
    facts = runtime_facts(c, REGISTRY, Budget(int(budget_gb * GB), "test budget"), weight_files=weight_files)
    return ModelEntry(id="org/model", source=Source.LOCAL, characteristics=c, runtime=facts)


def test_a_model_too_large_for_the_budget_gets_a_sentence_with_the_arithmetic() -> None:
    big = entry(llama_config(layers=80, hidden=8192), budget_gb=16, weight_files=140 * GB)
    warning = too_large_warning(big)
    assert warning is not None
    assert warning.startswith("org/model needs about 14") and "8K" in warning
    assert "weights 140.0 GB + KV cache" in warning and "16.0 GB this machine" in warning


def test_a_model_that_fits_or_is_unknown_asks_nothing() -> None:
    assert too_large_warning(entry(llama_config(layers=2, hidden=256), budget_gb=16, weight_files=GB // 10)) is None
    assert too_large_warning(ModelEntry(id="org/model", source=Source.LOCAL)) is None


def test_an_architecture_mlx_lm_lacks_is_said_before_trying() -> None:
    other = entry({"model_type": "made_up_lm", "architectures": ["MadeUpForCausalLM"]}, 16)
    assert cannot_run_reason(other) == (
        "org/model cannot run with mlx-lm: mlx-lm 0.32.2 has no 'made_up_lm' architecture.")
    llama = entry(llama_config(layers=2, hidden=256), 16)
    assert cannot_run_reason(llama) is None
    assert cannot_run_reason(replace(llama, runtime=None)) is None
