"""Memory: what a model needs to run (weights + KV cache at a context + runtime) against a budget.

Pure arithmetic; the budget comes from `app.services.system`, weight file sizes from the scan or the Hub.
The KV cache holds K and V for every attending layer: 2 × layers × KV heads × head dim × tokens × 2 bytes
(fp16). Sliding-window layers keep at most their window; hybrid models (Mamba, convolution, linear
attention) only count their attention layers; shapes where this formula is wrong (MLA keeps a compressed
latent) say "unknown" rather than a wrong number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core import formatting
from app.core.characteristics import ModelCharacteristics
from app.core.text_config import text_view
from app.core.values import as_int

DEFAULT_CONTEXT = 8192  # tokens: the default context a verdict is given at (a preference)
RUNTIME_OVERHEAD = 300_000_000  # bytes: mlx and mlx-lm themselves, activations and buffers at small batch
FITS_SHARE = 0.9  # below mlx-lm's own "close to the maximum recommended size" warning
KV_BYTES = 2  # fp16 / bf16 cache values
MAX_SEARCH_CONTEXT = 100_000_000

FITS = "fits"
TIGHT = "tight"
TOO_LARGE = "too large"
UNKNOWN = "unknown"

# Multi-head latent attention caches a compressed latent, not per-head K and V.
MLA_TYPES = frozenset({"deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2", "kimi_k25", "kimi_linear",
                       "glm4_moe_lite", "minicpm3", "longcat_flash", "mistral4", "deepseek_v41"})


# --- the budget and the weights ---------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    bytes: int
    source: str  # in words: "MLX recommended working set", "75% of 24.0 GB RAM (approximate)", ...
    approximate: bool = False


@dataclass(frozen=True)
class Weights:
    bytes: int | None
    source: str  # "files" (the snapshot's weight files), "listing" (the Hub's sizes), "estimate"


_DTYPE_BYTES = {"F64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
                "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1, "U8": 1, "BOOL": 1, "I64": 8, "U64": 8}


def weights_from_safetensors(safetensors: object) -> int | None:
    """Bytes of the weights from the Hub's `safetensors.parameters` (element counts per stored dtype)."""
    if not isinstance(safetensors, Mapping):
        return None
    per_dtype = safetensors.get("parameters")
    if not isinstance(per_dtype, Mapping):
        return None
    total = 0
    for dtype, count in per_dtype.items():
        n = as_int(count, minimum=0)
        size = _DTYPE_BYTES.get(str(dtype).upper())
        if n is None or size is None:
            return None
        total += n * size
    return total or None


def bits_per_weight(c: ModelCharacteristics) -> float:
    """Stored bits per weight, counting quantization scales and biases (0.5 bit at 4-bit, group 64)."""
    bits = c.quantization_bits
    mode = (c.quantization_mode or "affine").lower()
    if bits:
        if mode in ("mxfp4", "mxfp8"):
            return bits + 8 / 32  # one 8-bit shared exponent per 32
        if mode == "nvfp4":
            return bits + 8 / 16
        group = c.quantization_group_size
        return bits + (32 / group if group else 0)  # a 16-bit scale and a 16-bit bias per group
    return {"float32": 32.0, "float8": 8.0}.get(c.torch_dtype or "", 16.0)


def estimated_weight_bytes(c: ModelCharacteristics, parameters: int | None = None) -> int | None:
    count = parameters or c.parameter_count_estimate
    if not count:
        return None
    return int(count * bits_per_weight(c) / 8)


def weight_bytes(c: ModelCharacteristics) -> int | None:
    """Approximate bytes of the weights at their stored precision (from the estimated parameters)."""
    return estimated_weight_bytes(c)


# --- the KV cache -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KvLayout:
    per_layer_token: int | None  # bytes one layer keeps per token (K and V); None when unknown
    full_layers: int = 0
    sliding_layers: int = 0
    window: int | None = None
    unknown_reason: str | None = None

    @property
    def bytes_per_token(self) -> int | None:
        """Every attending layer, before any window caps it."""
        if self.per_layer_token is None:
            return None
        return self.per_layer_token * (self.full_layers + self.sliding_layers)

    def bytes_at(self, tokens: int) -> int | None:
        if self.per_layer_token is None:
            return None
        capped = min(tokens, self.window) if self.window else tokens
        return self.per_layer_token * (self.full_layers * tokens + self.sliding_layers * capped)


@dataclass(frozen=True)
class KvFacts:
    """What only the raw config says about the cache: which layers slide, and whether it is MLA."""

    sliding_layers: int | None = None  # layers capped at the window (None: not known to slide)
    mla: bool = False


