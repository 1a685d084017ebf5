"""The lazy config fetcher: config.json for what is on screen, first; the store answers before the network.

The UI calls `set_visible(ids)` when the set on screen changes (cheap, never blocks, never calls back).
Every store call runs on the store's own thread: the visible ids are looked up there first and the hits
delivered from a task (a later loop turn); misses are queued in screen order (visible rows, then a
prefetch margin), in-flight requests are deduplicated, and ids that scroll away before their request
starts are dropped. A store that is locked or broken does not hold anything up: a lookup that takes too
long counts as a miss (fetched from the network), a write that fails is logged. A few workers fetch
through the Hub client (which paces every request); 5xx and timeouts are retried with backoff, offline
pauses the queue until the next success or `resume()`, and everything is reported as plain callbacks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.services.config_store import ConfigStore, StoredConfig, StoredKind
from app.services.fetch_outcome import remember
from app.services.hub_client import (
    ConfigOk,
    ConfigOutcome,
    Failed,
    Gated,
    HubClient,
    NoConfig,
    NotFound,
    NotModified,
    Offline,
    RateLimited,
    describe,
)
from app.services.network_state import Network

log = logging.getLogger(__name__)
_T = TypeVar("_T")

ResultKind = Literal["ok", "no_config", "gated", "not_found", "rate_limited", "offline", "failed"]


@dataclass(frozen=True)
class FetchResult:
    """What became of one model's config: its characteristics, or the failure in words."""

    repo_id: str
    kind: ResultKind
    characteristics: ModelCharacteristics | None = None
    error: str | None = None  # one line for the card / the CLI
    source: Literal["store", "hub"] = "hub"
    stale: bool = False  # from the store past its TTL (being revalidated)
    retryable: bool = False
    gated_kind: str | None = None  # "no_token" | "not_approved"
    url: str | None = None  # the model page (gated: where to log in / ask for access)

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


@dataclass(frozen=True)
class FetcherStatus:
    state: Network
    queued: int
    in_flight: int
    resume_at: float | None = None  # monotonic, when rate limited or offline retry is scheduled
    message: str = ""

    def resume_in(self, now: float) -> float | None:
        return None if self.resume_at is None else max(0.0, self.resume_at - now)


_STORED_KINDS: dict[StoredKind, ResultKind] = {
    StoredKind.NO_CONFIG: "no_config", StoredKind.GATED: "gated", StoredKind.NOT_FOUND: "not_found"}


