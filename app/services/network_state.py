"""Whether the Hub can be reached, as the config queue and the search see it."""

from __future__ import annotations

from enum import StrEnum


class Network(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    RATE_LIMITED = "rate_limited"  # the Hub asked us to wait