def kv_facts(config: object) -> KvFacts:
    if not isinstance(config, Mapping):
        return KvFacts()
    try:
        view = text_view(config)
    except Exception:  # noqa: BLE001 - an untrusted config that cannot be read has no KV facts
        return KvFacts()
    text = view.text
    mla = text.get("kv_lora_rank") is not None
    layer_types = text.get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        return KvFacts(sum(1 for kind in layer_types if str(kind) == "sliding_attention"), mla)
    layers = as_int(text.get("num_hidden_layers"), minimum=1)
    pattern = as_int(text.get("sliding_window_pattern"), minimum=1)
    if layers and pattern and pattern > 1:
        # Gemma 3 style: every pattern-th layer is global, the others slide.
        return KvFacts(layers - layers // pattern, mla)
    return KvFacts(None, mla)


def kv_layout(c: ModelCharacteristics, facts: KvFacts | None = None) -> KvLayout:
    if (facts is not None and facts.mla) or (c.model_type or "") in MLA_TYPES:
        return KvLayout(None, unknown_reason="multi-head latent attention caches a compressed latent")
    layers = c.num_attention_layers if c.num_attention_layers is not None else c.num_hidden_layers
    kv_heads = c.num_key_value_heads or c.num_attention_heads
    if layers is None or not kv_heads or not c.head_dim:
        return KvLayout(None, unknown_reason="the config does not give the attention shapes")
    per_layer = 2 * kv_heads * c.head_dim * KV_BYTES
    sliding = 0
    if c.sliding_window and facts is not None and facts.sliding_layers:
        sliding = min(facts.sliding_layers, layers)
    # A window that is not known to apply to particular layers is not counted on: the larger need stands.
    return KvLayout(per_layer, layers - sliding, sliding, c.sliding_window if sliding else None)


def kv_cache_bytes_per_token(c: ModelCharacteristics, bytes_per_value: int = KV_BYTES) -> int | None:
    """K and V for every attending layer: 2 × layers × kv_heads × head_dim × bytes (fp16 cache)."""
    per_token = kv_layout(c).bytes_per_token
    return None if per_token is None else per_token * bytes_per_value // KV_BYTES


# --- the verdict ------------------------------------------------------------------------------------


def verdict(need: int | None, budget: int) -> str:
    if need is None:
        return UNKNOWN
    if need <= FITS_SHARE * budget:
        return FITS
    if need <= budget:
        return TIGHT
    return TOO_LARGE


@dataclass(frozen=True)
class Fit:
    tokens: int | None
    bytes: int | None
    verdict: str
    kv_bytes: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "verdict": self.verdict}


@dataclass(frozen=True)
class MemoryReport:
    weights: Weights
    kv: KvLayout
    budget: Budget
    at_default: Fit
    at_full: Fit
    max_context_that_fits: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights_bytes": self.weights.bytes,
            "weights_source": self.weights.source,
            "kv_bytes_per_token": self.kv.bytes_per_token,
            "budget_bytes": self.budget.bytes,
            "budget_source": self.budget.source,
            "at_8k": self.at_default.to_dict(),
            "at_full": self.at_full.to_dict(),
            "max_context_that_fits": self.max_context_that_fits,
        }

    def arithmetic(self, fit: Fit) -> str:
        """ "weights 4.5 GB + KV cache at 8K 1.1 GB + 0.3 GB = 5.9 GB of 21.3 GB" """
        weights = gb(self.weights.bytes)
        if self.weights.source == "estimate" and self.weights.bytes:
            weights = f"≈ {weights}"
        at = formatting.context(fit.tokens) or "?"
        return (f"weights {weights} + KV cache at {at} {gb(fit.kv_bytes)} + {gb(RUNTIME_OVERHEAD)} "
                f"= {gb(fit.bytes)} of {gb(self.budget.bytes)}")


def gb(n: int | None) -> str:
    """One unit throughout the arithmetic, so the sum reads at a glance."""
    return "unknown" if n is None else f"{n / 1e9:.1f} GB"


def need_bytes(weights: int | None, kv: KvLayout, tokens: int) -> tuple[int | None, int | None]:
    """(total need, KV part) at a context; None where unknown."""
    kv_bytes = kv.bytes_at(tokens)
    if weights is None or kv_bytes is None:
        return None, kv_bytes
    return weights + kv_bytes + RUNTIME_OVERHEAD, kv_bytes


def fit_at(weights: int | None, kv: KvLayout, tokens: int | None, budget: Budget) -> Fit:
    if tokens is None:
        return Fit(None, None, UNKNOWN, None)
    need, kv_bytes = need_bytes(weights, kv, tokens)
    return Fit(tokens, need, verdict(need, budget.bytes), kv_bytes)


def max_context_that_fits(weights: int | None, kv: KvLayout, budget: Budget, limit: int | None) -> int | None:
    """The largest context whose need still "fits" (≤ 0.9 × budget), up to the model's own context;
    0 when the weights alone do not fit; None when unknown."""
    if weights is None or kv.per_layer_token is None:
        return None
    room = FITS_SHARE * budget.bytes

    def fits(tokens: int) -> bool:
        need, _ = need_bytes(weights, kv, tokens)
        return need is not None and need <= room

    top = limit or MAX_SEARCH_CONTEXT
    if fits(top):
        return top if limit else None  # no known end to the context, and no end to what fits
    if not fits(0):
        return 0
    low, high = 0, top  # fits(low), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low


def memory_report(c: ModelCharacteristics, weights: Weights, kv: KvLayout, budget: Budget,
                  context: int = DEFAULT_CONTEXT) -> MemoryReport:
    full = c.max_position_embeddings
    return MemoryReport(
        weights=weights, kv=kv, budget=budget,
        at_default=fit_at(weights.bytes, kv, context, budget),
        at_full=fit_at(weights.bytes, kv, full, budget),
        max_context_that_fits=max_context_that_fits(weights.bytes, kv, budget, full),
    )
