"""Characteristics in words: the badge texts a card shows and the rows of its specs."""

from __future__ import annotations

from app.core import formatting
from app.core.characteristics import ModelCharacteristics
from app.core.memory import kv_cache_bytes_per_token


def badges(c: ModelCharacteristics) -> list[str]:
    result: list[str] = []
    if c.architecture_family:
        result.append(c.architecture_family)
    if c.multimodal_type:
        result.append(c.multimodal_type.replace("vision-audio", "Vision + Audio").title())
    if c.bits_label:
        result.append(c.bits_label)
    if c.is_moe and c.num_experts:
        result.append(f"MoE {c.num_experts}×{c.num_experts_per_token}" if c.num_experts_per_token
                      else f"MoE {c.num_experts}")
    params = formatting.params(c.parameter_count_estimate)
    if params:
        result.append(params)
    ctx = formatting.context(c.max_position_embeddings)
    if ctx:
        result.append(ctx)
    return result


def _num(value: int | None) -> str | None:
    return f"{value:,}" if value is not None else None


def spec_rows(c: ModelCharacteristics) -> list[tuple[str, str]]:
    """(label, value) pairs for every known spec, in reading order; unknowns are left out."""
    rows: list[tuple[str, str | None]] = []
    ctx = _num(c.max_position_embeddings)
    if ctx and c.original_max_position_embeddings and c.rope_scaling_factor:
        ctx += f" (from {c.original_max_position_embeddings:,} × rope {c.rope_scaling_factor:g})"
    rows.append(("Context", ctx))
    rows.append(("Layers", _num(c.num_hidden_layers)))
    rows.append(("Hidden size", _num(c.hidden_size)))
    heads = _num(c.num_attention_heads)
    if heads and c.num_key_value_heads:
        ratio = c.num_attention_heads // c.num_key_value_heads if c.num_attention_heads else 0
        heads += f" (KV {c.num_key_value_heads}" + (f", GQA {ratio}:1)" if ratio > 1 else ")")
    rows.append(("Attention heads", heads))
    rows.append(("Head dim", _num(c.head_dim)))
    rows.append(("Vocab", _num(c.vocab_size)))
    rows.append(("Intermediate", _num(c.intermediate_size)))
    if c.parameter_count_estimate:
        estimate = formatting.params(c.parameter_count_estimate)
        rows.append(("Parameters", f"≈ {estimate} ({c.parameter_count_method})"))
    quant_parts = []
    if c.quantization_bits is not None:
        quant_parts.append(f"{c.quantization_bits:g}-bit")
    if c.quantization_group_size:
        quant_parts.append(f"group {c.quantization_group_size}")
    if c.quantization_mode:
        quant_parts.append(c.quantization_mode)
    if c.quantization_is_mixed:
        quant_parts.append("mixed per layer")
    rows.append(("Quantization", " · ".join(quant_parts) if quant_parts else
                 ("none" if c.torch_dtype or c.model_type else None)))
    if c.is_moe:
        rows.append(("Experts", f"{c.num_experts} total / {c.num_experts_per_token or '?'} active"))
    rows.append(("Sliding window", _num(c.sliding_window)))
    rows.append(("Weights dtype", c.torch_dtype))
    kv = kv_cache_bytes_per_token(c)
    if kv:
        rows.append(("KV cache", f"{formatting.size(kv * 1024)} per 1K tokens (fp16)"))
    if c.use_cache is not None:
        rows.append(("KV cache enabled", "yes" if c.use_cache else "no"))
    if c.tie_word_embeddings is not None:
        rows.append(("Tied embeddings", "yes" if c.tie_word_embeddings else "no"))
    if c.is_multimodal is not None:
        rows.append(("Inputs", "text + " + c.multimodal_type if c.multimodal_type else "text"))
    return [(label, value) for label, value in rows if value]
