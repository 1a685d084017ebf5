"""The engine's rules, each on an authored config that isolates it."""

from __future__ import annotations

import pytest

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.config_parse import ConfigError, parse_config_bytes, parse_config_object

LLAMA_8B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
    "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
    "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192},
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True,
}


def test_to_dict_has_every_field_and_null_for_unknown() -> None:
    d = extract_characteristics({}).to_dict()
    original = ["model_type", "architectures", "architecture_family", "max_position_embeddings",
                "num_hidden_layers", "hidden_size", "vocab_size", "num_attention_heads",
                "num_key_value_heads", "quantization_bits", "quantization_group_size", "is_multimodal",
                "multimodal_type", "use_cache"]
    added = ["head_dim", "intermediate_size", "parameter_count_estimate", "quantization_mode",
             "quantization_is_mixed", "is_moe", "num_experts", "num_experts_per_token", "sliding_window",
             "rope_scaling_factor", "torch_dtype", "tie_word_embeddings"]
    assert set(original + added) <= set(d)
    assert all(v is None for v in d.values())


def test_plain_llama_reads_shapes_and_estimates_8b() -> None:
    c = extract_characteristics(LLAMA_8B)
    assert (c.architecture_family, c.num_hidden_layers, c.num_key_value_heads, c.head_dim) == ("Llama", 32, 8, 128)
    assert c.max_position_embeddings == 131072
    assert c.rope_scaling_factor == 8.0 and c.original_max_position_embeddings == 8192
    assert c.parameter_count_estimate is not None
    assert abs(c.parameter_count_estimate - 8.03e9) / 8.03e9 < 0.01
    assert c.parameter_count_estimate != c.hidden_size * c.num_hidden_layers  # type: ignore[operator]
    assert c.quantization_bits is None and c.quantization_mode is None and c.torch_dtype == "bfloat16"
    assert c.bits_label == "BF16"
    assert c.is_multimodal is False and c.is_moe is False


def test_tied_embeddings_count_once() -> None:
    untied = extract_characteristics(LLAMA_8B).parameter_count_estimate
    tied = extract_characteristics({**LLAMA_8B, "tie_word_embeddings": True}).parameter_count_estimate
    assert untied is not None and tied is not None
    assert untied - tied == 128256 * 4096


def test_nested_text_config_wins_for_text_numbers() -> None:
    config = {
        "model_type": "llava", "architectures": ["LlavaForConditionalGeneration"],
        "hidden_size": 1024,  # the vision tower's width, not the language model's
        "text_config": {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
                        "num_attention_heads": 32, "vocab_size": 32064, "max_position_embeddings": 4096},
        "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "num_hidden_layers": 24},
        "image_token_index": 32000,
    }
    c = extract_characteristics(config)
    assert (c.hidden_size, c.num_hidden_layers, c.vocab_size, c.max_position_embeddings) == (4096, 32, 32064, 4096)
    assert c.multimodal_type == "vision" and c.architecture_family == "LLaVA"


@pytest.mark.parametrize("key", ["llm_config", "language_config", "decoder_config"])
def test_other_nesting_keys(key: str) -> None:
    c = extract_characteristics({"model_type": "x_custom", key: {"model_type": "qwen2", "num_hidden_layers": 28,
                                                               "hidden_size": 1536, "num_attention_heads": 12}})
    assert c.num_hidden_layers == 28 and c.hidden_size == 1536 and c.architecture_family == "Qwen"


def test_thinker_config_reaches_its_text_config() -> None:
    config = {"model_type": "qwen2_5_omni", "thinker_config": {
        "audio_config": {"d_model": 1280}, "text_config": {"num_hidden_layers": 28, "hidden_size": 3584,
                                                           "num_attention_heads": 28, "vocab_size": 152064}}}
    c = extract_characteristics(config)
    assert c.num_hidden_layers == 28 and c.vocab_size == 152064


def test_top_level_text_model_is_used_when_not_nested() -> None:
    c = extract_characteristics({"model_type": "qwen2_5_vl", "num_hidden_layers": 28, "hidden_size": 3584,
                                 "num_attention_heads": 28, "vision_config": {"depth": 32}})
    assert c.num_hidden_layers == 28 and c.multimodal_type == "vision"


def test_mlx_quantization_with_mode_and_per_layer_overrides_is_mixed() -> None:
    q = {"group_size": 64, "bits": 4, "mode": "affine",
         "model.layers.0.mlp.gate": {"group_size": 64, "bits": 8},
         "model.embed_tokens": False}
    c = extract_characteristics({**LLAMA_8B, "quantization": q, "quantization_config": dict(q)})
    assert (c.quantization_bits, c.quantization_group_size, c.quantization_mode) == (4, 64, "affine")
    assert c.quantization_is_mixed is True
    assert c.bits_label == "4-bit mixed"


