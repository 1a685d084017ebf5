"""Pacing requests below the Hub's per-bucket budgets, adapting to its `RateLimit` headers.

The Hub counts requests in fixed 5-minute windows per bucket (`api`, `resolvers`) and reports, on every
response, the requests left `r` and the seconds `t` until the window resets (IETF draft-09 headers).
We spread what is left over the time left (one request every t/r seconds), so a window's budget is
never exhausted early; at r=0 we wait for the reset, and after a 429 we wait what the server says
plus jitter. Before the first response we assume the anonymous budgets, scaled by a safety factor.

The pacing logic is synchronous and takes `now` explicitly so it is testable without real time;
`acquire` is the async wrapper with an injectable clock and sleep.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

API = "api"
RESOLVERS = "resolvers"


@dataclass(frozen=True)
class Budget:
    quota: int
    window: float  # seconds


# The Hub's anonymous budgets (docs/hub/rate-limits.md, Sept 2025; "subject to change").
ANONYMOUS_BUDGETS: Mapping[str, Budget] = {API: Budget(500, 300.0), RESOLVERS: Budget(3000, 300.0)}

# Seconds added to a server-announced reset: `t` is whole seconds, and a request that lands just
# before the server's reset would count against the exhausted window.
RESET_MARGIN = 1.0
# Waits longer than this are shown as "rate limited" rather than silent pacing.
VISIBLE_WAIT = 2.0
# At most this many requests back to back before pacing applies (a screen's worth of configs).
MAX_BURST = 24


@dataclass(frozen=True)
class RateLimitInfo:
    """One response's `RateLimit` / `RateLimit-Policy` for a bucket."""

    bucket: str
    remaining: int
    reset_in: float
    quota: int | None = None
    window: float | None = None


_LIMIT_ITEM = re.compile(r'"?([A-Za-z0-9_\-]+)"?\s*;\s*r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+(?:\.\d+)?)')
_POLICY_ITEM = re.compile(r'"?([A-Za-z0-9_\-]+)"?\s*;\s*q\s*=\s*(\d+)\s*;\s*w\s*=\s*(\d+(?:\.\d+)?)')


def parse_rate_limit(headers: Mapping[str, str], bucket: str | None = None) -> RateLimitInfo | None:
    """Parse draft-09 headers, e.g. `RateLimit: "api";r=499;t=290` and
    `RateLimit-Policy: "fixed window";"api";q=500;w=300`. Unreadable headers give None."""
    limit = _header(headers, "ratelimit")
    if not limit:
        return None
    found: RateLimitInfo | None = None
    for match in _LIMIT_ITEM.finditer(limit):
        name = match.group(1)
        if bucket is None or name == bucket:
            found = RateLimitInfo(name, int(match.group(2)), float(match.group(3)))
            break
    if found is None:
        return None
    policy = _header(headers, "ratelimit-policy") or ""
    for match in _POLICY_ITEM.finditer(policy):
        if match.group(1) == found.bucket:
            quota, window = int(match.group(2)), float(match.group(3))
            if quota > 0 and window > 0:
                return RateLimitInfo(found.bucket, found.remaining, found.reset_in, quota, window)
    return found


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """`RateLimit` t when r=0, else an integer `Retry-After`; None when the server said nothing usable."""
    info = parse_rate_limit(headers)
    if info is not None and info.remaining == 0:
        return info.reset_in
    value = _header(headers, "retry-after")
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


@dataclass(frozen=True)
class LimiterState:
    """What the UI shows: nothing, or "rate limited, resuming in N s"."""

    limited: bool
    bucket: str | None = None
    resume_at: float | None = None  # on the limiter's clock (monotonic seconds)

    def resume_in(self, now: float) -> float:
        return max(0.0, (self.resume_at or now) - now)


