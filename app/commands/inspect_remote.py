"""`inspect ORG/NAME`: the local Hugging Face cache first, then the config store, then the Hub."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

from app.commands.output import endpoint_problem, fail, print_characteristics, runtime_for
from app.core.characteristics import extract_characteristics
from app.core.config_parse import MAX_CONFIG_BYTES, ConfigError, parse_config_object
from app.core.model_id import InvalidModelId, cache_folder_name, validate_model_id
from app.core.parameter_figure import reconcile

log = logging.getLogger(__name__)
EXIT_USAGE = 2
EXIT_REMOTE = 3


def run(args: argparse.Namespace) -> int:
    try:
        repo_id = validate_model_id(args.model)
    except InvalidModelId as exc:
        return fail(f"invalid model id: {exc}", code=EXIT_USAGE)

    local = read_local_config(repo_id)
    if local is not None:
        return _show(repo_id, local, "local", args.json)

    from app.services.config_store import ConfigStore, StoredKind

    try:
        store: ConfigStore | None = ConfigStore()
    except (sqlite3.Error, OSError) as exc:
        log.warning("mlx-manager: the config store cannot be opened (%s); asking the Hub", exc)
        store = None
    try:
        stored = store.get(repo_id) if store is not None else None
        usable = stored is not None and stored.kind is StoredKind.OK and stored.config is not None
        if stored is not None and usable and not stored.stale and stored.config is not None:
            return _show(repo_id, stored.config, "store", args.json)
        bad_endpoint = endpoint_problem()
        if bad_endpoint is not None:
            return fail(bad_endpoint, code=EXIT_USAGE)
        outcome = asyncio.run(_fetch(repo_id, stored.etag if stored is not None and usable else None))
        return _handle(repo_id, outcome, store, stored, args.json)
    finally:
        if store is not None:
            store.close()


async def _fetch(repo_id: str, etag: str | None) -> Any:
    from app.commands.hub_patience import patiently
    from app.services.hub_client import ConfigOutcome, HubClient, RateLimited

    def wait_of(outcome: ConfigOutcome) -> float | None:
        return outcome.retry_after if isinstance(outcome, RateLimited) else None

    async with HubClient() as client:
        return await patiently(lambda max_wait: client.fetch_config(repo_id, etag=etag, max_wait=max_wait),
                               wait_of)


def _handle(repo_id: str, outcome: Any, store: Any, stored: Any, as_json: bool) -> int:
    from app.services.config_store import StoredKind
    from app.services.fetch_outcome import remember, stored_form
    from app.services.hub_client import ConfigOk, NotModified, describe

    if store is not None:
        try:
            remember(store, repo_id, outcome)
        except (sqlite3.Error, OSError) as exc:  # the answer is still worth printing
            log.warning("mlx-manager: the config store could not keep %s (%s)", repo_id, exc)
    if isinstance(outcome, ConfigOk):
        return _show(repo_id, outcome.config, "hub", as_json)
    if isinstance(outcome, NotModified) and stored is not None and stored.config is not None:
        if store is not None:
            store.touch(repo_id, etag=outcome.etag)
        return _show(repo_id, stored.config, "hub", as_json)
    lasting = stored_form(outcome) is not None  # no config, gated, not found: replaces what was stored
    if not lasting and stored is not None and stored.kind is StoredKind.OK and stored.config is not None:
        # Offline, rate limited or failing: what we stored before is still the best answer.
        return _show(repo_id, stored.config, "store", as_json)
    if isinstance(outcome, NotModified):
        return fail(f"{repo_id}: the Hub said not modified but nothing is stored", code=EXIT_REMOTE)
    return fail(f"{repo_id}: {describe(outcome)}", code=EXIT_REMOTE)


def _show(repo_id: str, config: dict[str, Any], source: str, as_json: bool) -> int:
    c = extract_characteristics(config)
    measured = None
    if source == "local":
        from app.services.weight_count import count_snapshot

        snapshot = local_snapshot(repo_id)
        measured = count_snapshot(str(snapshot), c) if snapshot is not None else None
    c = reconcile(c, measured=measured, name=repo_id)  # measured beats estimated; a contradicting name is noted
    runtime = runtime_for(c, config, weight_files_dir=local_snapshot(repo_id) if source == "local" else None)
    print_characteristics(c, as_json=as_json, title=f"{repo_id} ({source})",
                          extra={"id": repo_id, "source": source}, runtime=runtime)
    return 0


def local_snapshot(repo_id: str) -> Path | None:
    """The `main` snapshot folder of a model in the HF cache; None when there is none."""
    from app.services.local_cache import default_cache_dir

    folder = Path(default_cache_dir()) / cache_folder_name(repo_id)
    try:
        commit = (folder / "refs" / "main").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not commit or not all(ch in "0123456789abcdef" for ch in commit.lower()) or len(commit) > 64:
        return None
    return folder / "snapshots" / commit


def read_local_config(repo_id: str) -> dict[str, Any] | None:
    """config.json of the `main` snapshot in the HF cache; None when absent or unusable."""
    snapshot = local_snapshot(repo_id)
    if snapshot is None:
        return None
    path = snapshot / "config.json"
    try:
        data = _read_capped(path)
        return parse_config_object(data)
    except (OSError, ConfigError):
        return None


def _read_capped(path: Path) -> bytes:
    with open(path, "rb") as handle:  # follows the snapshot's symlink into blobs/
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError("too large")
    return data

