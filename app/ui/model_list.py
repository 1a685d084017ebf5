"""The list model behind the cards: every known `ModelEntry`, filtered and sorted, one row per card.

Entries are immutable, so an update compares old and new and emits `dataChanged` with exactly the roles
that changed (a config landing repaints one card's badges; sizes landing repaint the stats line).
Filtering is local and instant: a `FilterIndex` (kept in arrival order, in step with the entries) answers
the filter state and the typed words; its rows are then put in the current sort order. Rows a filter
cannot decide yet (a Hub config still pending) are shown dimmed and settle when their config lands.
Sorting by a local key reorders in place, keeping the selection; Hub sort keys keep the server's order.
"""

from __future__ import annotations

import bisect
import logging
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.core import formatting
from app.core.describe import badges
from app.core.filter_index import FilterIndex, FilterResult
from app.core.filters import FilterState
from app.core.model_entry import ModelEntry
from app.core.sorting import SortKey, order_key, sort_entries
from app.ui.roles import CHARACTERISTICS_ROLE, ENTRY_ROLE, EXPANDED_ROLE, PENDING_ROLE, STATS_ROLE, STATUS_ROLE

SORT_KEYS: tuple[str, ...] = tuple(SortKey)

log = logging.getLogger(__name__)
Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_STATS_FIELDS = ("downloads", "likes", "last_modified", "created_at", "size_on_disk", "last_accessed")
PENDING_TOOLTIP = "Dimmed: waiting for this model's details (its config.json) to tell whether it matches the filters"


def _filter_facts(entry: ModelEntry) -> tuple[object, ...]:
    """What `facets` and `search_key` read: an update that keeps these cannot change a filter's answer."""
    return (entry.characteristics, entry.config_status, entry.source, entry.gated, entry.is_mlx, entry.runtime)


def changed_roles(old: ModelEntry, new: ModelEntry) -> list[int]:
    """The roles whose value differs between two versions of one entry ([] when nothing changed)."""
    if old == new:
        return []
    roles = [ENTRY_ROLE]
    summary = False
    if old.characteristics != new.characteristics or old.provenance != new.provenance:
        roles.append(CHARACTERISTICS_ROLE)
        summary = True
    if old.config_status != new.config_status or old.config_error != new.config_error:
        roles.append(STATUS_ROLE)
    if any(getattr(old, f) != getattr(new, f) for f in _STATS_FIELDS):
        roles.append(STATS_ROLE)
        summary = True
    if summary or old.problem != new.problem or old.gated != new.gated:
        roles += [_TOOLTIP, _ACCESSIBLE]
    return roles


def summary(entry: ModelEntry) -> str:
    """The short tooltip of a whole card: id, the badge words, then the stats."""
    lines = [entry.id]
    if entry.characteristics is not None:
        words = badges(entry.characteristics)
        if words:
            lines.append(" · ".join(words))
    stats: list[str] = []
    if entry.size_on_disk is not None:
        stats.append(f"{formatting.size(entry.size_on_disk)} on disk")
    if entry.downloads is not None:
        stats.append(f"{formatting.count(entry.downloads)} downloads")
    if entry.likes is not None:
        stats.append(f"{formatting.count(entry.likes)} likes")
    if stats:
        lines.append(", ".join(stats))
    if entry.problem:
        lines.append(f"Problem: {entry.problem}")
    return "\n".join(lines)


