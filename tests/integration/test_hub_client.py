"""The Hub client against the simulator: search pages, config outcomes, the token's reach, failures."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import httpx
import pytest

from app.core.model_entry import Source, Tier
from app.services.hub_client import (
    ConfigOk,
    Failed,
    Gated,
    HubClient,
    HubError,
    NoConfig,
    NotFound,
    NotModified,
    Offline,
    RateLimited,
    describe,
)
from app.services.rate_limit import RateLimiter
from tests.hubsim import Fault, HubSim, SimModel

T = TypeVar("T")

QWEN_CONFIG = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896, "num_hidden_layers": 24,
    "num_attention_heads": 14, "num_key_value_heads": 2, "max_position_embeddings": 32768,
    "vocab_size": 151936, "quantization": {"group_size": 64, "bits": 4},
    "quantization_config": {"group_size": 64, "bits": 4},
}


def config_bytes(config: dict[str, object] | None = None) -> bytes:
    return json.dumps(config or QWEN_CONFIG).encode()


def add(sim: HubSim, model_id: str, **kwargs: object) -> SimModel:
    kwargs.setdefault("files", {"config.json": config_bytes()})
    kwargs.setdefault("tags", ("mlx", "safetensors"))
    return sim.add_model(SimModel(id=model_id, **kwargs))  # type: ignore[arg-type]


def run(factory: Callable[[HubClient], Awaitable[T]], sim: HubSim, **kwargs: object) -> T:
    async def main() -> T:
        async with HubClient(sim.url, **kwargs) as client:  # type: ignore[arg-type]
            return await factory(client)

    return asyncio.run(main())


@pytest.fixture
def sim() -> Iterator[HubSim]:
    with HubSim(corpus=False) as hub:
        yield hub


# --- search ---------------------------------------------------------------------------------------

def test_search_sends_the_hub_parameters_and_builds_listing_entries(sim: HubSim) -> None:
    add(sim, "mlx-community/Qwen2.5-0.5B-Instruct-4bit", downloads=500, likes=3,
        safetensors={"parameters": {"BF16": 50_000_000, "U32": 56_000_000}, "total": 106_000_000})
    add(sim, "mlx-community/other-model", downloads=10, library_name="gguf", tags=("gguf",))
    page = run(lambda c: c.search("qwen", sort="trending", limit=10), sim)
    assert [e.id for e in page.entries] == ["mlx-community/Qwen2.5-0.5B-Instruct-4bit"]
    entry = page.entries[0]
    assert entry.source is Source.HUB and entry.downloads == 500
    assert entry.characteristics is not None
    assert entry.characteristics.architecture_family == "Qwen"
    assert entry.tier_of("architecture_family") is Tier.LISTING
    assert entry.characteristics.parameter_count_estimate is not None
    assert entry.characteristics.parameter_count_estimate > 400_000_000  # unpacked, not the raw 106M
    (request,) = sim.requests(r"^/api/models$")
    assert request.query["filter"] == ["mlx"]
    assert request.query["sort"] == ["trendingScore"]
    assert request.query["search"] == ["qwen"]
    assert {"config", "safetensors", "downloads", "gated", "lastModified"} <= set(request.query["expand"])


def test_pages_follow_the_absolute_next_link(sim: HubSim) -> None:
    for i in range(7):
        add(sim, f"org/model-{i}", downloads=100 - i)
    sim.page_size = 3  # the server returns fewer than asked

    async def all_pages(client: HubClient) -> list[list[str]]:
        pages = []
        cursor = None
        while True:
            page = await client.search(limit=5, cursor=cursor, author="org")
            pages.append([e.id for e in page.entries])
            cursor = page.next_cursor
            if cursor is None:
                return pages

    pages = run(all_pages, sim)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == [f"org/model-{i}" for i in range(7)]
    later = sim.requests(r"^/api/models$")[1]
    assert "cursor" in later.query


def test_search_failures_are_hub_errors(sim: HubSim) -> None:
    sim.faults.add(Fault("status", path=r"^/api/models$", status=503))
    with pytest.raises(HubError) as caught:
        run(lambda c: c.search("x"), sim)
    assert isinstance(caught.value.outcome, Failed) and caught.value.outcome.retryable


# --- config.json ----------------------------------------------------------------------------------

def test_config_ok_then_not_modified_with_the_etag(sim: HubSim) -> None:
    model = add(sim, "org/m")

    async def twice(client: HubClient) -> tuple[object, object]:
        first = await client.fetch_config("org/m")
        assert isinstance(first, ConfigOk)
        return first, await client.fetch_config("org/m", etag=first.etag)

    first, second = run(twice, sim)
    assert isinstance(first, ConfigOk)
    assert first.config["max_position_embeddings"] == 32768
    assert first.commit == model.commit
    assert isinstance(second, NotModified)
    assert sim.requests(r"/resolve/")[-1].headers.get("if-none-match") == first.etag


def test_non_strict_json_is_accepted(sim: HubSim) -> None:
    add(sim, "org/m", files={"config.json": b'{"model_type": "llama", "rope_theta": Infinity}'})
    outcome = run(lambda c: c.fetch_config("org/m"), sim)
    assert isinstance(outcome, ConfigOk) and outcome.config["rope_theta"] == float("inf")


def test_missing_repo_file_and_revision(sim: HubSim) -> None:
    add(sim, "org/gguf-only", files={"model.gguf": b"GGUF" + b"\0" * 64})
    assert isinstance(run(lambda c: c.fetch_config("org/nothing"), sim), NotFound)
    no_config = run(lambda c: c.fetch_config("org/gguf-only"), sim)
    assert isinstance(no_config, NoConfig)
    assert "config.json" in describe(no_config)


def test_gated_without_token_not_approved_and_approved(sim: HubSim) -> None:
    approved, other = "hf_approvedtoken0000", "hf_othertoken000000"
    sim.tokens.update({approved: "alice", other: "bob"})
    add(sim, "org/gated", gated="manual", approved_tokens=frozenset({approved}))

    anonymous = run(lambda c: c.fetch_config("org/gated"), sim, token=False)
    assert anonymous == Gated("no_token", f"{sim.url}/org/gated")
    assert "log in" in describe(anonymous)
    refused = run(lambda c: c.fetch_config("org/gated"), sim, token=other)
    assert refused == Gated("not_approved", f"{sim.url}/org/gated")
    assert "request access" in describe(refused)
    assert isinstance(run(lambda c: c.fetch_config("org/gated"), sim, token=approved), ConfigOk)


def test_token_goes_to_the_hub_only_never_to_the_cdn(sim: HubSim) -> None:
    token = "hf_secrettoken00000"
    sim.tokens[token] = "alice"
    # Larger than the simulator's LFS threshold, so the Hub redirects it to the CDN origin.
    big = json.dumps({**QWEN_CONFIG, "padding": " " * 1_200_000}).encode()
    add(sim, "org/big", files={"config.json": big})

    async def fetch(client: HubClient) -> object:
        return await client.fetch_config("org/big")

    outcome = run(fetch, sim, token=token)
    assert isinstance(outcome, ConfigOk)
    hub = sim.requests(r"/resolve/", origin="hub")
    cdn = sim.requests(None, origin="cdn")
    assert hub and cdn, "the file came through the CDN redirect"
    assert all(r.headers.get("authorization") == f"Bearer {token}" for r in hub)
    assert all("authorization" not in r.headers for r in cdn)

    client = HubClient(sim.url, token=token)
    try:
        assert token not in repr(client) and "token=set" in repr(client)
    finally:
        asyncio.run(client.aclose())


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (Fault("status", status=503), lambda o: isinstance(o, Failed) and o.retryable and "503" in o.reason),
        (Fault("truncate"), lambda o: isinstance(o, Failed) and o.retryable),
        (Fault("reset"), lambda o: isinstance(o, Failed) and o.retryable),
        (Fault("oversize"), lambda o: isinstance(o, Failed) and not o.retryable and "MiB" in o.reason),
        (Fault("invalid_json"), lambda o: isinstance(o, Failed) and "JSON" in o.reason),
        (Fault("timeout", seconds=3.0),
         lambda o: isinstance(o, Failed) and o.retryable and "timed out" in o.reason),
        (Fault("rate_limit", seconds=42), lambda o: isinstance(o, RateLimited) and 42 <= o.retry_after < 45),
    ],
    ids=["503", "truncate", "reset", "oversize", "invalid_json", "timeout", "rate_limit"],
)
def test_faults_become_outcomes(sim: HubSim, fault: Fault, check: Callable[[object], bool]) -> None:
    add(sim, "org/m")
    fault.path = r"/resolve/"
    fault.count = 1
    sim.faults.add(fault)
    timeout = httpx.Timeout(0.5, connect=2.0)
    outcome = run(lambda c: c.fetch_config("org/m"), sim, timeout=timeout)
    assert check(outcome), outcome


def test_rate_limit_headers_feed_the_limiter(sim: HubSim) -> None:
    add(sim, "org/m")
    sim.set_budget("resolvers", quota=20, window=2.0)
    sim.resolve_cache = "never"  # one resolver request per config
    # The server's window stands still, so the three requests share it however slow the machine; the
    # client's time moves only when its limiter waits (its pacing), never with the wall clock.
    sim.limiter.clock = lambda: 1_000.0
    now = [5_000.0]

    async def pace(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    async def fetch(client: HubClient) -> tuple[int, float]:
        for _ in range(3):
            await client.fetch_config("org/m")
        return client.limiter.budget_left("resolvers")

    remaining, reset_in = run(fetch, sim, limiter=RateLimiter(clock=lambda: now[0], sleep=pace))
    assert remaining == 17  # the server's count, not our 3000-request assumption
    assert 0 < reset_in <= 2.2
    assert not [r for r in sim.log if r.status == 429]


def test_offline_mode_touches_no_network(sim: HubSim, monkeypatch: pytest.MonkeyPatch) -> None:
    add(sim, "org/m")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert isinstance(run(lambda c: c.fetch_config("org/m"), sim), Offline)
    with pytest.raises(HubError) as caught:
        run(lambda c: c.search("x"), sim)
    assert isinstance(caught.value.outcome, Offline)
    assert sim.log == []


def test_connection_refused_is_offline_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main() -> object:
        # A long connect timeout: the answer must come from the refusal itself, not from waiting it out.
        async with HubClient(f"http://127.0.0.1:{port}", timeout=httpx.Timeout(60.0)) as client:
            return await client.fetch_config("org/m")

    outcome = asyncio.run(main())
    assert isinstance(outcome, Offline)
    assert outcome.reason == "cannot reach 127.0.0.1"  # refused, not "connection timed out"


def test_endpoint_comes_from_hf_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9/")

    async def main() -> str:
        async with HubClient() as client:
            return client.endpoint

    assert asyncio.run(main()) == "http://127.0.0.1:9"


@pytest.mark.parametrize("value", ["notaurl", "ftp://hub.example", "http://:80"])
def test_an_endpoint_that_is_not_a_url_is_a_setup_error_in_words(monkeypatch: pytest.MonkeyPatch,
                                                                 value: str) -> None:
    monkeypatch.setenv("HF_ENDPOINT", value)

    async def main() -> tuple[object, HubError]:
        async with HubClient() as client:
            outcome = await client.fetch_config("org/m")
            with pytest.raises(HubError) as caught:
                await client.search("x")
            return outcome, caught.value

    outcome, error = asyncio.run(main())
    assert isinstance(outcome, Failed) and not outcome.retryable
    assert outcome.reason.startswith(f"HF_ENDPOINT={value!r} is not an http(s) address")
    assert str(error) == outcome.reason


def test_a_next_link_to_another_host_is_not_followed() -> None:
    # One untrusted-input branch the simulator cannot produce: a Link header pointing off the Hub.
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "hub.test"
        return httpx.Response(200, json=[{"id": "org/a"}],
                              headers={"link": '<https://evil.test/api/models?cursor=x>; rel="next"'})

    async def main() -> tuple[object, str]:
        async with HubClient("https://hub.test", token=False,
                             transport=httpx.MockTransport(handler)) as client:
            page = await client.search("a")
            try:
                await client.search(cursor="https://evil.test/api/models?cursor=x")
            except HubError as exc:
                return page.next_cursor, str(exc)
            return page.next_cursor, ""

    next_cursor, error = asyncio.run(main())
    assert next_cursor is None
    assert "away from the Hub" in error
