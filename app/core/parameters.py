"""Parameter count estimated from the shapes a config gives (not `hidden * layers`).

Counts embeddings (tied or not), attention (GQA, explicit head_dim, MLA low-rank projections,
linear attention), the MLP (gated or not), MoE experts with shared experts and the router, hybrid
layers (Mamba2, short convolutions) layer by layer, per-layer block configs (Nemotron-NAS), the
encoder of encoder-decoder models, and vision/audio towers. Norms and biases are ignored (< 0.1%).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core.model_characteristics import ModelCharacteristics
from app.core.text_config import TextView
from app.core.values import as_bool, as_float, as_int, as_str


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
                      "moe_top_k", "num_selected_experts", "moe_k", "n_activated_experts")
    shared = view.int("n_shared_experts", "num_shared_experts", "moe_num_shared_experts")
    if total is not None and total > 1:
        if active is not None and active > total:
            active = None
        return Experts(True, total, active, shared)
    if view.int("num_hidden_layers", "n_layer", "n_layers", "num_layers") is not None:
        return Experts(False, None, None, None)
    return Experts(None, None, None, None)


@dataclass(frozen=True)
class Estimate:
    total: int
    method: str


# Architectures whose MLP is a plain up/down projection (no gate).
_UNGATED_PREFIXES = ("gpt2", "gpt_bigcode", "starcoder", "gpt_neox", "gptj", "bert", "roberta", "xlm", "whisper",
                     "falcon", "opt", "bloom", "mpt", "codegen", "nomic", "modernbert", "t5", "vit", "nemotron_h")
_UNGATED_EXACT = ("phi", "phi_msft", "nemotron")
_UNGATED_ACTS = ("relu2", "gelu_new", "gelu_fast")
# Families whose transformers config ties input and output embeddings when `tie_word_embeddings` is absent
# (the config class default); LLaMA, Qwen, Mistral and most others default to separate embeddings.
_TIED_BY_DEFAULT = ("gpt2", "bert", "roberta", "gemma", "whisper", "t5", "gpt_bigcode", "starcoder", "opt", "lfm",
                    "cohere", "ernie4_5", "falcon", "zamba", "recurrent_gemma", "vaultgemma", "paligemma", "bloom",
                    "modernbert", "smollm3", "minicpm3", "jetmoe", "xglm", "mpt", "diffusion_gemma")
_TIED_BY_DEFAULT_EXACT = ("gpt_neo", "mamba", "ctrl", "youtu")  # exact: gpt_neox and mamba2 do not tie


def _is_gated(model_type: str, text: Mapping[str, Any]) -> bool:
    act = as_str(text.get("mlp_hidden_act")) or as_str(text.get("activation_function")) or ""
    if act in _UNGATED_ACTS or model_type in _UNGATED_EXACT:
        return False
    return not model_type.startswith(_UNGATED_PREFIXES)


@dataclass(frozen=True)
class _Shapes:
    hidden: int
    heads: int
    kv: int
    head_dim: int
    mlp_mult: int


def estimate(view: TextView, c: ModelCharacteristics) -> Estimate | None:
    hidden, layers, vocab, heads = c.hidden_size, c.num_hidden_layers, c.vocab_size, c.num_attention_heads
    if not hidden or not layers or not heads:
        return None
    text = view.text
    text_type = (as_str(text.get("model_type")) or c.model_type or "").lower().replace("-", "_")
    gated = _is_gated(text_type, text)
    s = _Shapes(hidden, heads, c.num_key_value_heads or heads, c.head_dim or hidden // heads, 3 if gated else 2)
    notes: list[str] = []

    tied = c.tie_word_embeddings
    if tied is None:
        tied = text_type.startswith(_TIED_BY_DEFAULT) or text_type in _TIED_BY_DEFAULT_EXACT or (
            c.architecture_family == "Gemma")
    embed = (vocab or 0) * hidden
    total = embed + (0 if tied else embed)
    notes.append("tied embeddings" if tied else "separate input/output embeddings")

    attention = _mla_attention(text, hidden, heads)
    if attention is not None:
        notes.append("MLA attention")
    else:
        attention = _attention(s)
        if s.kv != heads:
            notes.append(f"GQA {heads}:{s.kv}")
    dense_mlp = _dense_mlp(view, c, s)
    moe = _moe_mlp(view, c, s, text_type, dense_mlp)

    plan = _layer_plan(view, layers, c, text_type)
    if plan is None:
        return None
    for kind, count in plan.items():
        if kind == "block_configs":
            block = _block_configs(text, s)
            if block is None:
                return None
            total += block
            notes.append(f"{count} per-layer block configs")
            continue
        layer = 0
        parts = kind.split("+")
        for part in parts:
            if part == "attn":
                layer += attention
            elif part == "linear_attn":
                layer += _linear_attention(text, s) or attention
            elif part == "cross_attn":
                layer += _attention(s)
            elif part == "mamba":
                mamba = _mamba2(text, hidden)
                if mamba is None:
                    return None
                layer += mamba
            elif part == "conv":
                layer += 4 * hidden * hidden  # in_proj (3h) + out_proj (h); the kernel itself is tiny
            elif part == "mlp":
                if dense_mlp is None:
                    return None
                layer += dense_mlp
            elif part == "moe":
                if moe is None:
                    return None
                layer += moe
        total += count * layer
        if kind != "attn+mlp":
            notes.append(f"{count} × {kind.replace('+', ' + ')}")
    if c.is_moe and c.num_experts:
        notes.append(f"{c.num_experts} experts")

    encoder = _encoder_layers(text, s, dense_mlp)
    if encoder:
        total += encoder
        notes.append("encoder")
    for tower_key, label in (("vision_config", "vision"), ("audio_config", "audio")):
        tower = _tower(view.top.get(tower_key))
        if tower:
            total += tower
            notes.append(f"{label} encoder")
    notes.insert(0, f"{layers} layers, {'gated' if gated else 'plain'} MLP")
    return Estimate(total=int(total), method="from config shapes: " + ", ".join(notes))


def attention_layers(view: TextView) -> int | None:
    """How many layers attend (and so keep a KV cache) in a hybrid model; None when every layer does."""
    text = view.text
    pattern = as_str(text.get("hybrid_override_pattern"), max_len=4096)
    if pattern:
        return pattern.count("*")
    layer_types = text.get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        names = [str(kind) for kind in layer_types]
        attending = sum(1 for n in names if "attention" in n and "linear" not in n)
        return attending if attending < len(names) else None
    blocks = text.get("block_configs")
    if isinstance(blocks, list) and blocks:
        skipped = sum(1 for b in blocks if isinstance(b, Mapping) and isinstance(b.get("attention"), Mapping)
                      and (as_bool(b["attention"].get("no_op")) or as_bool(b["attention"].get("replace_with_linear"))))
        return len(blocks) - skipped if skipped else None
    return None


def _attention(s: _Shapes) -> int:
    return 2 * s.hidden * s.heads * s.head_dim + 2 * s.hidden * s.kv * s.head_dim


def _dense_mlp(view: TextView, c: ModelCharacteristics, s: _Shapes) -> int | None:
    inter = c.intermediate_size
    text = view.text
    if as_bool(text.get("block_auto_adjust_ff_dim")) and inter:
        inter = _swiglu_adjust(inter, as_float(text.get("block_ffn_dim_multiplier")),
                               as_int(text.get("block_multiple_of")) or 1)
    if inter is None and as_int(text.get("multiple_of")):
        # Meta params.json style: 4*dim scaled by 2/3 and a multiplier, rounded up to multiple_of.
        inter = _swiglu_adjust(4 * s.hidden, as_float(text.get("ffn_dim_multiplier")),
                               as_int(text.get("multiple_of")) or 1)
    if inter is None and s.mlp_mult == 2:
        inter = 4 * s.hidden
    return s.mlp_mult * s.hidden * inter if inter else None


def _swiglu_adjust(inter: int, multiplier: float | None, multiple_of: int) -> int:
    size = int(2 * inter / 3)
    if multiplier:
        size = int(multiplier * size)
    return _round_up(size, multiple_of)


def _round_up(value: int, multiple_of: int) -> int:
    return multiple_of * ((value + multiple_of - 1) // multiple_of)


def _moe_mlp(view: TextView, c: ModelCharacteristics, s: _Shapes, text_type: str,
             dense_mlp: int | None) -> int | None:
    if not (c.is_moe and c.num_experts):
        return None
    expert_inter = view.int("moe_intermediate_size", "expert_intermediate_size", "moe_ffn_hidden_size") \
        or c.intermediate_size
    if expert_inter is None:
        return None
    # A latent MoE (Nemotron 3) projects into a narrower latent once per layer; the routed experts work there.
    latent = view.int("moe_latent_size")
    if latent is not None and latent >= s.hidden:
        latent = None
    per_expert = s.mlp_mult * (latent or s.hidden) * expert_inter
    projections = 2 * s.hidden * latent if latent else 0
    shared_inter = view.int("shared_expert_intermediate_size", "moe_shared_expert_intermediate_size")
    n_shared = view.int("n_shared_experts", "num_shared_experts", "moe_num_shared_experts") or 0
    if shared_inter:
        shared = s.mlp_mult * s.hidden * shared_inter * max(1, n_shared if n_shared > 1 else 1)
    elif n_shared:
        shared = n_shared * per_expert
    elif text_type.startswith("llama4"):
        shared = per_expert  # Llama 4 has one shared expert of the expert size
    else:
        shared = 0
    if latent and shared and not shared_inter and n_shared:
        shared = n_shared * s.mlp_mult * s.hidden * expert_inter  # shared experts work on the full width
    moe = c.num_experts * per_expert + shared + s.hidden * c.num_experts + projections
    # Gemma 4 runs a dense MLP beside the experts in every layer.
    if text_type.startswith("gemma4") and view.value("enable_moe_block") is True and dense_mlp:
        moe += dense_mlp
    return moe


def _layer_plan(view: TextView, layers: int, c: ModelCharacteristics, text_type: str) -> dict[str, int] | None:
    """How many layers of each kind ("attn+mlp", "mamba", "attn+moe", ...)."""
    text = view.text
    if isinstance(text.get("block_configs"), list) and text["block_configs"]:
        return {"block_configs": len(text["block_configs"])}
    pattern = as_str(text.get("hybrid_override_pattern"), max_len=4096)
    if pattern:
        kinds = {"M": "mamba", "*": "attn", "-": "mlp", "E": "moe"}
        plan: dict[str, int] = {}
        for ch in pattern:
            if ch in kinds:
                plan[kinds[ch]] = plan.get(kinds[ch], 0) + 1
        return plan
    mlp = "moe" if c.is_moe and c.num_experts else "mlp"
    layer_types = text.get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        plan = {}
        for kind in layer_types[:layers]:
            name = str(kind)
            mixer = "conv" if name == "conv" else ("linear_attn" if name == "linear_attention" else "attn")
            key = f"{mixer}+{mlp}"
            plan[key] = plan.get(key, 0) + 1
        if sum(plan.values()) == layers:
            return _split_dense_layers(view, plan, layers, mlp)
    return _split_dense_layers(view, {f"attn+{mlp}": layers}, layers, mlp)


def _split_dense_layers(view: TextView, plan: dict[str, int], layers: int, mlp: str) -> dict[str, int]:
    """MoE models often keep some layers dense (DeepSeek's first_k_dense_replace, sparse steps)."""
    if mlp != "moe":
        return plan
    dense_first = view.int("first_k_dense_replace") or 0
    step = view.int("moe_layer_freq", "decoder_sparse_step", "interleave_moe_layer_step") or 1
    only_dense = view.value("mlp_only_layers")
    skip = len(only_dense) if isinstance(only_dense, list) else 0
    # Layers i >= dense_first with (i + 1) % step == 0, counted without iterating (layers is untrusted).
    first = min(dense_first, layers)
    moe_layers = (layers // step - first // step) if step > 1 else layers - first
    moe_layers -= skip
    dense = max(0, layers - max(0, moe_layers))
    if dense == 0:
        return plan
    result: dict[str, int] = {}
    for key, count in plan.items():
        take = min(dense, count)
        if take:
            result[key.replace("+moe", "+mlp")] = result.get(key.replace("+moe", "+mlp"), 0) + take
        if count - take:
            result[key] = count - take
        dense -= take
    return result


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
    return q + kv + heads * v_dim * hidden


def _linear_attention(text: Mapping[str, Any], s: _Shapes) -> int | None:
    """Gated DeltaNet-style linear attention (Qwen3-Next / Qwen3.5)."""
    nk, dk = as_int(text.get("linear_num_key_heads")), as_int(text.get("linear_key_head_dim"))
    nv, dv = as_int(text.get("linear_num_value_heads")), as_int(text.get("linear_value_head_dim"))
    if not (nk and dk and nv and dv):
        return None
    return s.hidden * (2 * nk * dk + 2 * nv * dv + 2 * nv) + nv * dv * s.hidden


def _mamba2(text: Mapping[str, Any], hidden: int) -> int | None:
    heads = as_int(text.get("mamba_num_heads"))
    head_dim = as_int(text.get("mamba_head_dim"))
    inner = heads * head_dim if heads and head_dim else (as_int(text.get("expand")) or 2) * hidden
    groups = as_int(text.get("n_groups")) or 1
    state = as_int(text.get("ssm_state_size")) or as_int(text.get("state_size")) or 128
    kernel = as_int(text.get("conv_kernel")) or 4
    heads = heads or inner // 64
    in_proj = hidden * (2 * inner + 2 * groups * state + heads)
    return in_proj + (inner + 2 * groups * state) * kernel + inner * hidden


def _block_configs(text: Mapping[str, Any], s: _Shapes) -> int | None:
    """Nemotron-NAS: each layer says its own attention group size and FFN multiplier."""
    total = 0
    for block in text.get("block_configs", []):
        if not isinstance(block, Mapping):
            return None
        attn = block.get("attention")
        ffn = block.get("ffn")
        if not isinstance(attn, Mapping):
            attn = {}
        if not isinstance(ffn, Mapping):
            ffn = {}
        if as_bool(attn.get("replace_with_linear")):
            total += s.hidden * s.hidden
        elif not as_bool(attn.get("no_op")):
            group = as_int(attn.get("n_heads_in_group")) or 1
            kv = max(1, s.heads // group)
            total += _attention(_Shapes(s.hidden, s.heads, kv, s.head_dim, s.mlp_mult))
        if as_bool(ffn.get("replace_with_linear")):
            total += s.hidden * s.hidden
        elif not as_bool(ffn.get("no_op")):
            mult = as_float(ffn.get("ffn_mult"), minimum=0.0, maximum=100.0) or 0.0
            inter = _round_up(int(2 * mult * s.hidden / 3), 256)
            total += 3 * s.hidden * inter
    return total


def _encoder_layers(text: Mapping[str, Any], s: _Shapes, dense_mlp: int | None) -> int:
    """Encoder-decoder models (Whisper, T5): the encoder stack, plus the decoder's cross-attention."""
    enc = as_int(text.get("encoder_layers"))
    dec = as_int(text.get("decoder_layers"))
    if not enc or not dec or dense_mlp is None:
        return 0
    return enc * (_attention(s) + dense_mlp) + dec * _attention(s)


def _tower(config: object) -> int:
    """A vision or audio encoder: transformer layers from its own sub-config."""
    if not isinstance(config, Mapping):
        return 0
    hidden = as_int(config.get("hidden_size")) or as_int(config.get("embed_dim")) or \
        as_int(config.get("d_model")) or as_int(config.get("width"))
    layers = as_int(config.get("num_hidden_layers")) or as_int(config.get("depth")) or \
        as_int(config.get("encoder_layers")) or as_int(config.get("num_layers"))
    if not hidden or not layers or layers > 1000:
        return 0
    ratio = as_float(config.get("mlp_ratio"), maximum=64.0)
    inter = as_int(config.get("intermediate_size")) or as_int(config.get("encoder_ffn_dim")) or \
        (int(hidden * ratio) if ratio else 4 * hidden)
    return layers * (4 * hidden * hidden + 2 * hidden * inter)
