"""Every way the lists can be sorted, in one place: names, labels, which ones the Hub does itself, and the
order of the ones done here.

The Hub orders its search results by downloads, likes, trending, last update or creation; any other key
sorts the results loaded so far on this machine. Names sort the way Finder does (v109 before v1085).
Sizes, parameters, context and last use put the largest or newest first; unknown values always go last,
reversed or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only its attributes are read: the CLI's parser imports this module, cheaply
    from app.core.model_entry import ModelEntry


class SortKey(StrEnum):
    NAME = "name"
    SIZE = "size"
    LAST_USED = "last_used"
    PARAMETERS = "parameters"
    CONTEXT = "context"
    DOWNLOADS = "downloads"
    LIKES = "likes"
    TRENDING = "trending"
    UPDATED = "updated"
    CREATED = "created"


LABELS: dict[SortKey, str] = {
    SortKey.NAME: "Name",
    SortKey.SIZE: "Size",
    SortKey.LAST_USED: "Last used",
    SortKey.PARAMETERS: "Parameters",
    SortKey.CONTEXT: "Context length",
    SortKey.DOWNLOADS: "Downloads",
    SortKey.LIKES: "Likes",
    SortKey.TRENDING: "Trending",
    SortKey.UPDATED: "Recently updated",
    SortKey.CREATED: "Newest",
}

# The Hub's own `sort` values for the keys it orders itself (the wire names).
SERVER_SORTS: dict[SortKey, str] = {
    SortKey.DOWNLOADS: "downloads",
    SortKey.LIKES: "likes",
    SortKey.TRENDING: "trendingScore",
    SortKey.UPDATED: "lastModified",
    SortKey.CREATED: "createdAt",
}
LOCAL_SORTS: tuple[SortKey, ...] = (SortKey.NAME, SortKey.SIZE, SortKey.LAST_USED, SortKey.PARAMETERS,
                                    SortKey.CONTEXT)
HUB_SORTS: tuple[SortKey, ...] = (*SERVER_SORTS, SortKey.PARAMETERS, SortKey.CONTEXT, SortKey.SIZE, SortKey.NAME)


def parse(value: object, allowed: Sequence[SortKey], default: SortKey) -> SortKey:
    """A stored or typed value as a key of `allowed`, else `default` (settings can hold anything)."""
    try:
        key = SortKey(str(value))
    except ValueError:
        return default
    return key if key in allowed else default


def server_sort(key: str) -> str:
    """What to ask the Hub for: its own order for its keys; for ours, the most downloaded results first."""
    try:
        return SERVER_SORTS.get(SortKey(key), SERVER_SORTS[SortKey.DOWNLOADS])
    except ValueError:
        return key  # already a wire name


def is_server_order(key: str) -> bool:
    return key in SERVER_SORTS


_DIGITS = re.compile(r"(\d+)")


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Finder's order: runs of digits compare as numbers, the rest without case."""
    return tuple((0, int(part)) if part.isdecimal() else (1, part.casefold())
                 for part in _DIGITS.split(text) if part)


def _when(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def _size(entry: ModelEntry) -> int | None:
    if entry.size_on_disk is not None:
        return entry.size_on_disk
    weights = dict(entry.extra).get("weights_bytes")  # a Hub card: the listing's weight files
    return weights if isinstance(weights, int) else None


def _number(entry: ModelEntry, field: str) -> int | None:
    c = entry.characteristics
    value = getattr(c, field, None) if c is not None else None
    return value if isinstance(value, int) else None


# Each order: (unknown?, value compared ascending, then the name). Larger/newer first = negated value.
_ORDERS: dict[SortKey, Callable[[ModelEntry], tuple[Any, ...]]] = {
    SortKey.NAME: lambda e: (False, natural(e.name), natural(e.id)),
    SortKey.SIZE: lambda e: ((s := _size(e)) is None, -(s or 0), natural(e.id)),
    SortKey.LAST_USED: lambda e: (e.last_accessed is None, -_when(e.last_accessed), natural(e.id)),
    SortKey.PARAMETERS: lambda e: ((n := _number(e, "parameter_count_estimate")) is None, -(n or 0),
                                   natural(e.id)),
    SortKey.CONTEXT: lambda e: ((n := _number(e, "max_position_embeddings")) is None, -(n or 0), natural(e.id)),
}


def order_key(key: str) -> Callable[[ModelEntry], tuple[Any, ...]] | None:
    """How to order entries for `key`; None for the Hub's own orders (rows stay as the pages came)."""
    try:
        return _ORDERS.get(SortKey(key))
    except ValueError:
        return None


def sort_entries(ids: Sequence[str], entries: dict[str, ModelEntry], key: str, *, reverse: bool = False) -> list[str]:
    """`ids` in the order of `key` (reversed on request), unknown values last either way."""
    order = order_key(key)
    if order is None:
        return list(ids)  # the Hub's order: nothing to reverse here (the pages are only its first results)
    ordered = sorted(ids, key=lambda i: order(entries[i]))
    if not reverse:
        return ordered
    known = [i for i in ordered if not order(entries[i])[0]]
    unknown = [i for i in ordered if order(entries[i])[0]]
    return known[::-1] + unknown
