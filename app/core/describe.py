"""Characteristics in words: the badge texts a card shows and the rows of its specs."""

from __future__ import annotations

from dataclasses import dataclass

from app.core import formatting
from app.core.memory import kv_cache_bytes_per_token
from app.core.model_characteristics import ModelCharacteristics
from app.core.model_entry import ConfigStatus, ModelEntry, Source, Tier
from app.core.parameter_figure import is_measured


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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _num(value: int | None) -> str | None:
    return f"{value:,}" if value is not None else None


def quantization_parts(c: ModelCharacteristics, *, short: bool) -> list[str]:
    """["4-bit", "group 64" / "g64", "affine", "mixed per layer" / "mixed"]: what is known, in order."""
    parts = []
    if c.quantization_bits is not None:
        parts.append(f"{c.quantization_bits:g}-bit")
    if c.quantization_group_size:
        parts.append(f"g{c.quantization_group_size}" if short else f"group {c.quantization_group_size}")
    if c.quantization_mode:
        parts.append(c.quantization_mode)
    if c.quantization_is_mixed:
        parts.append("mixed" if short else "mixed per layer")
    return parts


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
        figure = formatting.params(c.parameter_count_estimate)
        about = "" if is_measured(c.parameter_count_method) else "≈ "
        rows.append(("Parameters", f"{about}{figure} ({c.parameter_count_method})"))
    if c.parameter_count_config_estimate:
        rows.append(("Config estimate", f"≈ {formatting.params(c.parameter_count_config_estimate)}"))
    if c.parameter_count_note:
        rows.append(("Parameters note", _sentence(c.parameter_count_note)))
    quant_parts = quantization_parts(c, short=False)
    if c.quantization_problem:
        quant_parts.append(f"unreadable: {c.quantization_problem}")
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


# --- Structured card content: badges and specs with where each value came from -------------------------

_TIER_SOURCE = {Tier.NAME: "name", Tier.LISTING: "Hub listing", Tier.CONFIG: "config"}
_TIER_SENTENCE = {
    Tier.NAME: "Guessed from the model name; the config has not been read yet",
    Tier.LISTING: "From the Hub listing; the full config has not been read yet",
    Tier.CONFIG: "Read from config.json",
}
DERIVED = "derived"


@dataclass(frozen=True)
class CardBadge:
    """One badge as a card shows it. `kind` picks the colour; `guess` draws it dashed."""

    kind: str  # family, modality, quant, moe, params, context, gated, config, mlx, pending
    text: str
    tooltip: str
    guess: bool = False
    link: bool = False  # clicking it opens the model page


@dataclass(frozen=True)
class SpecItem:
    """One cell of the specs grid: `source` is the small grey word after the value."""

    label: str
    value: str
    source: str  # "config", "Hub listing", "name" or "derived"
    tooltip: str = ""
    warning: bool = False  # a value to check (figures that disagree, settings that cannot be read)


def _source(tiers: dict[str, Tier], *names: str) -> Tier | None:
    """The weakest tier among the fields a value rests on (a guess anywhere makes the value a guess)."""
    found = [tiers[n] for n in names if n in tiers]
    return min(found) if found else None


def _said(text: str, tier: Tier | None) -> str:
    return f"{text} — {_TIER_SENTENCE[tier].lower()}" if tier is not None else text


def _quant_words(c: ModelCharacteristics) -> str:
    if c.quantization_bits is None and c.quantization_mode is None:
        return f"Not quantized: weights stored as {c.torch_dtype}" if c.torch_dtype else "Weight format"
    words = "Quantized"
    if c.quantization_bits is not None:
        words += f" to {c.quantization_bits:g} bits per weight"
    if c.quantization_group_size:
        words += f" in groups of {c.quantization_group_size}"
    if c.quantization_mode:
        words += f" ({c.quantization_mode})"
    if c.quantization_is_mixed:
        words += "; some layers use a different width (mixed)"
    return words


def gated_badge(entry: ModelEntry) -> CardBadge | None:
    if not entry.gated:
        return None
    error = entry.config_error or ""
    how = "access requests are reviewed by the authors" if entry.gated == "manual" else \
        "access is granted at once after accepting the terms"
    if "not approved" in error:
        return CardBadge("gated", "Gated · request access",
                         f"Gated model: your token is not approved yet ({how}). Click to request access on "
                         "the model page.", link=True)
    if entry.config_status == ConfigStatus.OK:
        return CardBadge("gated", "Gated · access granted",
                         f"Gated model ({how}); your token has access.", link=True)
    return CardBadge("gated", "Gated · needs token",
                     f"Gated model ({how}): log in with a Hugging Face token and accept its terms. "
                     "Click to open the model page.", link=True)


