"""Totality: any JSON value in, a valid result out; mutated real configs too.

The properties run on `extract_or_raise` (the extraction without its safety net), so an exception is a
failure here; `extract_characteristics` only adds the net, tested on its own below.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import parameters
from app.core.characteristics import ModelCharacteristics, extract_characteristics, extract_or_raise
from app.core.describe import badges, spec_rows

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "hf-configs"
_REAL = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.json"))] if CORPUS.is_dir() else []

KEYS = ["model_type", "architectures", "num_hidden_layers", "hidden_size", "num_attention_heads",
        "num_key_value_heads", "vocab_size", "max_position_embeddings", "quantization", "quantization_config",
        "text_config", "vision_config", "audio_config", "torch_dtype", "num_local_experts", "rope_scaling",
        "head_dim", "intermediate_size", "layer_types", "hybrid_override_pattern", "block_configs",
        "kv_lora_rank", "tie_word_embeddings", "sliding_window", "bits", "group_size", "mode", "quant_method"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["llama", "qwen2_vl", "affine", "mxfp4", "gptq", "bfloat16", "conv", "M*-E"]))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner,
                                            max_size=6)),
    max_leaves=30,
)

_TYPES: dict[str, tuple[type, ...]] = {}
for f in fields(ModelCharacteristics):
    hint = str(f.type)
    allowed: tuple[type, ...] = (type(None),)
    if "int" in hint:
        allowed += (int,)
    if "float" in hint:
        allowed += (float, int)
    if "str" in hint:
        allowed += (str,)
    if "bool" in hint:
        allowed += (bool,)
    if "tuple" in hint:
        allowed += (tuple,)
    _TYPES[f.name] = allowed


def _assert_valid(c: ModelCharacteristics) -> None:
    assert isinstance(c, ModelCharacteristics)
    for name, value in c.to_dict().items():
        if name == "architectures":
            assert value is None or all(isinstance(a, str) for a in value)
            continue
        assert isinstance(value, _TYPES[name]), (name, value)
        if isinstance(value, bool):
            assert bool in _TYPES[name] or name in ("is_moe",), (name, value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert math.isfinite(value) and value >= 0, (name, value)
    json.dumps(c.to_dict(), allow_nan=False)
    badges(c)
    spec_rows(c)


def _mutate(config: Any, data: st.DataObject) -> Any:
    if isinstance(config, dict) and config:
        key = data.draw(st.sampled_from(sorted(config)))
        action = data.draw(st.sampled_from(["replace", "delete", "recurse", "nest"]))
        mutated = dict(config)
        if action == "replace":
            mutated[key] = data.draw(json_values)
        elif action == "delete":
            del mutated[key]
        elif action == "recurse":
            mutated[key] = _mutate(config[key], data)
        else:
            mutated[key] = {"text_config": config[key]}
        return mutated
    if isinstance(config, list) and config:
        return [_mutate(config[0], data), *config[1:]]
    return data.draw(json_values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value_gives_a_valid_result(value: object) -> None:
    _assert_valid(extract_or_raise(value))


@pytest.mark.skipif(not _REAL, reason="../shared/corpus is not present")
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_configs_give_valid_results(data: st.DataObject) -> None:
    config = data.draw(st.sampled_from(_REAL))
    for _ in range(data.draw(st.integers(1, 4))):
        config = _mutate(config, data)
    _assert_valid(extract_or_raise(config))


@pytest.mark.slow
@settings(max_examples=100_000, suppress_health_check=list(HealthCheck), deadline=None)
@given(json_values)
def test_any_json_value_many_examples(value: object) -> None:
    _assert_valid(extract_or_raise(value))


@pytest.mark.slow
@pytest.mark.skipif(not _REAL, reason="../shared/corpus is not present")
@settings(max_examples=100_000, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.data())
def test_mutated_real_configs_many_examples(data: st.DataObject) -> None:
    config = data.draw(st.sampled_from(_REAL))
    for _ in range(data.draw(st.integers(1, 6))):
        config = _mutate(config, data)
    _assert_valid(extract_or_raise(config))


_LLAMA = {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
          "vocab_size": 100, "intermediate_size": 128}


def _broken_estimate(*_args: object) -> None:
    raise ZeroDivisionError("an engine bug")


def test_the_property_tests_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a bug planted in the engine, the inner function raises, so the properties above would fail."""
    monkeypatch.setattr(parameters, "estimate", _broken_estimate)
    with pytest.raises(ZeroDivisionError):
        test_any_json_value_gives_a_valid_result.hypothesis.inner_test(_LLAMA)  # type: ignore[attr-defined]


def test_the_wrapper_logs_what_it_swallowed(monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(parameters, "estimate", _broken_estimate)
    with caplog.at_level("WARNING", logger="app.core.characteristics"):
        result = extract_characteristics(_LLAMA)
    assert result == ModelCharacteristics()
    lines = [r for r in caplog.records if r.name == "app.core.characteristics"]
    assert len(lines) == 1
    assert "llama" in lines[0].getMessage() and "ZeroDivisionError" in lines[0].getMessage()
