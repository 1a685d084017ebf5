"""The "Runs with mlx-lm" and "Fits in memory" filters: decided by each entry's runtime facts."""

from __future__ import annotations

from app.core.characteristics import extract_characteristics
from app.core.filters import FilterState, Match, matches
from app.core.memory import Budget
from app.core.model_entry import ConfigStatus, ModelEntry, Source
from app.core.runtime import runtime_facts
from app.services.mlx_support import read_registry
from app.ui.filter_settings import state_from_json, state_to_json

QWEN = {"model_type": "qwen2", "hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
        "num_key_value_heads": 4, "vocab_size": 152064, "intermediate_size": 18944,
        "max_position_embeddings": 32768, "quantization": {"group_size": 64, "bits": 4}}
WHISPER = {"model_type": "whisper", "d_model": 384}
RUNS = FilterState(runs_mlx_lm=True)
FITS = FilterState(fits_memory=True)


def entry(config: dict[str, object], *, budget: int | None = 21_300_000_000, judged: bool = True,
          source: Source = Source.LOCAL, status: ConfigStatus = ConfigStatus.OK) -> ModelEntry:
    c = extract_characteristics(config)
    rt = runtime_facts(c, read_registry(), Budget(budget, "test")) if judged and budget else None
    return ModelEntry(id="org/model", source=source, characteristics=c, config_status=status, runtime=rt)


def test_runs_with_mlx_lm_keeps_what_mlx_lm_builds() -> None:
    assert matches(RUNS, entry(QWEN)) == Match.YES
    assert matches(RUNS, entry(WHISPER)) == Match.NO


def test_fits_in_memory_follows_the_verdict_at_8k() -> None:
    assert matches(FITS, entry(QWEN)) == Match.YES
    assert matches(FITS, entry(QWEN, budget=2_000_000_000)) == Match.NO


def test_not_judged_yet_is_pending_not_a_miss() -> None:
    # A local model whose facts are still being worked out must not vanish from a filtered list.
    assert matches(RUNS, entry(QWEN, judged=False)) == Match.PENDING
    assert matches(FITS, entry(QWEN, judged=False)) == Match.PENDING


def test_chips_remove_and_persist() -> None:
    both = FilterState(runs_mlx_lm=True, fits_memory=True)
    assert ("runs", "Runs with mlx-lm") in both.chips() and ("fits", "Fits in memory") in both.chips()
    assert both.without("runs") == FITS and both.without("fits") == RUNS
    assert state_from_json(state_to_json(both)) == both

