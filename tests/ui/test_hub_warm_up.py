"""Typing a Hugging Face query opens the connections its first screen needs, before the search goes out
(each new HTTPS connection costs two round trips; paid while the person types, they cost nothing)."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim


def searches(sim: HubSim) -> int:
    return len(sim.requests(r"^/api/models$"))


def wait_screen(qtbot: QtBot, window: Any) -> None:
    def settled() -> bool:
        c = window.controller
        return (c.hub_state in ("ready", "empty", "error", "offline") and c.fetcher is not None
                and not window.visibility_pending and c.configs_idle)
    qtbot.waitUntil(settled, timeout=10_000)


def test_typing_a_hub_query_opens_the_connections_before_the_search(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                      hubsim: HubSim, make_window: Any) -> None:
    window = make_window(hub_endpoint=hubsim.url)
    window.set_view("hub")
    wait_screen(qtbot, window)
    hubsim.drop_connections()  # the server closed the idle keep-alives while the person was reading
    opened, searched = hubsim.connections("hub"), searches(hubsim)
    concurrency = window.controller.concurrency

    field = window.toolbar.search
    field.setFocus()
    qtbot.keyClicks(field, "qwen", delay=25)  # type: ignore[no-untyped-call]
    # Opened within a few milliseconds of the keystrokes; the search waits for a pause in typing.
    qtbot.waitUntil(lambda: hubsim.connections("hub") >= opened + concurrency, timeout=5_000)
    assert searches(hubsim) == searched, "the connections should be ready before the search goes out"

    qtbot.waitUntil(lambda: searches(hubsim) > searched, timeout=5_000)
    wait_screen(qtbot, window)
    assert window.controller.hub_query == "qwen"
    # The search and its screen of configs ran on those connections: none opened after the search.
    assert hubsim.connections("hub") == opened + concurrency
