"""Memory estimates: KV cache per token and weight bytes."""

from __future__ import annotations

from app.core.characteristics import ModelCharacteristics


def kv_cache_bytes_per_token(c: ModelCharacteristics, bytes_per_value: int = 2) -> int | None:
    """K and V for every attending layer: 2 × layers × kv_heads × head_dim × bytes (fp16 cache)."""
    layers = c.num_attention_layers if c.num_attention_layers is not None else c.num_hidden_layers
    kv_heads = c.num_key_value_heads or c.num_attention_heads
    if not layers or not kv_heads or not c.head_dim:
        return None
    return 2 * layers * kv_heads * c.head_dim * bytes_per_value


def weight_bytes(c: ModelCharacteristics) -> int | None:
    """Approximate bytes of the weights at their stored precision."""
    if not c.parameter_count_estimate:
        return None
    if c.quantization_bits:
        # Affine quantization stores a scale and bias (16-bit each) per group.
        overhead = 32 / c.quantization_group_size if c.quantization_group_size else 0
        bits = c.quantization_bits + overhead
    else:
        bits = {"float32": 32, "float8": 8}.get(c.torch_dtype or "", 16)
    return int(c.parameter_count_estimate * bits / 8)
