"""Hub benchmarks against the simulator (a plain script: `python tests/benchmarks/bench_hub.py`).

Prints `BENCH name value` lines. The simulator charges what HTTPS charges: 100 ms per request, and a new
connection's first answer waits two more round trips (TCP + TLS 1.3) from when it was opened.
- hub_visible_badges_rtt: from a search submitted to every row of a 12-row viewport having its config-tier
  characteristics, in round trips (elapsed / 0.1 s). The person typed the query first (the 300 ms search
  debounce), and the client opened its connections then. Target <= 3: the search, the config request and
  the Hub's same-host 307 hop, one round trip each.
- hub_connections_per_search: new connections the Hub accepted from the first keystroke to that screen.
- hub_offscreen_config_requests: config requests for ids never on screen, beyond a one-screen prefetch
  margin, while flinging through 240 results two screens at a time. Target 0.
- hub_relaunch_config_requests: a second run (new client and fetcher) over the same store. Target 0.
- hub_429_count / hub_429_time_ratio: 500 configs with the resolvers budget scaled from 3000 per 300 s to
  100 per 10 s; 429s seen (target 0) and elapsed / the time the budget allows (500 / 100 x 10 s = 50 s;
  target <= 1.2).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.pop("HF_TOKEN", None)
os.environ.pop("HUGGING_FACE_HUB_TOKEN", None)
os.environ.pop("HF_HUB_OFFLINE", None)

from app.services.config_fetcher import ConfigFetcher, FetchResult  # noqa: E402
from app.services.config_store import ConfigStore  # noqa: E402
from app.services.hub_client import HubClient  # noqa: E402
from tests.hubsim import HubSim, SimModel  # noqa: E402

LATENCY = 0.1
HANDSHAKE = 2 * LATENCY  # TCP, then TLS 1.3, before a new connection's first answer
TYPING = 0.3  # app.ui.toolbar.SEARCH_DEBOUNCE_MS: the search goes out this long after the last keystroke
SCREEN = 12
N_RESULTS = 240


def bench(name: str, value: float | int, note: str = "") -> None:
    text = f"{value:.2f}" if isinstance(value, float) else str(value)
    print(f"BENCH {name} {text}" + (f"  # {note}" if note else ""), flush=True)


def add_models(sim: HubSim, prefix: str, n: int) -> list[str]:
    ids = []
    for i in range(n):
        config = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 896,
                  "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
                  "max_position_embeddings": 32768 + i, "vocab_size": 151936,
                  "quantization": {"group_size": 64, "bits": 4}}
        model_id = f"{prefix}/Qwen2.5-{i:04d}-4bit"
        sim.add_model(SimModel(id=model_id, files={"config.json": json.dumps(config).encode()},
                               tags=("mlx", "qwen2"), downloads=100_000 - i))
        ids.append(model_id)
    return ids


def config_requests(sim: HubSim) -> list[str]:
    requests = sim.requests(r"/resolve/main/config\.json$", origin="hub")
    return ["/".join(r.path.split("/")[1:3]) for r in requests]


async def browse(sim: HubSim, store: ConfigStore, author: str) -> tuple[float, set[str]]:
    """Search, wait for the first screen's configs, then scroll through every result."""
    done = asyncio.Event()
    results: dict[str, FetchResult] = {}
    first_screen: list[str] = []

    def on_result(repo_id: str, result: FetchResult) -> None:
        results[repo_id] = result
        if first_screen and all(i in results for i in first_screen):
            done.set()

    visible: set[str] = set()
    async with HubClient(sim.url, token=False) as client:
        fetcher = ConfigFetcher(client, store, on_result)
        await fetcher.start()
        try:
            await client.warm_up()  # the person typing the query
            await asyncio.sleep(TYPING)
            start = time.monotonic()
            ids: list[str] = []
            cursor = None
            page = await client.search(author=author, limit=50)
            ids += [e.id for e in page.entries]
            first_screen.extend(ids[:SCREEN])
            visible.update(first_screen)
            fetcher.set_visible(first_screen, ahead=ids[SCREEN:])
            if all(i in results for i in first_screen):
                done.set()
            await done.wait()
            elapsed = time.monotonic() - start
            # The rest of the listing, then a fling: two screens every 40 ms, so half the rows are never
            # on screen, each stop shorter than a round trip; the last stop is where the user rests.
            cursor = page.next_cursor
            while cursor is not None and len(ids) < N_RESULTS:
                page = await client.search(cursor=cursor)
                ids += [e.id for e in page.entries]
                cursor = page.next_cursor
            top = 0
            while top + SCREEN < len(ids):
                top += 2 * SCREEN
                window = ids[top:top + SCREEN]
                visible.update(window)
                fetcher.set_visible(window, ahead=ids[top + SCREEN:])
                await asyncio.sleep(0.04)
            await fetcher.wait_idle()
        finally:
            await fetcher.stop()
    return elapsed, visible