class ConfigFetcher:
    def __init__(
        self,
        client: HubClient,
        store: ConfigStore | None,
        on_result: Callable[[str, FetchResult], None],
        *,
        concurrency: int = 12,
        prefetch_margin: int = 12,
        on_status: Callable[[FetcherStatus], None] | None = None,
        max_tries: int = 3,
        retry_base: float = 0.5,
        offline_retry: float = 30.0,
        max_rate_limited_rounds: int = 3,
        failure_ttl: float = 120.0,
        store_timeout: float = 2.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        # When failures may be retried and the offline pause ends: the limiter's clock unless given.
        self.clock = clock or client.limiter.clock
        self.store = store
        self.on_result = on_result
        self.on_status = on_status
        self.concurrency = max(1, concurrency)
        self.prefetch_margin = max(0, prefetch_margin)
        self.max_tries = max(1, max_tries)
        self.retry_base = retry_base
        self.offline_retry = offline_retry
        self.max_rate_limited_rounds = max_rate_limited_rounds
        self.failure_ttl = failure_ttl
        self.store_timeout = store_timeout
        self._failed_at: dict[str, float] = {}
        # The queue: ids in the order they should be fetched. Screen ids are replaced on every
        # set_visible; explicit requests and revalidations stay until done.
        self._wanted: list[str] = []
        self._screen: list[str] = []
        self._requested: list[str] = []
        self._revalidate: list[str] = []
        self._window: set[str] = set()
        self._in_flight: set[str] = set()
        self._looking_up: set[str] = set()  # being read from the store
        self._store_missed: set[str] = set()  # the store had nothing usable: go to the network
        self._results: dict[str, FetchResult] = {}
        self._etags: dict[str, str] = {}
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._online = asyncio.Event()
        self._online.set()
        self._offline_reason: str | None = None
        self._offline_until: float | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._lookups: set[asyncio.Task[None]] = set()
        # One thread for every store call, so SQLite never runs (or waits on a lock) on the event loop.
        self._store_thread: concurrent.futures.ThreadPoolExecutor | None = None
        self._resume_timer: asyncio.TimerHandle | None = None
        self._last_status: FetcherStatus | None = None
        self._stopped = False
        client.limiter.add_listener(self._on_limiter)

    # --- lifecycle ---

    async def start(self) -> None:
        if self._workers:
            return
        self._stopped = False
        if self.store is not None and self._store_thread is None:
            self._store_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="config-store")
        self._workers = [asyncio.create_task(self._worker(), name=f"config-fetcher-{i}")
                         for i in range(self.concurrency)]
        self._wakeup.set()

    async def stop(self) -> None:
        """Cancel everything; returns when every worker has finished (no task or thread is left behind)."""
        self._stopped = True
        if self._resume_timer is not None:
            self._resume_timer.cancel()
            self._resume_timer = None
        tasks = [*self._workers, *self._lookups]
        self._workers = []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._lookups.clear()
        self._looking_up.clear()
        if self._store_thread is not None:
            # Writes already handed to the store finish (nothing half-written); waited for off the loop.
            thread, self._store_thread = self._store_thread, None
            await asyncio.to_thread(thread.shutdown, True)
        self.client.limiter.remove_listener(self._on_limiter)
        self._in_flight.clear()
        self._idle.set()

    def set_concurrency(self, concurrency: int) -> None:
        """How many fetches run at once, from now on (a preference changed while running): new workers
        start at once; surplus ones end after their current fetch, so nothing is cut off half-way."""
        self.concurrency = max(1, concurrency)
        if self._stopped or not self._workers:
            return  # start() creates that many
        self._workers = [t for t in self._workers if not t.done()]
        while len(self._workers) < self.concurrency:
            self._workers.append(asyncio.create_task(self._worker(), name=f"config-fetcher-{len(self._workers)}"))
        self._wakeup.set()  # idle surplus workers wake up to leave

    async def __aenter__(self) -> ConfigFetcher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- what the UI calls ---

    def set_visible(self, ids: Sequence[str], ahead: Sequence[str] = ()) -> None:
        """The rows on screen, in order, and (optionally) the rows just beyond them, nearest first.

        Never calls back: what the store knows arrives from a task, on a later turn of the loop."""
        wanted = list(dict.fromkeys([*ids, *list(ahead)[: self.prefetch_margin]]))
        self._expire_failures(wanted)
        self._wanted = wanted
        self._window = set(wanted)
        self._look_up(wanted)
        self._requeue_screen()
        self._changed()

    def request(self, ids: Iterable[str]) -> None:
        """Explicit fetches (the CLI's --configs, a card's "retry"): kept until done, screen goes first."""
        ids = list(dict.fromkeys(ids))
        self._expire_failures(ids)
        self._look_up(ids)
        queued = set(self._requested)
        for repo_id in ids:
            if self._needs_fetch(repo_id) and repo_id not in queued:
                self._requested.append(repo_id)
                queued.add(repo_id)
        self._changed()

    def retry(self, ids: Iterable[str]) -> None:
        """Fetch again from the Hub even if a failure was delivered or stored (the user pressed retry)."""
        ids = list(ids)
        for repo_id in ids:
            result = self._results.get(repo_id)
            if result is not None and not result.ok:
                del self._results[repo_id]
                self._failed_at.pop(repo_id, None)
                self._store_missed.add(repo_id)
        self.request(ids)
        self._requeue_screen()

    def resume(self) -> None:
        """Leave the offline pause now (network is back, or the user asked)."""
        if self._resume_timer is not None:
            self._resume_timer.cancel()
            self._resume_timer = None
        self._offline_reason = None
        self._offline_until = None
        self._online.set()
        self._changed()

    def result(self, repo_id: str) -> FetchResult | None:
        return self._results.get(repo_id)

    @property
    def busy(self) -> bool:
        """Something is being read from the store, fetched, or waits its turn (paused or not)."""
        return bool(self._looking_up or self._in_flight or self._pending_ids())

    async def wait_idle(self) -> None:
        """Until nothing is queued, looked up or in flight (or the queue is paused offline)."""
        while True:
            self._update_idle()
            await self._idle.wait()
            self._update_idle()
            if self._idle.is_set():
                return

    @property
    def status(self) -> FetcherStatus:
        loop_time = self.client.limiter.clock()
        queued = len(self._pending_ids())
        in_flight = len(self._in_flight)
        if self._offline_reason is not None:
            return FetcherStatus(Network.OFFLINE, queued, in_flight, self._offline_until,
                                 f"offline: {self._offline_reason}")
        limited = self.client.limiter.state(loop_time)
        if limited.limited:
            seconds = round(limited.resume_in(loop_time))
            return FetcherStatus(Network.RATE_LIMITED, queued, in_flight, limited.resume_at,
                                 f"rate limited, resuming in {seconds} s")
        return FetcherStatus(Network.ONLINE, queued, in_flight)

    # --- the store, on its own thread ---

    async def _in_store(self, action: Callable[[], _T], *, give_up_after: float | None = None) -> _T:
        if self._store_thread is None:
            raise RuntimeError("the config store is not open")
        future = asyncio.get_running_loop().run_in_executor(self._store_thread, action)
        if give_up_after is None:
            return await future
        # The thread may stay blocked on a lock; only this wait gives up.
        return await asyncio.wait_for(future, give_up_after)

    def _look_up(self, ids: Iterable[str]) -> None:
        fresh = [i for i in ids if i not in self._results and i not in self._in_flight
                 and i not in self._looking_up and i not in self._store_missed]
        if not fresh:
            return
        if self.store is None or self._store_thread is None:
            self._store_missed.update(fresh)
            return
        self._looking_up.update(fresh)
        task = asyncio.create_task(self._serve_from_store(fresh), name="config-store-lookup")
        self._lookups.add(task)
        task.add_done_callback(self._lookups.discard)

    async def _serve_from_store(self, ids: list[str]) -> None:
        store = self.store
        assert store is not None
        try:
            answers = await self._in_store(lambda: self._read_store(store, ids), give_up_after=self.store_timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - logged below: locked or unreadable, the network answers
            log.warning("config store lookup failed (%s: %s); fetching from the Hub instead",
                        type(exc).__name__, exc)
            answers = {}
        finally:
            self._looking_up.difference_update(ids)
        for repo_id in ids:
            answer = answers.get(repo_id)
            if answer is None:
                self._store_missed.add(repo_id)
                continue
            result, stored = answer
            if stored.stale:
                if stored.etag:
                    self._etags[repo_id] = stored.etag
                if repo_id not in self._revalidate:
                    self._revalidate.append(repo_id)
                # Delivered without remembering, so the revalidation's answer is delivered too.
                self._deliver(repo_id, result, remember=False)
            else:
                self._deliver(repo_id, result)
        self._requeue_screen()
        self._changed()

    def _read_store(self, store: ConfigStore, ids: list[str]) -> dict[str, tuple[FetchResult, StoredConfig]]:
        """On the store thread: the rows and what they say (parsing a config is CPU work, kept off the loop)."""
        answers: dict[str, tuple[FetchResult, StoredConfig]] = {}
        for repo_id, stored in store.get_many(ids).items():
            result = self._from_store(stored)
            if result is not None:
                answers[repo_id] = (result, stored)
        return answers

    async def _write_store(self, action: Callable[[ConfigStore], object]) -> object:
        store = self.store
        if store is None or self._store_thread is None:
            return None
        try:
            return await self._in_store(lambda: action(store))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("config store write failed")
            return None

    # --- internals ---

    def _needs_fetch(self, repo_id: str) -> bool:
        # Ids the store is still reading keep their place in the queue; `_next` passes over them.
        return repo_id not in self._results and repo_id not in self._in_flight

    def _requeue_screen(self) -> None:
        self._screen = [i for i in self._wanted if self._needs_fetch(i)]

    def _expire_failures(self, ids: Iterable[str]) -> None:
        """A transient failure is tried again when its row is shown a while later."""
        if not self._failed_at:
            return
        now = self.clock()
        for repo_id in ids:
            failed_at = self._failed_at.get(repo_id)
            if failed_at is not None and now - failed_at > self.failure_ttl:
                del self._failed_at[repo_id]
                self._results.pop(repo_id, None)

    def _from_store(self, entry: StoredConfig) -> FetchResult | None:
        if entry.kind is StoredKind.OK:
            return FetchResult(entry.repo_id, "ok", extract_characteristics(entry.config), source="store",
                               stale=entry.stale)
        if entry.kind is StoredKind.GATED:
            kind: Literal["no_token", "not_approved"] = (
                "not_approved" if entry.detail == "not_approved" else "no_token")
            if kind == "no_token" and self.client.has_token:
                return None  # stored before the user logged in: ask again
            gated = Gated(kind, self.client.model_url(entry.repo_id))
            return FetchResult(entry.repo_id, "gated", error=describe(gated), source="store",
                               stale=entry.stale, gated_kind=kind, url=gated.url)
        reason = entry.detail or ("no config.json" if entry.kind is StoredKind.NO_CONFIG else "not found")
        return FetchResult(entry.repo_id, _STORED_KINDS[entry.kind], error=reason, source="store",
                           stale=entry.stale)

    def _pending_ids(self) -> list[str]:
        ordered = [*self._screen, *self._requested, *self._revalidate]
        return [i for i in dict.fromkeys(ordered) if i not in self._in_flight and i not in self._looking_up]

    def _next(self) -> tuple[str, str | None] | None:
        for queue in (self._screen, self._requested, self._revalidate):
            n = 0
            while n < len(queue):
                repo_id = queue[n]
                if repo_id in self._looking_up:
                    n += 1  # the store may still answer it: keep its place
                    continue
                del queue[n]
                # Results are remembered only when fresh, so a known id needs nothing more.
                if repo_id in self._in_flight or repo_id in self._results:
                    continue
                return repo_id, self._etags.get(repo_id)
        return None

    def _changed(self) -> None:
        self._update_idle()
        self._wakeup.set()
        self._publish_status()

    def _update_idle(self) -> None:
        paused = not self._online.is_set()
        busy = self._in_flight or self._looking_up
        if not busy and (paused or not self._pending_ids()):
            self._idle.set()
        else:
            self._idle.clear()

    def _publish_status(self) -> None:
        if self.on_status is None:
            return
        status = self.status
        if status != self._last_status:
            self._last_status = status
            try:
                self.on_status(status)
            except Exception:
                log.exception("on_status callback failed")

    def _on_limiter(self, _state: object) -> None:
        self._publish_status()

    def _deliver(self, repo_id: str, result: FetchResult, *, remember: bool = True) -> None:
        if remember:
            self._results[repo_id] = result
        try:
            self.on_result(repo_id, result)
        except Exception:
            log.exception("on_result callback failed for %s", repo_id)

    async def _worker(self) -> None:
        while not self._stopped:
            me = asyncio.current_task()
            if len(self._workers) > self.concurrency and me in self._workers[self.concurrency:]:
                self._workers.remove(me)  # fewer workers wanted: this one leaves between fetches
                return
            await self._online.wait()
            if len(self._in_flight) >= self.concurrency:  # lowered while fetches run: wait for one to end
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            item = self._next()
            if item is None:
                self._wakeup.clear()
                self._update_idle()
                await self._wakeup.wait()
                continue
            repo_id, etag = item
            self._in_flight.add(repo_id)
            self._changed()
            try:
                await self._fetch_one(repo_id, etag)
            finally:
                self._in_flight.discard(repo_id)
                self._changed()

    async def _fetch_one(self, repo_id: str, etag: str | None) -> None:
        tries = 0
        limited_rounds = 0
        while True:
            outcome = await self.client.fetch_config(repo_id, etag=etag)
            if not isinstance(outcome, Offline) and self._offline_reason is not None:
                self.resume()  # the Hub answered: whatever paused the queue is over
            if isinstance(outcome, RateLimited):
                limited_rounds += 1
                if limited_rounds < self.max_rate_limited_rounds:
                    continue  # the client's limiter now waits out the server's reset before resending
            elif isinstance(outcome, Failed) and outcome.retryable:
                tries += 1
                if tries < self.max_tries:
                    await asyncio.sleep(self.retry_base * (2 ** (tries - 1)) * random.uniform(0.75, 1.5))
                    continue
            elif isinstance(outcome, Offline):
                self._go_offline(repo_id, outcome)
                return
            elif isinstance(outcome, NotModified) and etag is not None:
                stored = await self._write_store(functools.partial(_touch, repo_id=repo_id, etag=outcome.etag))
                result = self._from_store(stored) if isinstance(stored, StoredConfig) else None
                if result is None:
                    etag = None  # the entry is gone (store rebuilt): fetch the whole file once
                    self._etags.pop(repo_id, None)
                    continue
                self._revalidated(repo_id, result)
                return
            await self._handle(repo_id, outcome)
            return

    def _go_offline(self, repo_id: str, outcome: Offline) -> None:
        # Put it back at the front; workers wait until resume() or the automatic retry.
        if repo_id in self._window and repo_id not in self._screen:
            self._screen.insert(0, repo_id)
        elif repo_id not in self._window and repo_id not in self._requested:
            self._requested.insert(0, repo_id)
        first = self._offline_reason is None
        self._offline_reason = outcome.reason
        self._online.clear()
        if first:
            loop = asyncio.get_running_loop()
            self._offline_until = self.clock() + self.offline_retry
            self._resume_timer = loop.call_later(self.offline_retry, self._auto_resume)
        self._changed()

    def _auto_resume(self) -> None:
        if not self._stopped and self._offline_reason is not None:
            self.resume()

    async def _handle(self, repo_id: str, outcome: ConfigOutcome) -> None:
        url = self.client.model_url(repo_id)
        if repo_id in self._revalidate:
            self._revalidate.remove(repo_id)
        # Delivered first, kept second: a slow store never delays a card.
        if isinstance(outcome, ConfigOk):
            self._etags.pop(repo_id, None)
            characteristics = extract_characteristics(outcome.config)
            self._deliver(repo_id, FetchResult(repo_id, "ok", characteristics, url=url))
            await self._write_store(lambda store: remember(store, repo_id, outcome))
        elif isinstance(outcome, NotModified):  # without an ETag sent: the server is confused
            self._deliver(repo_id, FetchResult(repo_id, "failed", error="the Hub answered 304 unasked",
                                               retryable=True, url=url))
        elif isinstance(outcome, NoConfig):
            self._deliver(repo_id, FetchResult(repo_id, "no_config", error=outcome.reason, url=url))
            await self._write_store(lambda store: remember(store, repo_id, outcome))
        elif isinstance(outcome, Gated):
            self._deliver(repo_id, FetchResult(repo_id, "gated", error=describe(outcome),
                                               gated_kind=outcome.kind, url=outcome.url))
            await self._write_store(lambda store: remember(store, repo_id, outcome))
        elif isinstance(outcome, NotFound):
            self._deliver(repo_id, FetchResult(repo_id, "not_found", error=outcome.reason, url=url))
            await self._write_store(lambda store: remember(store, repo_id, outcome))
        elif isinstance(outcome, RateLimited):
            self._deliver(repo_id, FetchResult(repo_id, "rate_limited", error=describe(outcome),
                                               retryable=True, url=url), remember=False)
        elif isinstance(outcome, Failed):
            if outcome.retryable:
                self._failed_at[repo_id] = self.clock()
            self._deliver(repo_id, FetchResult(repo_id, "failed", error=outcome.reason,
                                               retryable=outcome.retryable, url=url))
        elif isinstance(outcome, Offline):  # pragma: no cover - handled by the caller
            self._go_offline(repo_id, outcome)

    def _revalidated(self, repo_id: str, result: FetchResult) -> None:
        if repo_id in self._revalidate:
            self._revalidate.remove(repo_id)
        self._etags.pop(repo_id, None)
        self._deliver(repo_id, result)


def _touch(store: ConfigStore, *, repo_id: str, etag: str | None) -> StoredConfig | None:
    return store.touch(repo_id, etag=etag)
