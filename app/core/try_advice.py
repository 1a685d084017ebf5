"""Before trying a model: what its card already tells (the fit verdict, mlx-lm support), in words.

Pure functions of a `ModelEntry`; the Try panel asks for confirmation with `too_large_warning`, and shows
`cannot_run_reason` up front instead of starting a process that would only fail.
"""

from __future__ import annotations

from app.core import formatting, memory, mlx_support
from app.core.model_entry import ModelEntry


def too_large_warning(entry: ModelEntry) -> str | None:
    """A sentence when the fit verdict calls the model too large for this machine, else None."""
    runtime = entry.runtime
    report = runtime.memory if runtime is not None else None
    if report is None:
        return None
    fit = report.at_default
    if fit.verdict != memory.TOO_LARGE:
        return None
    at = formatting.context(fit.tokens) or "its default context"
    return (f"{entry.id} needs about {memory.gb(fit.bytes)} at {at} ({report.arithmetic(fit)}): more than the "
            f"{memory.gb(report.budget.bytes)} this machine can give a model.")


def cannot_run_reason(entry: ModelEntry) -> str | None:
    """Why mlx-lm cannot run this model (custom code, an architecture it lacks), when that is known."""
    runtime = entry.runtime
    if runtime is None or runtime.mlx.runs or runtime.mlx.status == mlx_support.UNKNOWN:
        return None
    reason = runtime.mlx.reason
    return f"{entry.id} cannot run with mlx-lm{f': {reason}' if reason else ''}."
