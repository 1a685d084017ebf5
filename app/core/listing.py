"""One item of the Hub's `/api/models` listing -> a `ModelEntry` with what the listing already tells.

The listing is untrusted: wrong types are dropped, nothing raises. Facts from the listing's `config`
subset and `safetensors` counts are Tier.LISTING; guesses from the repo name and tags are Tier.NAME.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.families import UNKNOWN, family_for_type, family_from_name, known_types
from app.core.memory import weights_from_safetensors
from app.core.model_entry import ConfigStatus, ModelEntry, Source, Tier
from app.core.model_id import is_valid_model_id
from app.core.parameter_figure import active_in_name, is_measured, reconcile, size_in_name
from app.core.values import as_int, as_str

MAX_TAGS = 200
MLX_DEFAULT_GROUP = 64  # mlx_lm's default quantization group size
_KNOWN_TYPES = frozenset(known_types())

# Fields the listing's config subset (model_type, architectures, quantization_config) can tell.
_CONFIG_FIELDS = ("model_type", "architectures", "architecture_family", "quantization_bits",
                  "quantization_group_size", "quantization_mode")

# What goes in besides text, by pipeline tag.
_PIPELINE_MODALITY = {
    "image-text-to-text": "vision", "visual-question-answering": "vision", "image-to-text": "vision",
    "video-text-to-text": "vision", "document-question-answering": "vision",
    "audio-text-to-text": "audio", "automatic-speech-recognition": "audio", "any-to-any": "vision-audio",
}

_BITS_IN_NAME = re.compile(r"(?<![0-9.])([2-8])[-_]?bits?(?![a-z])")
_FP_FORMATS = {"mxfp4": 4.0, "nvfp4": 4.0, "mxfp8": 8.0}


def entry_from_listing(item: object) -> ModelEntry | None:
    """A Hub entry from one listing item; None when the item has no usable model id."""
    if not isinstance(item, Mapping):
        return None
    repo_id = item.get("id") if isinstance(item.get("id"), str) else item.get("modelId")
    if not isinstance(repo_id, str) or not is_valid_model_id(repo_id):
        return None
    repo_id = repo_id.strip()
    tags = _tags(item.get("tags"))
    pipeline_tag = as_str(item.get("pipeline_tag"))
    library = as_str(item.get("library_name"))
    characteristics, provenance = listing_characteristics(
        repo_id, config=item.get("config"), safetensors=item.get("safetensors"), tags=tags,
        pipeline_tag=pipeline_tag,
    )
    return ModelEntry(
        id=repo_id,
        source=Source.HUB,
        characteristics=characteristics,
        provenance=provenance,
        config_status=ConfigStatus.PENDING,
        downloads=as_int(item.get("downloads"), minimum=0),
        likes=as_int(item.get("likes"), minimum=0),
        last_modified=parse_time(item.get("lastModified")),
        created_at=parse_time(item.get("createdAt")),
        gated=_gated(item.get("gated")),
        tags=tags,
        pipeline_tag=pipeline_tag,
        library_name=library,
        is_mlx=(library == "mlx") or ("mlx" in tags),
        # Stored bytes of the weights, for the memory verdict (a measure, where the count is an estimate).
        extra=(("weights_bytes", weights_from_safetensors(item.get("safetensors"))),),
    )


def listing_characteristics(
    repo_id: str,
    *,
    config: object = None,
    safetensors: object = None,
    tags: tuple[str, ...] = (),
    pipeline_tag: str | None = None,
) -> tuple[ModelCharacteristics, tuple[tuple[str, Tier], ...]]:
    """Characteristics and per-field provenance from the listing's facts, then from name and tags."""
    values: dict[str, Any] = {}
    tiers: dict[str, Tier] = {}

    def put(name: str, value: object, tier: Tier) -> None:
        if value is not None and name not in values:
            values[name] = value
            tiers[name] = tier

    if isinstance(config, Mapping) and config:
        from_config = extract_characteristics(config)
        for name in _CONFIG_FIELDS:
            value = getattr(from_config, name)
            if name == "architecture_family" and value == UNKNOWN:
                continue  # an unrecognised type: let the name have a go
            put(name, value, Tier.LISTING)
        if from_config.is_multimodal:  # a subset cannot prove a model is text-only
            put("is_multimodal", True, Tier.LISTING)
            put("multimodal_type", from_config.multimodal_type, Tier.LISTING)

    kind = _PIPELINE_MODALITY.get(pipeline_tag or "")
    if kind:
        put("is_multimodal", True, Tier.LISTING)
        put("multimodal_type", kind, Tier.LISTING)

    name = repo_id.rsplit("/", 1)[-1]
    put("architecture_family", _family_from_tags(tags) or family_from_name(repo_id), Tier.NAME)
    bits, mode = _bits_from_name(name, tags)
    if bits is not None and "quantization_bits" not in values:
        put("quantization_bits", bits, Tier.NAME)
        put("quantization_mode", mode, Tier.NAME)

    count = parameters_from_safetensors(
        safetensors, bits=values.get("quantization_bits"), group_size=values.get("quantization_group_size"),
        mode=values.get("quantization_mode"),
    )
    if count is not None:
        total, method = count
        bits_tier = tiers.get("quantization_bits", Tier.LISTING)
        if bits_tier < Tier.LISTING and "unpacked" in method:
            method += "; bits guessed from the name"
        put("parameter_count_estimate", total, min(Tier.LISTING, bits_tier))
        put("parameter_count_method", method, min(Tier.LISTING, bits_tier))
    else:
        guess = size_in_name(name)
        if guess is not None:
            put("parameter_count_estimate", guess, Tier.NAME)
            put("parameter_count_method", "from the repo name", Tier.NAME)
    if active_in_name(name) is not None:
        put("is_moe", True, Tier.NAME)  # "30B-A3B": active parameters are named only for MoE models

    characteristics = reconcile(ModelCharacteristics(**values), name=repo_id)
    order = [f.name for f in fields(ModelCharacteristics)]
    provenance = tuple((field, tiers[field]) for field in order if field in tiers)
    return characteristics, provenance