def test_mlx_quantization_without_mode_is_affine_and_not_mixed() -> None:
    c = extract_characteristics({**LLAMA_8B, "quantization": {"group_size": 128, "bits": 4}})
    assert (c.quantization_bits, c.quantization_group_size, c.quantization_mode) == (4, 128, "affine")
    assert c.quantization_is_mixed is False and c.bits_label == "4-bit"


@pytest.mark.parametrize("mode,label", [("mxfp4", "MXFP4"), ("nvfp4", "NVFP4"), ("mxfp8", "MXFP8")])
def test_mlx_float_modes(mode: str, label: str) -> None:
    c = extract_characteristics({**LLAMA_8B, "quantization": {"group_size": 32, "bits": 4, "mode": mode}})
    assert c.quantization_mode == mode and c.bits_label == label


def test_quantization_config_copy_alone_is_read_as_mlx() -> None:
    c = extract_characteristics({**LLAMA_8B, "quantization_config": {"group_size": 64, "bits": 8}})
    assert (c.quantization_bits, c.quantization_mode) == (8, "affine")


@pytest.mark.parametrize("qc,bits,mode", [
    ({"quant_method": "gptq", "bits": 4, "group_size": 128}, 4, "gptq"),
    ({"quant_method": "awq", "bits": 4, "version": "gemm"}, 4, "awq"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4"}, 4, "bitsandbytes"),
    ({"quant_method": "bitsandbytes", "load_in_8bit": True}, 8, "bitsandbytes"),
    ({"quant_method": "fp8", "weight_block_size": [128, 128]}, 8, "fp8"),
    ({"quant_method": "mxfp4"}, 4, "mxfp4"),
    ({"quant_method": "modelopt", "quant_algo": "NVFP4"}, 4, "nvfp4"),
    ({"quant_method": "compressed-tensors",
      "config_groups": {"g": {"weights": {"num_bits": 4, "type": "int"}}}}, 4, "compressed-tensors"),
    ({"quant_method": "some-new-method"}, None, "some-new-method"),
])
def test_non_mlx_methods(qc: dict[str, object], bits: int | None, mode: str) -> None:
    c = extract_characteristics({**LLAMA_8B, "quantization_config": qc})
    assert c.quantization_bits == bits and c.quantization_mode == mode
    assert c.bits_label


@pytest.mark.parametrize("dtype,label", [("float16", "FP16"), ("float32", "FP32"), ("torch.bfloat16", "BF16")])
def test_unquantized_dtype_label(dtype: str, label: str) -> None:
    c = extract_characteristics({**LLAMA_8B, "torch_dtype": dtype})
    assert c.quantization_bits is None and c.bits_label == label


def test_transformers5_dtype_key() -> None:
    config = {k: v for k, v in LLAMA_8B.items() if k != "torch_dtype"}
    assert extract_characteristics({**config, "dtype": "float16"}).torch_dtype == "float16"


@pytest.mark.parametrize("extra,kind", [
    ({"vision_config": {"hidden_size": 1152}}, "vision"),
    ({"audio_config": {"d_model": 1280}}, "audio"),
    ({"vision_config": {"x": 1}, "audio_config": {"y": 1}}, "vision-audio"),
    ({"image_token_id": 151655}, "vision"),
    ({"image_token_index": 10}, "vision"),
    ({"video_token_id": 5}, "vision"),
    ({"audio_token_id": 7}, "audio"),
    ({"mm_vision_tower": "google/siglip-so400m"}, "vision"),
    ({"mm_audio_tower": "openai/whisper-large-v3"}, "audio"),
])
def test_multimodal_signals(extra: dict[str, object], kind: str) -> None:
    c = extract_characteristics({**LLAMA_8B, **extra})
    assert c.is_multimodal is True and c.multimodal_type == kind


def test_null_audio_config_means_no_audio() -> None:
    c = extract_characteristics({**LLAMA_8B, "audio_config": None, "audio_token_id": 9,
                                 "vision_config": {"hidden_size": 1}})
    assert c.multimodal_type == "vision"


@pytest.mark.parametrize("arch,model_type,expected", [
    ("Qwen2VLForConditionalGeneration", "qwen2_vl", "vision"),
    ("WhisperForConditionalGeneration", "whisper", "audio"),
    ("RevisionModelForCausalLM", "revision_lm", None),  # "vision" inside "revision" is not a word
    ("EvolvedForCausalLM", "evolved", None),  # "vl" inside a word is not "VL"
    ("LlavaForConditionalGeneration", "llava", "vision"),
])
def test_whole_word_matching(arch: str, model_type: str, expected: str | None) -> None:
    c = extract_characteristics({"architectures": [arch], "model_type": model_type, "num_hidden_layers": 2})
    assert c.multimodal_type == expected
    assert c.is_multimodal is (expected is not None)


def test_moe_counts_experts_shared_experts_and_router() -> None:
    config = {**LLAMA_8B, "model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}
    c = extract_characteristics(config)
    assert c.is_moe and (c.num_experts, c.num_experts_per_token) == (8, 2)
    assert c.parameter_count_estimate is not None and c.parameter_count_estimate > 40e9
    with_shared = extract_characteristics({**config, "n_shared_experts": 1}).parameter_count_estimate
    assert with_shared is not None and with_shared > c.parameter_count_estimate


def test_one_expert_is_not_moe() -> None:
    c = extract_characteristics({**LLAMA_8B, "num_experts": 1})
    assert c.is_moe is False and c.num_experts is None


def test_mla_attention_is_smaller_than_plain_attention() -> None:
    base = {**LLAMA_8B, "model_type": "deepseek_v2", "num_key_value_heads": 32}
    mla = {**base, "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_nope_head_dim": 128,
           "qk_rope_head_dim": 64, "v_head_dim": 128}
    plain_count = extract_characteristics(base).parameter_count_estimate
    mla_count = extract_characteristics(mla).parameter_count_estimate
    assert plain_count and mla_count and mla_count < plain_count
    assert "MLA" in (extract_characteristics(mla).parameter_count_method or "")


def test_kv_cache_counts_only_attending_layers_of_hybrids() -> None:
    from app.core.memory import kv_cache_bytes_per_token

    dense = extract_characteristics(LLAMA_8B)
    hybrid = extract_characteristics({**LLAMA_8B, "layer_types": ["conv"] * 24 + ["full_attention"] * 8})
    assert dense.num_attention_layers is None and hybrid.num_attention_layers == 8
    assert kv_cache_bytes_per_token(dense) == 2 * 32 * 8 * 128 * 2
    assert kv_cache_bytes_per_token(hybrid) == 2 * 8 * 8 * 128 * 2


def test_sliding_window_only_when_used() -> None:
    assert extract_characteristics({**LLAMA_8B, "sliding_window": 4096}).sliding_window == 4096
    off = {**LLAMA_8B, "sliding_window": 131072, "use_sliding_window": False}
    assert extract_characteristics(off).sliding_window is None


def test_legacy_gpt2_names() -> None:
    c = extract_characteristics({"model_type": "gpt2", "n_positions": 1024, "n_embd": 768, "n_layer": 12,
                                 "n_head": 12, "vocab_size": 50257})
    assert (c.max_position_embeddings, c.hidden_size, c.num_hidden_layers, c.num_attention_heads) == \
        (1024, 768, 12, 12)
    assert c.parameter_count_estimate is not None
    assert abs(c.parameter_count_estimate - 124e6) / 124e6 < 0.05


@pytest.mark.parametrize("bad", [
    {"num_hidden_layers": "32"},  # a string that is a number: coerced
    {"num_hidden_layers": 32.0},  # an integral float: coerced
])
def test_numbers_given_as_strings_or_floats_are_coerced(bad: dict[str, object]) -> None:
    assert extract_characteristics({**LLAMA_8B, **bad}).num_hidden_layers == 32


@pytest.mark.parametrize("bad", [
    {"num_hidden_layers": -3}, {"num_hidden_layers": True}, {"num_hidden_layers": 10**15},
    {"num_hidden_layers": float("inf")}, {"num_hidden_layers": float("nan")}, {"num_hidden_layers": [32]},
    {"num_hidden_layers": 32.5}, {"num_hidden_layers": "many"}, {"num_hidden_layers": {"n": 32}},
    {"num_hidden_layers": 10**400}, {"num_hidden_layers": "1e400"},
])
def test_absurd_or_wrong_typed_numbers_are_dropped(bad: dict[str, object]) -> None:
    c = extract_characteristics({**LLAMA_8B, **bad})
    assert c.num_hidden_layers is None
    assert c.model_type == "llama" and c.hidden_size == 4096  # one bad field does not spoil the rest
    assert c.parameter_count_estimate is None


def test_lists_and_wrong_types_where_strings_belong() -> None:
    c = extract_characteristics({**LLAMA_8B, "model_type": ["llama"], "architectures": "LlamaForCausalLM",
                                 "torch_dtype": 16})
    assert c.model_type == "llama" and c.architectures == ("LlamaForCausalLM",) and c.torch_dtype is None


@pytest.mark.parametrize("value", [None, 0, 1.5, "config", [], [1, 2], True])
def test_non_object_json_gives_an_empty_result(value: object) -> None:
    assert extract_characteristics(value) == ModelCharacteristics()


def test_non_strict_json_is_accepted() -> None:
    value = parse_config_bytes(b'{"model_type": "llama", "time_step_limit": [0.0, Infinity], "x": NaN}')
    assert isinstance(value, dict)
    assert extract_characteristics(value).model_type == "llama"


def test_huge_files_are_refused_before_parsing() -> None:
    with pytest.raises(ConfigError, match="too large"):
        parse_config_bytes(b" " * (2 * 1024 * 1024 + 1))


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"), (b"\xff\xfe\x00", "UTF-8"), (b"{not json", "not valid JSON"), (b"[1, 2]", "not a JSON object"),
    (b"[" * 100000 + b"]" * 100000, "deeply"),
])
def test_parse_errors_say_what_is_wrong(data: bytes, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        parse_config_object(data)
