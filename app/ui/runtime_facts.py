"""Will it run here, will it fit: the Qt glue that puts `RuntimeFacts` on every entry of the list models.

The registry snapshot and the memory budget are read once, off the GUI thread, after the window is up;
from then on a model's status and verdict are pure arithmetic on what its entry already holds, done on the
next loop turn after rows arrive or change (never from inside a model change), in bounded chunks.
What only the raw config or the files can tell (custom code, sliding layers, weight files, the exact
count from mlx-lm) is gathered by a background job per model: local configs from the snapshot, Hub ones
from the config store; exact counts run in a worker process and are remembered by config hash. Each
answer lands by id and updates that entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, QObject, QTimer, Signal

from app.core.memory import DEFAULT_CONTEXT, Budget
from app.core.mlx_support import Registry, code_facts, support_status
from app.core.model_entry import ConfigStatus, ModelEntry, Source
from app.core.runtime import ConfigExtras, RuntimeFacts, config_extras, runtime_facts
from app.ui.roles import ENTRY_ROLE

log = logging.getLogger(__name__)
CHUNK = 400  # entries per loop turn: thousands of local models never hold the GUI for long


class ListModel(Protocol):
    rowsInserted: Any
    modelReset: Any
    dataChanged: Any

    def all_entries(self) -> list[ModelEntry]: ...
    def entry_at(self, row: int) -> ModelEntry | None: ...
    def row_of(self, repo_id: str) -> int | None: ...
    def update_entries(self, entries: list[ModelEntry]) -> None: ...


@dataclass(frozen=True)
class Gathered:
    """Per model, what the files and the raw config said."""

    extras: ConfigExtras
    weight_files: int | None
    basis: object  # the characteristics they were gathered for: a new config asks again


Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]


def _spawn_plain(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    return asyncio.ensure_future(coro)


class RuntimeFactsGlue(QObject):
    ready = Signal()  # registry and budget are known
    updated = Signal(int)  # entries given new facts in one pass

    def __init__(self, models: list[ListModel], *, store: Callable[[], Any] | None = None,
                 spawn: Spawn | None = None, use_process: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._models = models
        self._store = store  # the config store, when the window has one (Hub configs are read from it)
        self._spawn = spawn or _spawn_plain
        self._use_process = use_process
        self.registry: Registry | None = None
        self.budget: Budget | None = None
        self.context = DEFAULT_CONTEXT  # the tokens a fit verdict is given at (a preference)
        self.loaded = False
        self._gathered: dict[str, Gathered] = {}
        self._queued: set[str] = set()
        self._queue: asyncio.Queue[ModelEntry] | None = None
        self._dirty: dict[int, set[str] | None] = {}  # model index -> ids (None: every entry)
        self._scheduled = False
        self._tasks: list[asyncio.Task[None]] = []
        self._context: Any = None
        self._closed = False
        self._started = False
        self._waiting = False
        for n, model in enumerate(models):
            model.rowsInserted.connect(lambda parent, first, last, n=n: self._rows_inserted(n, first, last))
            model.modelReset.connect(lambda n=n: self._mark(n, None))
            model.dataChanged.connect(lambda tl, br, roles=(), n=n: self._data_changed(n, tl, br, roles))

    def set_context(self, tokens: int) -> None:
        """The fit verdict's default context changed (Preferences): every card is judged again."""
        if tokens != self.context:
            self.context = tokens
            for n in range(len(self._models)):
                self._mark(n, None)

    # --- starting and stopping ----------------------------------------------------------------------

    def start_after_paint(self, view: Any, *, when: Callable[[], bool] = lambda: True,
                          fallback_ms: int = 1000) -> None:
        """`start` once `when()` holds and then `view` has painted (the first screen goes first), or after
        `fallback_ms` when it does not paint (another view is showing)."""
        if self._started or self._closed or self._waiting or not when():
            return
        self._waiting = True

        def go() -> None:
            if self._started or self._closed:
                return  # the other trigger came first (or the window is closing)
            view.painted.disconnect(go)
            self.start()

        view.painted.connect(go)
        QTimer.singleShot(fallback_ms, self, go)

    def start(self) -> None:
        """Read the registry and the budget in a thread, then give every entry its facts (once)."""
        if self._started or self._closed:
            return
        self._started = True
        self._tasks.append(self._spawn(self._load(), "reading mlx-lm and the memory budget"))

    async def _load(self) -> None:
        from app.services.runtime_context import RuntimeContext

        context = RuntimeContext(use_process=self._use_process)
        self._context = context
        self.registry, self.budget = await asyncio.to_thread(lambda: (context.registry, context.budget))
        self.loaded = True
        self._queue = asyncio.Queue()
        self._tasks.append(self._spawn(self._gather_loop(), "reading configs for mlx-lm"))
        for n in range(len(self._models)):
            self._mark(n, None)
        self.ready.emit()

    async def close(self) -> None:
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._context is not None:
            context, self._context = self._context, None
            await asyncio.to_thread(context.close)

    # --- which entries need new facts ---------------------------------------------------------------

    def _rows_inserted(self, n: int, first: int, last: int) -> None:
        model = self._models[n]
        ids = {e.id for e in (model.entry_at(r) for r in range(first, last + 1)) if e is not None}
        self._mark(n, ids)

    def _data_changed(self, n: int, top_left: QModelIndex, bottom_right: QModelIndex, roles: list[int]) -> None:
        if roles and ENTRY_ROLE not in roles:
            return
        model = self._models[n]
        ids = {e.id for e in (model.entry_at(r) for r in range(top_left.row(), bottom_right.row() + 1))
               if e is not None}
        self._mark(n, ids)

    def _mark(self, n: int, ids: set[str] | None) -> None:
        if not self.loaded or self._closed:
            return
        if ids is None:
            self._dirty[n] = None
        elif n not in self._dirty:
            self._dirty[n] = set(ids)
        elif self._dirty[n] is not None:
            self._dirty[n] |= ids  # type: ignore[operator]
        self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_event_loop().call_soon(self._refresh)  # the next loop turn, never inside a change

    def _refresh(self) -> None:
        self._scheduled = False
        if self._closed:
            return
        dirty, self._dirty = self._dirty, {}
        total = 0
        for n, ids in dirty.items():
            model = self._models[n]
            todo = self._entries_of(model, ids)
            changed: list[ModelEntry] = []
            for at, entry in enumerate(todo):
                if at and at % CHUNK == 0 and changed:
                    # Leave the rest for the next turn so the window stays responsive.
                    self._mark(n, {e.id for e in todo[at:]})
                    break
                fresh = self.facts_for(entry)
                if fresh != entry.runtime:
                    changed.append(entry.with_changes(runtime=fresh))
                self._want_gathered(entry)
            if changed:
                model.update_entries(changed)
                total += len(changed)
        if total:
            self.updated.emit(total)

    @staticmethod
    def _entries_of(model: ListModel, ids: set[str] | None) -> list[ModelEntry]:
        """The entries with these ids (all when None); a few ids by row, so one answer landing among
        thousands of rows costs a lookup, not a walk over every entry."""
        if ids is not None and len(ids) <= 64:
            found = []
            for repo_id in ids:
                row = model.row_of(repo_id)
                entry = model.entry_at(row) if row is not None else None
                if entry is None or entry.id != repo_id:
                    break  # hidden by a filter: only the full list has it
                found.append(entry)
            else:
                return found
        entries = model.all_entries()
        return entries if ids is None else [e for e in entries if e.id in ids]

    def facts_for(self, entry: ModelEntry) -> RuntimeFacts | None:
        """Pure: this entry's facts from what is known now; None while there is nothing to judge by."""
        c = entry.characteristics
        if c is None or (c.model_type is None and entry.config_status is not ConfigStatus.OK):
            return None  # no config (yet): a card says nothing rather than a wrong "✗"
        gathered = self._gathered.get(entry.id)
        if gathered is not None and gathered.basis != entry.characteristics:
            gathered = None
        listing = dict(entry.extra).get("weights_bytes")
        return runtime_facts(
            entry.characteristics, self.registry, self.budget,
            extras=gathered.extras if gathered is not None else None,
            weight_files=gathered.weight_files if gathered is not None else None,
            listing_weights=listing if isinstance(listing, int) else None,
            context=self.context,
        )

    # --- what only the files and the raw config tell -----------------------------------------------

    def _want_gathered(self, entry: ModelEntry) -> None:
        known = self._gathered.get(entry.id)
        if (known is not None and known.basis == entry.characteristics) or entry.id in self._queued \
                or self._queue is None:
            return
        local = entry.source != Source.HUB and dict(entry.extra).get("snapshot_path")
        if not local and entry.config_status is not ConfigStatus.OK:
            return  # a Hub config not read yet: asked again when it lands (the entry changes then)
        self._queued.add(entry.id)
        self._queue.put_nowait(entry)

    async def _gather_loop(self) -> None:
        assert self._queue is not None
        while True:
            entry = await self._queue.get()
            try:
                gathered = await self._gather(entry)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - logged; one odd model must not stop the others
                log.warning("runtime facts for %s: %s", entry.id, exc)
                gathered = Gathered(ConfigExtras(), None, entry.characteristics)
            self._queued.discard(entry.id)
            self._gathered[entry.id] = gathered
            for n in range(len(self._models)):
                self._mark(n, {entry.id})

    async def _gather(self, entry: ModelEntry) -> Gathered:
        snapshot = dict(entry.extra).get("snapshot_path")
        config, weights = await asyncio.to_thread(self._read, entry.id, snapshot if isinstance(snapshot, str)
                                                  else None)
        if config is None:
            return Gathered(ConfigExtras(), weights, entry.characteristics)
        exact = None
        if support_status(self.registry, entry.characteristics, code_facts(config)).runs and self._context:
            exact = await self._context.counter.count(config)
        return Gathered(config_extras(config, exact), weights, entry.characteristics)

    def _read(self, repo_id: str, snapshot: str | None) -> tuple[Mapping[str, Any] | None, int | None]:
        """In a thread: the raw config (snapshot file, else the store) and the snapshot's weight bytes."""
        from app.services.runtime_context import read_config, snapshot_weight_bytes

        if snapshot:
            return read_config(Path(snapshot) / "config.json"), snapshot_weight_bytes(snapshot)
        store = self._store() if self._store is not None else None
        if store is None:
            return None, None
        stored = store.get(repo_id)
        config = getattr(stored, "config", None)
        return (config if isinstance(config, Mapping) else None), None
