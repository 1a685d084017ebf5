"""One model as the user sees it, with where each fact came from.

A `ModelEntry` is immutable: when something new is known (a listing page, a config, a size),
a new entry replaces the old one, so the UI can compare and emit exactly the roles that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum, StrEnum

from app.core.model_characteristics import ModelCharacteristics
from app.core.model_id import author_of, name_of
from app.core.runtime import RuntimeFacts


class Source(StrEnum):
    LOCAL = "local"
    HUB = "hub"
    BOTH = "both"


class Tier(IntEnum):
    """How trustworthy a fact is; a higher tier replaces a lower one."""

    NAME = 1  # guessed from the repo name and Hub tags
    LISTING = 2  # from the Hub listing (`expand=config,safetensors,...`)
    CONFIG = 3  # read from the model's own config.json


TIER_LABELS = {Tier.NAME: "name", Tier.LISTING: "Hub listing", Tier.CONFIG: "config"}


class ConfigStatus(StrEnum):
    PENDING = "pending"  # not fetched yet (or in flight)
    OK = "ok"
    UNAVAILABLE = "unavailable"  # fetched and failed; `config_error` says why


@dataclass(frozen=True)
class ModelEntry:
    id: str
    source: Source
    characteristics: ModelCharacteristics | None = None
    # Per-field provenance: characteristics field name -> tier it came from.
    provenance: tuple[tuple[str, Tier], ...] = ()
    config_status: ConfigStatus = ConfigStatus.PENDING
    config_error: str | None = None
    # Hub listing stats
    downloads: int | None = None
    likes: int | None = None
    last_modified: datetime | None = None
    created_at: datetime | None = None
    gated: str | None = None  # None/"" = open, "auto" or "manual" = gated
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    library_name: str | None = None
    # Local cache facts
    size_on_disk: int | None = None
    last_accessed: datetime | None = None
    is_mlx: bool | None = None
    problem: str | None = None
    # Will it run here, will it fit: filled in by the window once mlx-lm's registry and the budget are read.
    runtime: RuntimeFacts | None = None
    extra: tuple[tuple[str, object], ...] = field(default=(), compare=False)

    @property
    def author(self) -> str:
        return author_of(self.id)

    @property
    def name(self) -> str:
        return name_of(self.id)

    def tier_of(self, field_name: str) -> Tier | None:
        for name, tier in self.provenance:
            if name == field_name:
                return tier
        return None

    def with_changes(self, **changes: object) -> ModelEntry:
        return replace(self, **changes)  # type: ignore[arg-type]
