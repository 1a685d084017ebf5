"""`FilterIndex`: the entries in display order, ready to be filtered in a few milliseconds at 50,000 rows.

Wiring (the list model owns one index, in the order it displays):

    index = FilterIndex(entries)          # or index.replace_all(entries) on a new listing / new sort order
    index.append(page)                    # a Hub page arrived
    index.update(entry)                   # a config landed (same id, new facts)
    index.remove(ids)                     # deleted from the cache
    result = index.apply(state, text)     # on every keystroke / filter change
    rows = [index.entries[i] for i in result.rows]   # shown, in order
    dimmed = result.pending               # row indexes (into `entries`) still waiting for a config
    index.family_counts()                 # [("Qwen", 42), ...] for the filter dialog

How it stays fast, without numpy:

- Entries are reduced once to `Facets`, and equal facets are interned: 50,000 entries share far fewer
  distinct facets, so the predicate runs once per distinct facet (kept while only the text changes).
  Choosing rows is then `itertools.compress` over the facet ids: no Python function call per entry.
- Each entry has a lowercase search key (`search_key`: id, family, model type, quantization words); every
  word of the query must appear in it. When the query only narrows the previous one ("qw" -> "qwen",
  "qwen" -> "qwen 4-bit"), the previous rows are filtered instead of everything; the rows matching the
  words alone are kept too, so toggling a filter while the text stays only looks at those.
- `update()` and `append()` patch the cached answers for the rows they touch instead of dropping them, so
  a config landing costs one row, not a rescan. `remove()` starts over (every later row moves).
- An empty filter with no text is a fast path: every row.

Results are shared with the index (no copies): treat `FilterResult.rows` as read-only. A result already
handed out never changes afterwards (patching makes new lists).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import compress

from app.core.filters import (
    QUANT_LABELS,
    QUANT_OPTIONS,
    CompiledFilter,
    Facets,
    FilterState,
    Match,
    compile_filter,
    evaluate,
    facets,
)
from app.core.model_entry import ModelEntry

_EMPTY_STATE = FilterState()
_NO_PENDING: frozenset[int] = frozenset()


@dataclass(frozen=True)
class FilterResult:
    rows: list[int]  # indexes into `FilterIndex.entries`, in display order, PENDING included; read-only
    pending: frozenset[int]  # the rows whose verdict waits for a config (the view dims them)


def search_key(entry: ModelEntry, x: Facets | None = None) -> str:
    """What the typed words are matched against: the id plus family, model type and quantization words.

    `x` is the entry's facets when the caller has them already (saves computing them twice)."""
    parts = [entry.id.lower()]
    c = entry.characteristics
    if c is not None:
        for text in (c.architecture_family, c.model_type, c.quantization_mode):
            if text:
                parts.append(text.lower())
        label = c.bits_label
        if label:
            label = label.lower()
            parts.append(label)
            if "-bit" in label:
                parts.append(label.replace("-bit", "bit"))  # "4bit" finds a 4-bit model too
        if c.multimodal_type:
            parts += [c.multimodal_type, "multimodal"]
        if c.is_moe:
            parts.append("moe")
    # The Quantization section's own word, so "unquantized" or "awq" find what that section would.
    word = _quant_word((x or facets(entry)).quant)
    if word:
        parts.append(word)
    if entry.is_mlx:
        parts.append("mlx")
    if entry.gated:
        parts.append("gated")
    return " ".join(parts)


def _quant_word(mask: int) -> str | None:
    if mask <= 0:  # unknown (-1)
        return None
    for i, key in enumerate(QUANT_OPTIONS):
        if mask >> i & 1 and key != "other":  # "other method" would make "method" match
            return QUANT_LABELS[key].split(" ", 1)[0].lower()
    return None


def _narrows(old: Sequence[str], new: Sequence[str]) -> bool:
    """True when every key matching `new` also matches `old`: each old word is inside some new word."""
    return all(any(o in n for n in new) for o in old)


def _with_member(rows: list[int], row: int, present: bool) -> list[int]:
    """`rows` (sorted) with `row` in or out; the same list when nothing changes, else a copy (results that
    were handed out stay as they were)."""
    at = bisect_left(rows, row)
    there = at < len(rows) and rows[at] == row
    if there == present:
        return rows
    return [*rows[:at], row, *rows[at:]] if present else rows[:at] + rows[at + 1:]


