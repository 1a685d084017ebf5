"""Request concurrency changed while the fetcher runs (Preferences): more requests at once at once, fewer
after the current fetches finish, none cut off, nothing left behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.config_fetcher import ConfigFetcher, FetcherStatus, FetchResult
from app.services.config_store import ConfigStore
from app.services.hub_client import HubClient
from tests.hubsim import HubSim, SimModel


@pytest.fixture
def sim() -> Iterator[HubSim]:
    with HubSim(corpus=False) as hub:
        for i in range(30):
            hub.add_model(SimModel(id=f"org/m{i}", files={"config.json": json.dumps({"model_type": "llama"}).encode()},
                                   tags=("mlx",)))
        hub.faults.latency = 0.15  # each fetch takes a while, so several overlap
        yield hub


def test_concurrency_follows_the_preference_while_running(sim: HubSim, tmp_path: Path) -> None:
    peaks: list[int] = []
    results: dict[str, FetchResult] = {}

    async def main() -> None:
        landed = asyncio.Event()
        wanted = 0

        def status(s: FetcherStatus) -> None:
            peaks.append(s.in_flight)

        def result(repo_id: str, r: FetchResult) -> None:
            results[repo_id] = r
            if len(results) >= wanted:
                landed.set()

        async def until(n: int) -> None:
            nonlocal wanted
            wanted = n
            landed.clear()
            if len(results) < n:
                await landed.wait()

        with ConfigStore(tmp_path / "s.sqlite3") as store:
            async with HubClient(sim.url, token=False) as client:
                fetcher = ConfigFetcher(client, store, result, concurrency=1,
                                        on_status=status)
                await fetcher.start()
                try:
                    fetcher.request([f"org/m{i}" for i in range(12)])
                    await until(2)
                    assert max(peaks) == 1
                    peaks.clear()
                    fetcher.set_concurrency(4)
                    await until(8)
                    assert max(peaks) == 4, peaks
                    peaks.clear()
                    fetcher.set_concurrency(2)
                    fetcher.request([f"org/m{i}" for i in range(12, 30)])
                    await fetcher.wait_idle()
                    # The fetches under way finish; once down to two, no third one ever starts.
                    down = next(n for n, p in enumerate(peaks) if p <= 2)
                    assert max(peaks[down:]) == 2, peaks
                finally:
                    await fetcher.stop()
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not leftover, leftover

    asyncio.run(main())
    assert len(results) == 30 and all(r.ok for r in results.values()), "none was cut off"
