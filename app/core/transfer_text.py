"""How a transfer reads: "1.2 GB of 4.5 GB · 27% · 38.0 MB/s · 1 min 27 s left"."""

from __future__ import annotations

from app.core import formatting


def speed(bytes_per_second: float | None) -> str | None:
    if bytes_per_second is None or bytes_per_second <= 0:
        return None
    return f"{formatting.size(int(bytes_per_second))}/s"


def duration(seconds: float | None) -> str | None:
    """Seconds as a person says them: "45 s", "3 min 5 s", "2 h 10 min"; None when unknown."""
    if seconds is None or seconds < 0 or seconds != seconds or seconds == float("inf"):
        return None
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def percent(done: int, total: int) -> int | None:
    """Whole percent, never 100 before the last byte (a bar at 100% that is still working lies)."""
    if total <= 0:
        return None
    value = int(done * 100 // total)
    return min(value, 99) if done < total else 100


def progress_line(done: int, total: int, bytes_per_second: float | None, eta_seconds: float | None) -> str:
    parts = [f"{formatting.size(done)} of {formatting.size(total)}"]
    pct = percent(done, total)
    if pct is not None:
        parts.append(f"{pct}%")
    rate = speed(bytes_per_second)
    if rate:
        parts.append(rate)
    left = duration(eta_seconds)
    if left:
        parts.append(f"{left} left")
    return " · ".join(parts)
