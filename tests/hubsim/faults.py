"""Fault injection: what can go wrong between a client and the Hub, applied per request."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

FAULT_KINDS = frozenset(
    {"status", "rate_limit", "timeout", "slow_drip", "truncate", "oversize", "invalid_json", "reset"}
)
# These change the body of a real answer, so they only fire on a 200/206 with a body (a redirect hop
# on the way to the file does not use them up).
BODY_FAULTS = frozenset({"slow_drip", "truncate", "oversize", "invalid_json"})


@dataclass
class Fault:
    kind: str
    path: str | None = None  # regex searched in the request path (raw, percent-encoded); None: every path
    count: int | None = 1  # how many requests it hits; None: forever
    status: int = 503  # for "status"
    seconds: float = 1.0  # "timeout": hang time; "slow_drip": body spread over it; "rate_limit": t=
    origin: str | None = None  # "hub" | "cdn" | None (both)
    query: str | None = None  # regex searched in the raw query string; None: any
    method: str | None = None  # e.g. "HEAD"; None: any
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    _query_pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if self.origin not in (None, "hub", "cdn"):
            raise ValueError(f"origin must be 'hub', 'cdn' or None, got {self.origin!r}")
        self._pattern = re.compile(self.path) if self.path is not None else None
        self._query_pattern = re.compile(self.query) if self.query is not None else None

    def matches(self, method: str, path: str, query: str, origin: str) -> bool:
        if self.origin is not None and self.origin != origin:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self._query_pattern is not None and self._query_pattern.search(query) is None:
            return False
        return self._pattern is None or self._pattern.search(path) is not None


class Faults:
    """The active faults, in the order added, plus a fixed latency for every request and a handshake
    cost for every new connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.latency: float = 0.0
        # The real Hub is HTTPS: a new connection costs TCP + TLS 1.3 (two round trips) before its first
        # answer. The first response on each connection waits until this long after it was accepted, so a
        # connection opened ahead of time (and left idle that long) pays nothing more.
        self.handshake: float = 0.0

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
        self.latency = 0.0
        self.handshake = 0.0

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str, query: str, origin: str, *, body: bool) -> Fault | None:
        """Consume one use of the first fault matching this request (body faults or the others)."""
        with self._lock:
            for fault in self._faults:
                if (fault.kind in BODY_FAULTS) != body or not fault.matches(method, path, query, origin):
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None
