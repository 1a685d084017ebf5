"""`ModelCharacteristics`: the facts about one model, with `to_dict` giving the stable JSON keys.

A module of its own so that the extraction (`characteristics`) and the estimators it calls
(`parameters`) can both use the type without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from app.core import quantization

# Floats that are a count of bits or a multiple: whole values are written as JSON integers (4, not 4.0).
_WHOLE_WHEN_INTEGRAL = ("quantization_bits", "rope_scaling_factor")


@dataclass(frozen=True)
class ModelCharacteristics:
    # The original schema
    model_type: str | None = None
    architectures: tuple[str, ...] | None = None
    architecture_family: str | None = None
    max_position_embeddings: int | None = None
    num_hidden_layers: int | None = None
    hidden_size: int | None = None
    vocab_size: int | None = None
    num_attention_heads: int | None = None
    num_key_value_heads: int | None = None
    quantization_bits: float | None = None  # float: 1.58-bit (BitNet) exists; usually an int value
    quantization_group_size: int | None = None
    is_multimodal: bool | None = None
    multimodal_type: str | None = None  # "vision", "audio" or "vision-audio"
    use_cache: bool | None = None
    # Added
    head_dim: int | None = None
    intermediate_size: int | None = None
    parameter_count_estimate: int | None = None
    parameter_count_method: str | None = None  # how the estimate was computed, in words
    quantization_mode: str | None = None  # affine, mxfp4, nvfp4, mxfp8, gptq, awq, bitsandbytes, fp8, ...
    quantization_is_mixed: bool | None = None
    is_moe: bool | None = None
    num_experts: int | None = None
    num_experts_per_token: int | None = None
    sliding_window: int | None = None
    rope_scaling_factor: float | None = None
    original_max_position_embeddings: int | None = None
    torch_dtype: str | None = None  # bfloat16, float16, float32 (the unquantized storage type)
    tie_word_embeddings: bool | None = None
    # Layers that keep a KV cache, when not all do (hybrid Mamba/conv/linear-attention models); else None.
    num_attention_layers: int | None = None
    # When the figure shown (parameter_count_estimate) was measured (safetensors counts) and the estimate
    # from config shapes disagrees by more than 25 %, that estimate; else None.
    parameter_count_config_estimate: int | None = None
    # A warning about the parameter figure in words (a measured/estimated or name/estimate disagreement).
    parameter_count_note: str | None = None
    # The config has quantization settings that cannot be read ("bits 'x' is not a number of bits").
    quantization_problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every value and costs ~10x more, for thousands of cards.
        result = {name: getattr(self, name) for name in _FIELD_NAMES}
        if self.architectures is not None:
            result["architectures"] = list(self.architectures)
        for name in _WHOLE_WHEN_INTEGRAL:
            value = result[name]
            if isinstance(value, float) and value.is_integer():
                result[name] = int(value)
        return result

    def known_fields(self) -> tuple[str, ...]:
        """The names of the fields whose value is known (not None)."""
        return tuple(name for name in _FIELD_NAMES if getattr(self, name) is not None)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return _FIELD_NAMES

    def to_row(self) -> list[Any]:
        """The values in field order (a compact form for storage); `from_row` reads it back."""
        return [list(v) if isinstance(v, tuple) else v for v in (getattr(self, n) for n in _FIELD_NAMES)]

    @classmethod
    def from_row(cls, row: object) -> ModelCharacteristics | None:
        """The inverse of `to_row`; None when the row does not fit this version of the fields."""
        if not isinstance(row, list) or len(row) != len(_FIELD_NAMES):
            return None
        pairs = zip(_FIELD_NAMES, row, strict=True)
        values: dict[str, Any] = {n: tuple(v) if isinstance(v, list) else v for n, v in pairs}
        return cls(**values)

    @property
    def bits_label(self) -> str | None:
        """What a badge says about the weights: "4-bit", "8-bit mixed", "MXFP4", "GPTQ 4-bit", "BF16"."""
        return quantization.label(
            self.quantization_bits, self.quantization_mode, self.quantization_is_mixed, self.torch_dtype
        )


_FIELD_NAMES = tuple(f.name for f in fields(ModelCharacteristics))
