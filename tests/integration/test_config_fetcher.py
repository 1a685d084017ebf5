"""The lazy fetcher against the simulator: screen order, store first, dedupe, retries, offline, stop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from app.services.config_fetcher import ConfigFetcher, FetcherStatus, FetchResult
from app.services.config_store import ConfigStore, StoredKind
from app.services.hub_client import HubClient
from tests.hubsim import Fault, HubSim, SimModel


def config(n: int) -> dict[str, object]:
    return {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64 * (n + 1),
            "num_hidden_layers": 2 + n, "num_attention_heads": 4, "max_position_embeddings": 1024 * (n + 1),
            "vocab_size": 1000}


@pytest.fixture
def sim() -> Iterator[HubSim]:
    with HubSim(corpus=False) as hub:
        for i in range(40):
            hub.add_model(SimModel(id=f"org/m{i}", files={"config.json": json.dumps(config(i)).encode()},
                                   tags=("mlx",)))
        yield hub


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConfigStore]:
    with ConfigStore(tmp_path / "store.sqlite3") as s:
        yield s


class Recorder:
    def __init__(self) -> None:
        self.results: dict[str, FetchResult] = {}
        self.order: list[str] = []
        self.history: list[FetchResult] = []
        self.statuses: list[FetcherStatus] = []
        self.on_delivery: Callable[[str], None] | None = None

    def __call__(self, repo_id: str, result: FetchResult) -> None:
        self.results[repo_id] = result
        self.order.append(repo_id)
        self.history.append(result)
        if self.on_delivery is not None:
            self.on_delivery(repo_id)


def run_with(sim: HubSim, store: ConfigStore, body: Callable[[ConfigFetcher, Recorder], Awaitable[None]],
             **kwargs: object) -> Recorder:
    recorder = Recorder()

    async def main() -> None:
        async with HubClient(sim.url, token=False) as client:
            fetcher = ConfigFetcher(client, store, recorder, on_status=recorder.statuses.append,
                                    **kwargs)  # type: ignore[arg-type]
            await fetcher.start()
            try:
                await body(fetcher, recorder)
            finally:
                await fetcher.stop()
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not leftover, f"tasks left running after stop(): {leftover}"

    asyncio.run(main())
    return recorder


def fetched_ids(sim: HubSim) -> list[str]:
    return ["/".join(r.path.split("/")[1:3]) for r in sim.requests(r"/resolve/main/config\.json$")]


def test_visible_rows_are_fetched_in_screen_order(sim: HubSim, store: ConfigStore) -> None:
    visible = [f"org/m{i}" for i in (5, 3, 9, 1)]

    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        fetcher.set_visible(visible)
        await fetcher.wait_idle()

    rec = run_with(sim, store, body, concurrency=1)
    assert fetched_ids(sim) == visible
    assert all(rec.results[i].ok for i in visible)
    c = rec.results["org/m9"].characteristics
    assert c is not None and c.max_position_embeddings == 1024 * 10 and c.num_hidden_layers == 11
    assert (store.get("org/m9") or pytest.fail("stored")).kind is StoredKind.OK


def test_store_hits_are_served_without_network_and_never_inside_set_visible(sim: HubSim,
                                                                            store: ConfigStore) -> None:
    for i in range(3):
        store.put(f"org/m{i}", StoredKind.OK, config=config(i), etag='"x"')
    seen_inside_call: list[str] = []

    async def body(fetcher: ConfigFetcher, rec: Recorder) -> None:
        fetcher.set_visible(["org/m0", "org/m1", "org/m2", "org/m3"])
        # The caller (a Qt model, in the window) is never re-entered from inside its own call.
        seen_inside_call.extend(rec.order)
        await fetcher.wait_idle()

    rec = run_with(sim, store, body)
    assert seen_inside_call == []
    assert all(rec.results[f"org/m{i}"].source == "store" for i in range(3))
    assert rec.order[:3] == ["org/m0", "org/m1", "org/m2"]
    assert fetched_ids(sim) == ["org/m3"]


def test_repeated_scroll_events_do_not_duplicate_requests(sim: HubSim, store: ConfigStore) -> None:
    sim.faults.latency = 0.05
    ids = [f"org/m{i}" for i in range(8)]

    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        for _ in range(20):
            fetcher.set_visible(ids)
            await asyncio.sleep(0)
        fetcher.request(ids)
        await fetcher.wait_idle()
        fetcher.set_visible(ids)  # all known now: nothing more to fetch
        await fetcher.wait_idle()

    run_with(sim, store, body)
    assert sorted(fetched_ids(sim)) == sorted(ids)


def test_rows_scrolled_away_before_starting_are_not_fetched(sim: HubSim, store: ConfigStore) -> None:
    sim.faults.latency = 0.1
    first = [f"org/m{i}" for i in range(0, 12)]
    second = [f"org/m{i}" for i in range(20, 32)]

    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        fetcher.set_visible(first)
        await asyncio.sleep(0.02)  # the first two requests are on the wire
        fetcher.set_visible(second)
        await fetcher.wait_idle()

    run_with(sim, store, body, concurrency=2, prefetch_margin=0)
    fetched = fetched_ids(sim)
    assert set(second) <= set(fetched)
    assert len(set(fetched) & set(first)) <= 2


def test_prefetch_margin_is_capped(sim: HubSim, store: ConfigStore) -> None:
    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        fetcher.set_visible(["org/m0", "org/m1"], ahead=[f"org/m{i}" for i in range(2, 30)])
        await fetcher.wait_idle()

    run_with(sim, store, body, prefetch_margin=5)
    assert sorted(fetched_ids(sim)) == sorted(f"org/m{i}" for i in range(7))


def test_server_errors_are_retried_then_reported(sim: HubSim, store: ConfigStore) -> None:
    sim.faults.add(Fault("status", path=r"/org/m1/resolve/", status=503, count=2))
    sim.faults.add(Fault("status", path=r"/org/m2/resolve/", status=502, count=None))  # forever

    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        fetcher.request(["org/m1", "org/m2"])
        await fetcher.wait_idle()

    rec = run_with(sim, store, body, retry_base=0.01)
    assert rec.results["org/m1"].ok
    failed = rec.results["org/m2"]
    assert failed.kind == "failed" and failed.retryable and "502" in (failed.error or "")
    assert fetched_ids(sim).count("org/m2") == 3
    assert store.get("org/m2") is None  # a transient failure is not remembered across launches


def test_gated_and_missing_configs_in_words(sim: HubSim, store: ConfigStore) -> None:
    sim.add_model(SimModel(id="org/gated", files={"config.json": b"{}"}, gated="auto"))
    sim.add_model(SimModel(id="org/gguf", files={"model.gguf": b"GGUF"}))

    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        fetcher.request(["org/gated", "org/gguf", "org/absent"])
        await fetcher.wait_idle()

    rec = run_with(sim, store, body)
    gated = rec.results["org/gated"]
    assert gated.kind == "gated" and gated.gated_kind == "no_token"
    assert gated.url == f"{sim.url}/org/gated" and gated.url in (gated.error or "")
    assert rec.results["org/gguf"].kind == "no_config"
    assert rec.results["org/absent"].kind == "not_found"
    assert (store.get("org/gguf") or pytest.fail("stored")).kind is StoredKind.NO_CONFIG


def test_offline_pauses_and_the_store_still_answers(sim: HubSim, store: ConfigStore,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store.put("org/m0", StoredKind.OK, config=config(0))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    async def body(fetcher: ConfigFetcher, rec: Recorder) -> None:
        fetcher.set_visible(["org/m0", "org/m1", "org/m2"])
        await fetcher.wait_idle()
        assert fetcher.status.state == "offline"
        assert fetcher.status.queued == 2
        assert rec.results["org/m0"].ok  # from the store
        monkeypatch.delenv("HF_HUB_OFFLINE")
        fetcher.resume()
        await fetcher.wait_idle()

    rec = run_with(sim, store, body)
    assert rec.results["org/m1"].ok and rec.results["org/m2"].ok
    assert any(s.state == "offline" for s in rec.statuses)
    assert rec.statuses[-1].state == "online"


def test_stale_entries_are_shown_then_revalidated_with_the_etag(sim: HubSim, tmp_path: Path) -> None:
    clock = [1_000_000.0]
    with ConfigStore(tmp_path / "s.db", ok_ttl=10, clock=lambda: clock[0]) as store:
        async def first(fetcher: ConfigFetcher, _: Recorder) -> None:
            fetcher.set_visible(["org/m0"])
            await fetcher.wait_idle()

        run_with(sim, store, first)
        etag = (store.get("org/m0") or pytest.fail("stored")).etag
        clock[0] += 60
        sim.clear_log()

        async def second(fetcher: ConfigFetcher, rec: Recorder) -> None:
            fetcher.set_visible(["org/m0"])
            await fetcher.wait_idle()

        rec = run_with(sim, store, second)
        (request,) = sim.requests(r"/resolve/")
        assert request.headers.get("if-none-match") == etag and request.status == 304
        # Shown from the store first (flagged stale), then confirmed by the Hub.
        assert [r.stale for r in rec.history] == [True, False]
        assert not rec.results["org/m0"].stale
        assert not (store.get("org/m0") or pytest.fail("stored")).stale


def test_rate_limited_status_is_reported(sim: HubSim, store: ConfigStore) -> None:
    sim.faults.add(Fault("rate_limit", path=r"/resolve/", count=1, seconds=1))

    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        fetcher.request(["org/m0"])
        await fetcher.wait_idle()

    rec = run_with(sim, store, body)
    assert rec.results["org/m0"].ok  # waited out the reset, then fetched
    limited = [s for s in rec.statuses if s.state == "rate_limited"]
    assert limited and "resuming in" in limited[0].message
    assert len(fetched_ids(sim)) == 2


def test_stop_cancels_requests_in_flight(sim: HubSim, store: ConfigStore) -> None:
    sim.faults.add(Fault("timeout", path=r"/resolve/", seconds=5.0, count=None))

    async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
        fetcher.request([f"org/m{i}" for i in range(6)])
        while fetcher.status.in_flight < 4:
            await asyncio.sleep(0.01)

    rec = run_with(sim, store, body)  # run_with asserts no task is left after stop()
    assert rec.results == {}


def test_not_modified_for_a_vanished_entry_fetches_the_file(sim: HubSim, tmp_path: Path) -> None:
    clock = [1_000_000.0]
    with ConfigStore(tmp_path / "s.db", ok_ttl=10, clock=lambda: clock[0]) as store:
        async def first(fetcher: ConfigFetcher, _: Recorder) -> None:
            fetcher.request(["org/m3"])
            await fetcher.wait_idle()

        run_with(sim, store, first)
        clock[0] += 60  # stale: revalidated with its ETag

        def rebuilt(repo_id: str) -> None:  # e.g. the store was rebuilt once the stale entry was read
            store._run(lambda conn: conn.execute("DELETE FROM configs WHERE repo_id = ?", (repo_id,)))

        async def second(fetcher: ConfigFetcher, rec: Recorder) -> None:
            rec.on_delivery = rebuilt
            fetcher.set_visible(["org/m3"])
            await fetcher.wait_idle()

        rec = run_with(sim, store, second)
        statuses = [r.status for r in sim.requests(r"/org/m3/resolve/")]
        assert statuses[-2] == 304 and statuses[-1] in (200, 307)
        assert rec.results["org/m3"].ok and not rec.results["org/m3"].stale
        assert (store.get("org/m3") or pytest.fail("stored again")).kind is StoredKind.OK


def test_a_transient_failure_is_retried_when_shown_again_later(sim: HubSim, store: ConfigStore) -> None:
    sim.faults.add(Fault("status", path=r"/org/m4/resolve/", status=500, count=3))
    now = [0.0]  # the fetcher's clock, moved by hand: no wall-clock margin to miss on a busy machine

    async def body(fetcher: ConfigFetcher, rec: Recorder) -> None:
        fetcher.set_visible(["org/m4"])
        await fetcher.wait_idle()
        assert rec.results["org/m4"].kind == "failed"
        now[0] += 60  # still within failure_ttl
        fetcher.set_visible(["org/m4", "org/m5"])  # still on screen, too soon: no new request
        await fetcher.wait_idle()
        assert fetched_ids(sim).count("org/m4") == 3
        now[0] += 61  # past failure_ttl
        fetcher.set_visible([])
        fetcher.set_visible(["org/m4"])  # shown again a while later
        await fetcher.wait_idle()

    rec = run_with(sim, store, body, retry_base=0.01, failure_ttl=120.0, clock=lambda: now[0])
    assert rec.results["org/m4"].ok
    assert fetched_ids(sim).count("org/m4") == 4


def test_a_locked_store_never_stalls_the_loop_and_the_network_still_answers(sim: HubSim, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "locked.sqlite3"
    with ConfigStore(path, busy_timeout=2.0) as store:
        store.put("org/m0", StoredKind.OK, config=config(0))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write: our writes wait
        gaps: list[float] = []

        async def body(fetcher: ConfigFetcher, _: Recorder) -> None:
            loop = asyncio.get_running_loop()
            ticking = True

            async def ticker() -> None:
                last = loop.time()
                while ticking:
                    await asyncio.sleep(0.02)
                    now = loop.time()
                    gaps.append(now - last)
                    last = now

            tick = asyncio.create_task(ticker())
            fetcher.set_visible(["org/m0", "org/m1", "org/m2"])
            await fetcher.wait_idle()
            ticking = False
            await tick

        try:
            rec = run_with(sim, store, body, store_timeout=0.3)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    # Every card got its config (the store could still be read, WAL lets readers in) although nothing
    # could be written...
    assert all(rec.results[f"org/m{i}"].ok for i in range(3))
    assert sorted(fetched_ids(sim)) == ["org/m1", "org/m2"]
    assert store.get("org/m1") is None
    # ...and the loop kept turning while the writes waited on the lock.
    assert gaps and max(gaps) < 1.0
