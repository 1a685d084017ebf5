"""Listing items -> entries: what a card can show before any config.json, and where each fact came from."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from app.core.characteristics import extract_characteristics
from app.core.listing import entry_from_listing, parameters_from_safetensors, with_config
from app.core.model_entry import ConfigStatus, Source, Tier

MLX_ITEM = {
    "_id": "65f0",
    "id": "mlx-community/Qwen2.5-7B-Instruct-4bit",
    "downloads": 18234,
    "likes": 12,
    "lastModified": "2024-09-19T12:00:00.000Z",
    "createdAt": "2024-09-18T08:30:00.000Z",
    "gated": False,
    "tags": ["mlx", "safetensors", "qwen2", "text-generation", "conversational", "4-bit"],
    "pipeline_tag": "text-generation",
    "library_name": "mlx",
    "config": {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "quantization_config": {"bits": 4, "group_size": 64},
    },
    # The Hub's element counts for a 4-bit MLX repo: packed U32 weights + BF16 scales/biases/norms.
    "safetensors": {"parameters": {"BF16": 238_600_000, "U32": 952_000_000}, "total": 1_190_600_000},
}


def test_listing_facts_are_listing_tier() -> None:
    entry = entry_from_listing(MLX_ITEM)
    assert entry is not None
    c = entry.characteristics
    assert c is not None
    assert entry.source is Source.HUB
    assert entry.config_status is ConfigStatus.PENDING
    assert c.architecture_family == "Qwen"
    assert c.model_type == "qwen2"
    assert c.architectures == ("Qwen2ForCausalLM",)
    assert c.quantization_bits == 4
    assert c.quantization_group_size == 64
    assert entry.tier_of("architecture_family") is Tier.LISTING
    assert entry.tier_of("quantization_bits") is Tier.LISTING
    assert entry.tier_of("parameter_count_estimate") is Tier.LISTING
    assert entry.downloads == 18234 and entry.likes == 12
    assert entry.last_modified == datetime(2024, 9, 19, 12, 0, tzinfo=UTC)
    assert entry.gated is None
    assert entry.is_mlx is True
    assert "qwen2" in entry.tags


def test_packed_4bit_counts_are_unpacked_to_the_real_size() -> None:
    # The plain total (1.19B) would tell a user a 7.6B model is a 1B one.
    entry = entry_from_listing(MLX_ITEM)
    assert entry is not None and entry.characteristics is not None
    count = entry.characteristics.parameter_count_estimate
    assert count is not None and 7.0e9 < count < 8.0e9
    method = entry.characteristics.parameter_count_method or ""
    assert "4-bit" in method and "unpacked" in method


def test_unquantized_counts_are_the_total() -> None:
    result = parameters_from_safetensors({"parameters": {"BF16": 7_615_616_512}, "total": 7_615_616_512})
    assert result == (7_615_616_512, "Hub safetensors total")


def test_packed_counts_without_known_bits_give_no_number() -> None:
    # A wrong size is worse than none: without the bit width the U32 counts cannot be read.
    assert parameters_from_safetensors({"parameters": {"BF16": 10, "U32": 1000}, "total": 1010}) is None


def test_mxfp4_scales_are_not_counted_as_weights() -> None:
    count, method = parameters_from_safetensors(
        {"parameters": {"BF16": 1000, "U32": 1000, "U8": 250}}, bits=4, mode="mxfp4") or (0, "")
    assert count == 8000 + 1000
    assert "scales" in method


def test_name_guesses_are_name_tier() -> None:
    entry = entry_from_listing({"id": "someone/Llama-3.2-1B-Instruct-8bit", "tags": ["mlx"]})
    assert entry is not None and entry.characteristics is not None
    c = entry.characteristics
    assert c.architecture_family == "Llama"
    assert c.quantization_bits == 8
    assert c.parameter_count_estimate == 1_000_000_000
    assert entry.tier_of("architecture_family") is Tier.NAME
    assert entry.tier_of("quantization_bits") is Tier.NAME
    assert entry.tier_of("parameter_count_estimate") is Tier.NAME


def test_model_type_tag_beats_the_name() -> None:
    entry = entry_from_listing({"id": "someone/my-finetune-v2", "tags": ["mlx", "optimum", "gemma3_text"]})
    assert entry is not None and entry.characteristics is not None
    assert entry.characteristics.architecture_family == "Gemma"
    assert entry.tier_of("architecture_family") is Tier.NAME


def test_vision_pipeline_tag_marks_multimodal() -> None:
    entry = entry_from_listing({"id": "mlx-community/gemma-3-4b-it-4bit",
                                "pipeline_tag": "image-text-to-text"})
    assert entry is not None and entry.characteristics is not None
    assert entry.characteristics.is_multimodal is True
    assert entry.characteristics.multimodal_type == "vision"
    # ...but a text pipeline tag does not prove a model is text-only.
    text = entry_from_listing({"id": "a/b", "pipeline_tag": "text-generation"})
    assert text is not None and text.characteristics is not None
    assert text.characteristics.is_multimodal is None


def test_gated_values() -> None:
    assert (entry_from_listing({"id": "a/b", "gated": "manual"}) or _fail()).gated == "manual"
    assert (entry_from_listing({"id": "a/b", "gated": "auto"}) or _fail()).gated == "auto"
    assert (entry_from_listing({"id": "a/b", "gated": False}) or _fail()).gated is None


def test_wrong_types_are_dropped_not_raised() -> None:
    entry = entry_from_listing({
        "id": "a/b", "downloads": "lots", "likes": -3, "lastModified": 12, "gated": 7, "tags": "mlx",
        "pipeline_tag": ["x", "y"], "config": [1, 2], "safetensors": {"parameters": "BF16", "total": "x"},
    })
    assert entry is not None
    assert entry.downloads is None and entry.likes is None and entry.last_modified is None
    assert entry.gated is None and entry.tags == () and entry.pipeline_tag is None


def test_items_without_a_valid_id_are_skipped() -> None:
    assert entry_from_listing({"id": "../../etc/passwd"}) is None
    assert entry_from_listing({"downloads": 3}) is None
    assert entry_from_listing(["a/b"]) is None


def test_config_tier_replaces_and_listing_fills_gaps() -> None:
    entry = entry_from_listing(MLX_ITEM)
    assert entry is not None
    config = {"model_type": "qwen2", "max_position_embeddings": 32768, "num_hidden_layers": 28,
              "hidden_size": 3584, "num_attention_heads": 28, "num_key_value_heads": 4,
              "quantization": {"bits": 4, "group_size": 64}}
    merged = with_config(entry, extract_characteristics(config))
    assert merged.config_status is ConfigStatus.OK
    assert merged.characteristics is not None
    assert merged.characteristics.max_position_embeddings == 32768
    assert merged.tier_of("max_position_embeddings") is Tier.CONFIG
    assert merged.tier_of("architecture_family") is Tier.CONFIG
    # architectures were only in the listing: kept, with the listing's tier
    assert merged.characteristics.architectures == ("Qwen2ForCausalLM",)
    assert merged.tier_of("architectures") is Tier.LISTING


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(
    st.sampled_from(["id", "tags", "config", "safetensors", "downloads", "gated", "pipeline_tag",
                     "lastModified", "library_name", "likes"]),
    json_values, max_size=10,
))
def test_any_item_gives_an_entry_or_none(item: dict[str, object]) -> None:
    item.setdefault("id", "org/name")
    entry = entry_from_listing(item)
    if entry is not None:
        assert entry.characteristics is not None
        assert all(isinstance(tier, Tier) for _, tier in entry.provenance)


def _fail() -> object:
    raise AssertionError("no entry")


def test_group_size_missing_from_the_listing_assumes_mlx_default() -> None:
    # 64 weights per group: one BF16 scale and one bias each; here the floats are only those.
    count, method = parameters_from_safetensors(
        {"parameters": {"BF16": 2 * 8_000_000 // 64, "U32": 1_000_000}}, bits=4) or (0, "")
    assert count == 8_000_000
    assert "64 assumed" in method
