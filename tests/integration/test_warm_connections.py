"""Connections opened while the person types: the search and its first screen of configs need no new ones.

Against the simulator (real sockets); connection counts are what the server accepted. One unit test of
the TLS branch uses httpcore's mock backend (the simulator speaks plain HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import pytest

from app.services.hub_client import ConfigOk, HubClient, Offline
from app.services.warm_connections import WarmBackend
from tests.hubsim import HubSim, SimModel

SCREEN = 12


@pytest.fixture
def sim() -> Iterator[HubSim]:
    with HubSim(corpus=False) as hub:
        hub.resolve_cache = "always"  # every config behind the Hub's same-host 307 hop
        for i in range(SCREEN + 4):
            config = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "max_position_embeddings": 1000 + i}
            hub.add_model(SimModel(id=f"org/model-{i:02d}", files={"config.json": json.dumps(config).encode()},
                                   tags=("mlx",), downloads=1000 - i))
        yield hub
    assert not hub.errors


async def first_screen(client: HubClient) -> list[object]:
    page = await client.search(author="org", limit=50)
    ids = [e.id for e in page.entries][:SCREEN]
    return list(await asyncio.gather(*(client.fetch_config(i) for i in ids)))


def test_warm_up_opens_connections_and_sends_nothing(sim: HubSim) -> None:
    async def main() -> int:
        async with HubClient(sim.url, token=False) as client:
            return await client.warm_up(4)

    assert asyncio.run(main()) == 4
    assert sim.wait_for_connections(4, "hub") == 4
    assert sim.log == []  # no request: nothing counts against the Hub's rate limits


def test_after_warm_up_a_search_and_a_screen_of_configs_open_no_connection(sim: HubSim) -> None:
    async def main() -> tuple[int, int, list[object]]:
        async with HubClient(sim.url, token=False) as client:
            ready = await client.warm_up()
            before = sim.wait_for_connections(SCREEN)
            return ready, before, await first_screen(client)

    ready, before, outcomes = asyncio.run(main())
    assert ready == before == SCREEN
    assert [type(o) for o in outcomes] == [ConfigOk] * SCREEN
    assert len(sim.requests(r"^/api/resolve-cache/")) == SCREEN  # the 307 hop was followed, not skipped
    assert sim.connections("hub") == before  # the ones opened ahead, and no more


def test_without_warm_up_the_screen_opens_its_connections_itself(sim: HubSim) -> None:
    async def main() -> list[object]:
        async with HubClient(sim.url, token=False) as client:
            assert sim.connections("hub") == 0
            return await first_screen(client)

    outcomes = asyncio.run(main())
    assert [type(o) for o in outcomes] == [ConfigOk] * SCREEN
    # Opened after the search was submitted, each paying its handshake on the way to the badges.
    assert sim.connections("hub") > SCREEN // 2


def test_warm_up_counts_what_is_already_open(sim: HubSim) -> None:
    async def main() -> tuple[int, int]:
        async with HubClient(sim.url, token=False) as client:
            await client.search(author="org")  # leaves one idle keep-alive connection
            first = await client.warm_up(3)
            again = await client.warm_up(3)  # the next keystroke: nothing more to open
            return first, again

    assert asyncio.run(main()) == (3, 3)
    assert sim.wait_for_connections(3, "hub") == 3


def test_connections_the_server_closed_meanwhile_are_not_used(sim: HubSim) -> None:
    async def main() -> object:
        async with HubClient(sim.url, token=False) as client:
            assert await client.warm_up(2) == 2
            sim.wait_for_connections(2)
            sim.drop_connections()  # the server closed them while the person was still typing
            return await client.fetch_config("org/model-00")

    assert isinstance(asyncio.run(main()), ConfigOk)
    assert sim.connections("hub") == 3  # the two dead ones were skipped for a new one


def test_idle_connections_the_server_closed_are_replaced(sim: HubSim) -> None:
    async def main() -> tuple[int, object]:
        async with HubClient(sim.url, token=False) as client:
            await asyncio.gather(*(client.fetch_config(f"org/model-{i:02d}") for i in range(3)))
            opened = sim.wait_for_connections(3)
            sim.drop_connections()  # idle keep-alives closed by the server while the person reads
            assert await client.warm_up(3) == 3
            sim.wait_for_connections(opened + 3)
            return opened, await client.fetch_config("org/model-05")

    opened, outcome = asyncio.run(main())
    assert opened == 3
    assert isinstance(outcome, ConfigOk)
    assert sim.connections("hub") == 6  # three new ones, opened ahead and then used


def test_offline_warm_up_opens_nothing(sim: HubSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    async def main() -> int:
        async with HubClient(sim.url, token=False) as client:
            return await client.warm_up()

    assert asyncio.run(main()) == 0
    assert sim.connections() == 0


def test_behind_a_proxy_there_is_no_warming(sim: HubSim, monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx only honours proxy settings for a client with its default transport: warming must not replace it.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")

    async def main() -> int:
        async with HubClient(sim.url, token=False) as client:
            return await client.warm_up()

    assert asyncio.run(main()) == 0
    assert sim.connections() == 0


def test_an_unreachable_hub_warms_nothing_and_fails_as_before() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there

    async def main() -> tuple[int, object]:
        async with HubClient(f"http://127.0.0.1:{port}", token=False) as client:
            return await client.warm_up(3), await client.fetch_config("org/model")

    ready, outcome = asyncio.run(main())
    assert ready == 0
    assert isinstance(outcome, Offline)


# --- TLS: the handshake done ahead is not done again (httpcore's mock backend: the simulator is plain HTTP) ---

class _CountingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, answers: list[bytes]) -> None:
        self.mock = httpcore.AsyncMockBackend(answers)
        self.connects = 0
        self.handshakes: list[str | None] = []
        self.closed = 0
        self.expect_closed = 1
        self.all_closed = asyncio.Event()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        self.connects += 1
        return _CountingStream(await self.mock.connect_tcp(host, port), self)


class _CountingStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream, backend: _CountingBackend) -> None:
        self.inner = inner
        self.backend = backend

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.inner.write(buffer, timeout)

    def get_extra_info(self, info: str) -> object:
        return False if info == "is_readable" else self.inner.get_extra_info(info)

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        self.backend.handshakes.append(server_hostname)
        return self

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.backend.closed += 1
        if self.backend.closed >= self.backend.expect_closed:
            self.backend.all_closed.set()


def test_an_https_connection_opened_ahead_is_not_handshaken_twice() -> None:
    answer = [b"HTTP/1.1 200 OK\r\n", b"Content-Length: 2\r\n", b"\r\n", b"{}"]
    counting = _CountingBackend(answer)
    warm = WarmBackend(counting)

    async def main() -> int:
        async with httpcore.AsyncConnectionPool(network_backend=warm) as pool:
            ready = await warm.warm("hub.example", 443, 1, tls=ssl.create_default_context(), timeout=5)
            assert ready == 1 and counting.handshakes == ["hub.example"]
            response = await pool.request("GET", "https://hub.example/org/model/resolve/main/config.json")
            return response.status

    assert asyncio.run(main()) == 200
    assert counting.connects == 1
    assert counting.handshakes == ["hub.example"]  # once, ahead; the pool's start_tls got it back
    assert warm.handed_out == 1


class _GatedBackend(_CountingBackend):
    """Connects only once `gate` is set: a connection opened ahead that is still connecting."""

    def __init__(self) -> None:
        super().__init__([])
        self.gate = asyncio.Event()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        await self.gate.wait()
        return await super().connect_tcp(host, port, timeout)


def test_a_cancelled_search_leaves_its_connection_for_the_next() -> None:
    # Typing on cancels the running search; the connection it was waiting for must not be lost with it.
    gated = _GatedBackend()
    warm = WarmBackend(gated)

    async def main() -> None:
        warming = asyncio.create_task(warm.warm("hub.example", 80, 1, tls=None, timeout=5))
        while warm.ahead("hub.example", 80) < 1:
            await asyncio.sleep(0)  # one loop turn: the warm-up registers its connection
        search = asyncio.create_task(warm.connect_tcp("hub.example", 80))
        await asyncio.sleep(0)
        search.cancel()
        with pytest.raises(asyncio.CancelledError):
            await search
        assert warm.ahead("hub.example", 80) == 1
        gated.gate.set()
        assert await warming == 1
        stream = await warm.connect_tcp("hub.example", 80)  # the next search
        await stream.aclose()
        await warm.aclose()

    asyncio.run(main())
    assert gated.connects == 1
    assert warm.handed_out == 1


def test_over_http2_one_connection_opened_ahead_carries_the_whole_screen(sim: HubSim) -> None:
    pytest.importorskip("h2")

    async def main() -> tuple[int, int, list[object]]:
        async with HubClient(sim.url, token=False, http2=True) as client:
            ready = await client.warm_up()
            before = sim.wait_for_connections(1)
            return ready, before, await first_screen(client)

    ready, before, outcomes = asyncio.run(main())
    assert ready == before == 1
    assert [type(o) for o in outcomes] == [ConfigOk] * SCREEN
    assert len(sim.requests(r"^/api/resolve-cache/")) == SCREEN
    assert sim.connections("hub") == 1


def test_connections_nobody_claimed_are_closed_after_a_while() -> None:
    # The person typed and never searched: the sockets opened ahead are not held open for the session.
    counting = _CountingBackend([])
    counting.expect_closed = 2
    warm = WarmBackend(counting, max_idle=0.05)

    async def main() -> None:
        assert await warm.warm("hub.example", 80, 2, tls=None, timeout=5) == 2
        await asyncio.wait_for(counting.all_closed.wait(), timeout=10)
        await warm.aclose()

    asyncio.run(main())
    assert counting.connects == 2 and counting.closed == 2
    assert warm.handed_out == 0


# --- real TLS (a local server with a throwaway certificate) ---

class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.accepted = 0
        self.sockets: list[socket.socket] = []
        self.handshaken = threading.Event()  # the server's side of a handshake is done too
        super().__init__(("127.0.0.1", 0), _Hello)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        self.accepted += 1
        tls = self.context.wrap_socket(sock, server_side=True)
        self.sockets.append(tls)
        self.handshaken.set()
        return tls, address

    def hang_up(self) -> None:
        assert self.handshaken.wait(5)
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def tls_server(certificate: tuple[Path, Path]) -> Iterator[_TLSServer]:
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _TLSServer(context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                           "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                           "-addext", "subjectAltName=DNS:localhost"], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a test certificate: {made.stderr.decode(errors='replace')[:200]}")
    return key, cert


def test_a_tls_connection_opened_ahead_carries_the_next_request(certificate: tuple[Path, Path]) -> None:
    # TLS 1.3 session tickets wait unread on a connection nobody used: they must not read as "closed".
    client_context = ssl.create_default_context(cafile=str(certificate[1]))  # checks the name and the chain
    warm = WarmBackend()

    async def main(port: int) -> tuple[int, int]:
        async with httpcore.AsyncConnectionPool(ssl_context=client_context, network_backend=warm) as pool:
            ready = await warm.warm("localhost", port, 1, tls=client_context, timeout=5)
            response = await pool.request("GET", f"https://localhost:{port}/org/model/resolve/main/config.json")
            await warm.aclose()
            return ready, response.status

    with tls_server(certificate) as server:
        assert asyncio.run(main(server.server_address[1])) == (1, 200)
        assert server.accepted == 1  # the request rode the connection (and handshake) made ahead
    assert warm.handed_out == 1


def test_a_tls_connection_the_server_closed_is_not_used(certificate: tuple[Path, Path]) -> None:
    client_context = ssl.create_default_context(cafile=str(certificate[1]))
    warm = WarmBackend()

    async def main(server: _TLSServer) -> int:
        port = server.server_address[1]
        async with httpcore.AsyncConnectionPool(ssl_context=client_context, network_backend=warm) as pool:
            assert await warm.warm("localhost", port, 1, tls=client_context, timeout=5) == 1
            server.hang_up()
            response = await pool.request("GET", f"https://localhost:{port}/org/model/resolve/main/config.json")
            await warm.aclose()
            return response.status

    with tls_server(certificate) as server:
        assert asyncio.run(main(server)) == 200
        assert server.accepted == 2  # a new connection instead of the closed one
    assert warm.handed_out == 0