def parameters_from_safetensors(
    safetensors: object, *, bits: object = None, group_size: object = None, mode: object = None,
) -> tuple[int, str] | None:
    """The logical parameter count from the Hub's per-dtype element counts, and how it was computed.

    MLX stores quantized weights packed in U32 (32/bits weights per element) next to per-group scales
    and biases in the float dtype, so the Hub's plain total undercounts a 4-bit model about 4-6x.
    """
    if not isinstance(safetensors, Mapping):
        return None
    per_dtype = safetensors.get("parameters")
    counts: dict[str, int] = {}
    if isinstance(per_dtype, Mapping):
        for dtype, n in per_dtype.items():
            number = as_int(n, minimum=0)
            if isinstance(dtype, str) and number is not None:
                counts[dtype.upper()] = number
    total = as_int(safetensors.get("total"), minimum=1)
    if not counts:
        return (total, "Hub safetensors total") if total else None
    packed = counts.get("U32", 0)
    if packed == 0:
        plain = sum(counts.values())
        return (plain, "Hub safetensors total") if plain else None
    bits_value = bits if isinstance(bits, int | float) and not isinstance(bits, bool) else None
    if bits_value is None or not math.isfinite(bits_value) or not 1 <= bits_value <= 16:
        return None  # packed weights of unknown width: any total would be a wrong number
    weights = int(packed * 32 / bits_value)
    others = {dtype: n for dtype, n in counts.items() if dtype != "U32"}
    mode_text = mode if isinstance(mode, str) else None
    method = f"Hub safetensors counts, {bits_value:g}-bit packed weights unpacked"
    if mode_text in ("mxfp4", "nvfp4", "mxfp8"):
        others.pop("U8", None)  # per-group scales of the microscaling formats
        method += ", group scales left out"
    else:
        group = as_int(group_size, maximum=1 << 16)
        assumed = group is None
        if group is None:
            group = MLX_DEFAULT_GROUP  # the listing's config subset often drops group_size
        # One scale and one bias per group, stored in the float dtypes alongside the real weights.
        overhead = 2 * weights // group
        floats = sorted((d for d in others if d in ("BF16", "F16", "F32")), key=lambda d: -others[d])
        for dtype in floats:
            taken = min(overhead, others[dtype])
            others[dtype] -= taken
            overhead -= taken
        method += ", group scales and biases left out"
        if assumed:
            method += f" (group size {MLX_DEFAULT_GROUP} assumed)"
    return weights + sum(others.values()), method


