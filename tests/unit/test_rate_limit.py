"""Rate limiting: pacing logic on a fake clock against a model of the Hub's fixed windows."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.rate_limit import (
    Budget,
    LimiterState,
    RateLimiter,
    RateLimitInfo,
    parse_rate_limit,
    retry_after_seconds,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


class FixedWindowServer:
    """The Hub's counting: `quota` requests per fixed window, windows aligned to `origin`."""

    def __init__(self, quota: int, window: float, origin: float) -> None:
        self.quota, self.window, self.origin = quota, window, origin
        self.counts: dict[int, int] = {}
        self.rejected = 0

    def hit(self, now: float) -> tuple[bool, RateLimitInfo]:
        index = int((now - self.origin) // self.window)
        reset_in = self.origin + (index + 1) * self.window - now
        used = self.counts.get(index, 0)
        if used >= self.quota:
            self.rejected += 1
            return False, RateLimitInfo("resolvers", 0, math.ceil(reset_in), self.quota, self.window)
        self.counts[index] = used + 1
        return True, RateLimitInfo("resolvers", self.quota - used - 1, math.ceil(reset_in), self.quota,
                                   self.window)


def test_parse_draft_09_headers() -> None:
    info = parse_rate_limit({"ratelimit": '"api";r=499;t=290',
                             "ratelimit-policy": '"fixed window";"api";q=500;w=300'})
    assert info == RateLimitInfo("api", 499, 290.0, 500, 300.0)
    assert parse_rate_limit({"RateLimit": '"resolvers";r=0;t=12'}) == RateLimitInfo("resolvers", 0, 12.0)
    assert parse_rate_limit({"ratelimit": "garbage"}) is None
    assert parse_rate_limit({}) is None
    assert parse_rate_limit({"ratelimit": '"api";r=3;t=4'}, bucket="resolvers") is None


def test_retry_after_prefers_the_ratelimit_reset() -> None:
    assert retry_after_seconds({"ratelimit": '"api";r=0;t=42', "retry-after": "5"}) == 42.0
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None


@pytest.mark.parametrize("n,quota,window,origin_offset", [(500, 100, 10.0, -3.0), (300, 3000, 300.0, -100.0),
                                                          (250, 50, 5.0, 0.0)])
def test_paced_requests_never_exceed_a_window_and_finish_near_the_minimum(
    n: int, quota: int, window: float, origin_offset: float
) -> None:
    clock = FakeClock()
    server = FixedWindowServer(quota, window, clock.now + origin_offset)
    limiter = RateLimiter({"resolvers": Budget(quota, window)}, clock=clock, sleep=clock.sleep,
                          jitter=lambda: 0.3)
    start = clock.now

    async def run() -> None:
        for _ in range(n):
            await limiter.acquire("resolvers")
            clock.now += 0.01  # the request's round trip
            ok, info = server.hit(clock.now)
            limiter.observe(info)
            limiter.note_done("resolvers")
            if not ok:
                limiter.note_rate_limited("resolvers", info.reset_in)

    asyncio.run(run())
    assert server.rejected == 0
    assert max(server.counts.values()) <= quota
    elapsed = clock.now - start
    minimum = n * window / quota  # the budget's sustained rate
    assert elapsed <= minimum * 1.2 + 0.5


def test_a_screenful_goes_out_at_once() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    delays = []
    for _ in range(16):
        delays.append(limiter.delay("resolvers"))
        limiter.note_sent("resolvers")
    assert delays == [0.0] * 16


def test_spent_window_waits_for_the_reset() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, reset_margin=1.0)
    limiter.note_sent("api")
    limiter.observe(RateLimitInfo("api", 0, 20.0, 500, 300.0))
    limiter.note_done("api")
    assert limiter.delay("api") == pytest.approx(21.0)
    state = limiter.state()
    assert state.limited and state.bucket == "api"
    assert state.resume_in(clock.now) == pytest.approx(21.0)
    assert not limiter.state(clock.now + 22).limited or limiter.delay("api", clock.now + 22) == 0


@pytest.mark.parametrize("remaining", [400, 40])
def test_low_remaining_slows_down(remaining: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, reset_margin=0.0)
    limiter.note_sent("api")
    limiter.observe(RateLimitInfo("api", remaining, 100.0, 500, 300.0))
    limiter.note_done("api")
    start = clock.now

    async def send(n: int) -> None:
        for _ in range(n):
            await limiter.acquire("api")
            limiter.note_done("api")

    asyncio.run(send(30))
    elapsed = clock.now - start
    # 30 requests: spread over the time left in proportion to what is left, never beyond the reset.
    expected = 100.0 * (30 - 10) / remaining  # after a burst of 10, one per t/r
    assert expected * 0.8 <= elapsed <= expected * 1.25 + 1.0
    assert elapsed <= 100.0


def test_429_waits_what_the_server_says_plus_jitter_and_reports_it() -> None:
    clock = FakeClock()
    seen: list[LimiterState] = []
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, jitter=lambda: 0.5, reset_margin=0.0)
    limiter.add_listener(seen.append)
    resume = limiter.note_rate_limited("resolvers", 30.0)
    assert resume == pytest.approx(clock.now + 30.5)
    assert seen and seen[-1].limited and seen[-1].resume_at == pytest.approx(resume)
    assert asyncio.run(limiter.acquire("resolvers", max_wait=1.0)) == pytest.approx(30.5)

    async def wait() -> None:
        await limiter.acquire("resolvers")

    asyncio.run(wait())
    assert clock.now >= resume
    assert not limiter.state().limited


@settings(max_examples=40, deadline=None)
@given(
    quota=st.integers(min_value=20, max_value=400),
    window=st.sampled_from([5.0, 10.0, 60.0, 300.0]),
    windows_needed=st.floats(min_value=0.2, max_value=3.5),
    offset=st.floats(min_value=0.0, max_value=1.0),
    rtt=st.floats(min_value=0.0, max_value=0.3),
)
def test_no_budget_is_ever_exceeded(quota: int, window: float, windows_needed: float, offset: float,
                                    rtt: float) -> None:
    clock = FakeClock()
    server = FixedWindowServer(quota, window, clock.now - offset * window)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, jitter=lambda: 0.5)
    n = max(1, int(quota * windows_needed))

    async def run() -> None:
        for _ in range(n):
            await limiter.acquire("resolvers")
            clock.now += rtt
            ok, info = server.hit(clock.now - rtt / 2)
            limiter.observe(info)
            limiter.note_done("resolvers")
            if not ok:
                limiter.note_rate_limited("resolvers", info.reset_in)

    start = clock.now
    asyncio.run(run())
    assert server.rejected == 0
    # Never slower than the budget's rate by more than a fifth, plus one window's worth of alignment.
    assert clock.now - start <= 1.2 * n * window / quota + window + n * rtt