async def relaunch(sim: HubSim, store: ConfigStore, author: str, known: list[str]) -> int:
    """A new launch: the same search, then every model whose config the first run fetched, on screen."""
    served: set[str] = set()
    async with HubClient(sim.url, token=False) as client:
        fetcher = ConfigFetcher(client, store, lambda i, r: served.add(i))
        await fetcher.start()
        try:
            page = await client.search(author=author, limit=50)
            ids = [e.id for e in page.entries]
            fetcher.set_visible(ids[:SCREEN], ahead=ids[SCREEN:])
            for top in range(0, len(known), SCREEN):
                fetcher.set_visible(known[top:top + SCREEN])
                await asyncio.sleep(0)
            await fetcher.wait_idle()
        finally:
            await fetcher.stop()
    return len(served & set(known))


async def visible_and_relaunch(tmp: Path) -> None:
    with HubSim(corpus=False) as sim:
        add_models(sim, "bench", N_RESULTS)
        sim.faults.latency = LATENCY
        sim.faults.handshake = HANDSHAKE
        with ConfigStore(tmp / "browse.sqlite3") as store:
            elapsed, visible = await browse(sim, store, "bench")
            bench("hub_visible_badges_rtt_inprocess", elapsed / LATENCY,
                  f"info: the simulator in this process; {elapsed * 1000:.0f} ms at "
                  f"{LATENCY * 1000:.0f} ms/request; sim resolve_cache={sim.resolve_cache}")
            fetched = config_requests(sim)
            never_visible = [i for i in fetched if i not in visible]
            duplicates = len(never_visible) - len(set(never_visible))
            beyond_margin = max(0, len(set(never_visible)) - SCREEN) + duplicates
            bench("hub_offscreen_config_requests", beyond_margin,
                  f"{len(fetched)} config requests, {len(set(fetched))} ids, {len(visible)} ids shown, "
                  f"{len(never_visible)} never shown (margin {SCREEN})")
            sim.clear_log()
            shown = await relaunch(sim, store, "bench", sorted(set(fetched)))
            bench("hub_relaunch_config_requests", len(config_requests(sim)),
                  f"same store, new client and fetcher; {shown} ids shown again, all from the store")


async def first_screen(url: str, store_path: Path, warm: bool, concurrency: int = SCREEN,
                       http2: bool = False) -> float:
    """Seconds from a search submitted to the first screen's characteristics all being known. With `warm`
    the person types first and the client opens its connections meanwhile, as the window does."""
    results: set[str] = set()
    done = asyncio.Event()
    first: list[str] = []

    def on_result(repo_id: str, _: FetchResult) -> None:
        results.add(repo_id)
        if first and set(first) <= results:
            done.set()

    with ConfigStore(store_path) as store:
        async with HubClient(url, token=False, http2=http2) as client:
            fetcher = ConfigFetcher(client, store, on_result, concurrency=concurrency)
            await fetcher.start()
            warming = asyncio.create_task(client.warm_up(concurrency)) if warm else None
            try:
                if warming is not None:
                    await asyncio.sleep(TYPING)  # the person typing (the debounce after the last key)
                start = time.monotonic()
                page = await client.search(author="bench", limit=50)
                ids = [e.id for e in page.entries]
                first.extend(ids[:SCREEN])
                fetcher.set_visible(first, ahead=ids[SCREEN:])
                await done.wait()
                return time.monotonic() - start
            finally:
                if warming is not None:
                    await warming
                await fetcher.stop()


def _serve_elsewhere(conn: Connection, resolve_cache: str, handshake: float) -> None:
    with HubSim(corpus=False) as sim:
        add_models(sim, "bench", 60)
        sim.resolve_cache = resolve_cache
        sim.faults.latency = LATENCY
        sim.faults.handshake = handshake
        conn.send(sim.url)
        while conn.recv() == "connections":  # until the parent says stop
            conn.send(sim.connections("hub"))