def card_badges(entry: ModelEntry) -> list[CardBadge]:
    """The badges of a card, in reading order, each explaining itself and saying where it came from."""
    result: list[CardBadge] = []
    c = entry.characteristics or ModelCharacteristics()
    tiers = dict(entry.provenance)
    if c.architecture_family:
        tier = _source(tiers, "architecture_family")
        detail = f"Architecture family: {c.architecture_family}"
        if c.model_type:
            detail += f" (model_type “{c.model_type}”)"
        result.append(CardBadge("family", c.architecture_family, _said(detail, tier), tier == Tier.NAME))
    if c.multimodal_type:
        tier = _source(tiers, "multimodal_type")
        text = {"vision": "Vision", "audio": "Audio", "vision-audio": "Vision + Audio"}.get(
            c.multimodal_type, c.multimodal_type.title())
        takes = {"vision": "images", "audio": "audio", "vision-audio": "images and audio"}.get(
            c.multimodal_type, c.multimodal_type)
        result.append(CardBadge("modality", text, _said(f"Multimodal: takes {takes} as well as text", tier),
                                tier == Tier.NAME))
    label = c.bits_label
    if label:
        tier = _source(tiers, "quantization_bits", "quantization_mode") if (
            c.quantization_bits is not None or c.quantization_mode) else _source(tiers, "torch_dtype")
        result.append(CardBadge("quant", label, _said(_quant_words(c), tier), tier == Tier.NAME))
    if c.is_moe:
        tier = _source(tiers, "is_moe", "num_experts")
        if c.num_experts and c.num_experts_per_token:
            text = f"MoE {c.num_experts}×{c.num_experts_per_token}"
            words = f"Mixture of experts: {c.num_experts} experts, {c.num_experts_per_token} active per token"
        elif c.num_experts:
            text, words = f"MoE {c.num_experts}", f"Mixture of experts: {c.num_experts} experts"
        else:
            text, words = "MoE", "Mixture of experts (the name gives the active parameters)"
        result.append(CardBadge("moe", text, _said(words, tier), tier == Tier.NAME))
    params = formatting.params(c.parameter_count_estimate)
    if params:
        tier = _source(tiers, "parameter_count_estimate")
        words = f"{params} parameters" if is_measured(c.parameter_count_method) else f"About {params} parameters"
        if c.parameter_count_method:
            words += f", {c.parameter_count_method}"
        if c.parameter_count_note:
            words += f". Note: {c.parameter_count_note}"
        result.append(CardBadge("params", params, _said(words, tier), tier == Tier.NAME))
    ctx = formatting.context(c.max_position_embeddings)
    if ctx and c.max_position_embeddings:
        tier = _source(tiers, "max_position_embeddings")
        words = f"Context window of {c.max_position_embeddings:,} tokens"
        if c.rope_scaling_factor and c.original_max_position_embeddings:
            words += (f" ({c.original_max_position_embeddings:,} stretched ×{c.rope_scaling_factor:g} "
                      "by rope scaling)")
        result.append(CardBadge("context", ctx, _said(words, tier), tier == Tier.NAME))
    gated = gated_badge(entry)
    if gated:
        result.append(gated)
    if entry.config_status == ConfigStatus.UNAVAILABLE:
        why = entry.config_error or "no reason given"
        if not (gated and why.startswith("gated")):  # the gated badge already says why, and what to do
            result.append(CardBadge("config", "config unavailable", f"The config could not be read: {why}"))
    elif entry.config_status == ConfigStatus.PENDING:
        # A quiet "more to come": it disappears when config.json has been read.
        words = "Reading the model's config.json"
        if result:
            words += "; the badges so far come from the name and the Hub listing"
        result.append(CardBadge("pending", "…", words))
    if entry.source != Source.HUB and entry.is_mlx is not None:
        if entry.is_mlx:
            result.append(CardBadge("mlx", "MLX", "Stored in MLX format: runs with mlx-lm / mlx-vlm as is"))
        else:
            result.append(CardBadge("other", "not MLX",
                                    "Not in MLX format: it needs converting (mlx_lm.convert) before MLX runs it"))
    return result


def _n(value: int | None) -> str | None:
    return f"{value:,}" if value is not None else None