class ModelListModel(QAbstractListModel):
    RESET_ABOVE = 1000  # old + new rows above this: a filter change resets the view (row signals cost more)
    count_changed = Signal(int, int)  # shown, total
    more_requested = Signal()  # the view scrolled to the end and more can be fetched

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: dict[str, ModelEntry] = {}
        # The index holds the entries in arrival order (the Hub's order), so a page is a cheap append;
        # its answers are put in the sort order afterwards.
        self._index = FilterIndex()
        self._arrival: list[str] = []  # ids in the order they came, as in the index
        self._arrival_pos: dict[str, int] = {}
        self._order: list[str] = []  # ids in the current sort order
        self._order_pos: list[int] | None = None  # the same as positions in the index (built when needed)
        # The last index answer and the ids it gave: typing that does not change the rows ("qw" -> "qwe")
        # costs a list comparison, not a new ordering. Dropped whenever positions or the order change.
        self._answer: tuple[FilterResult, list[str], set[str]] | None = None
        self._rows: list[str] = []  # shown ids
        self._row_of: dict[str, int] | None = {}
        self._expanded: set[str] = set()
        self._pending: set[str] = set()
        self._filter = ""
        self._state = FilterState()
        self._sort = "name"
        self._reverse = False
        self._can_fetch_more = False
        self._fetch_requested = False
        self._last_counts = (0, 0)
        self._logged: set[tuple[str, int]] = set()

    # --- reading ------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def total_count(self) -> int:
        return len(self._entries)

    def entry_at(self, row: int) -> ModelEntry | None:
        if 0 <= row < len(self._rows):
            return self._entries.get(self._rows[row])
        return None

    def row_of(self, repo_id: str) -> int | None:
        if self._row_of is None:
            self._row_of = {repo_id: row for row, repo_id in enumerate(self._rows)}
        return self._row_of.get(repo_id)

    def entry(self, repo_id: str) -> ModelEntry | None:
        """The entry with this id, whether a filter shows it or not."""
        return self._entries.get(repo_id)

    def all_entries(self) -> list[ModelEntry]:
        return [self._entries[i] for i in self._order]

    def shown_entries(self) -> list[ModelEntry]:
        """The entries on the rows, in row order (what the search and filters let through)."""
        return [self._entries[i] for i in self._rows]

    def visible_ids(self, first_row: int, last_row: int) -> list[str]:
        first = max(first_row, 0)
        last = min(last_row, len(self._rows) - 1)
        return self._rows[first:last + 1] if last >= first else []

    def is_expanded(self, repo_id: str) -> bool:
        return repo_id in self._expanded

    def is_pending(self, repo_id: str) -> bool:
        return repo_id in self._pending

    def pending_ids(self) -> set[str]:
        return set(self._pending)

    @property
    def sort_key(self) -> str:
        return self._sort

    @property
    def text_filter(self) -> str:
        return self._filter

    @property
    def filter_state(self) -> FilterState:
        return self._state

    def family_counts(self) -> list[tuple[str, int]]:
        """Every family among the entries with its count, most common first (for the filter dialog)."""
        return self._index.family_counts()

    def match_count(self, state: FilterState) -> int:
        """How many rows `state` would show with the current text (the filter dialog's live count)."""
        return len(self._index.apply(state, self._filter).rows)

    def faceted_family_counts(self, state: FilterState) -> dict[str, int]:
        """Each family's count given the other sections of `state` and the current text (the filter dialog)."""
        return self._index.faceted_family_counts(state, self._filter)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        try:
            return self._data(index, role)
        except Exception as exc:  # a model must never raise into Qt; a card shows its placeholder instead
            key = (type(exc).__name__, role)
            if key not in self._logged:  # once per kind of failure: data() runs on every paint
                self._logged.add(key)
                log.exception("list model data(row %s, role %s) failed; the card shows a placeholder",
                              index.row(), role)
            return None

    def _data(self, index: Index, role: int) -> Any:
        if not index.isValid() or index.column() != 0:
            return None
        entry = self.entry_at(index.row())
        if entry is None:
            return None
        if role == ENTRY_ROLE:
            return entry
        if role == _DISPLAY:
            return entry.id
        if role == EXPANDED_ROLE:
            return entry.id in self._expanded
        if role == CHARACTERISTICS_ROLE:
            return entry.characteristics
        if role == STATUS_ROLE:
            return entry.config_status
        if role == STATS_ROLE:
            return {f: getattr(entry, f) for f in _STATS_FIELDS}
        if role == PENDING_ROLE:
            return entry.id in self._pending
        if role in (_TOOLTIP, _ACCESSIBLE):
            text = summary(entry)
            return f"{text}\n{PENDING_TOOLTIP}" if entry.id in self._pending else text
        return None

    # --- replacing, appending, updating, removing ----------------------------------------------------

    def set_entries(self, entries: Iterable[ModelEntry]) -> None:
        self.beginResetModel()
        self._entries = {}
        self._arrival = []
        for entry in entries:
            if entry.id not in self._entries:
                self._arrival.append(entry.id)
            self._entries[entry.id] = entry
        self._arrival_pos = {repo_id: n for n, repo_id in enumerate(self._arrival)}
        self._index.replace_all(self._entries[i] for i in self._arrival)
        self._expanded &= self._entries.keys()
        self._set_order(self._sorted(self._arrival))
        rows, self._pending = self._query()
        self._set_rows(rows)
        self._fetch_requested = False
        self.endResetModel()
        self._emit_counts()

    def append_entries(self, entries: Iterable[ModelEntry]) -> None:
        """Add a page; ids already known are updated in place instead."""
        known: list[ModelEntry] = []
        fresh: list[ModelEntry] = []
        seen: set[str] = set()
        for entry in entries:
            if entry.id in self._entries:
                known.append(entry)
            elif entry.id not in seen:
                seen.add(entry.id)
                fresh.append(entry)
        self._fetch_requested = False
        if known:
            self.update_entries(known)
        if not fresh:
            self._emit_counts()
            return
        for entry in fresh:
            self._entries[entry.id] = entry
            self._arrival_pos[entry.id] = len(self._arrival)
            self._arrival.append(entry.id)
        self._index.append(fresh)
        key = order_key(self._sort)
        if key is None:
            self._order.extend(e.id for e in fresh)
        elif self._reverse:
            self._order = self._sorted(self._arrival)
        else:
            keys = [key(self._entries[i]) for i in self._order]
            for entry in sorted(fresh, key=key):
                at = bisect.bisect_right(keys, key(entry))
                keys.insert(at, key(entry))
                self._order.insert(at, entry.id)
        self._order_changed()
        self._refilter(allow_reset=False)

    def update_entry(self, entry: ModelEntry) -> None:
        self.update_entries([entry])

    def update_entries(self, entries: Iterable[ModelEntry]) -> None:
        """Replace known entries by id; unknown ids are ignored. Signals are coalesced per run of rows.

        Under a filter, an entry whose new facts decide it (a pending config landing) stays or goes."""
        changed: dict[int, list[int]] = {}
        touched = False
        reorder = False
        key = order_key(self._sort)
        for entry in entries:
            old = self._entries.get(entry.id)
            if old is None:
                continue
            roles = changed_roles(old, entry)
            if not roles:
                continue
            self._entries[entry.id] = entry
            if _filter_facts(old) != _filter_facts(entry):
                # Sizes landing for thousands of local models change nothing a filter reads: no re-index
                # (the index then holds the older entry object, but only its facts are ever read).
                self._index.update(entry)
                touched = True
            if key is not None and key(old) != key(entry):
                reorder = True
            row = self.row_of(entry.id)
            if row is not None:
                changed.setdefault(row, []).extend(r for r in roles if r not in changed.get(row, ()))
        if changed:
            self._emit_changed(changed)
        if reorder:
            self._set_order(self._sorted(self._order))
        if reorder or (touched and self._filtering):
            self._refilter(allow_reset=False)

    def remove_ids(self, ids: Iterable[str]) -> None:
        gone = {i for i in ids if i in self._entries}
        if not gone:
            return
        for repo_id in gone:
            del self._entries[repo_id]
        self._index.remove(gone)
        self._expanded -= gone
        self._pending -= gone
        self._arrival = [i for i in self._arrival if i not in gone]
        self._arrival_pos = {repo_id: n for n, repo_id in enumerate(self._arrival)}
        self._set_order([i for i in self._order if i not in gone])
        self._apply_removals([i for i in self._rows if i not in gone])
        self._emit_counts()

    # --- expanded, pending ---------------------------------------------------------------------------

    def set_expanded(self, repo_id: str, expanded: bool) -> None:
        if repo_id not in self._entries or (repo_id in self._expanded) == expanded:
            return
        if expanded:
            self._expanded.add(repo_id)
        else:
            self._expanded.discard(repo_id)
        row = self.row_of(repo_id)
        if row is not None:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [EXPANDED_ROLE])

    def toggle_expanded(self, row: int) -> None:
        entry = self.entry_at(row)
        if entry is not None:
            self.set_expanded(entry.id, entry.id not in self._expanded)

    def set_pending_ids(self, ids: Iterable[str]) -> None:
        """Rows a filter cannot decide yet (their config is not known): painted dimmed.

        The model sets these itself from the filter's answer; each filter change recomputes them."""
        new = set(ids) & self._entries.keys()
        flipped = new ^ self._pending
        self._pending = new
        roles = [PENDING_ROLE, _TOOLTIP, _ACCESSIBLE]
        rows = {r: roles for r in (self.row_of(i) for i in flipped) if r is not None}
        if rows:
            self._emit_changed(rows)

    # --- filter and sort ------------------------------------------------------------------------------

    def set_text_filter(self, text: str) -> None:
        text = text.strip()
        if text == self._filter:
            return
        self._filter = text
        self._refilter(allow_reset=True)

    def set_filter_state(self, state: FilterState) -> None:
        """The filter dialog's conditions (AND with the typed words); undecided rows show dimmed."""
        if state == self._state:
            return
        self._state = state
        self._refilter(allow_reset=True)

    def set_sort(self, key: str, *, reverse: bool = False) -> None:
        """Order the rows by `key` (reversed on request; the Hub's own orders are never reversed here)."""
        if key not in SORT_KEYS:
            raise ValueError(f"unknown sort key {key!r}; one of {', '.join(SORT_KEYS)}")
        reverse = reverse and order_key(key) is not None
        if key == self._sort and reverse == self._reverse:
            return
        self._sort, self._reverse = key, reverse
        self._set_order(self._sorted(self._arrival))
        self._refilter(allow_reset=False)

    @property
    def sort_reversed(self) -> bool:
        return self._reverse

    # --- incremental fetching -------------------------------------------------------------------------

    def set_can_fetch_more(self, can: bool) -> None:
        self._can_fetch_more = can
        if not can:
            self._fetch_requested = False

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._can_fetch_more and not self._fetch_requested

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._fetch_requested = True  # once until the next page is appended
            self.more_requested.emit()

    # --- internals ----------------------------------------------------------------------------------

    @property
    def _filtering(self) -> bool:
        return bool(self._filter) or not self._state.is_empty

    def _sorted(self, ids: Sequence[str]) -> list[str]:
        if order_key(self._sort) is None:
            return list(self._arrival)
        return sort_entries(ids, self._entries, self._sort, reverse=self._reverse)

    def _set_order(self, order: list[str]) -> None:
        self._order = order
        self._order_changed()

    def _order_changed(self) -> None:
        self._order_pos = None
        self._answer = None

    def _query(self) -> tuple[list[str], set[str]]:
        """The ids to show, in sort order, and those among them a filter cannot decide yet."""
        result = self._index.apply(self._state, self._filter)
        answer = self._answer
        if answer is not None and answer[0].pending == result.pending and answer[0].rows == result.rows:
            return list(answer[1]), set(answer[2])
        arrival = self._arrival
        pending = {arrival[r] for r in result.pending} if result.pending else set()
        ids = list(map(arrival.__getitem__, self._in_sort_order(result)))
        self._answer = (result, ids, pending)
        return list(ids), set(pending)

    def _in_sort_order(self, result: FilterResult) -> Sequence[int]:
        rows = result.rows
        if order_key(self._sort) is None:
            return rows  # the index is in arrival order already
        if self._order_pos is None:
            self._order_pos = list(map(self._arrival_pos.__getitem__, self._order))
        order = self._order_pos
        if len(rows) == len(order):
            return order
        # Mark the matching positions, then walk the sort order keeping the marked ones: every step is a
        # C-level iteration, no Python call per entry (50,000 rows in a few milliseconds).
        marks = bytearray(len(order))
        deque(map(marks.__setitem__, rows, repeat(1)), maxlen=0)
        return list(compress(order, map(marks.__getitem__, order)))

    def _refilter(self, *, allow_reset: bool) -> None:
        rows, pending = self._query()
        if allow_reset and len(rows) + len(self._rows) > self.RESET_ABOVE:
            # Thousands of scattered rows: one reset is far cheaper than thousands of remove signals.
            self.beginResetModel()
            self._set_rows(rows)
            self._pending = pending
            self.endResetModel()
        else:
            # Row by row: the selection and the scroll position survive typing in the search field.
            self._transition(rows)
            self.set_pending_ids(pending)
        self._emit_counts()

    def _set_rows(self, rows: list[str]) -> None:
        self._rows = rows
        self._row_of = None

    def _emit_counts(self) -> None:
        counts = (len(self._rows), len(self._entries))
        if counts != self._last_counts:
            self._last_counts = counts
            self.count_changed.emit(*counts)

    def _emit_changed(self, changed: dict[int, list[int]]) -> None:
        """One dataChanged per run of consecutive rows that share the same roles."""
        rows = sorted(changed)
        start = prev = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == prev + 1 and changed[row] == changed[start]:
                prev = row
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, 0), changed[start])
            if row is not None:
                start = prev = row

    def _transition(self, new_rows: list[str]) -> None:
        """Go from the shown rows to `new_rows`: removals, then moves (a layout change), then insertions."""
        if new_rows == self._rows:
            return
        new_set = set(new_rows)
        self._apply_removals([i for i in self._rows if i in new_set])
        old_set = set(self._rows)
        kept = [i for i in new_rows if i in old_set]
        if kept != self._rows:
            self._relayout(kept)
        self._apply_inserts(new_rows)

    def _apply_removals(self, remaining: list[str]) -> None:
        """`remaining` is the shown rows minus some: remove them in runs, from the bottom up."""
        keep = set(remaining)
        row = len(self._rows) - 1
        while row >= 0:
            if self._rows[row] in keep:
                row -= 1
                continue
            last = row
            while row >= 0 and self._rows[row] not in keep:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row + 1, last)
            self._set_rows(self._rows[:row + 1] + self._rows[last + 1:])
            self.endRemoveRows()

    def _apply_inserts(self, target: list[str]) -> None:
        """`target` is the shown rows plus some: insert them in runs, top down."""
        present = set(self._rows)
        row = 0
        while row < len(target):
            if target[row] in present:
                row += 1
                continue
            first = row
            while row < len(target) and target[row] not in present:
                row += 1
            self.beginInsertRows(QModelIndex(), first, row - 1)
            self._set_rows(self._rows[:first] + target[first:row] + self._rows[first:])
            self.endInsertRows()

    def _relayout(self, rows: list[str]) -> None:
        """Reorder the same rows, moving persistent indexes (selection, current) with their entries."""
        self.layoutAboutToBeChanged.emit()
        old_rows = self._rows
        self._set_rows(rows)
        persistent = self.persistentIndexList()
        moved = []
        for index in persistent:
            new_row = self.row_of(old_rows[index.row()]) if 0 <= index.row() < len(old_rows) else None
            moved.append(self.index(new_row, 0) if new_row is not None else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()
