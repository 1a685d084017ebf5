"""Parameter count estimated from the shapes a config gives (not `hidden * layers`).

Counts the text model: embeddings (tied or not), attention (GQA, explicit head_dim, MLA low-rank
projections), the MLP (gated or not), MoE experts with shared experts and the router. Norms and
biases are ignored (well under 0.1%). Vision and audio towers are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.text_config import TextView
from app.core.values import as_int, as_str

if TYPE_CHECKING:
    from app.core.characteristics import ModelCharacteristics


@dataclass(frozen=True)
class Experts:
    is_moe: bool | None
    total: int | None
    active: int | None
    shared: int | None


def experts(view: TextView) -> Experts:
    total = view.int("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts",
                     "num_moe_experts", "n_experts")
    active = view.int("num_experts_per_tok", "num_experts_per_token", "experts_per_token", "top_k_experts",
                      "moe_top_k", "num_selected_experts", "moe_k", "n_activated_experts", "top_k")
    shared = view.int("n_shared_experts", "num_shared_experts", "moe_num_shared_experts")
    if total is not None and total > 1:
        if active is not None and active > total:
            active = None
        return Experts(True, total, active, shared)
    has_keys = total is not None or any(
        k in scope for scope in view.scopes for k in ("num_local_experts", "num_experts", "n_routed_experts")
    )
    # num_experts: null or 1 means dense; say "not MoE" only when the config speaks of experts or layers.
    if has_keys or view.int("num_hidden_layers", "n_layer", "n_layers", "num_layers") is not None:
        return Experts(False, None, None, None)
    return Experts(None, None, None, None)


@dataclass(frozen=True)
class Estimate:
    total: int
    method: str


# Architectures whose MLP is a plain up/down projection (no gate).
_UNGATED = ("gpt2", "gpt_bigcode", "starcoder", "gpt_neox", "gptj", "bert", "roberta", "xlm", "whisper",
            "phi", "falcon", "opt", "bloom", "mpt", "codegen", "nomic", "modernbert", "t5", "vit", "stablelm_epoch")
_GATED_EXCEPTIONS = ("phi3", "phimoe", "phi4", "phi3small", "falcon_h1", "falcon_mamba", "stablelm")
# Families that tie input and output embeddings unless told otherwise.
_TIED_BY_DEFAULT = ("gpt2", "bert", "roberta", "gemma", "whisper", "t5", "gpt_bigcode", "starcoder", "opt")


def _is_gated(model_type: str) -> bool:
    if model_type.startswith(_GATED_EXCEPTIONS):
        return model_type != "phi" and not model_type.startswith("phi-")
    return not model_type.startswith(_UNGATED)


def estimate(view: TextView, c: ModelCharacteristics) -> Estimate | None:
    hidden, layers, vocab = c.hidden_size, c.num_hidden_layers, c.vocab_size
    heads = c.num_attention_heads
    if not hidden or not layers or not heads:
        return None
    text = view.text
    text_type = (as_str(text.get("model_type")) or c.model_type or "").lower()
    kv = c.num_key_value_heads or heads
    head_dim = c.head_dim or hidden // heads
    notes: list[str] = []

    # Embeddings
    embed = (vocab or 0) * hidden
    tied = c.tie_word_embeddings
    if tied is None:
        tied = text_type.startswith(_TIED_BY_DEFAULT)
    lm_head = 0 if tied else embed
    notes.append("tied embeddings" if tied else "separate input/output embeddings")
    if not vocab:
        notes.append("no vocab size")

    # Attention, per layer
    attention = _mla_attention(text, hidden, heads)
    if attention is not None:
        notes.append("MLA attention")
    else:
        attention = hidden * heads * head_dim + 2 * hidden * kv * head_dim + heads * head_dim * hidden
        if kv != heads:
            notes.append(f"GQA {heads}:{kv}")

    # MLP
    gated = _is_gated(text_type)
    mlp_mult = 3 if gated else 2
    inter = c.intermediate_size or (4 * hidden if not gated else None)
    dense_mlp = mlp_mult * hidden * inter if inter else None

    moe_layers = 0
    moe_mlp = 0
    if c.is_moe and c.num_experts:
        expert_inter = view.int("moe_intermediate_size", "expert_intermediate_size", "moe_ffn_hidden_size") or inter
        if expert_inter is None:
            return None
        per_expert = mlp_mult * hidden * expert_inter
        shared_inter = view.int("shared_expert_intermediate_size")
        shared = 0
        if shared_inter:
            shared = mlp_mult * hidden * shared_inter
        elif c.num_experts and _experts_shared(view):
            shared = _experts_shared(view) * per_expert
        elif text_type.startswith("llama4"):
            shared = per_expert  # Llama 4 has one shared expert of the expert size
        router = hidden * c.num_experts
        moe_mlp = c.num_experts * per_expert + shared + router
        moe_layers = _moe_layer_count(view, layers)
        notes.append(f"MoE {c.num_experts} experts × {moe_layers} layers")
        # Gemma 4 runs a dense MLP beside the experts in every layer.
        if text_type.startswith("gemma4") and view.value("enable_moe_block") is True and dense_mlp:
            moe_mlp += dense_mlp
        dense_inter = view.int("intermediate_size_mlp") if text_type.startswith("llama4") else None
        if dense_inter:
            dense_mlp = mlp_mult * hidden * dense_inter
    if dense_mlp is None and moe_layers < layers:
        return None
    dense_layers = layers - moe_layers
    per_layer_dense = attention + (dense_mlp or 0)
    total = embed + lm_head + dense_layers * per_layer_dense + moe_layers * (attention + moe_mlp)
    notes.insert(0, f"{layers} layers × (attention{' + gated MLP' if gated else ' + MLP'})")
    return Estimate(total=int(total), method="from config shapes: " + ", ".join(notes))


def _experts_shared(view: TextView) -> int:
    return view.int("n_shared_experts", "num_shared_experts", "moe_num_shared_experts") or 0


def _moe_layer_count(view: TextView, layers: int) -> int:
    dense_first = view.int("first_k_dense_replace") or 0
    freq = view.int("moe_layer_freq", "decoder_sparse_step", "interleave_moe_layer_step") or 1
    only_dense = view.value("mlp_only_layers")
    skip = len(only_dense) if isinstance(only_dense, list) else 0
    count = sum(1 for i in range(dense_first, layers) if (i + 1) % freq == 0 or freq == 1)
    return max(0, min(layers, count - skip))


def _mla_attention(text: Mapping[str, Any], hidden: int, heads: int) -> int | None:
    """DeepSeek-style multi-head latent attention, when the config gives its ranks."""
    kv_rank = as_int(text.get("kv_lora_rank"))
    nope = as_int(text.get("qk_nope_head_dim"))
    rope = as_int(text.get("qk_rope_head_dim"))
    v_dim = as_int(text.get("v_head_dim"))
    if not (kv_rank and nope and rope and v_dim):
        return None
    q_rank = as_int(text.get("q_lora_rank"))
    q_dim = heads * (nope + rope)
    q = hidden * q_rank + q_rank * q_dim if q_rank else hidden * q_dim
    kv = hidden * (kv_rank + rope) + kv_rank * heads * (nope + v_dim)
    out = heads * v_dim * hidden
    return q + kv + out
