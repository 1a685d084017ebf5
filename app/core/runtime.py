"""Will it run here, and will it fit: one model's mlx-lm status, exact parameters and memory verdict.

Computed purely from what is already known: the characteristics, a snapshot of mlx-lm's registry, the
memory budget, and what only the raw config or the files say (custom code, sliding layers, an exact
count, weight sizes). The CLI and the window build the same `RuntimeFacts`, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core import memory
from app.core.characteristics import ModelCharacteristics
from app.core.memory import Budget, KvFacts, MemoryReport, Weights
from app.core.mlx_support import CodeFacts, MlxStatus, Registry, support_status


@dataclass(frozen=True)
class ConfigExtras:
    """What only the raw config says (not kept in the characteristics), plus its exact parameter count."""

    code: CodeFacts = field(default_factory=CodeFacts)
    kv: KvFacts = field(default_factory=KvFacts)
    exact_parameters: int | None = None


def config_extras(config: object, exact_parameters: int | None = None) -> ConfigExtras:
    from app.core.mlx_support import code_facts

    return ConfigExtras(code_facts(config), memory.kv_facts(config), exact_parameters)


@dataclass(frozen=True)
class RuntimeFacts:
    mlx: MlxStatus
    exact_parameters: int | None
    memory: MemoryReport | None  # None until the budget is known

    def to_json(self) -> dict[str, Any]:
        """The keys `inspect`, `scan` and `search` add to a characteristics object."""
        return {
            "mlx_lm": self.mlx.to_dict(),
            "parameter_count_exact": self.exact_parameters,
            "memory": self.memory.to_dict() if self.memory is not None else None,
        }


def choose_weights(c: ModelCharacteristics, *, files: int | None = None, listing: int | None = None,
                   exact_parameters: int | None = None) -> Weights:
    """Measured beats estimated: the weight files on disk, then the Hub's sizes, then parameters × bits."""
    if files:
        return Weights(files, "files")
    if listing:
        return Weights(listing, "listing")
    return Weights(memory.estimated_weight_bytes(c, exact_parameters), "estimate")


def runtime_facts(c: ModelCharacteristics | None, registry: Registry | None, budget: Budget | None, *,
                  extras: ConfigExtras | None = None, weight_files: int | None = None,
                  listing_weights: int | None = None, context: int = memory.DEFAULT_CONTEXT) -> RuntimeFacts:
    extras = extras or ConfigExtras()
    status = support_status(registry, c, extras.code)
    exact = extras.exact_parameters if status.runs else None
    report = None
    if budget is not None and c is not None:
        weights = choose_weights(c, files=weight_files, listing=listing_weights, exact_parameters=exact)
        report = memory.memory_report(c, weights, memory.kv_layout(c, extras.kv), budget, context)
    return RuntimeFacts(status, exact, report)
