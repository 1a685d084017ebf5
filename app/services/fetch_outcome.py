"""What the config store keeps for each outcome of a config.json fetch: the one mapping, used by the
fetcher and by `inspect ORG/NAME`. Lasting answers are kept (a config, no config, gated, not found);
passing trouble (rate limited, offline, a failure, 304) is never written over what the store has."""

from __future__ import annotations

from typing import Any

from app.services.config_store import ConfigStore, StoredConfig, StoredKind
from app.services.hub_client import ConfigOk, ConfigOutcome, Gated, NoConfig, NotFound


def stored_form(outcome: ConfigOutcome) -> tuple[StoredKind, dict[str, Any]] | None:
    """(kind, fields for `ConfigStore.put`) for an outcome worth keeping; None for passing trouble."""
    if isinstance(outcome, ConfigOk):
        return StoredKind.OK, {"config": outcome.config, "etag": outcome.etag, "commit": outcome.commit}
    if isinstance(outcome, NoConfig):
        return StoredKind.NO_CONFIG, {"detail": outcome.reason}
    if isinstance(outcome, Gated):
        return StoredKind.GATED, {"detail": outcome.kind}
    if isinstance(outcome, NotFound):
        return StoredKind.NOT_FOUND, {"detail": outcome.reason}
    return None


def remember(store: ConfigStore, repo_id: str, outcome: ConfigOutcome) -> StoredConfig | None:
    """Keep what the outcome says in the store (raises what the store raises); None when nothing is kept."""
    form = stored_form(outcome)
    if form is None:
        return None
    kind, fields = form
    return store.put(repo_id, kind, **fields)
