"""Measured beats estimated: the parameter figure a card shows, filters use, and specs explain."""

from __future__ import annotations

from typing import Any

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.describe import card_badges, spec_items, spec_rows
from app.core.filters import FilterState, Match, matches
from app.core.listing import entry_from_listing, with_config
from app.core.model_entry import Tier
from app.core.parameter_figure import active_in_name, reconcile, size_in_name

# Qwen3-30B-A3B's text shapes without `moe_intermediate_size`: the estimator falls back to the dense
# intermediate size for every expert and reads ~233B.
QWEN3_MOE_WITHOUT_EXPERT_SIZE: dict[str, Any] = {
    "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": 2048,
    "intermediate_size": 6144, "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4,
    "head_dim": 128, "vocab_size": 151936, "num_experts": 128, "num_experts_per_tok": 8,
    "max_position_embeddings": 40960, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
}
LISTING_ITEM: dict[str, Any] = {
    "id": "Qwen/Qwen3-30B-A3B", "tags": ["qwen3_moe", "safetensors"], "library_name": "transformers",
    "config": {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe"},
    "safetensors": {"parameters": {"BF16": 30_532_122_624}, "total": 30_532_122_624},
}


def _hub_entry_after_config() -> Any:
    entry = entry_from_listing(LISTING_ITEM)
    assert entry is not None
    return with_config(entry, extract_characteristics(QWEN3_MOE_WITHOUT_EXPERT_SIZE))


def test_the_estimate_alone_is_far_off_for_this_config() -> None:
    estimate = extract_characteristics(QWEN3_MOE_WITHOUT_EXPERT_SIZE).parameter_count_estimate
    assert estimate is not None and estimate > 200e9


def test_the_listing_count_stays_when_the_config_lands() -> None:
    entry = _hub_entry_after_config()
    c = entry.characteristics
    assert c.parameter_count_estimate == 30_532_122_624
    assert entry.tier_of("parameter_count_estimate") == Tier.LISTING
    assert c.parameter_count_config_estimate is not None and c.parameter_count_config_estimate > 200e9
    assert c.parameter_count_note and "233" in c.parameter_count_note
    # Everything else the config says still wins.
    assert c.num_hidden_layers == 48 and entry.tier_of("num_hidden_layers") == Tier.CONFIG


def test_filters_use_the_figure_shown() -> None:
    entry = _hub_entry_after_config()
    assert matches(FilterState(parameters=frozenset({"15–35B"})), entry) == Match.YES
    assert matches(FilterState(parameters=frozenset({">80B"})), entry) == Match.NO


def test_card_and_specs_show_the_measured_figure_and_the_estimate_with_a_note() -> None:
    entry = _hub_entry_after_config()
    params = [b for b in card_badges(entry) if b.kind == "params"]
    assert [b.text for b in params] == ["30.5B"]
    items = {item.label: item for item in spec_items(entry)}
    assert items["Parameters"].value == "30.5B" and items["Parameters"].source == "Hub listing"
    assert items["Estimate"].value.startswith("≈ 233") and "measured" in items["Estimate"].tooltip
    assert items["Estimate"].warning and not items["Parameters"].warning
    rows = dict(spec_rows(entry.characteristics))
    assert rows["Parameters"].startswith("30.5B (Hub safetensors")
    assert rows["Config estimate"].startswith("≈ 233")


def test_agreeing_figures_need_no_note() -> None:
    c = reconcile(extract_characteristics({**QWEN3_MOE_WITHOUT_EXPERT_SIZE, "moe_intermediate_size": 768}),
                  measured=(30_532_122_624, "Hub safetensors total"), name="Qwen/Qwen3-30B-A3B")
    assert c.parameter_count_estimate == 30_532_122_624
    assert c.parameter_count_config_estimate is None and c.parameter_count_note is None


def test_without_a_measurement_the_estimate_is_shown() -> None:
    c = reconcile(extract_characteristics({**QWEN3_MOE_WITHOUT_EXPERT_SIZE, "moe_intermediate_size": 768}),
                  name="Qwen3-30B-A3B")
    assert c.parameter_count_estimate is not None and 29e9 < c.parameter_count_estimate < 32e9
    assert c.parameter_count_note is None and c.parameter_count_method
    assert c.parameter_count_method.startswith("from config shapes")


def test_a_name_that_contradicts_the_figure_is_noted() -> None:
    c = reconcile(extract_characteristics(QWEN3_MOE_WITHOUT_EXPERT_SIZE), name="someone/Qwen3-30B-A3B")
    assert c.parameter_count_note is not None and "name says 30B" in c.parameter_count_note
    assert c.parameter_count_config_estimate is None  # nothing measured: the estimate is the figure
    fine = reconcile(extract_characteristics(QWEN3_MOE_WITHOUT_EXPERT_SIZE), name="someone/big-moe")
    assert fine.parameter_count_note is None


def test_sizes_in_names() -> None:
    assert size_in_name("Qwen/Qwen3-30B-A3B") == 30_000_000_000
    assert size_in_name("Qwen2.5-0.5B-Instruct") == 500_000_000
    assert size_in_name("Mixtral-8x7B") is None
    assert active_in_name("Qwen3-30B-A3B") == 3_000_000_000
    assert active_in_name("Llama-3-8B") is None
    # Llama 4 names the active size and the expert count: no total to check against.
    assert size_in_name("meta-llama/Llama-4-Scout-17B-16E-Instruct") is None
    assert active_in_name("meta-llama/Llama-4-Scout-17B-16E-Instruct") == 17_000_000_000


def test_an_active_size_is_not_taken_for_the_total() -> None:
    c = reconcile(ModelCharacteristics(parameter_count_estimate=108_600_000_000,
                                       parameter_count_method="from config shapes"),
                  name="meta-llama/Llama-4-Scout-17B-16E-Instruct")
    assert c.parameter_count_note is None
