"""How numbers read on a card: "7.6B", "128K", "4.3 GB", "3 days ago"."""

from __future__ import annotations

import math
from datetime import UTC, datetime


def params(count: int | None) -> str | None:
    if count is None or count <= 0:
        return None
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if count >= div:
            value = count / div
            text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return str(count)


def context(tokens: int | None) -> str | None:
    """Context lengths the way model cards speak: 32768 -> 32K, 128000 and 131072 -> 128K, 1048576 -> 1M.

    A round thousand reads in decimal K (128000 = 128 × 1000), a multiple of 1024 in binary K
    (131072 = 128 × 1024), anything else in decimal: whichever way the authors counted, the card says
    the number they meant.
    """
    if tokens is None or tokens <= 0:
        return None
    return _k_text(context_k(tokens))


def context_k(tokens: int) -> float:
    """The context in K as read on a card (see `context`)."""
    if tokens % 1000 and tokens % 1024 == 0:
        return tokens / 1024
    return tokens / 1000


def min_context_tokens(option: int) -> int:
    """The fewest tokens that meet a "≥ NK context" filter: 128 * 1024 -> 128,000, so that a model
    reading 128K passes "≥ 128K" whether its config says 128,000 or 131,072."""
    return math.ceil(context_k(option) * 1000) if option > 0 else 0


def _k_text(k: float) -> str:
    if k >= 1000:
        m = k / 1024 if k % 1024 == 0 else k / 1000
        return f"{m:.1f}".removesuffix(".0") + "M"
    if k >= 1:
        return (f"{k:.0f}" if k >= 10 else f"{k:.1f}".removesuffix(".0")) + "K"
    return f"{round(k * 1000)}"


def size(num_bytes: int | None) -> str | None:
    if num_bytes is None or num_bytes < 0:
        return None
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return None  # unreachable


def count(n: int | None) -> str | None:
    """Downloads and likes: 18234 -> 18.2k."""
    if n is None or n < 0:
        return None
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".removesuffix(".0") + "M"
    if n >= 1000:
        return f"{n / 1000:.1f}".removesuffix(".0") + "k"
    return str(n)


def ago(moment: datetime | None, now: datetime | None = None) -> str | None:
    if moment is None:
        return None
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "just now"
    days = int(seconds // 86400)
    if days == 0:
        return "today" if seconds >= 3600 else "just now"
    if days == 1:
        return "yesterday"
    for span, unit in ((365, "year"), (30, "month"), (7, "week")):
        if days >= span:
            n = days // span
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return f"{days} days ago"
