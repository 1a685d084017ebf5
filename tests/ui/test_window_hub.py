"""The Hugging Face view against the Hub simulator: search, paging, lazy configs, offline, rate limits."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from app.core.model_entry import ConfigStatus, Tier
from tests.cachebuilder import CacheBuilder
from tests.hubsim import Fault, HubSim

CONFIG_PATH = "/resolve/main/config.json"


def hub_window(make_window: Any, sim: HubSim, **kwargs: Any) -> Any:
    window = make_window(hub_endpoint=sim.url, **kwargs)
    return window


def rows(window: Any) -> list[str]:
    model = window.hub_model
    return [model.entry_at(r).id for r in range(model.rowCount())]


def config_ids(sim: HubSim) -> list[str]:
    return [r.path[1:-len(CONFIG_PATH)] for r in sim.requests(r"/resolve/main/config\.json$")]


def searches(sim: HubSim) -> list[dict[str, list[str]]]:
    return [r.query for r in sim.requests(r"^/api/models$")]


def wait_results(qtbot: QtBot, window: Any) -> None:
    qtbot.waitUntil(lambda: window.controller.hub_state in ("ready", "empty", "error", "offline"), timeout=10_000)


def wait_configs(qtbot: QtBot, window: Any) -> None:
    def idle() -> bool:
        return (window.controller.fetcher is not None and not window.visibility_pending
                and window.controller.configs_idle)
    qtbot.waitUntil(idle, timeout=10_000)


def test_hub_search_fills_cards_and_configs_upgrade_badges(qtbot: QtBot, hf_cache: CacheBuilder,
                                                           hubsim: HubSim, make_window: Any) -> None:
    hubsim.faults.latency = 0.15  # so the listing is on screen before any config has arrived
    window = hub_window(make_window, hubsim)
    work: list[str] = []
    window.controller.work_changed.connect(lambda _key, text: work.append(text))
    window.set_view("hub")
    qtbot.waitUntil(lambda: window.hub_model.rowCount() > 0, timeout=10_000)
    first = window.hub_model.entry_at(0)
    assert first.config_status is ConfigStatus.PENDING
    assert (first.tier_of("architecture_family") or Tier.NAME) < Tier.CONFIG
    assert searches(hubsim)[0]["filter"] == ["mlx"]
    qtbot.waitUntil(lambda: window.hub_model.entry_at(window.hub_model.row_of(first.id)).config_status
                    is not ConfigStatus.PENDING, timeout=10_000)
    after = window.hub_model.entry_at(window.hub_model.row_of(first.id))
    assert after.config_status is ConfigStatus.OK
    assert after.tier_of("model_type") is Tier.CONFIG  # the badge is now a fact, not a guess
    assert window.status.network_text == "● Online"
    assert window.status.count_label.text().endswith("models")
    wait_configs(qtbot, window)
    assert "Searching the Hub…" in work
    assert any(t.startswith("Fetching details for ") and t.endswith(" models…") for t in work)
    qtbot.waitUntil(lambda: window.status.work_text == "", timeout=5_000)


def test_only_visible_cards_are_fetched(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                        make_window: Any) -> None:
    hubsim.generate_models(150)
    window = hub_window(make_window, hubsim)
    window.set_view("hub")
    wait_results(qtbot, window)
    assert window.hub_model.rowCount() == 50
    wait_configs(qtbot, window)
    fetched = config_ids(hubsim)
    first, last = window.visible_rows(window.hub_view)
    shown = rows(window)
    screen = last - first + 1
    assert fetched, "the visible cards were not fetched"
    # Only what is on screen and the next screenful (capped by the fetcher's margin), nothing further down.
    allowed = set(shown[: last + 1 + min(screen, 12)])
    assert set(fetched) <= allowed
    assert len(fetched) < 50
    assert set(shown[first: last + 1]) <= set(fetched)


def test_scrolling_to_the_end_loads_the_next_page(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                                  make_window: Any) -> None:
    hubsim.generate_models(60)
    window = hub_window(make_window, hubsim)
    window.controller.page_size = 10
    window.set_view("hub")
    qtbot.waitUntil(lambda: window.hub_model.rowCount() == 10, timeout=10_000)
    assert not any("cursor" in q for q in searches(hubsim))
    window.hub_view.scrollToBottom()
    qtbot.waitUntil(lambda: window.hub_model.rowCount() == 20, timeout=10_000)
    assert any("cursor" in q for q in searches(hubsim)[1:])
    assert len(set(rows(window))) == 20
    wait_configs(qtbot, window)


def test_search_is_debounced_and_a_new_query_cancels_the_previous(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                   hubsim: HubSim, make_window: Any) -> None:
    window = hub_window(make_window, hubsim)
    window.set_view("hub")
    wait_results(qtbot, window)
    hubsim.clear_log()
    qtbot.keyClicks(window.toolbar.search, "qwen")
    qtbot.waitUntil(lambda: len(searches(hubsim)) >= 1, timeout=5_000)
    wait_results(qtbot, window)
    typed = [q.get("search", [""])[0] for q in searches(hubsim)]
    assert typed == ["qwen"], typed  # one request after the pause, not one per keystroke
    assert rows(window) and all("qwen" in i.lower() for i in rows(window))

    # The next search hangs on the Hub until it is cancelled: no race against a delay on a busy machine.
    hubsim.faults.add(Fault("timeout", path=r"^/api/models$", seconds=30, count=1))
    window.controller.search_hub("gemma")
    slow = window.controller.search_task
    qtbot.waitUntil(lambda: any(q.get("search") == ["gemma"] for q in searches(hubsim)), timeout=5_000)
    window.controller.search_hub("llama")
    qtbot.waitUntil(slow.done, timeout=5_000)
    assert slow.cancelled()
    wait_results(qtbot, window)
    assert window.controller.hub_query == "llama"
    assert rows(window) and all("llama" in i.lower() for i in rows(window))
    wait_configs(qtbot, window)


def test_hub_sort_menu_searches_again(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                      make_window: Any) -> None:
    window = hub_window(make_window, hubsim)
    window.set_view("hub")
    wait_results(qtbot, window)
    window.toolbar.sort_actions["likes"].trigger()
    qtbot.waitUntil(lambda: any(q.get("sort") == ["likes"] for q in searches(hubsim)), timeout=5_000)
    wait_results(qtbot, window)
    likes = [window.hub_model.entry_at(r).likes or 0 for r in range(window.hub_model.rowCount())]
    assert likes == sorted(likes, reverse=True)
    assert window.toolbar.sort_button.text().startswith("Sort: Likes")
    wait_configs(qtbot, window)


def test_offline_shows_what_still_works(qtbot: QtBot, hf_cache: CacheBuilder, monkeypatch: Any,
                                        make_window: Any) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    window = make_window(hub_endpoint="http://127.0.0.1:9")
    window.set_view("hub")
    qtbot.waitUntil(lambda: window.controller.hub_state == "offline", timeout=10_000)
    assert window.hub_empty.isVisible()
    assert "You're offline" in window.hub_empty.text and "My Models still works" in window.hub_empty.text
    assert "HF_HUB_OFFLINE is set" in window.hub_empty.text
    assert "Offline" in window.status.network_text
    window.set_view("my")
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)
    assert window.local_model.rowCount() == 6


def test_unreachable_hub_reads_as_offline(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                          make_window: Any) -> None:
    url = hubsim.url
    hubsim.stop()  # nothing listens on that port any more
    window = make_window(hub_endpoint=url)
    window.set_view("hub")
    qtbot.waitUntil(lambda: window.controller.hub_state == "offline", timeout=10_000)
    assert "You're offline" in window.hub_empty.text


def test_rate_limit_storm_shows_a_countdown(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                            make_window: Any) -> None:
    hubsim.faults.add(Fault("rate_limit", path=r"/resolve/", count=None, seconds=40))
    window = hub_window(make_window, hubsim)
    window.set_view("hub")
    wait_results(qtbot, window)
    qtbot.waitUntil(lambda: "Rate limited — resuming in" in window.status.network_text, timeout=10_000)
    seconds = int(window.status.network_text.rsplit("in ", 1)[1].split()[0])
    assert 30 <= seconds <= 45  # the limiter adds a little margin to the server's reset
    # Cards stay pending (not failed): they are fetched once the window reopens.
    assert all(window.hub_model.entry_at(r).config_status is ConfigStatus.PENDING
               for r in range(window.hub_model.rowCount()))


def test_search_error_is_explained(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                   make_window: Any) -> None:
    hubsim.faults.add(Fault("invalid_json", path=r"^/api/models$", count=1))
    window = hub_window(make_window, hubsim)
    window.set_view("hub")
    qtbot.waitUntil(lambda: window.controller.hub_state == "error", timeout=10_000)
    assert "not valid JSON" in window.hub_empty.text
    window.hub_empty.button.click()  # "Try again"
    qtbot.waitUntil(lambda: window.controller.hub_state == "ready", timeout=10_000)
    assert not window.hub_empty.isVisible()
    wait_configs(qtbot, window)


def test_hub_services_are_closed_on_shutdown(qtbot: QtBot, hf_cache: CacheBuilder, hubsim: HubSim,
                                             make_window: Any) -> None:
    from tests.ui.conftest import run

    window = hub_window(make_window, hubsim)
    window.set_view("hub")
    wait_results(qtbot, window)
    client = window.controller.client
    store = window.controller.store
    run(qtbot, window.aclose())
    assert client is not None and client._client.is_closed
    assert store is not None and store._conn is None
    assert window.controller.fetcher is None
