"""How long a command waits for the Hub's rate limit: short waits are waited out, as huggingface_hub does.

A 429 whose window reopens soon is retried (the rate limiter holds the request until then) after one line
on stderr, as long as the waits add up to no more than `PATIENCE` seconds; a longer wait, or
`MAX_RETRIES` 429s in a row, is given up (exit 3).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

PATIENCE = 30.0
MAX_RETRIES = 3
_T = TypeVar("_T")


async def patiently(call: Callable[[float], Awaitable[_T]], wait_of: Callable[[_T], float | None]) -> _T:
    """`call(max_wait)` until it is not rate limited or patience runs out; `wait_of(result)` gives the
    seconds a rate-limited result asks to wait (None when the result is not rate limited)."""
    attempt = 0
    waited = 0.0
    while True:
        result = await call(PATIENCE - waited)
        wait = wait_of(result)
        if wait is None or waited + wait > PATIENCE or attempt >= MAX_RETRIES:
            return result
        attempt += 1
        waited += wait
        seconds = max(1, math.ceil(wait))
        print(f"mlx-manager: the Hub is rate limiting requests; waiting {seconds} s, then trying again",
              file=sys.stderr, flush=True)
