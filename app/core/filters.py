"""Filters over model entries: AND across sections, OR within a section, the same for local and Hub.

Each entry is reduced once to `Facets` (small bit masks per section), so applying a filter to tens of
thousands of entries is a few integer operations each. A value that is not known yet does not count as
a match or a miss: a Hub entry whose config is still pending is `PENDING` until it lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum

from app.core import formatting
from app.core.characteristics import ModelCharacteristics
from app.core.model_entry import ConfigStatus, ModelEntry, Source, Tier

QUANT_OPTIONS = ("2", "3", "4", "5", "6", "8", "unquantized", "mxfp4", "nvfp4", "gptq", "awq", "other")
QUANT_LABELS = {"2": "2-bit", "3": "3-bit", "4": "4-bit", "5": "5-bit", "6": "6-bit", "8": "8-bit",
                "unquantized": "Unquantized (FP16 / BF16 / FP32)", "mxfp4": "MXFP4", "nvfp4": "NVFP4",
                "gptq": "GPTQ", "awq": "AWQ", "other": "Other method"}
PARAM_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("<3B", 0, 3e9), ("3–8B", 3e9, 8e9), ("8–15B", 8e9, 15e9), ("15–35B", 15e9, 35e9),
    ("35–80B", 35e9, 80e9), (">80B", 80e9, float("inf")),
)
CONTEXT_OPTIONS = (8 * 1024, 32 * 1024, 128 * 1024)
CAPABILITIES = ("any", "text", "multimodal")


class Match(IntEnum):
    NO = 0
    YES = 1
    PENDING = 2  # a filter needs a value that is not known yet (the config has not landed)


@dataclass(frozen=True)
class FilterState:
    families: frozenset[str] = frozenset()
    capability: str = "any"  # "any", "text" (text only) or "multimodal"
    vision: bool = False  # must take images (implies multimodal)
    audio: bool = False  # must take audio
    quantization: frozenset[str] = frozenset()  # QUANT_OPTIONS
    parameters: frozenset[str] = frozenset()  # PARAM_BUCKETS labels
    min_context: int | None = None
    moe_only: bool = False
    hide_gated: bool = False
    runs_mlx_lm: bool = False  # mlx-lm builds it (supported, remapped or text-only)
    fits_memory: bool = False  # fits (or is tight) at the default context
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return self == FilterState()

    def chips(self) -> list[tuple[str, str]]:
        """(key, label) of every active condition, in dialog order; `without(key)` removes one."""
        result = [(f"family:{f}", f) for f in sorted(self.families)]
        if self.capability == "text":
            result.append(("capability", "Text only"))
        elif self.capability == "multimodal":
            result.append(("capability", "Multimodal"))
        if self.vision:
            result.append(("vision", "Vision"))
        if self.audio:
            result.append(("audio", "Audio"))
        result += [(f"quant:{q}", QUANT_LABELS[q]) for q in QUANT_OPTIONS if q in self.quantization]
        result += [(f"params:{label}", label) for label, _, _ in PARAM_BUCKETS if label in self.parameters]
        if self.min_context:
            result.append(("context", f"≥ {formatting.context(self.min_context)} context"))
        if self.moe_only:
            result.append(("moe", "MoE only"))
        if self.hide_gated:
            result.append(("gated", "Hide gated"))
        if self.runs_mlx_lm:
            result.append(("runs", "Runs with mlx-lm"))
        if self.fits_memory:
            result.append(("fits", "Fits in memory"))
        return result

    def without(self, key: str) -> FilterState:
        kind, _, value = key.partition(":")
        if kind == "family":
            return replace(self, families=self.families - {value})
        if kind == "quant":
            return replace(self, quantization=self.quantization - {value})
        if kind == "params":
            return replace(self, parameters=self.parameters - {value})
        resets = {"capability": {"capability": "any"}, "vision": {"vision": False}, "audio": {"audio": False},
                  "context": {"min_context": None}, "moe": {"moe_only": False}, "gated": {"hide_gated": False},
                  "runs": {"runs_mlx_lm": False}, "fits": {"fits_memory": False}}
        return replace(self, **resets.get(kind, {}))  # type: ignore[arg-type]


# --- facets: an entry reduced to what the filters look at ---------------------------------------

_UNKNOWN = -1  # a mask of all ones: "could be anything" until known


@dataclass(frozen=True, slots=True)
class Facets:
    family: str | None
    quant: int  # bit per QUANT_OPTIONS index; _UNKNOWN when not known
    params: int  # bit per PARAM_BUCKETS index; _UNKNOWN when not known
    context: int | None
    multimodal: int  # bit 0 text-only, bit 1 vision, bit 2 audio; _UNKNOWN when not known
    moe: bool | None
    gated: bool
    settled: bool  # nothing more will be learned (config landed or failed, or a local entry)
    runs: bool | None = None  # runs with mlx-lm; None until known
    fits: bool | None = None  # fits or tight at the default context; None until known
    runtime_pending: bool = False  # the window has not judged it yet (mlx-lm's registry, the budget)


def facets(entry: ModelEntry) -> Facets:
    c = entry.characteristics or ModelCharacteristics()
    settled = entry.config_status is not ConfigStatus.PENDING or entry.source is Source.LOCAL
    if not settled and entry.provenance:
        # Until the config lands only listing facts decide: a guess from the name never hides a card
        # (a hidden card is never on screen, so its config would never be fetched).
        c = _without_guesses(c, entry)
    rt = entry.runtime
    runs = fits = None
    if rt is not None:
        runs = rt.mlx.runs if rt.mlx.status != "unknown" else None
        verdict = rt.memory.at_default.verdict if rt.memory is not None else "unknown"
        fits = None if verdict == "unknown" else verdict in ("fits", "tight")
    return Facets(
        family=c.architecture_family,
        quant=_quant_mask(c),
        params=_param_mask(c.parameter_count_estimate),
        context=c.max_position_embeddings,
        multimodal=_modality_mask(c),
        moe=c.is_moe,
        gated=bool(entry.gated),
        settled=settled,
        runs=runs,
        fits=fits,
        runtime_pending=rt is None and entry.characteristics is not None,
    )


# The characteristics each filter section reads; a section is unknown while its field is only a guess.
_GUESSABLE = ("architecture_family", "quantization_bits", "quantization_mode", "parameter_count_estimate",
              "max_position_embeddings", "is_multimodal", "multimodal_type", "is_moe", "torch_dtype",
              "model_type")


def _without_guesses(c: ModelCharacteristics, entry: ModelEntry) -> ModelCharacteristics:
    guessed = {name: None for name, tier in entry.provenance if tier is Tier.NAME and name in _GUESSABLE}
    return replace(c, **guessed) if guessed else c


def _quant_mask(c: ModelCharacteristics) -> int:
    mode = (c.quantization_mode or "").lower()
    if mode in ("mxfp4", "nvfp4"):
        return 1 << QUANT_OPTIONS.index(mode)
    if mode in ("gptq", "awq"):
        return 1 << QUANT_OPTIONS.index(mode)
    if c.quantization_bits is not None:
        key = f"{c.quantization_bits:g}"
        if mode in ("", "affine") and key in QUANT_OPTIONS:
            return 1 << QUANT_OPTIONS.index(key)
        return 1 << QUANT_OPTIONS.index("other")
    if mode:
        return 1 << QUANT_OPTIONS.index("other")
    if c.torch_dtype or c.model_type:
        return 1 << QUANT_OPTIONS.index("unquantized")
    return _UNKNOWN


def _param_mask(count: int | None) -> int:
    if not count:
        return _UNKNOWN
    for i, (_, low, high) in enumerate(PARAM_BUCKETS):
        if low <= count < high:
            return 1 << i
    return _UNKNOWN


def _modality_mask(c: ModelCharacteristics) -> int:
    if c.is_multimodal is None:
        return _UNKNOWN
    kind = c.multimodal_type or ""
    mask = 0 if c.is_multimodal else 1
    if "vision" in kind:
        mask |= 2
    if "audio" in kind:
        mask |= 4
    return mask


# --- the predicate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledFilter:
    """A FilterState turned into masks once, so each entry costs a few integer tests."""

    families: frozenset[str]
    quant: int
    params: int
    modality_any: int  # at least one of these bits (capability section)
    modality_all: int  # all of these bits (vision / audio)
    min_context: int | None
    moe_only: bool
    hide_gated: bool
    runs: bool = False
    fits: bool = False


def compile_filter(state: FilterState) -> CompiledFilter:
    quant = sum(1 << QUANT_OPTIONS.index(q) for q in state.quantization if q in QUANT_OPTIONS)
    labels = [label for label, _, _ in PARAM_BUCKETS]
    params = sum(1 << labels.index(p) for p in state.parameters if p in labels)
    modality_any = {"text": 1, "multimodal": 2 | 4}.get(state.capability, 0)
    modality_all = (2 if state.vision else 0) | (4 if state.audio else 0)
    # "≥ 128K" admits every model that reads 128K, whether its config says 128,000 or 131,072.
    min_context = formatting.min_context_tokens(state.min_context) if state.min_context else None
    return CompiledFilter(state.families, quant, params, modality_any, modality_all, min_context,
                          state.moe_only, state.hide_gated, state.runs_mlx_lm, state.fits_memory)


def evaluate(f: CompiledFilter, x: Facets) -> Match:
    """AND across sections; a section that needs an unknown value makes the result PENDING (or NO when
    nothing more will be learned about the entry)."""
    unknown = False
    if f.hide_gated and x.gated:
        return Match.NO
    if f.families:
        if x.family is None:
            unknown = True
        elif x.family not in f.families:
            return Match.NO
    if f.quant:
        if x.quant == _UNKNOWN:
            unknown = True
        elif not x.quant & f.quant:
            return Match.NO
    if f.params:
        if x.params == _UNKNOWN:
            unknown = True
        elif not x.params & f.params:
            return Match.NO
    if f.modality_any or f.modality_all:
        if x.multimodal == _UNKNOWN:
            unknown = True
        elif (f.modality_any and not x.multimodal & f.modality_any) or (
            x.multimodal & f.modality_all != f.modality_all
        ):
            return Match.NO
    if f.min_context:
        if x.context is None:
            unknown = True
        elif x.context < f.min_context:
            return Match.NO
    if f.moe_only:
        if x.moe is None:
            unknown = True
        elif not x.moe:
            return Match.NO
    waiting = False  # for the window's own judgement (registry and budget read in the background)
    if f.runs:
        if x.runs is None:
            unknown, waiting = True, waiting or x.runtime_pending
        elif not x.runs:
            return Match.NO
    if f.fits:
        if x.fits is None:
            unknown, waiting = True, waiting or x.runtime_pending
        elif not x.fits:
            return Match.NO
    if unknown:
        return Match.NO if x.settled and not waiting else Match.PENDING
    return Match.YES


def matches(state: FilterState, entry: ModelEntry) -> Match:
    """The predicate over one entry (convenient; the list model uses compiled filters and cached facets)."""
    return evaluate(compile_filter(state), facets(entry))


def server_params(state: FilterState) -> dict[str, str]:
    """What the Hub can filter itself (sent with the search); the client still applies everything."""
    params: dict[str, str] = {}
    chosen = [i for i, (label, _, _) in enumerate(PARAM_BUCKETS) if label in state.parameters]
    # One range only: the Hub takes a single min/max, so gaps ("<3B" and ">80B") stay client-side.
    if chosen and chosen == list(range(chosen[0], chosen[-1] + 1)):
        low, high = PARAM_BUCKETS[chosen[0]][1], PARAM_BUCKETS[chosen[-1]][2]
        parts = [f"min:{low / 1e9:g}B"] if low > 0 else []
        if high != float("inf"):
            parts.append(f"max:{high / 1e9:g}B")
        params["num_parameters"] = ",".join(parts)
    if state.vision and not state.audio:
        params["pipeline_tag"] = "image-text-to-text"
    return params
