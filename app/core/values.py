"""Coercion of untrusted JSON values: wrong types are dropped or coerced, never trusted."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# Nothing real has more than this many of anything (layers, heads, tokens of context, vocab...).
MAX_COUNT = 10**12


def as_int(value: object, *, minimum: int = 1, maximum: int = MAX_COUNT) -> int | None:
    """A positive count from an int, an integral float or a numeric string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    number: float
    if isinstance(value, int):
        return value if minimum <= value <= maximum else None
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace("_", ""))
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    result = int(number)
    if result < minimum or result > maximum:
        return None
    return result


def as_float(value: object, *, minimum: float = 0.0, maximum: float = 1e9) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number) or number < minimum or number > maximum:
        return None
    return number


def as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def as_str(value: object, *, max_len: int = 200) -> str | None:
    """A short non-empty string; a one-element list of strings is accepted too."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > max_len or text.lower() in ("none", "null"):
        return None
    return text


def as_str_list(value: object, *, max_items: int = 32) -> tuple[str, ...] | None:
    """A tuple of strings from a list (or a single string); non-strings are dropped."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    items = tuple(s for s in (as_str(v) for v in value[:max_items]) if s is not None)
    return items or None


def as_dict(value: object) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping) and value:
        return value
    return None


def first(mappings: tuple[Mapping[str, Any], ...], keys: tuple[str, ...]) -> object:
    """The first present, non-null value of any key, searching mapping by mapping."""
    for mapping in mappings:
        for key in keys:
            value = mapping.get(key)
            if value is not None:
                return value
    return None
