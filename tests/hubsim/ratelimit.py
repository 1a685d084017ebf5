"""Fixed-window request budgets per bucket, and the draft-09 RateLimit headers the Hub sends."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Shown when no budget is set: large enough that ordinary tests never meet it.
UNLIMITED_QUOTA = 1_000_000
DEFAULT_WINDOW = 300.0


@dataclass
class _Budget:
    quota: int
    window: float
    limited: bool
    start: float = 0.0
    used: int = 0


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # replaceable, so tests can move time without sleeping
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget] = {}

    def set_budget(self, bucket: str, quota: int, window: float = DEFAULT_WINDOW) -> None:
        with self._lock:
            self._budgets[bucket] = _Budget(quota=quota, window=window, limited=True)

    def reset(self) -> None:
        with self._lock:
            self._budgets.clear()

    def policy(self, bucket: str) -> tuple[int, float]:
        """(quota, window) of a bucket."""
        with self._lock:
            budget = self._budgets.get(bucket)
            return (budget.quota, budget.window) if budget else (UNLIMITED_QUOTA, DEFAULT_WINDOW)

    def peek(self, bucket: str) -> dict[str, str]:
        """The headers for a response that does not count (a faulted one)."""
        now = self.clock()
        with self._lock:
            budget = self._budgets.get(bucket)
            if budget is None or now >= budget.start + budget.window:
                quota, window = (budget.quota, budget.window) if budget else (UNLIMITED_QUOTA, DEFAULT_WINDOW)
                return headers(bucket, quota, window, quota, window)
            remaining = max(budget.quota - budget.used, 0)
            reset = max(math.ceil(budget.start + budget.window - now - 1e-6), 0)
            return headers(bucket, remaining, reset, budget.quota, budget.window)

    def hit(self, bucket: str) -> tuple[bool, dict[str, str]]:
        """Count one request; returns (allowed, headers for the response)."""
        now = self.clock()
        with self._lock:
            budget = self._budgets.get(bucket)
            if budget is None:
                budget = self._budgets[bucket] = _Budget(UNLIMITED_QUOTA, DEFAULT_WINDOW, limited=False)
            if budget.used == 0 or now >= budget.start + budget.window:
                budget.start, budget.used = now, 0
            allowed = not budget.limited or budget.used < budget.quota
            if allowed:
                budget.used += 1
            remaining = max(budget.quota - budget.used, 0)
            reset = max(math.ceil(budget.start + budget.window - now - 1e-6), 0)
            quota, window = budget.quota, budget.window
        return allowed, headers(bucket, remaining, reset, quota, window)


def headers(bucket: str, remaining: int, reset: float, quota: int, window: float) -> dict[str, str]:
    return {
        "RateLimit": f'"{bucket}";r={remaining};t={math.ceil(reset)}',
        "RateLimit-Policy": f'"fixed window";"{bucket}";q={quota};w={math.ceil(window)}',
    }
