"""The filter state across launches: `save_filter_state(settings, state)`, `load_filter_state(settings)`.

Stored as one JSON string (QSettings backends disagree about lists and booleans: a plist, an INI file and
the registry each give them back differently). Settings are untrusted input: anything unreadable gives the
empty filter, and a field that makes no sense falls back to its default on its own, so one bad value does
not lose the rest.

    settings = QSettings()
    save_filter_state(settings, state)                 # after the dialog applies, or a chip is removed
    state = load_filter_state(settings)                # at start-up
    save_filter_state(settings, state, key="filters/hub")   # a separate state per view, if wanted
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QSettings

from app.core.filters import CAPABILITIES, PARAM_BUCKETS, QUANT_OPTIONS, FilterState

log = logging.getLogger(__name__)

DEFAULT_KEY = "filters/state"
_MAX_FAMILIES = 200  # more than any real family list; caps what a corrupt file can make us build
_MAX_TEXT = 20_000
_PARAM_LABELS = frozenset(label for label, _, _ in PARAM_BUCKETS)


def state_to_json(state: FilterState) -> str:
    return json.dumps({
        "families": sorted(state.families), "capability": state.capability, "vision": state.vision,
        "audio": state.audio, "quantization": sorted(state.quantization), "parameters": sorted(state.parameters),
        "min_context": state.min_context, "moe_only": state.moe_only, "hide_gated": state.hide_gated,
        "runs_mlx_lm": state.runs_mlx_lm, "fits_memory": state.fits_memory,
    }, ensure_ascii=False)


def state_from_json(text: object) -> FilterState:
    """Total: any value in, a valid FilterState out (the empty one when nothing is usable)."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        return FilterState()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return FilterState()
    if not isinstance(data, dict):
        return FilterState()
    return FilterState(
        families=_strings(data.get("families"), None),
        capability=next((c for c in CAPABILITIES if c == data.get("capability")), "any"),
        vision=data.get("vision") is True,
        audio=data.get("audio") is True,
        quantization=_strings(data.get("quantization"), frozenset(QUANT_OPTIONS)),
        parameters=_strings(data.get("parameters"), _PARAM_LABELS),
        min_context=_context(data.get("min_context")),
        moe_only=data.get("moe_only") is True,
        hide_gated=data.get("hide_gated") is True,
        runs_mlx_lm=data.get("runs_mlx_lm") is True,
        fits_memory=data.get("fits_memory") is True,
    )


def save_filter_state(settings: QSettings, state: FilterState, key: str = DEFAULT_KEY) -> None:
    settings.setValue(key, state_to_json(state))


def load_filter_state(settings: QSettings, key: str = DEFAULT_KEY) -> FilterState:
    try:
        value = settings.value(key)
    except Exception as exc:  # noqa: BLE001 - logged: a backend that cannot decode the stored value
        log.warning("stored filters could not be read (%s); starting without filters", exc)
        return FilterState()
    return state_from_json(value)


def _strings(value: Any, allowed: frozenset[str] | None) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    items = (v.strip() for v in value[:_MAX_FAMILIES] if isinstance(v, str))
    return frozenset(v for v in items if v and len(v) <= 100 and (allowed is None or v in allowed))


def _context(value: Any) -> int | None:
    # bool is an int in Python: `true` is not a context length.
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000_000:
        return value
    return None
