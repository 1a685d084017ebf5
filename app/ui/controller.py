"""Wires the services to the two list models: the cache scan for My Models, Hub search and configs for
Hugging Face. Qt-side state only; every piece of I/O is a task on the one qasync loop or a worker thread.

The Hub side (httpx, the SQLite store, the fetcher) is created the first time the Hub view is shown, and its
modules are imported on a worker thread, so starting in My Models never pays for them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from app.core.hub_address import model_url
from app.core.hub_scope import DEFAULT_SCOPE, SearchScope, search_scope
from app.core.listing import with_config
from app.core.model_entry import ConfigStatus, ModelEntry, Source
from app.core.sorting import server_sort
from app.services.early_scan import arrived
from app.services.local_cache import LocalModel, fill_sizes_async, fill_weights_async, scan_first_pass
from app.services.network_state import Network
from app.ui.errors import ErrorReporter

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from app.services.config_fetcher import ConfigFetcher, FetcherStatus, FetchResult
    from app.services.config_store import ConfigStore
    from app.services.hub_client import HubClient, HubError

PAGE_SIZE = 50
OFFLINE_TEXT = "You're offline — My Models still works."
# Results that say "not yet" rather than what the config is: the fetcher tries again, the card stays pending.
_NOT_YET = ("rate_limited", "offline")


class HubState(StrEnum):
    IDLE = "idle"  # never searched
    SEARCHING = "searching"
    READY = "ready"
    EMPTY = "empty"
    OFFLINE = "offline"
    ERROR = "error"


@dataclass(frozen=True)
class NetworkStatus:
    state: Network
    resume_at: float | None = None  # monotonic: when a rate limit or an offline pause ends
    message: str = ""


def first_pass_entries(cache_dir: str | None = None) -> tuple[list[LocalModel], list[ModelEntry]]:
    """The first pass and its cards, both built off the GUI thread."""
    models = scan_first_pass(cache_dir)
    return models, [m.to_model_entry() for m in models]


class ListModel(Protocol):
    """The part of `ModelListModel` the controller uses."""

    def set_entries(self, entries: list[ModelEntry]) -> None: ...
    def append_entries(self, entries: list[ModelEntry]) -> None: ...
    def update_entry(self, entry: ModelEntry) -> None: ...
    def update_entries(self, entries: list[ModelEntry]) -> None: ...
    def remove_ids(self, ids: Any) -> None: ...
    def entry(self, repo_id: str) -> ModelEntry | None: ...
    def all_entries(self) -> list[ModelEntry]: ...
    def set_can_fetch_more(self, value: bool) -> None: ...


class Controller(QObject):
    local_state_changed = Signal()
    hub_state_changed = Signal()
    work_changed = Signal(str, str)  # key, words ("" when that work is done)
    network_changed = Signal(object)  # NetworkStatus
    hub_results_replaced = Signal(bool)  # a search's first page is on screen; True when the query or sort is new
    config_result = Signal(str, object)  # repo id, FetchResult: for other lists of Hub entries (quick search)

    def __init__(
        self,
        local_model: ListModel,
        hub_model: ListModel,
        reporter: ErrorReporter,
        *,
        cache_dir: str | None = None,
        hub_endpoint: str | None = None,
        store_path: Path | str | None = None,
        page_size: int = PAGE_SIZE,
        concurrency: int = 12,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.local_model = local_model
        self.hub_model = hub_model
        self.reporter = reporter
        self.cache_dir = cache_dir
        self.hub_endpoint = hub_endpoint
        self.store_path = store_path
        self.page_size = page_size
        self.concurrency = concurrency
        # My Models
        # A first pass already started before the window existed (application.py): used once.
        self.early_scan: concurrent.futures.Future[tuple[list[LocalModel], list[ModelEntry]]] | None = None
        # With it, maybe (app/services/early_scan.py): every repo read (early_scan's may be `pending`), then sized.
        self.early_rest: concurrent.futures.Future[tuple[list[LocalModel], list[ModelEntry]]] | None = None
        self.early_sizes: concurrent.futures.Future[list[LocalModel]] | None = None
        self.local_scanned = False  # the first pass is on screen
        self.cache_exists = True  # the cache folder was there at the last scan
        self.local_sized = False  # sizes of the latest scan are on screen
        self._local_task: asyncio.Task[None] | None = None
        # Hugging Face
        self.client: HubClient | None = None
        self.store: ConfigStore | None = None
        self.fetcher: ConfigFetcher | None = None
        self._hub_task: asyncio.Task[None] | None = None
        self._search_task: asyncio.Task[None] | None = None
        self._page_task: asyncio.Task[None] | None = None
        self._cursor: str | None = None
        self.hub_query: str | None = None  # the query on screen (None: never searched)
        self.hub_sort = "downloads"
        self._shown_search: tuple[str, str] | None = None  # the query and sort whose results are on screen
        self.hub_state = HubState.IDLE
        self.hub_message = ""
        self.hub_detail = ""  # the failure as the client described it (e.g. "offline: HF_HUB_OFFLINE is set")
        self.hub_total: int | None = None
        # What the Hub filters itself (from the filter dialog: num_parameters, pipeline_tag); the list model
        # still applies every condition, so these only make the pages denser in matches.
        self.hub_params: dict[str, str] = {}
        self.search_scope: SearchScope = search_scope(DEFAULT_SCOPE)  # a preference: which part of the Hub
        self._visible: tuple[list[str], list[str]] | None = None
        # Every config answer so far, by id: applied to each entry with that id whenever it is (or comes
        # back) in the list, so a card a search, sort or filter moved or hid still gets its facts.
        self._known: dict[str, FetchResult] = {}
        self._arrived: dict[str, FetchResult] = {}
        self._apply_scheduled = False
        self._closed = False

    # --- My Models ---------------------------------------------------------------------------------

    @property
    def cache_root(self) -> str:
        from app.services.local_cache import default_cache_dir

        return self.cache_dir or default_cache_dir()

    def refresh_local(self) -> None:
        """Scan the cache again; a scan already running is replaced (its answer would be older)."""
        if self._closed:
            return
        if self._local_task is not None and not self._local_task.done():
            self._local_task.cancel()
        self._local_task = self.reporter.spawn(self._scan_local(), name="reading My Models")

    async def _scan_local(self) -> None:
        self.local_sized = False
        self.work_changed.emit("scan", "Reading your models…")
        early, self.early_scan = self.early_scan, None
        rest, self.early_rest = self.early_rest, None
        early_sizes, self.early_sizes = self.early_sizes, None
        try:
            # Every card read already (a relaunch), or an order the first screen alone would get wrong.
            if rest is not None and (rest.done() or self._order_needs_details()):
                models, entries = await asyncio.wrap_future(rest)
                rest = None
            elif early is not None:
                models, entries = await asyncio.wrap_future(early)
            else:
                models, entries = await asyncio.to_thread(first_pass_entries, self.cache_dir)
        except BaseException:
            self.work_changed.emit("scan", "")
            raise
        if rest is None:
            self.work_changed.emit("scan", "")
        if not entries:  # say why the list is empty: no folder at all, or an empty one
            self.cache_exists = await asyncio.to_thread(os.path.isdir, self.cache_root)
        if self.local_scanned:
            self._merge_local(entries)
        else:
            self.local_model.set_entries(entries)
        self.local_scanned = True
        self.local_state_changed.emit()
        if rest is not None:  # the cards after the first screen, read while it painted
            try:
                models, entries = await asyncio.wrap_future(rest)
            finally:
                self.work_changed.emit("scan", "")
            self.local_model.update_entries(entries)
        await self._fill_sizes(models, early_sizes)

    def _order_needs_details(self) -> bool:
        """Sorted or filtered on what only a config says: cards known by name only cannot be placed."""
        state = getattr(self.local_model, "filter_state", None)
        return (getattr(self.local_model, "sort_key", None) in ("parameters", "context")
                or (state is not None and not state.is_empty))

    async def _fill_sizes(self, models: Sequence[LocalModel],
                          early: concurrent.futures.Future[list[LocalModel]] | None = None) -> None:
        if models:
            self.work_changed.emit("sizes", "Reading sizes…")
            try:
                if early is not None:
                    # Unpickled on a worker thread once here: the GUI thread is painting the first screen.
                    await asyncio.wrap_future(arrived(early))
                    sized = await asyncio.to_thread(early.result)
                else:
                    sized = await fill_sizes_async(models, self.cache_dir)
            finally:
                self.work_changed.emit("sizes", "")
            entries = await asyncio.to_thread(lambda: [m.to_model_entry() for m in sized])
            self.local_model.update_entries(entries)
        self.local_sized = True
        self.local_state_changed.emit()
        if models:
            # Then the parameter counts measured from the weight files' headers (measured beats estimated).
            weighed = await fill_weights_async(sized, self.cache_dir)
            entries = await asyncio.to_thread(lambda: [m.to_model_entry() for m in weighed])
            self.local_model.update_entries(entries)

    def _merge_local(self, entries: list[ModelEntry]) -> None:
        """A rescan as removals, additions and updates, so selection and scroll position survive."""
        old = {e.id: e for e in self.local_model.all_entries()}
        new_ids = {e.id for e in entries}
        gone = [i for i in old if i not in new_ids]
        if gone:
            self.local_model.remove_ids(gone)
        added: list[ModelEntry] = []
        changed: list[ModelEntry] = []
        for entry in entries:
            before = old.get(entry.id)
            if before is None:
                added.append(entry)
                continue
            # Keep the known sizes until the new ones land, so the card does not flicker to "…".
            entry = entry.with_changes(size_on_disk=before.size_on_disk, last_accessed=before.last_accessed,
                                       last_modified=before.last_modified)
            if entry != before:
                changed.append(entry)
        if added:
            self.local_model.append_entries(added)
        if changed:
            self.local_model.update_entries(changed)

    # --- Hugging Face: services --------------------------------------------------------------------

    def start_hub(self) -> asyncio.Task[None]:
        """Create the Hub client, store and fetcher once (first time the Hub view is shown)."""
        if self._hub_task is None:
            self._hub_task = self.reporter.spawn(self._start_hub(), name="connecting to the Hub")
        return self._hub_task

    def warm_hub(self) -> None:
        """The person is typing a Hub query: open the connections its first screen needs meanwhile
        (each new HTTPS connection costs two round trips; no request is sent)."""
        if self.client is not None and not self._closed:
            self.reporter.spawn(self.client.warm_up(self.concurrency), name="connecting to the Hub")

    async def _start_hub(self) -> None:
        # httpx and the fetcher's imports cost tens of milliseconds: never on the GUI thread.
        fetcher_module = await asyncio.to_thread(importlib.import_module, "app.services.config_fetcher")
        store_module = importlib.import_module("app.services.config_store")
        hub_module = importlib.import_module("app.services.hub_client")
        try:
            self.store = await asyncio.to_thread(store_module.ConfigStore, self.store_path)
        except Exception as exc:  # noqa: BLE001 - logged: locked past its timeout or not writable
            # Badges still come from the Hub.
            log.warning("config store unavailable (%s: %s); configs come from the Hub only", type(exc).__name__, exc)
            self.store = None
        self.client = client = hub_module.HubClient(self.hub_endpoint)
        self.warm_hub()  # while the token lookup runs: the first search needs them at once
        try:
            # The token lookup imports huggingface_hub (~0.1 s): a worker thread does it once.
            await asyncio.to_thread(lambda: client.has_token)
            fetcher = fetcher_module.ConfigFetcher(
                client, self.store, self._on_result, on_status=self._on_status,
                concurrency=self.concurrency, prefetch_margin=12,
            )
            await fetcher.start()
        except Exception:
            # Half-started: close what exists so a later attempt starts from nothing.
            self.client = None
            await client.aclose()
            if self.store is not None:
                store, self.store = self.store, None
                await asyncio.to_thread(store.close)
            raise
        self.fetcher = fetcher
        if self._visible is not None:
            fetcher.set_visible(*self._visible)

    def model_url(self, repo_id: str) -> str:
        if self.client is not None:
            return self.client.model_url(repo_id)
        return model_url(repo_id, hub_endpoint(self.hub_endpoint))

    # --- Hugging Face: search ----------------------------------------------------------------------

    def search_hub(self, query: str, sort: str | None = None, *, force: bool = False) -> None:
        """Run a search; a search still running is cancelled first (only the latest query matters)."""
        if self._closed:
            return
        query = query.strip()
        sort = sort or self.hub_sort
        # Sorts done here (parameters, context…) share the Hub's order of the results: no new search.
        same = (query == self.hub_query and server_sort(sort) == server_sort(self.hub_sort)
                and self.hub_state in (HubState.READY, HubState.EMPTY))
        if same and not force:
            self.hub_sort = sort
            return
        self.hub_query, self.hub_sort = query, sort
        for task in (self._search_task, self._page_task):
            if task is not None and not task.done():
                task.cancel()
        self._page_task = None
        self._set_hub_state(HubState.SEARCHING, "")  # at once: nothing reads the previous answer as this one's
        self._search_task = self.reporter.spawn(self._search(query, sort), name=f"searching the Hub for {query!r}")

    def set_hub_params(self, params: dict[str, str]) -> None:
        """Server-side filters for the Hub search; a search already shown runs again when they change."""
        params = dict(params)
        if params == self.hub_params:
            return
        self.hub_params = params
        if self.hub_query is not None:
            self.search_hub(self.hub_query, self.hub_sort, force=True)

    @property
    def search_task(self) -> asyncio.Task[None] | None:
        return self._search_task

    async def _search(self, query: str, sort: str) -> None:
        self._set_hub_state(HubState.SEARCHING, "")
        self.work_changed.emit("search", "Searching the Hub…")
        self.work_changed.emit("page", "")
        try:
            try:
                await asyncio.shield(self.start_hub())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported by the start-up task; said here as a failed search
                self._hub_task = None  # the next search tries again
                self._set_hub_state(HubState.ERROR, f"Could not connect to the Hub ({type(exc).__name__}: {exc}). "
                                             "Refresh (⌘R) to try again.")
                return
            assert self.client is not None
            hub_module = importlib.import_module("app.services.hub_client")
            try:
                page = await self.client.search(query, sort=sort, limit=self.page_size,
                                                author=self.search_scope.author, filters=self.search_scope.filters,
                                                pipeline_tag=self.hub_params.get("pipeline_tag"),
                                                num_parameters=self.hub_params.get("num_parameters"))
            except hub_module.HubError as exc:
                self._search_failed(exc, query, sort)
                return
        finally:
            if asyncio.current_task() is self._search_task:
                self.work_changed.emit("search", "")
        self._cursor = page.next_cursor
        self.hub_total = page.total
        new_search = self._shown_search != (query, server_sort(sort))
        self._shown_search = (query, server_sort(sort))
        self.hub_model.set_entries(self._with_known(page.entries))
        self.hub_model.set_can_fetch_more(self._cursor is not None)
        self._back_online()
        self.hub_results_replaced.emit(new_search)
        if page.entries:
            self._set_hub_state(HubState.READY, "")
        elif query:
            self._set_hub_state(HubState.EMPTY, f"No MLX models match “{query}”. Try a shorter or different name.")
        else:
            self._set_hub_state(HubState.EMPTY, "The Hub returned no MLX models.")

    def _search_failed(self, exc: HubError, query: str, sort: str) -> None:
        hub_module = importlib.import_module("app.services.hub_client")
        outcome = exc.outcome
        self.hub_detail = hub_module.describe(outcome)
        # A refresh of what is on screen that fails keeps it on screen (marked by the state); a new query's
        # failure must not leave the old query's cards looking like its answer.
        if self._shown_search != (query, server_sort(sort)):
            self._shown_search = None
            self.hub_model.set_entries([])
            self.hub_model.set_can_fetch_more(False)
            self._cursor = None
        if isinstance(outcome, hub_module.Offline):
            self.network_changed.emit(NetworkStatus(Network.OFFLINE, None, hub_module.describe(outcome)))
            self._set_hub_state(HubState.OFFLINE, OFFLINE_TEXT)
        elif isinstance(outcome, hub_module.RateLimited):
            resume_at = time.monotonic() + outcome.retry_after
            self.network_changed.emit(NetworkStatus(Network.RATE_LIMITED, resume_at, hub_module.describe(outcome)))
            self._set_hub_state(HubState.ERROR, f"The Hub asked us to slow down — {hub_module.describe(outcome)}. "
                                                "Refresh (⌘R) to try again.")
        else:
            self._set_hub_state(HubState.ERROR, f"The search failed: {hub_module.describe(outcome)}. "
                                                "Refresh (⌘R) to try again.")

    def _back_online(self) -> None:
        """The Hub answered: an offline pause of the config queue ends now, not when its timer runs out."""
        if self.fetcher is not None and self.fetcher.status.state == Network.OFFLINE:
            self.fetcher.resume()
        else:
            self.network_changed.emit(NetworkStatus(Network.ONLINE))

    def _set_hub_state(self, state: HubState, message: str) -> None:
        self.hub_state, self.hub_message = state, message
        self.hub_state_changed.emit()

    @property
    def searching(self) -> bool:
        return self._search_task is not None and not self._search_task.done()

    def request_more(self) -> None:
        """The view scrolled to the end: load the next page, once."""
        if self._closed or self._cursor is None or self.searching:
            return
        if self._page_task is not None and not self._page_task.done():
            return
        self._page_task = self.reporter.spawn(self._next_page(self._cursor), name="loading more Hub results")

    async def _next_page(self, cursor: str) -> None:
        assert self.client is not None
        hub_module = importlib.import_module("app.services.hub_client")
        self.work_changed.emit("page", "Loading more…")
        try:
            page = await self.client.search(cursor=cursor, limit=self.page_size)
        except hub_module.HubError as exc:
            self.work_changed.emit("page", f"More results could not be loaded: {exc}")
            return
        self.work_changed.emit("page", "")
        self._cursor = page.next_cursor
        self.hub_model.append_entries(self._with_known(page.entries))
        self.hub_model.set_can_fetch_more(self._cursor is not None)

    # --- Hugging Face: configs of the visible cards ------------------------------------------------

    def set_visible(self, ids: list[str], ahead: list[str]) -> None:
        self._visible = (ids, ahead)
        if self.fetcher is not None:
            self.fetcher.set_visible(ids, ahead)

    def refresh_hub(self, query: str, sort: str) -> None:
        """⌘R / Try again: the queue leaves an offline pause now, the search runs again, failed configs retry."""
        if self.fetcher is not None:
            self.fetcher.resume()
            failed = [e.id for e in self.hub_model.all_entries() if e.config_status is ConfigStatus.UNAVAILABLE]
            for repo_id in failed:
                self._known.pop(repo_id, None)
            if failed:
                self.fetcher.retry(failed)
        self.search_hub(query, sort, force=True)

    def _on_result(self, repo_id: str, result: FetchResult) -> None:
        """A config answer: remembered by id, and applied to the list on the next loop turn (batched)."""
        if result.kind not in _NOT_YET:
            self._known[repo_id] = result
        self._arrived[repo_id] = result
        if not self._apply_scheduled:
            self._apply_scheduled = True
            asyncio.get_running_loop().call_soon(self._apply_arrived)

    def _apply_arrived(self) -> None:
        self._apply_scheduled = False
        arrived, self._arrived = self._arrived, {}
        if self._closed:
            return
        updates: list[ModelEntry] = []
        for repo_id, result in arrived.items():
            self.config_result.emit(repo_id, result)
            entry = self.hub_model.entry(repo_id)  # shown or hidden by a filter
            if entry is None:
                continue  # not in this list (any more): `_known` has it for when it comes back
            new = _applied(entry, result)
            if new != entry:
                updates.append(new)
        if updates:
            self.hub_model.update_entries(updates)

    def with_known(self, entries: Iterable[ModelEntry]) -> list[ModelEntry]:
        """Hub entries as this session knows them: configs already fetched, and "Downloaded" marks."""
        return self._with_known(entries)

    def _with_known(self, entries: Iterable[ModelEntry]) -> list[ModelEntry]:
        """New Hub entries with every config answer already known, so they arrive with their facts, and
        marked when the model is in the local cache too."""
        known = self._known
        local = self.local_model.entry
        out: list[ModelEntry] = []
        for entry in entries:
            if entry.id in known:
                entry = _applied(entry, known[entry.id])
            if local(entry.id) is not None:
                entry = entry.with_changes(source=Source.BOTH)
            out.append(entry)
        return out

    def sync_downloaded(self) -> None:
        """My Models changed (a scan, a download, a deletion): Hub cards follow ("Downloaded" or not)."""
        local = self.local_model.entry
        changed = []
        for entry in self.hub_model.all_entries():
            want = Source.BOTH if local(entry.id) is not None else Source.HUB
            if entry.source is not want:
                changed.append(entry.with_changes(source=want))
        if changed:
            self.hub_model.update_entries(changed)

    def _on_status(self, status: FetcherStatus) -> None:
        work = status.queued + status.in_flight
        noun = "model" if work == 1 else "models"
        if status.state == Network.OFFLINE:
            self.work_changed.emit("configs", f"Details paused for {work} {noun}: offline" if work else "")
        elif status.state == Network.RATE_LIMITED:
            self.work_changed.emit("configs", f"Details paused for {work} {noun}: the Hub asked us to slow down"
                                   if work else "")
        else:
            self.work_changed.emit("configs", f"Fetching details for {work} {noun}…" if work else "")
        self.network_changed.emit(NetworkStatus(status.state, status.resume_at, status.message))

    @property
    def configs_idle(self) -> bool:
        if self.fetcher is None:
            return True
        return self.fetcher.status.state != Network.ONLINE or not self.fetcher.busy

    # --- shutdown ----------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop everything this controller started; nothing is left pending afterwards."""
        self._closed = True
        for task in (self._local_task, self._search_task, self._page_task, self._hub_task):
            if task is not None and not task.done():
                task.cancel()
        await self.reporter.cancel_all()
        if self.fetcher is not None:
            await self.fetcher.stop()
            self.fetcher = None
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.store is not None:
            store, self.store = self.store, None
            await asyncio.to_thread(store.close)  # it may wait for another process's lock: never here


def _applied(entry: ModelEntry, result: FetchResult) -> ModelEntry:
    """An entry with a config answer: its facts, or why it cannot have them."""
    if result.kind in _NOT_YET:
        return entry
    if result.ok and result.characteristics is not None:
        return with_config(entry, result.characteristics)
    return entry.with_changes(config_status=ConfigStatus.UNAVAILABLE, config_error=result.error or result.kind)


def hub_endpoint(explicit: str | None = None) -> str:
    """The Hub's address for links: the one given, else HF_ENDPOINT, else the default (a bad one too:
    the search says what is wrong with it; a link must still be made)."""
    from app.core.hub_address import InvalidEndpoint, parse_endpoint

    try:
        return parse_endpoint(explicit if explicit is not None else os.environ.get("HF_ENDPOINT"))
    except InvalidEndpoint:
        return parse_endpoint(None)