def spec_items(entry: ModelEntry) -> list[SpecItem]:
    """The specs grid of a card: every known value, its source word and, when useful, a longer note."""
    c = entry.characteristics
    if c is None:
        return []
    items: list[SpecItem] = []
    tiers = dict(entry.provenance)

    def add(label: str, value: str | None, *fields_: str, source: str | None = None, tip: str = "",
            warning: bool = False) -> None:
        if not value:
            return
        tier = _source(tiers, *fields_) if fields_ else None
        src = source or (_TIER_SOURCE[tier] if tier is not None else DERIVED)
        items.append(SpecItem(label, value, src, tip, warning))

    if c.max_position_embeddings:
        ctx = f"{c.max_position_embeddings:,}"
        tip = f"{formatting.context(c.max_position_embeddings)} tokens of context"
        if c.original_max_position_embeddings and c.rope_scaling_factor:
            ctx += f" ({c.original_max_position_embeddings:,} × {c.rope_scaling_factor:g})"
            tip += (f": {c.original_max_position_embeddings:,} trained, stretched ×{c.rope_scaling_factor:g} "
                    "by rope scaling")
        add("Context", ctx, "max_position_embeddings", tip=tip)
    add("Layers", _n(c.num_hidden_layers), "num_hidden_layers")
    add("Hidden", _n(c.hidden_size), "hidden_size")
    if c.num_attention_heads:
        heads = f"{c.num_attention_heads}"
        tip = f"{c.num_attention_heads} attention heads"
        if c.num_key_value_heads:
            ratio = c.num_attention_heads // c.num_key_value_heads
            heads += f" (KV {c.num_key_value_heads}" + (f", GQA {ratio}:1)" if ratio > 1 else ")")
            tip += f", {c.num_key_value_heads} key/value heads"
            if ratio > 1:
                tip += f": grouped-query attention, {ratio} query heads share each KV head"
        add("Heads", heads, "num_attention_heads", tip=tip)
    add("Head dim", _n(c.head_dim), "head_dim")
    add("Vocab", _n(c.vocab_size), "vocab_size")
    add("FFN", _n(c.intermediate_size), "intermediate_size", tip="Intermediate (feed-forward) size")
    if c.parameter_count_estimate:
        tier = entry.tier_of("parameter_count_estimate")
        # From the config, the count is computed from the shapes: that is a derivation, not a read.
        source = DERIVED if tier in (None, Tier.CONFIG) else _TIER_SOURCE[tier]
        if is_measured(c.parameter_count_method):
            add("Parameters", formatting.params(c.parameter_count_estimate), "parameter_count_estimate",
                tip=f"Measured: {c.parameter_count_method}")
        else:
            add("Parameters", f"≈ {formatting.params(c.parameter_count_estimate)}", source=source,
                tip=f"Estimated: {c.parameter_count_method}" if c.parameter_count_method else "Estimated")
        note = _sentence(c.parameter_count_note) + "." if c.parameter_count_note else ""
        if c.parameter_count_config_estimate:
            # Measured and estimated disagree: both in view, the shown one first, and why in the tooltip.
            add("Estimate", f"≈ {formatting.params(c.parameter_count_config_estimate)} ⚠", source=DERIVED,
                tip=note, warning=True)
        elif note:
            add("Check", "name vs size ⚠", source=DERIVED, tip=note, warning=True)
    quant = quantization_parts(c, short=True)
    if c.quantization_problem:
        add("Quantization", " · ".join([*quant, "unreadable"]), source=_TIER_SOURCE[Tier.CONFIG],
            tip=f"The config's quantization cannot be read: {c.quantization_problem}", warning=True)
    elif quant:
        add("Quantization", " · ".join(quant), "quantization_bits", "quantization_mode", tip=_quant_words(c))
    elif c.torch_dtype:
        add("Quantization", "none", "torch_dtype", tip=_quant_words(c))
    if c.is_moe and c.num_experts:
        add("Experts", f"{c.num_experts} / {c.num_experts_per_token or '?'} active", "num_experts",
            tip="Experts in total / experts active per token")
    add("Sliding window", _n(c.sliding_window), "sliding_window", tip="Tokens each sliding-window layer attends to")
    add("Dtype", c.torch_dtype, "torch_dtype", tip="Storage type of the unquantized weights")
    kv = kv_cache_bytes_per_token(c)
    if kv:
        add("KV per 1K tok", formatting.size(kv * 1024), source=DERIVED,
            tip="KV cache per 1,000 tokens of context at fp16: 2 × layers × KV heads × head dim × 2 bytes")
    if c.use_cache is not None:
        add("KV cache", "on" if c.use_cache else "off", "use_cache", tip="use_cache in the config")
    if entry.source is Source.BOTH:
        add("On this Mac", "Downloaded", source="cache",
            tip="In your Hugging Face cache: listed in My Models, ready to use offline")
    return items
