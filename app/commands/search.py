"""`search`: MLX models on the Hub, as a table or JSON, optionally with every config.json fetched."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from app.commands.output import endpoint_problem, fail
from app.core import formatting
from app.core.listing import with_config
from app.core.model_entry import ConfigStatus, ModelEntry
from app.core.runtime import RuntimeFacts

PAGE_SIZE = 100
EXIT_REMOTE = 3


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        return fail("--limit must be at least 1", code=2)
    bad_endpoint = endpoint_problem()
    if bad_endpoint is not None:
        return fail(bad_endpoint, code=2)
    from app.services.hub_client import HubError

    try:
        entries, note = asyncio.run(_collect(args))
    except HubError as exc:
        return fail(f"search failed: {exc}", code=EXIT_REMOTE)
    if args.json:
        runtimes = _runtimes(entries, with_configs=bool(args.configs))
        json.dump([entry_json(e, runtimes.get(e.id)) for e in entries], sys.stdout, indent=2, allow_nan=False,
                  default=str)
        sys.stdout.write("\n")
    else:
        _print_table(entries)
    if note:
        print(f"mlx-manager: {note}", file=sys.stderr)
    return 0


async def _collect(args: argparse.Namespace) -> tuple[list[ModelEntry], str | None]:
    from app.commands.hub_patience import patiently
    from app.services.hub_client import HubClient, HubError, RateLimited, SearchPage

    wanted = int(args.limit)
    async with HubClient() as client:
        entries: list[ModelEntry] = []
        seen: set[str] = set()
        cursor: str | None = None
        note = None
        while len(entries) < wanted:
            async def one_page(max_wait: float, cursor: str | None = cursor) -> SearchPage | HubError:
                try:
                    return await client.search(
                        args.query or "", author=args.author, sort=args.sort,
                        limit=min(PAGE_SIZE, wanted - len(entries)), cursor=cursor, max_wait=max_wait,
                    )
                except HubError as exc:
                    return exc

            def wait_of(answer: SearchPage | HubError) -> float | None:
                if isinstance(answer, HubError) and isinstance(answer.outcome, RateLimited):
                    return answer.outcome.retry_after
                return None

            try:
                answer = await patiently(one_page, wait_of)
                if isinstance(answer, HubError):
                    raise answer
                page = answer
            except HubError as exc:
                if not entries:
                    raise
                note = f"showing the first {len(entries)} results; the next page failed: {exc}"
                break
            for entry in page.entries:
                if entry.id not in seen and len(entries) < wanted:
                    seen.add(entry.id)
                    entries.append(entry)
            cursor = page.next_cursor
            if cursor is None or not page.entries:
                break
        if args.configs and entries:
            entries, config_note = await _with_configs(client, entries)
            note = note or config_note
    return entries, note


async def _with_configs(client: Any, entries: list[ModelEntry]) -> tuple[list[ModelEntry], str | None]:
    from app.services.config_fetcher import ConfigFetcher, FetchResult
    from app.services.config_store import ConfigStore

    results: dict[str, FetchResult] = {}

    def on_result(repo_id: str, result: FetchResult) -> None:
        if result.kind != "ok" or not result.stale or repo_id not in results:
            results[repo_id] = result

    with ConfigStore() as store:
        fetcher = ConfigFetcher(client, store, on_result)
        await fetcher.start()
        try:
            fetcher.request(e.id for e in entries)
            await fetcher.wait_idle()
            offline = fetcher.status.state == "offline"
        finally:
            await fetcher.stop()
    merged: list[ModelEntry] = []
    for entry in entries:
        result = results.get(entry.id)
        if result is None:
            merged.append(entry)
        elif result.ok and result.characteristics is not None:
            merged.append(with_config(entry, result.characteristics))
        else:
            merged.append(entry.with_changes(config_status=ConfigStatus.UNAVAILABLE,
                                             config_error=result.error))
    missing = sum(1 for e in entries if e.id not in results)
    note = f"offline: {missing} config(s) could not be fetched" if offline and missing else None
    return merged, note


def _runtimes(entries: list[ModelEntry], *, with_configs: bool) -> dict[str, RuntimeFacts]:
    """mlx-lm status, exact count (from the stored config.json, with --configs) and memory, per id."""
    from app.services.config_store import ConfigStore, StoredKind
    from app.services.runtime_context import RuntimeContext

    configs: dict[str, dict[str, Any]] = {}
    if with_configs:
        try:
            with ConfigStore() as store:
                for repo_id, stored in store.get_many(e.id for e in entries).items():
                    if stored.kind is StoredKind.OK and stored.config is not None:
                        configs[repo_id] = stored.config
        except Exception as exc:  # noqa: BLE001 - the store is an optimisation here: said, the listing still answers
            print(f"mlx-manager: the config store could not be read ({exc}); no exact counts", file=sys.stderr)
    context = RuntimeContext()
    try:
        result = {}
        for e in entries:
            weights = dict(e.extra).get("weights_bytes")
            result[e.id] = context.facts(e.characteristics, configs.get(e.id),
                                         listing_weights=weights if isinstance(weights, int) else None)
        return result
    finally:
        context.close()


def entry_json(entry: ModelEntry, runtime: RuntimeFacts | None = None) -> dict[str, Any]:
    """The stable JSON shape of one search result (documented in the README)."""
    c = entry.characteristics
    return {
        "id": entry.id,
        "author": entry.author,
        "downloads": entry.downloads,
        "likes": entry.likes,
        "last_modified": entry.last_modified.isoformat() if entry.last_modified else None,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
        "gated": entry.gated or False,
        "pipeline_tag": entry.pipeline_tag,
        "library_name": entry.library_name,
        "tags": list(entry.tags),
        "characteristics": {**c.to_dict(), **(runtime.to_json() if runtime else {})} if c is not None else None,
        "provenance": {name: tier.name.lower() for name, tier in entry.provenance},
        "config_status": entry.config_status.value,
        "config_error": entry.config_error,
    }


def _print_table(entries: list[ModelEntry]) -> None:
    if not entries:
        print("No models found.")
        return
    headers = ("MODEL", "FAMILY", "PARAMS", "QUANT", "CONTEXT", "DOWNLOADS", "LIKES", "UPDATED", "")
    rows = [headers]
    guessed_shown = False
    for e in entries:
        c = e.characteristics
        guess = {name for name, tier in e.provenance if tier.name == "NAME"}

        def shown(value: str | None, field: str, guess: set[str] = guess) -> str:
            nonlocal guessed_shown
            if not value:
                return "-"
            if field in guess:
                guessed_shown = True
                return f"{value}?"
            return value

        notes = []
        if e.gated:
            notes.append(f"gated ({e.gated})")
        if e.config_error:
            notes.append(e.config_error)
        rows.append((
            e.id,
            shown(c.architecture_family if c else None, "architecture_family"),
            shown(formatting.params(c.parameter_count_estimate) if c else None, "parameter_count_estimate"),
            shown(c.bits_label if c else None, "quantization_bits"),
            shown(formatting.context(c.max_position_embeddings) if c else None, "max_position_embeddings"),
            formatting.count(e.downloads) or "-",
            formatting.count(e.likes) or "-",
            formatting.ago(e.last_modified) or "-",
            "; ".join(notes),
        ))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(headers) - 1)]
    for row in rows:
        cells = [str(cell).ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, str(row[-1])]).rstrip())
    if guessed_shown:  # only when a "?" is actually on screen
        print("\n? = guessed from the name or tags (use --configs for the facts from config.json)")