def with_config(entry: ModelEntry, config_characteristics: ModelCharacteristics) -> ModelEntry:
    """The entry once its config.json is known: config facts win, listing facts fill the gaps."""
    current = entry.characteristics or ModelCharacteristics()
    tiers = dict(entry.provenance)
    # Measured beats estimated: a count from the listing's safetensors (with bits the listing itself gave,
    # not guessed from the name) stays the figure shown; the config's shape estimate goes beside it.
    measured = None
    if tiers.get("parameter_count_estimate") == Tier.LISTING and is_measured(current.parameter_count_method) \
            and current.parameter_count_estimate:
        measured = (current.parameter_count_estimate, current.parameter_count_method or "")
    merged: dict[str, Any] = {}
    for f in fields(ModelCharacteristics):
        value = getattr(config_characteristics, f.name)
        if value is not None:
            merged[f.name] = value
            tiers[f.name] = Tier.CONFIG
        else:
            merged[f.name] = getattr(current, f.name)
    merged.update(parameter_count_config_estimate=None, parameter_count_note=None)
    characteristics = reconcile(ModelCharacteristics(**merged), measured=measured, name=entry.id)
    if measured is not None:
        tiers["parameter_count_estimate"] = Tier.LISTING
    if "parameter_count_estimate" in tiers:
        tiers["parameter_count_method"] = tiers["parameter_count_estimate"]
    order = [f.name for f in fields(ModelCharacteristics)]
    values = characteristics.to_dict()
    provenance = tuple((name, tiers[name]) for name in order
                       if name in tiers and values.get(name) is not None)
    return replace(entry, characteristics=characteristics, provenance=provenance,
                   config_status=ConfigStatus.OK, config_error=None)


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 time as the Hub writes it ("2024-01-01T00:00:00.000Z"); None when unreadable."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:

        moment = moment.replace(tzinfo=UTC)
    return moment


def _tags(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    result: list[str] = []
    for tag in value[:MAX_TAGS]:
        text = as_str(tag, max_len=100)
        if text is not None and text not in result:
            result.append(text)
    return tuple(result)


def _gated(value: object) -> str | None:
    if isinstance(value, str) and value.strip().lower() in ("auto", "manual"):
        return value.strip().lower()
    if value is True:
        return "manual"  # gated without saying how: the stricter reading
    return None


def _family_from_tags(tags: tuple[str, ...]) -> str | None:
    # The Hub tags a repo with its config's model_type ("qwen2", "llama"); library and task tags miss.
    for tag in tags:
        if ":" in tag or tag in ("mlx", "safetensors", "transformers", "text-generation", "conversational"):
            continue
        if not re.fullmatch(r"[a-z][a-z0-9_]*", tag):
            continue
        stem = re.match(r"[a-z]+", tag)
        # Only tags that are a known model type or start with a known stem ("qwen2", "gemma3_text"),
        # so words such as "optimum" do not read as a family by their prefix.
        if tag not in _KNOWN_TYPES and (stem is None or stem.group(0) not in _KNOWN_TYPES):
            continue
        family = family_for_type(tag)
        if family and family != UNKNOWN:
            return family
    return None


def _bits_from_name(name: str, tags: tuple[str, ...]) -> tuple[float | None, str | None]:
    for text in (name.lower(), *(t.lower() for t in tags)):
        for fmt, bits in _FP_FORMATS.items():
            if fmt in text:
                return bits, fmt
        match = _BITS_IN_NAME.search(text)
        if match:
            return float(match.group(1)), None
    return None, None
