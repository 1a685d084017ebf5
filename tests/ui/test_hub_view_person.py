"""The Hugging Face view driven like a person: typing into the real field with a delay, retyping, sorting,
scrolling to load pages, filters on and off, losing the network and getting it back. After the last
action and a quiet moment, every card on screen must have its config facts (or say why it cannot), and
what the window says must be about what is on screen now.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.filters import FilterState
from app.core.model_entry import ConfigStatus, Tier
from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim

CTRL = Qt.KeyboardModifier.ControlModifier
SETTLE_MS = 30_000


@pytest.fixture
def slow_hub() -> Iterator[HubSim]:
    """300 generated models besides the corpus, answering with a little latency, as a real Hub does."""
    sim = HubSim(corpus=True)
    sim.generate_models(300)
    sim.faults.latency = 0.04
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def on_screen(window: Any) -> list[str]:
    ids, _ahead = window.hub_view.visible_ids()
    return ids


def unsettled(window: Any) -> list[str]:
    """Cards on screen still waiting for their config (the thing a person would see stuck on '…')."""
    model = window.hub_model
    return [i for i in on_screen(window)
            if (e := model.entry(i)) is not None and e.config_status is ConfigStatus.PENDING]


def settle(qtbot: QtBot, window: Any) -> None:
    def quiet() -> bool:
        c = window.controller
        typed = window.toolbar.search.text().strip()
        return (typed == (c.hub_query or "") and not c.searching and c.hub_state not in ("idle", "searching")
                and not window.visibility_pending and c.configs_idle and not unsettled(window))
    qtbot.waitUntil(quiet, timeout=SETTLE_MS)


def every_card_on_screen_is_decided(window: Any) -> None:
    model = window.hub_model
    for repo_id in on_screen(window):
        entry = model.entry(repo_id)
        assert entry is not None
        if entry.config_status is ConfigStatus.OK:
            assert entry.tier_of("model_type") is Tier.CONFIG, f"{repo_id}: config landed but not shown"
        else:
            assert entry.config_status is ConfigStatus.UNAVAILABLE and entry.config_error, repo_id
        assert not model.is_pending(repo_id), f"{repo_id} still dimmed after quiet"


def type_query(qtbot: QtBot, window: Any, text: str) -> None:
    """⌘F, then type over whatever the field held, one key at a time."""
    press_cmd(qtbot, window, Qt.Key.Key_F)
    field = window.toolbar.search
    assert field.hasFocus()
    field.selectAll()
    if text:
        qtbot.keyClicks(field, text, delay=25)
    else:
        qtbot.keyClick(field, Qt.Key.Key_Backspace)


def choose_sort(window: Any, label_part: str) -> None:
    actions = [a for a in window.toolbar.sort_menu.actions() if label_part in a.text().lower()]
    assert actions, [a.text() for a in window.toolbar.sort_menu.actions()]
    actions[0].trigger()


def press_cmd(qtbot: QtBot, window: Any, key: Qt.Key) -> None:
    """⌘ + key with the window in front, as a person would press it."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    target = window.current_list
    target.setFocus()
    qtbot.keyClick(target, key, CTRL)


def open_hub(qtbot: QtBot, window: Any) -> None:
    press_cmd(qtbot, window, Qt.Key.Key_2)
    assert window.view == "hub"
    settle(qtbot, window)


def test_typing_retyping_and_clearing_settles_every_card(qtbot: QtBot, hf_cache: CacheBuilder, slow_hub: HubSim,
                                                         make_window: Any) -> None:
    window = make_window(hub_endpoint=slow_hub.url)
    open_hub(qtbot, window)
    every_card_on_screen_is_decided(window)

    type_query(qtbot, window, "qwen")
    settle(qtbot, window)
    assert on_screen(window) and all("qwen" in i.lower() for i in on_screen(window))
    every_card_on_screen_is_decided(window)

    type_query(qtbot, window, "gemma")  # retyped over the old query
    settle(qtbot, window)
    assert window.controller.hub_query == "gemma"
    assert all("gemma" in i.lower() for i in on_screen(window))
    every_card_on_screen_is_decided(window)

    type_query(qtbot, window, "")  # cleared: back to everything
    settle(qtbot, window)
    assert window.controller.hub_query == ""
    every_card_on_screen_is_decided(window)


def test_a_new_query_starts_at_the_top_and_pages_load_on_scroll(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                 slow_hub: HubSim, make_window: Any) -> None:
    window = make_window(hub_endpoint=slow_hub.url)
    open_hub(qtbot, window)
    bar = window.hub_view.verticalScrollBar()
    first_page = window.hub_model.rowCount()
    for _ in range(4):  # drag the scroll bar to the end, as a person flinging through results
        bar.setValue(bar.maximum())
        settle(qtbot, window)
    assert window.hub_model.rowCount() > first_page, "scrolling to the end loads the next page"
    every_card_on_screen_is_decided(window)
    assert bar.value() > 0

    type_query(qtbot, window, "gemma")
    settle(qtbot, window)
    assert bar.value() == 0, "a new search shows its first results, not the old scroll position"
    every_card_on_screen_is_decided(window)

    bar.setValue(bar.maximum())
    settle(qtbot, window)
    choose_sort(window, "like")
    settle(qtbot, window)
    assert window.controller.hub_sort == "likes" and bar.value() == 0
    every_card_on_screen_is_decided(window)


