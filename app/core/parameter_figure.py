"""Which parameter count a model shows: measured beats estimated.

A total measured from the weights (the Hub listing's safetensors counts, the local safetensors headers)
is the figure shown, and the one filters use; the estimate from config shapes is the fallback. When the
two disagree by more than 25 %, the estimate is kept beside the measured figure with a note, so the specs
can say so. A size in the repo name ("30B", "0.5B", "30B-A3B") that contradicts the figure by more than
2x is noted the same way: one of the two is wrong, and a person should know before trusting either.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.core import formatting
from app.core.model_characteristics import ModelCharacteristics

DISAGREEMENT = 0.25  # measured vs estimated, relative to the measured figure
NAME_FACTOR = 2.0  # the name's size vs the figure shown

_SIZE_IN_NAME = re.compile(r"(?<![0-9a-z.])(\d{1,4}(?:\.\d{1,2})?)([bm])(?![a-z0-9])")
_ACTIVE_IN_NAME = re.compile(r"(?<![0-9a-z.])a(\d{1,3}(?:\.\d{1,2})?)b(?![a-z0-9])")
# "Llama-4-Scout-17B-16E": with an expert count in the name, the size given is the active one.
_EXPERTS_IN_NAME = re.compile(r"(?<![0-9a-z.])\d{1,3}e(?![a-z0-9])")


def size_in_name(name: str) -> int | None:
    """The total a repo name states ("Qwen3-30B-A3B" -> 30e9, "Qwen2.5-0.5B" -> 5e8); None when it states none."""
    lowered = name.rsplit("/", 1)[-1].lower()
    if _EXPERTS_IN_NAME.search(lowered):
        return None
    return _first_size(lowered)


def _first_size(lowered: str) -> int | None:
    for match in _SIZE_IN_NAME.finditer(lowered):
        start = match.start()
        if start >= 1 and lowered[start - 1] == "x":
            continue  # "8x7b": the expert count times the expert size is not the model's size
        count = int(float(match.group(1)) * (1e9 if match.group(2) == "b" else 1e6))
        if 1e6 <= count <= 5e12:
            return count
    return None


def active_in_name(name: str) -> int | None:
    """The active parameters a MoE repo name states ("30B-A3B" -> 3e9, "17B-16E" -> 17e9); None if none."""
    lowered = name.rsplit("/", 1)[-1].lower()
    match = _ACTIVE_IN_NAME.search(lowered)
    if match:
        return int(float(match.group(1)) * 1e9)
    return _first_size(lowered) if _EXPERTS_IN_NAME.search(lowered) else None


def is_measured(method: str | None) -> bool:
    """Whether a parameter method names a measurement of the weights rather than an estimate or a guess."""
    return bool(method) and "safetensors" in (method or "")


def reconcile(
    c: ModelCharacteristics, *, measured: tuple[int, str] | None = None, name: str | None = None
) -> ModelCharacteristics:
    """`c` (characteristics from a config) with the figure to show, the estimate kept aside and a note.

    `measured` is (total, how it was measured); `name` is the repo id or name, checked against the figure.
    """
    estimate, method = c.parameter_count_estimate, c.parameter_count_method
    if is_measured(method) and measured is None and estimate:
        measured, estimate = (estimate, method or ""), c.parameter_count_config_estimate
    notes: list[str] = []
    config_estimate: int | None = None
    shown, shown_method = estimate, method
    if measured is not None and measured[0] > 0:
        shown, shown_method = measured
        if estimate and abs(estimate - shown) / shown > DISAGREEMENT:
            config_estimate = estimate
            notes.append(f"the config's shapes suggest ≈ {formatting.params(estimate)}; "
                         f"the {formatting.params(shown)} measured from the weights is shown")
    if name and shown:
        stated = size_in_name(name)
        active = active_in_name(name)
        if stated and max(stated, shown) / min(stated, shown) > NAME_FACTOR:
            notes.append(f"the name says {formatting.params(stated)}, far from the "
                         f"{formatting.params(shown)} shown")
        elif not stated and active and shown < active / NAME_FACTOR:
            notes.append(f"the name says {formatting.params(active)} active, more than the "
                         f"{formatting.params(shown)} in total")
    note = "; ".join(notes) or None
    if (shown, shown_method, config_estimate, note) == (
            c.parameter_count_estimate, c.parameter_count_method, c.parameter_count_config_estimate,
            c.parameter_count_note):
        return c
    return replace(c, parameter_count_estimate=shown, parameter_count_method=shown_method,
                   parameter_count_config_estimate=config_estimate, parameter_count_note=note)
