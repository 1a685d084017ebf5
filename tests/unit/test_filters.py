"""The filter predicate: AND across sections, OR within, pending while a Hub config is on its way."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.characteristics import ModelCharacteristics
from app.core.filters import (
    PARAM_BUCKETS,
    QUANT_OPTIONS,
    FilterState,
    Match,
    compile_filter,
    evaluate,
    facets,
    matches,
    server_params,
)
from app.core.model_entry import ConfigStatus, ModelEntry, Source

QWEN_4BIT = ModelCharacteristics(architecture_family="Qwen", quantization_bits=4, quantization_mode="affine",
                                 parameter_count_estimate=7_600_000_000, max_position_embeddings=32768,
                                 is_multimodal=False, is_moe=False, model_type="qwen2")
QWEN_VL = ModelCharacteristics(architecture_family="Qwen", quantization_bits=4, quantization_mode="affine",
                               parameter_count_estimate=8_300_000_000, max_position_embeddings=131072,
                               is_multimodal=True, multimodal_type="vision", is_moe=False, model_type="qwen2_vl")
LLAMA_BF16 = ModelCharacteristics(architecture_family="Llama", torch_dtype="bfloat16",
                                  parameter_count_estimate=70_000_000_000, max_position_embeddings=131072,
                                  is_multimodal=False, is_moe=False, model_type="llama")
GPT_OSS = ModelCharacteristics(architecture_family="GPT-OSS", quantization_bits=4, quantization_mode="mxfp4",
                               parameter_count_estimate=20_900_000_000, max_position_embeddings=131072,
                               is_multimodal=False, is_moe=True, num_experts=32, model_type="gpt_oss")


def entry(repo_id: str, c: ModelCharacteristics | None, *, source: Source = Source.LOCAL,
          status: ConfigStatus = ConfigStatus.OK, gated: str | None = None) -> ModelEntry:
    return ModelEntry(id=repo_id, source=source, characteristics=c, config_status=status, gated=gated)


ENTRIES = [
    entry("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_4BIT),
    entry("mlx-community/Qwen2-VL-7B-Instruct-4bit", QWEN_VL),
    entry("meta-llama/Llama-3.3-70B-Instruct", LLAMA_BF16, source=Source.HUB, gated="manual"),
    entry("mlx-community/gpt-oss-20b-MXFP4", GPT_OSS, source=Source.HUB),
]


def shown(state: FilterState, entries: list[ModelEntry] = ENTRIES) -> list[str]:
    return [e.id for e in entries if matches(state, e) is Match.YES]


def test_no_filter_shows_everything() -> None:
    assert shown(FilterState()) == [e.id for e in ENTRIES]
    assert FilterState().is_empty and FilterState().chips() == []


def test_or_within_a_section_and_across_sections() -> None:
    assert shown(FilterState(families=frozenset({"Qwen", "Llama"}))) == [e.id for e in ENTRIES[:3]]
    both = FilterState(families=frozenset({"Qwen", "Llama"}), quantization=frozenset({"4"}))
    assert shown(both) == [e.id for e in ENTRIES[:2]]


def test_quantization_classes() -> None:
    assert shown(FilterState(quantization=frozenset({"unquantized"}))) == [ENTRIES[2].id]
    assert shown(FilterState(quantization=frozenset({"mxfp4"}))) == [ENTRIES[3].id]
    assert shown(FilterState(quantization=frozenset({"4"}))) == [e.id for e in ENTRIES[:2]]  # MXFP4 is its own


def test_capabilities_parameters_context_moe_gated() -> None:
    assert shown(FilterState(capability="multimodal")) == [ENTRIES[1].id]
    assert shown(FilterState(capability="text")) == [ENTRIES[0].id, ENTRIES[2].id, ENTRIES[3].id]
    assert shown(FilterState(vision=True)) == [ENTRIES[1].id]
    assert shown(FilterState(audio=True)) == []
    assert shown(FilterState(parameters=frozenset({"3–8B"}))) == [ENTRIES[0].id]
    assert shown(FilterState(parameters=frozenset({">80B", "35–80B"}))) == [ENTRIES[2].id]
    assert shown(FilterState(min_context=128 * 1024)) == [e.id for e in ENTRIES[1:]]
    assert shown(FilterState(moe_only=True)) == [ENTRIES[3].id]
    assert shown(FilterState(hide_gated=True)) == [e.id for e in ENTRIES if e.gated is None]


def test_a_hub_entry_without_its_config_is_pending_not_dropped() -> None:
    guess = ModelCharacteristics(architecture_family="Qwen")  # from the name only
    waiting = entry("someone/Qwen-thing", guess, source=Source.HUB, status=ConfigStatus.PENDING)
    state = FilterState(families=frozenset({"Qwen"}), min_context=32 * 1024)
    assert matches(state, waiting) is Match.PENDING
    landed = waiting.with_changes(characteristics=QWEN_4BIT, config_status=ConfigStatus.OK)
    assert matches(state, landed) is Match.YES
    failed = waiting.with_changes(config_status=ConfigStatus.UNAVAILABLE)
    assert matches(state, failed) is Match.NO  # nothing more will be learned
    # A known mismatch is a miss at once, even while other values are pending.
    assert matches(FilterState(families=frozenset({"Llama"}), min_context=32 * 1024), waiting) is Match.NO


def test_local_entry_without_config_is_a_miss_not_pending() -> None:
    broken = entry("org/broken", None, status=ConfigStatus.UNAVAILABLE)
    assert matches(FilterState(families=frozenset({"Qwen"})), broken) is Match.NO


def test_chips_remove_one_condition_each() -> None:
    state = FilterState(families=frozenset({"Qwen"}), quantization=frozenset({"4", "8"}), moe_only=True,
                        min_context=32768)
    chips = state.chips()
    assert [label for _, label in chips] == ["Qwen", "4-bit", "8-bit", "≥ 32K context", "MoE only"]
    for key, _ in chips:
        smaller = state.without(key)
        assert len(smaller.chips()) == len(chips) - 1
    cleared = state
    for key, _ in chips:
        cleared = cleared.without(key)
    assert cleared.is_empty


def test_server_side_parameters() -> None:
    assert server_params(FilterState(parameters=frozenset({"3–8B", "8–15B"}))) == {
        "num_parameters": "min:3B,max:15B"}
    assert server_params(FilterState(parameters=frozenset({">80B"}))) == {"num_parameters": "min:80B"}
    assert "num_parameters" not in server_params(FilterState(parameters=frozenset({"<3B", ">80B"})))
    assert server_params(FilterState(vision=True)) == {"pipeline_tag": "image-text-to-text"}


# --- properties -----------------------------------------------------------------------------------

families = st.sampled_from(["Qwen", "Llama", "Gemma", "Mistral", None])
characteristics = st.builds(
    ModelCharacteristics,
    architecture_family=families,
    quantization_bits=st.sampled_from([None, 2, 3, 4, 5, 6, 8]),
    quantization_mode=st.sampled_from([None, "affine", "mxfp4", "nvfp4", "gptq", "awq", "fp8"]),
    parameter_count_estimate=st.one_of(st.none(), st.integers(1, 2 * 10**12)),
    max_position_embeddings=st.one_of(st.none(), st.integers(512, 10**7)),
    is_multimodal=st.sampled_from([None, True, False]),
    multimodal_type=st.sampled_from([None, "vision", "audio", "vision-audio"]),
    is_moe=st.sampled_from([None, True, False]),
    torch_dtype=st.sampled_from([None, "bfloat16"]),
)
entries = st.lists(
    st.builds(entry, st.text(min_size=1, max_size=8).map(lambda s: f"org/{s}"), st.one_of(st.none(), characteristics),
              source=st.sampled_from(list(Source)), status=st.sampled_from(list(ConfigStatus)),
              gated=st.sampled_from([None, "auto", "manual"])),
    max_size=30,
)
states = st.builds(
    FilterState,
    families=st.frozensets(st.sampled_from(["Qwen", "Llama", "Gemma", "Mistral"])),
    capability=st.sampled_from(["any", "text", "multimodal"]),
    vision=st.booleans(), audio=st.booleans(),
    quantization=st.frozensets(st.sampled_from(QUANT_OPTIONS)),
    parameters=st.frozensets(st.sampled_from([label for label, _, _ in PARAM_BUCKETS])),
    min_context=st.sampled_from([None, 8192, 32768, 131072]),
    moe_only=st.booleans(), hide_gated=st.booleans(),
)


@settings(max_examples=200)
@given(entries, states, st.randoms())
def test_filtering_is_order_independent(items: list[ModelEntry], state: FilterState, rnd: random.Random) -> None:
    compiled = compile_filter(state)
    verdicts = {id(e): evaluate(compiled, facets(e)) for e in items}
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert {id(e): evaluate(compiled, facets(e)) for e in shuffled} == verdicts


@settings(max_examples=200)
@given(entries, states)
def test_clearing_filters_restores_the_full_set(items: list[ModelEntry], state: FilterState) -> None:
    cleared = state
    for key, _ in state.chips():
        cleared = cleared.without(key)
    assert cleared.is_empty
    assert all(matches(cleared, e) is Match.YES for e in items)


@settings(max_examples=200)
@given(entries, states, states)
def test_adding_conditions_never_shows_more(items: list[ModelEntry], a: FilterState, b: FilterState) -> None:
    both = FilterState(
        families=a.families or b.families, capability=a.capability, vision=a.vision or b.vision,
        audio=a.audio or b.audio, quantization=a.quantization or b.quantization,
        parameters=a.parameters or b.parameters, min_context=a.min_context or b.min_context,
        moe_only=a.moe_only or b.moe_only, hide_gated=a.hide_gated or b.hide_gated,
    )
    for e in items:
        if matches(both, e) is Match.YES:
            assert matches(a, e) is Match.YES