def test_an_empty_result_then_a_real_one(qtbot: QtBot, hf_cache: CacheBuilder, slow_hub: HubSim,
                                         make_window: Any) -> None:
    window = make_window(hub_endpoint=slow_hub.url)
    open_hub(qtbot, window)
    type_query(qtbot, window, "mi")
    type_query(qtbot, window, "zzqx")
    settle(qtbot, window)
    assert window.hub_model.rowCount() == 0 and "zzqx" in window.hub_empty.text
    type_query(qtbot, window, "zzqx large")
    settle(qtbot, window)
    assert "zzqx large" in window.hub_empty.text, "the empty state names the query on screen, not an older one"
    type_query(qtbot, window, "mistral")
    settle(qtbot, window)
    assert window.hub_model.rowCount() > 0 and not window.hub_empty.isVisible()
    every_card_on_screen_is_decided(window)


def test_filters_on_and_off_leave_no_card_dimmed(qtbot: QtBot, hf_cache: CacheBuilder, slow_hub: HubSim,
                                                 make_window: Any) -> None:
    window = make_window(hub_endpoint=slow_hub.url)
    press_cmd(qtbot, window, Qt.Key.Key_2)
    # The filter goes on while the first cards are still on their way: undecided ones show dimmed...
    window.set_filter_state(FilterState(families=frozenset({"Qwen"})))
    settle(qtbot, window)
    # ...and once their configs have landed none is left dimmed, and only Qwen models remain.
    every_card_on_screen_is_decided(window)
    for repo_id in on_screen(window):
        c = window.hub_model.entry(repo_id).characteristics
        assert c is not None and c.architecture_family == "Qwen", repo_id
    window.set_filter_state(FilterState())
    settle(qtbot, window)
    every_card_on_screen_is_decided(window)
    type_query(qtbot, window, "llama")
    window.set_filter_state(FilterState(quantization=frozenset({"4"})))
    settle(qtbot, window)
    every_card_on_screen_is_decided(window)


def test_refresh_while_offline_keeps_the_cards_and_coming_back_resumes_at_once(
        qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    first = HubSim(corpus=True)
    first.generate_models(300)
    first.start()
    hub_port, cdn_port = (int(url.rsplit(":", 1)[1]) for url in (first.url, first.cdn_url))
    try:
        window = make_window(hub_endpoint=first.url)
        open_hub(qtbot, window)
        shown = window.hub_model.rowCount()
        type_query(qtbot, window, "qwen")
        settle(qtbot, window)
    finally:
        first.stop()  # the network is gone

    shown = window.hub_model.rowCount()
    assert shown > 0
    press_cmd(qtbot, window, Qt.Key.Key_R)  # ⌘R with no network
    qtbot.waitUntil(lambda: window.controller.hub_state == "offline", timeout=SETTLE_MS)
    assert window.hub_model.rowCount() == shown, "refresh while offline keeps what is on screen"
    assert not window.hub_empty.isVisible()
    assert "Offline" in window.status.network_text
    # A card never shown before needs the network: the queue pauses.
    type_query(qtbot, window, "gemma")
    qtbot.waitUntil(lambda: window.controller.hub_state == "offline", timeout=SETTLE_MS)

    back = HubSim(corpus=True, port=hub_port, cdn_port=cdn_port)
    back.generate_models(300)
    back.start()
    try:
        assert "Try again" in window.hub_empty.button.text() or window.hub_model.rowCount() > 0
        if window.hub_empty.isVisible():
            window.hub_empty.button.click()
        else:
            press_cmd(qtbot, window, Qt.Key.Key_R)
        # Far sooner than the 30 s offline retry timer: the answer itself ends the offline state.
        qtbot.waitUntil(lambda: "Online" in window.status.network_text, timeout=10_000)
        settle(qtbot, window)
        every_card_on_screen_is_decided(window)
        assert all("gemma" in i.lower() for i in on_screen(window))
    finally:
        window.close()
        back.stop()


_SESSION: dict[int, Any] = {}
ACTIONS = st.sampled_from(["type qwen", "type gemma", "type llama 3", "type nothingzz", "clear", "sort likes",
                           "sort downloads", "scroll end", "scroll top", "filter qwen", "filter 4bit",
                           "filter off", "refresh"])


@settings(max_examples=int(os.environ.get("PERSON_EXAMPLES", "6")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(ACTIONS, min_size=1, max_size=5))
def test_any_short_sequence_of_actions_settles(qtbot: QtBot, hf_cache: CacheBuilder, slow_hub: HubSim,
                                               make_window: Any, tmp_path: Path, steps: list[str]) -> None:
    # One window for all the examples of a run (the fixtures are the same for each): a session goes on.
    window = _SESSION.get(id(slow_hub))
    if window is None:
        _SESSION.clear()
        window = _SESSION[id(slow_hub)] = make_window(hub_endpoint=slow_hub.url)
        open_hub(qtbot, window)
    bar = window.hub_view.verticalScrollBar()
    for step in steps:
        verb, _, arg = step.partition(" ")
        if verb == "type":
            type_query(qtbot, window, arg)
        elif verb == "clear":
            type_query(qtbot, window, "")
        elif verb == "sort":
            choose_sort(window, arg[:4])
        elif step == "scroll end":
            bar.setValue(bar.maximum())
        elif step == "scroll top":
            bar.setValue(0)
        elif step == "filter qwen":
            window.set_filter_state(FilterState(families=frozenset({"Qwen"})))
        elif step == "filter 4bit":
            window.set_filter_state(FilterState(quantization=frozenset({"4"})))
        elif step == "filter off":
            window.set_filter_state(FilterState())
        elif step == "refresh":
            press_cmd(qtbot, window, Qt.Key.Key_R)
        QApplication.processEvents()
    settle(qtbot, window)
    every_card_on_screen_is_decided(window)
    query = window.controller.hub_query or ""
    if window.hub_model.rowCount() == 0 and query and window.controller.hub_state == "empty":
        assert query in window.hub_empty.text
