"""`inspect ORG/NAME`: the local Hugging Face cache first, then the config store, then the Hub."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
from typing import Any

from app.commands.inspect import print_characteristics, runtime_for
from app.commands.output import fail
from app.core.characteristics import extract_characteristics
from app.core.config_parse import MAX_CONFIG_BYTES, ConfigError, parse_config_object
from app.core.model_id import InvalidModelId, cache_folder_name, validate_model_id

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
    except Exception:
        store = None
    try:
        stored = store.get(repo_id) if store is not None else None
        usable = stored is not None and stored.kind is StoredKind.OK and stored.config is not None
        if stored is not None and usable and not stored.stale and stored.config is not None:
            return _show(repo_id, stored.config, "store", args.json)
        outcome = asyncio.run(_fetch(repo_id, stored.etag if stored is not None and usable else None))
        return _handle(repo_id, outcome, store, stored, args.json)
    finally:
        if store is not None:
            store.close()


async def _fetch(repo_id: str, etag: str | None) -> Any:
    from app.services.hub_client import HubClient

    async with HubClient() as client:
        return await client.fetch_config(repo_id, etag=etag, max_wait=5.0)


def _handle(repo_id: str, outcome: Any, store: Any, stored: Any, as_json: bool) -> int:
    from app.services.config_store import StoredKind
    from app.services.hub_client import ConfigOk, Gated, NoConfig, NotFound, NotModified, describe

    def remember(kind: StoredKind, **fields: Any) -> None:
        if store is not None:
            with contextlib.suppress(Exception):
                store.put(repo_id, kind, **fields)

    if isinstance(outcome, ConfigOk):
        remember(StoredKind.OK, config=outcome.config, etag=outcome.etag, commit=outcome.commit)
        return _show(repo_id, outcome.config, "hub", as_json)
    if isinstance(outcome, NotModified) and stored is not None and stored.config is not None:
        if store is not None:
            store.touch(repo_id, etag=outcome.etag)
        return _show(repo_id, stored.config, "hub", as_json)
    if isinstance(outcome, NoConfig):
        remember(StoredKind.NO_CONFIG, detail=outcome.reason)
    elif isinstance(outcome, Gated):
        remember(StoredKind.GATED, detail=outcome.kind)
    elif isinstance(outcome, NotFound):
        remember(StoredKind.NOT_FOUND, detail=outcome.reason)
    elif stored is not None and stored.kind is StoredKind.OK and stored.config is not None:
        # Offline, rate limited or failing: what we stored before is still the best answer.
        return _show(repo_id, stored.config, "store", as_json)
    if isinstance(outcome, NotModified):
        return fail(f"{repo_id}: the Hub said not modified but nothing is stored", code=EXIT_REMOTE)
    return fail(f"{repo_id}: {describe(outcome)}", code=EXIT_REMOTE)


def _show(repo_id: str, config: dict[str, Any], source: str, as_json: bool) -> int:
    c = extract_characteristics(config)
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