def rtt_with_remote_hub(tmp: Path, resolve_cache: str, *, handshake: float = HANDSHAKE, warm: bool = True,
                        runs: int = 5, concurrency: int = SCREEN, http2: bool = False) -> tuple[float, float]:
    """Median first-screen time, and new connections per search, against a simulator in another process,
    as the real Hub is: an in-process simulator's threads would compete with the client for the
    interpreter lock and inflate the figure."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve_elsewhere,
                                                          args=(child, resolve_cache, handshake))
    server.start()
    times, connections = [], []
    try:
        url = parent.recv()
        for i in range(runs):
            parent.send("connections")
            before = parent.recv()
            store = tmp / f"remote-{resolve_cache}-{handshake}-{warm}-{concurrency}-{http2}-{i}.sqlite3"
            times.append(asyncio.run(first_screen(url, store, warm, concurrency, http2)))
            parent.send("connections")
            connections.append(parent.recv() - before)
    finally:
        parent.send("stop")
        server.join(10)
    spread = ", ".join(f"{t / LATENCY:.2f}" for t in times)
    print(f"# runs ({resolve_cache}, handshake {handshake * 1000:.0f} ms, warm={warm}, concurrency {concurrency}, "
          f"{'HTTP/2' if http2 else 'HTTP/1.1'}): "
          f"{spread} RTT; "
          f"connections {connections}", flush=True)
    return statistics.median(times), statistics.median(connections)


async def budget(tmp: Path) -> None:
    n, quota, window = 500, 100, 10.0
    with HubSim(corpus=False) as sim:
        ids = add_models(sim, "budget", n)
        sim.resolve_cache = "never"  # one resolver request per config, so the minimum is exact
        sim.set_budget("resolvers", quota=quota, window=window)
        results: dict[str, FetchResult] = {}
        with ConfigStore(tmp / "budget.sqlite3") as store:
            async with HubClient(sim.url, token=False) as client:
                fetcher = ConfigFetcher(client, store, lambda i, r: results.__setitem__(i, r))
                await fetcher.start()
                try:
                    start = time.monotonic()
                    fetcher.request(ids)
                    await fetcher.wait_idle()
                    elapsed = time.monotonic() - start
                finally:
                    await fetcher.stop()
        rejected = [r for r in sim.log if r.status == 429]
        ok = sum(1 for r in results.values() if r.ok)
        bench("hub_429_count", len(rejected), f"{ok}/{n} configs fetched")
        minimum = n / quota * window
        burst_minimum = (n // quota - 1) * window
        bench("hub_429_time_ratio", elapsed / minimum,
              f"{elapsed:.1f} s for {n} at {quota} per {window:.0f} s (minimum {minimum:.0f} s at the "
              f"budget's rate; {burst_minimum:.0f} s if every window were burst at its start)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        asyncio.run(visible_and_relaunch(Path(tmp)))
        elapsed, connections = rtt_with_remote_hub(Path(tmp), "some")
        bench("hub_visible_badges_rtt", elapsed / LATENCY,
              f"{elapsed * 1000:.0f} ms at {LATENCY * 1000:.0f} ms/request + {HANDSHAKE * 1000:.0f} ms per new "
              "connection, simulator in its own process, half the configs behind the Hub's same-host 307 (so 3 "
              "is the floor); connections opened while typing")
        bench("hub_connections_per_search", connections,
              "new connections from the first keystroke to the first screen (HTTP/1.1: one per concurrent fetch)")
        elapsed, connections = rtt_with_remote_hub(Path(tmp), "some", http2=True)
        bench("hub_visible_badges_rtt_http2", elapsed / LATENCY,
              "info: HTTP/2 (h2c to the simulator; ALPN on the real Hub), one connection opened while typing")
        bench("hub_connections_per_search_http2", connections, "info: every request of the screen on one connection")
        elapsed, connections = rtt_with_remote_hub(Path(tmp), "some", warm=False, runs=3)
        bench("hub_visible_badges_rtt_cold", elapsed / LATENCY,
              f"info: no connections opened ahead (every one pays its handshake); {connections:.0f} connections")
        elapsed, _ = rtt_with_remote_hub(Path(tmp), "some", handshake=0.0, warm=False, runs=3)
        bench("hub_visible_badges_rtt_free_connections", elapsed / LATENCY,
              "info: a simulator that charges nothing for new connections (the figure before the handshake knob)")
        elapsed, _ = rtt_with_remote_hub(Path(tmp), "never", runs=3)
        bench("hub_visible_badges_rtt_no_hop", elapsed / LATENCY, "info: configs served without the 307 hop")
        elapsed, _ = rtt_with_remote_hub(Path(tmp), "some", runs=3, concurrency=8)
        bench("hub_visible_badges_rtt_concurrency8", elapsed / LATENCY,
              "info: 8 configs at once (the app's default preference): a 12-card screen takes two rounds")
        asyncio.run(budget(Path(tmp)))


if __name__ == "__main__":
    main()