class FilterIndex:
    def __init__(self, entries: Iterable[ModelEntry] = ()) -> None:
        self._entries: list[ModelEntry] = []
        self._keys: list[str] = []
        self._fids: list[int] = []  # per entry: index into _uniques
        self._uniques: list[Facets] = []
        self._fid_of: dict[Facets, int] = {}
        self._row_of: dict[str, int] = {}
        self._families: Counter[str] = Counter()
        # Verdicts per distinct facet for one state (grown lazily as new facets appear).
        self._verdict_state: FilterState | None = None
        self._compiled: CompiledFilter | None = None
        self._verdicts: list[int] = []
        # The rows matching some words whatever the state (toggling a filter reuses it), and the last answer
        # (typing more narrows it). Both are kept right through append() and update().
        self._text_cache: tuple[tuple[str, ...], list[int]] | None = None
        self._last: tuple[FilterState, tuple[str, ...], FilterResult] | None = None
        self.replace_all(entries)

    # --- contents ---------------------------------------------------------------------------------

    @property
    def entries(self) -> Sequence[ModelEntry]:
        """Every entry, in display order (what `FilterResult.rows` index into). Read-only."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def row_of(self, repo_id: str) -> int | None:
        return self._row_of.get(repo_id)

    def replace_all(self, entries: Iterable[ModelEntry]) -> None:
        self._entries = []
        self._keys = []
        self._fids = []
        self._uniques = []
        self._fid_of = {}
        self._row_of = {}
        self._families = Counter()
        self._verdict_state = None
        self._verdicts = []
        self._text_cache = None
        self._last = None
        self.append(entries)

    def append(self, entries: Iterable[ModelEntry]) -> None:
        """Adds entries at the end; an id already present is updated in place instead (no duplicates)."""
        start = len(self._entries)
        for entry in entries:
            if entry.id in self._row_of:
                self.update(entry)
                continue
            self._row_of[entry.id] = len(self._entries)
            self._entries.append(entry)
            x = facets(entry)
            self._fids.append(self._intern(x))
            self._keys.append(search_key(entry, x))
            if x.family:
                self._families[x.family] += 1
        if len(self._entries) > start:
            self._patch_appended(range(start, len(self._entries)))

    def update(self, entry: ModelEntry) -> None:
        """Replaces the entry with the same id (its facets and key recomputed); unknown ids are ignored.

        Cheap enough to call for every config that lands: the cached answers are patched for this one row."""
        row = self._row_of.get(entry.id)
        if row is None:
            return
        old = self._uniques[self._fids[row]]
        x = facets(entry)
        if old.family != x.family:
            self._count_family(old.family, -1)
            self._count_family(x.family, +1)
        self._entries[row] = entry
        self._fids[row] = self._intern(x)
        self._keys[row] = search_key(entry, x)
        self._patch_row(row)

    def remove(self, ids: Iterable[str]) -> None:
        gone = {self._row_of[i] for i in ids if i in self._row_of}
        if not gone:
            return
        for r in gone:
            self._count_family(self._uniques[self._fids[r]].family, -1)
        keep = [r for r in range(len(self._entries)) if r not in gone]
        self._entries = [self._entries[r] for r in keep]
        self._keys = [self._keys[r] for r in keep]
        self._fids = [self._fids[r] for r in keep]
        self._row_of = {e.id: r for r, e in enumerate(self._entries)}
        # Every later row moved: start over (removal is rare, a deletion from the cache).
        self._text_cache = None
        self._last = None

    def family_counts(self) -> list[tuple[str, int]]:
        """Every known family with its number of entries, most common first (ties by name)."""
        return sorted(self._families.items(), key=lambda item: (-item[1], item[0].lower()))

    def faceted_family_counts(self, state: FilterState, text: str = "") -> dict[str, int]:
        """Each family's count among the rows every *other* section of `state` (and the text) lets through,
        as the Hub's website counts facets: ticking a family never changes the family counts.

        Families with no such row are absent. Rows still pending count (they are shown, dimmed). The
        cached last answer is left alone, so the list's next refilter stays incremental."""
        words = tuple(text.lower().split())
        others = replace(state, families=frozenset())
        rows = self._state_filter(others, self._text_rows(words)).rows
        fids = self._fids
        counts: Counter[str] = Counter()
        # Count per distinct facet first (no Python call per row), then add those up per family.
        for fid, n in Counter(map(fids.__getitem__, rows)).items():
            family = self._uniques[fid].family
            if family:
                counts[family] += n
        return dict(counts)

    # --- filtering --------------------------------------------------------------------------------

    def apply(self, state: FilterState, text: str = "") -> FilterResult:
        """The rows to show for a filter and typed text. The result is shared with the index: read it only."""
        words = tuple(text.lower().split())
        last = self._last
        if last is not None and last[0] == state:
            if last[1] == words:
                return last[2]
            if _narrows(last[1], words):
                previous = last[2]
                rows = self._text_filter(previous.rows, words, last[1])
                pending = previous.pending.intersection(rows) if previous.pending else _NO_PENDING
                return self._remember(state, words, FilterResult(rows, pending))
        return self._remember(state, words, self._state_filter(state, self._text_rows(words)))

    def _remember(self, state: FilterState, words: tuple[str, ...], result: FilterResult) -> FilterResult:
        self._last = (state, words, result)
        if words and state == _EMPTY_STATE:
            self._text_cache = (words, result.rows)
        return result

    def _text_rows(self, words: tuple[str, ...]) -> list[int] | None:
        """Rows whose key holds every word (None: no words, every row)."""
        if not words:
            return None
        cache = self._text_cache
        if cache is not None and cache[0] == words:
            return cache[1]
        if cache is not None and _narrows(cache[0], words):
            rows = self._text_filter(cache[1], words, cache[0])
        else:
            rows = self._text_filter(None, words, ())
        self._text_cache = (words, rows)
        return rows

    def _state_filter(self, state: FilterState, candidates: list[int] | None) -> FilterResult:
        if state == _EMPTY_STATE:
            return FilterResult(list(range(len(self._entries))) if candidates is None else candidates, _NO_PENDING)
        verdicts = self._verdicts_for(state)
        fids = self._fids
        # No Python call per entry: C-level iteration keeps rows whose facet's verdict is YES or PENDING.
        if candidates is None:
            rows = list(compress(range(len(fids)), map(verdicts.__getitem__, fids)))
        else:
            rows = list(compress(candidates, map(verdicts.__getitem__, map(fids.__getitem__, candidates))))
        pending = _NO_PENDING
        if Match.PENDING in verdicts:
            flags = map(int(Match.PENDING).__eq__, map(verdicts.__getitem__, map(fids.__getitem__, rows)))
            pending = frozenset(compress(rows, flags))
        return FilterResult(rows, pending)

    def _text_filter(self, rows: list[int] | None, words: tuple[str, ...], already: tuple[str, ...]) -> list[int]:
        """`rows` None means every row; the words in `already` are known to match every row given."""
        keys = self._keys
        # Longest first: the rarest word cuts the candidates most before the others are tested.
        todo = sorted({w for w in words if not any(w in a for a in already)}, key=len, reverse=True)
        if rows is None:
            if not todo:
                return list(range(len(keys)))
            first = todo.pop(0)
            rows = [r for r, k in enumerate(keys) if first in k]
        for word in todo:
            rows = [r for r in rows if word in keys[r]]
        return rows

    def _verdicts_for(self, state: FilterState) -> list[int]:
        if state != self._verdict_state or self._compiled is None:
            self._verdict_state = state
            self._compiled = compile_filter(state)
            self._verdicts = []
        verdicts = self._verdicts
        if len(verdicts) < len(self._uniques):
            compiled = self._compiled
            verdicts.extend(int(evaluate(compiled, x)) for x in self._uniques[len(verdicts):])
        return verdicts

    def _verdict(self, state: FilterState, words: tuple[str, ...], row: int) -> int:
        key = self._keys[row]
        if not all(w in key for w in words):
            return Match.NO
        if state == _EMPTY_STATE:
            return Match.YES
        return self._verdicts_for(state)[self._fids[row]]

    # --- keeping the cached answers right ---------------------------------------------------------

    def _patch_appended(self, new: range) -> None:
        if self._text_cache is not None:
            words, rows = self._text_cache
            self._text_cache = (words, rows + [r for r in new if self._verdict(_EMPTY_STATE, words, r)])
        if self._last is not None:
            state, words, result = self._last
            verdicts = [(r, self._verdict(state, words, r)) for r in new]
            added = [r for r, v in verdicts if v]
            pending = [r for r, v in verdicts if v == Match.PENDING]
            if added:
                result = FilterResult(result.rows + added, result.pending.union(pending))
                self._last = (state, words, result)

    def _patch_row(self, row: int) -> None:
        if self._text_cache is not None:
            words, rows = self._text_cache
            self._text_cache = (words, _with_member(rows, row, bool(self._verdict(_EMPTY_STATE, words, row))))
        if self._last is not None:
            state, words, result = self._last
            verdict = self._verdict(state, words, row)
            rows = _with_member(result.rows, row, verdict != Match.NO)
            pending = result.pending
            if (verdict == Match.PENDING) != (row in pending):
                pending = pending | {row} if verdict == Match.PENDING else pending - {row}
            if rows is not result.rows or pending is not result.pending:
                self._last = (state, words, FilterResult(rows, pending))

    def _count_family(self, family: str | None, delta: int) -> None:
        if not family:
            return
        self._families[family] += delta
        if self._families[family] <= 0:
            del self._families[family]

    def _intern(self, x: Facets) -> int:
        fid = self._fid_of.get(x)
        if fid is None:
            fid = len(self._uniques)
            self._fid_of[x] = fid
            self._uniques.append(x)
        return fid
