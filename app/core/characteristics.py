"""`extract_characteristics`: any parsed config.json in, the facts a person needs out.

Total by contract: any JSON value in, a valid `ModelCharacteristics` out, never an exception.
Unknown is `None`, never a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.core import modality, parameters, quantization
from app.core.families import UNKNOWN, family_for_architecture, family_for_type
from app.core.model_characteristics import ModelCharacteristics
from app.core.text_config import TextView, text_view
from app.core.values import as_bool, as_dict, as_float, as_int, as_str, as_str_list, first

__all__ = ["EMPTY", "ModelCharacteristics", "extract_characteristics", "extract_or_raise"]
log = logging.getLogger(__name__)

EMPTY = ModelCharacteristics()
MAX_LAYERS = 10_000

_DTYPES = {
    "bfloat16": "bfloat16", "bf16": "bfloat16", "float16": "float16", "fp16": "float16", "half": "float16",
    "float32": "float32", "fp32": "float32", "float": "float32", "float8_e4m3fn": "float8",
}


def extract_characteristics(config: object) -> ModelCharacteristics:
    """Total: never raises. A non-object gives an all-unknown result.

    A config the engine cannot read is a bug in the engine, not in the config: it is logged (one warning
    line per config, the traceback at debug level) and the config reads as unknown.
    """
    try:
        return extract_or_raise(config)
    except Exception as exc:
        log.debug("the extraction's traceback", exc_info=True)
        _log_swallowed(config, exc)
        return EMPTY


def _log_swallowed(config: object, exc: Exception) -> None:
    model_type = config.get("model_type") if isinstance(config, Mapping) else None
    # One line (a CLI prints it on stderr, so no traceback there; it is logged at debug just before).
    log.warning("could not read a config (model_type %r): %s: %s; its characteristics are left unknown",
                str(model_type)[:60], type(exc).__name__, str(exc)[:200])


def extract_or_raise(config: object) -> ModelCharacteristics:
    """The extraction itself, without the safety net: tests call this one, so a bug shows as a failure."""
    if not isinstance(config, Mapping):
        return EMPTY
    view = text_view(config)
    top = view.top
    model_type = as_str(top.get("model_type"))
    architectures = as_str_list(top.get("architectures"))
    family = _family(model_type, architectures, view)

    quant = quantization.extract(view)
    mm = modality.detect(top, model_type, architectures)

    heads = view.int("num_attention_heads", "n_head", "n_heads", "num_heads", "decoder_attention_heads")
    kv_heads = view.int("num_key_value_heads", "n_kv_heads", "num_kv_heads", "multi_query_group_num",
                        "n_head_kv", "num_key_value_groups_total")
    hidden = view.int("hidden_size", "n_embd", "d_model", "dim", "model_dim", "n_embed")
    head_dim = view.int("head_dim", "attention_head_dim", "kv_channels")
    if head_dim is None and hidden and heads and hidden % heads == 0:
        head_dim = hidden // heads
    if kv_heads is not None and heads is not None and kv_heads > heads:
        kv_heads = None  # more KV heads than query heads is not a real shape

    experts = parameters.experts(view)
    rope = _rope(view)
    context = view.int("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length",
                       "max_seq_len", "n_ctx", "max_target_positions", "model_max_length",
                       "max_position_embedding")
    if context is None:
        context = rope.get("max_position_embeddings")
    sliding = None
    if view.value("use_sliding_window") is not False:
        sliding = view.int("sliding_window", "sliding_window_size", "attention_window")

    tie = as_bool(first(view.scopes, ("tie_word_embeddings", "tie_embedding", "tie_embeddings")))

    dtype_text = as_str(first(view.scopes, ("torch_dtype", "dtype")))
    dtype = _DTYPES.get(dtype_text.lower().removeprefix("torch.")) if dtype_text else None

    base = ModelCharacteristics(
        model_type=model_type,
        architectures=architectures,
        architecture_family=family,
        max_position_embeddings=context,
        num_hidden_layers=_layers(view),
        hidden_size=hidden,
        vocab_size=view.int("vocab_size", "padded_vocab_size", "n_vocab"),
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        quantization_bits=quant.bits,
        quantization_group_size=quant.group_size,
        is_multimodal=mm.is_multimodal,
        multimodal_type=mm.kind,
        use_cache=as_bool(view.value("use_cache")),
        head_dim=head_dim,
        intermediate_size=view.int("intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim",
                                   "decoder_ffn_dim", "hidden_dim", "intermediate_dim"),
        quantization_mode=quant.mode,
        quantization_is_mixed=quant.is_mixed,
        quantization_problem=quant.problem,
        is_moe=experts.is_moe,
        num_experts=experts.total,
        num_experts_per_token=experts.active,
        sliding_window=sliding,
        rope_scaling_factor=rope.get("factor"),
        original_max_position_embeddings=rope.get("original"),
        torch_dtype=dtype,
        tie_word_embeddings=tie,
        num_attention_layers=parameters.attention_layers(view),
    )
    estimate = parameters.estimate(view, base)
    if estimate is None:
        return base
    # Set on the fresh instance rather than via dataclasses.replace, which costs more than the extraction.
    object.__setattr__(base, "parameter_count_estimate", estimate.total)
    object.__setattr__(base, "parameter_count_method", estimate.method)
    return base


def _layers(view: TextView) -> int | None:
    layers = view.int("num_hidden_layers", "n_layer", "n_layers", "num_layers", "decoder_layers",
                      "n_layers_total")
    # The deepest real models have a few hundred layers; beyond this it is not a real shape.
    return layers if layers is not None and layers <= MAX_LAYERS else None


def _family(model_type: str | None, architectures: tuple[str, ...] | None, view: TextView) -> str | None:
    candidates: list[str | None] = [family_for_type(model_type)]
    candidates += [family_for_architecture(a) for a in architectures or ()]
    inner_type = as_str(view.text.get("model_type")) if view.text is not view.top else None
    candidates.append(family_for_type(inner_type))
    for candidate in candidates:
        if candidate and candidate != UNKNOWN:
            return candidate
    if model_type or architectures:
        return UNKNOWN
    return None


def _rope(view: TextView) -> dict[str, Any]:
    """Rope scaling factor, the pre-scaling context, and a context given only inside rope parameters."""
    result: dict[str, Any] = {}
    rope = as_dict(first(view.scopes, ("rope_scaling",))) or as_dict(first(view.scopes, ("rope_parameters",)))
    original = view.int("original_max_position_embeddings")
    if rope is not None:
        kind = as_str(rope.get("rope_type")) or as_str(rope.get("type"))
        factor = as_float(rope.get("factor"), minimum=1.0, maximum=1e6)
        if kind not in (None, "default", "mrope") and factor is not None and factor > 1.0:
            result["factor"] = factor
        original = original or as_int(rope.get("original_max_position_embeddings"))
        context_in_rope = as_int(rope.get("max_position_embeddings"))
        if context_in_rope:
            result["max_position_embeddings"] = context_in_rope
    if original is not None:
        result["original"] = original
    return result