class _Bucket:
    def __init__(self, name: str, budget: Budget, safety: float, now: float) -> None:
        self.name = name
        self.quota = budget.quota
        self.window = budget.window
        self.safety = safety
        # Before the server has spoken, assume a window starting now with a safe share of the budget.
        self.remaining = max(1, int(budget.quota * safety))
        self.reset_at = now + budget.window
        self.known = False  # True once a response has told us where the window ends
        # Pacing is a GCRA: a short burst is allowed (a screenful of configs at once), then one request
        # per interval; `tat` is the theoretical time the next request is due.
        self.tat = now
        self.blocked_until = -float("inf")  # after a 429
        self.in_flight = 0

    def roll(self, now: float) -> None:
        if now < self.reset_at:
            return
        # The window we knew has ended; the next one starts full (the server will correct us).
        skipped = int((now - self.reset_at) // self.window) + 1
        self.reset_at += skipped * self.window
        self.remaining = max(1, int(self.quota * self.safety))

    def delay(self, now: float) -> float:
        if now < self.blocked_until:
            return self.blocked_until - now
        self.roll(now)
        if self.remaining <= 0:
            return max(0.0, self.reset_at - now)
        interval = self.interval(now)
        burst = min(self.burst(), self.remaining)
        return max(0.0, self.tat - interval * (burst - 1) - now)

    def interval(self, now: float) -> float:
        return max(0.0, self.reset_at - now) / max(1, self.remaining)

    def burst(self) -> int:
        return max(1, min(MAX_BURST, self.quota // 50))

    def sent(self, now: float) -> None:
        interval = self.interval(now)
        self.remaining -= 1
        self.tat = max(self.tat, now) + interval


class RateLimiter:
    """Per-bucket pacing shared by every request of one Hub client."""

    def __init__(
        self,
        budgets: Mapping[str, Budget] = ANONYMOUS_BUDGETS,
        *,
        safety: float = 0.9,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] | None = None,
        reset_margin: float = RESET_MARGIN,
    ) -> None:
        self._budgets = dict(budgets)
        self._safety = safety
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter or (lambda: random.uniform(0.0, 1.0))
        self._reset_margin = reset_margin
        self._buckets: dict[str, _Bucket] = {}
        self._listeners: list[Callable[[LimiterState], None]] = []
        self._last_state = LimiterState(False)

    @property
    def clock(self) -> Callable[[], float]:
        return self._clock

    def _bucket(self, name: str, now: float) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            budget = self._budgets.get(name) or self._budgets.get(API) or Budget(500, 300.0)
            bucket = _Bucket(name, budget, self._safety, now)
            self._buckets[name] = bucket
        return bucket

    # --- pure pacing logic (time passed in) ---

    def delay(self, bucket: str, now: float | None = None) -> float:
        """Seconds to wait before the next request of this bucket may be sent."""
        now = self._clock() if now is None else now
        return self._bucket(bucket, now).delay(now)

    def note_sent(self, bucket: str, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        b = self._bucket(bucket, now)
        b.roll(now)
        b.sent(now)
        b.in_flight += 1

    def note_done(self, bucket: str) -> None:
        b = self._buckets.get(bucket)
        if b is not None and b.in_flight > 0:
            b.in_flight -= 1

    def observe(self, info: RateLimitInfo, now: float | None = None) -> None:
        """A response's headers: the server's view of the window replaces our estimate."""
        now = self._clock() if now is None else now
        b = self._bucket(info.bucket, now)
        if info.quota is not None and info.window is not None:
            b.quota, b.window = info.quota, info.window
        reset_at = now + info.reset_in + min(self._reset_margin, b.window * 0.05)
        # Requests still in flight may not be counted by the server yet.
        remaining = max(0, info.remaining - max(0, b.in_flight - 1))
        new_window = not b.known or reset_at > b.reset_at + b.window / 2
        if new_window:
            b.reset_at, b.remaining = reset_at, remaining
            # Debt run up under the assumed pace of a previous (or guessed) window is forgiven.
            b.tat = min(b.tat, now + b.interval(now))
        else:
            # Out-of-order responses carry older, higher counts: keep the lowest view of this window.
            b.remaining = min(b.remaining, remaining)
            b.reset_at = max(b.reset_at, reset_at) if info.remaining == 0 else b.reset_at
        b.known = True
        self._publish(now)

    def note_rate_limited(self, bucket: str, retry_after: float | None, now: float | None = None) -> float:
        """A 429: wait what the server said plus jitter. Returns the monotonic time sending resumes."""
        now = self._clock() if now is None else now
        b = self._bucket(bucket, now)
        wait = retry_after if retry_after is not None and retry_after >= 0 else min(b.window, 30.0)
        resume = now + wait + self._reset_margin * 0.5 + self._jitter()
        b.blocked_until = max(b.blocked_until, resume)
        b.remaining = 0
        b.reset_at = max(b.reset_at, resume)
        b.known = True
        self._publish(now)
        return b.blocked_until

    def budget_left(self, bucket: str, now: float | None = None) -> tuple[int, float]:
        """Requests we believe are left in the bucket's window, and the seconds until it resets."""
        now = self._clock() if now is None else now
        b = self._bucket(bucket, now)
        b.roll(now)
        return max(0, b.remaining), max(0.0, b.reset_at - now)

    def state(self, now: float | None = None) -> LimiterState:
        """Limited when some bucket cannot send for more than a moment (a 429, or its window is spent)."""
        now = self._clock() if now is None else now
        worst: LimiterState = LimiterState(False)
        for b in self._buckets.values():
            if now < b.blocked_until or (b.remaining <= 0 and b.reset_at - now > VISIBLE_WAIT):
                resume = b.blocked_until if now < b.blocked_until else b.reset_at
                if not worst.limited or (worst.resume_at is not None and resume > worst.resume_at):
                    worst = LimiterState(True, b.name, resume)
        return worst

    def add_listener(self, listener: Callable[[LimiterState], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[LimiterState], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _publish(self, now: float) -> None:
        state = self.state(now)
        if state != self._last_state:
            self._last_state = state
            for listener in list(self._listeners):
                listener(state)

    # --- async wrapper ---

    async def acquire(self, bucket: str, *, max_wait: float | None = None) -> float | None:
        """Wait until a request may be sent and count it. Returns None when sent is allowed; when the
        wait would exceed `max_wait`, returns that wait instead of waiting (nothing is counted)."""
        while True:
            now = self._clock()
            wait = self.delay(bucket, now)
            if wait <= 0:
                self.note_sent(bucket, now)
                self._publish(now)
                return None
            if max_wait is not None and wait > max_wait:
                return wait
            self._publish(now)
            # Short naps so a fresher server view (another response) is picked up while waiting.
            await self._sleep(min(wait, 1.0))
