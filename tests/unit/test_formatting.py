"""Numbers as a person reads them on a card, in `scan` and in `search`."""

from __future__ import annotations

import json

import pytest

from app.core import formatting
from app.core.characteristics import extract_characteristics


@pytest.mark.parametrize(("tokens", "text"), [
    (32_768, "32K"), (32_000, "32K"), (40_960, "40K"), (128_000, "128K"), (131_072, "128K"),
    (1_000_000, "1M"), (1_048_576, "1M"), (1_010_000, "1M"), (262_144, "256K"), (163_840, "160K"),
    (200_000, "200K"), (2_048, "2K"), (4_096, "4K"), (512, "512"), (0, None), (None, None),
])
def test_context_reads_the_way_model_cards_speak(tokens: int | None, text: str | None) -> None:
    assert formatting.context(tokens) == text


@pytest.mark.parametrize("option", [8 * 1024, 32 * 1024, 128 * 1024])
def test_a_minimum_context_admits_both_ways_of_counting(option: int) -> None:
    floor = formatting.min_context_tokens(option)
    k = option // 1024
    assert floor <= k * 1000 <= k * 1024
    assert formatting.context(k * 1000) == formatting.context(k * 1024) == f"{k}K"
    assert formatting.context(floor - 1000) != f"{k}K"


def test_whole_bits_are_json_integers_and_fractional_bits_stay_floats() -> None:
    four = extract_characteristics({"model_type": "llama", "quantization": {"bits": 4, "group_size": 64}})
    assert '"quantization_bits": 4,' in json.dumps(four.to_dict())
    assert isinstance(four.to_dict()["quantization_bits"], int)
    bitnet = extract_characteristics({"model_type": "llama", "quantization_config": {"quant_method": "bitnet"}})
    assert bitnet.to_dict()["quantization_bits"] == 1.58
    rope = extract_characteristics({"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4.0}})
    assert json.dumps(rope.to_dict()["rope_scaling_factor"]) == "4"


@pytest.mark.parametrize(("tokens", "passes"), [(131_072, True), (128_000, True), (130_000, True),
                                                (127_000, False), (65_536, False)])
def test_the_128k_filter_admits_what_reads_128k_or_more(tokens: int, passes: bool) -> None:
    from app.core.filters import FilterState, Match, matches
    from app.core.model_entry import ConfigStatus, ModelEntry, Source, Tier

    c = extract_characteristics({"model_type": "llama", "max_position_embeddings": tokens})
    entry = ModelEntry(id="org/m", source=Source.LOCAL, characteristics=c, config_status=ConfigStatus.OK,
                       provenance=tuple((name, Tier.CONFIG) for name in c.known_fields()))
    state = FilterState(min_context=128 * 1024)
    assert matches(state, entry) == (Match.YES if passes else Match.NO)
    assert ("context", "≥ 128K context") in state.chips()
