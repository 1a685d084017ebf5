"""The simulator charges what HTTPS charges: a new connection's first answer waits for the handshake.

Ordering, not timing: a connection that has paid its handshake answers while a new one, asked first, is
still shaking hands (the handshakes here are far longer than anything else in the test).
"""

from __future__ import annotations

import http.client
import json
import select
import socket
from collections.abc import Iterator

import pytest

from tests.hubsim import HubSim, SimModel


@pytest.fixture
def sim() -> Iterator[HubSim]:
    with HubSim(corpus=False) as hub:
        hub.add_model(SimModel(id="org/model", files={"config.json": json.dumps({"model_type": "llama"}).encode()},
                               tags=("mlx",)))
        yield hub
    assert not hub.errors


def connect(sim: HubSim) -> http.client.HTTPConnection:
    host, port = sim.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.connect()
    return conn


def answered(conn: http.client.HTTPConnection) -> bool:
    """Whether the server has sent anything on this connection yet (without waiting)."""
    assert isinstance(conn.sock, socket.socket)
    return bool(select.select([conn.sock], [], [], 0)[0])


def get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def test_a_new_connection_waits_for_its_handshake_and_a_used_one_does_not(sim: HubSim) -> None:
    used = connect(sim)
    assert get(used, "/api/models?limit=1") == 200  # no handshake cost yet: this one is now established
    sim.faults.handshake = 60.0

    fresh = connect(sim)
    fresh.request("GET", "/api/models/org/model")
    sim.wait_for_request(r"^/api/models/org/model$")  # read by the server, held for the handshake

    assert get(used, "/org/model/resolve/main/config.json") in (200, 307)
    assert not answered(fresh)  # still shaking hands after the established connection answered
    assert sim.connections("hub") == 2
    assert sim.connections("cdn") == 0
    used.close()
    fresh.close()


def test_a_connection_opened_ahead_pays_its_handshake_while_idle(sim: HubSim) -> None:
    sim.faults.handshake = 0.5
    ahead = connect(sim)  # opened, nothing sent: the handshake runs meanwhile
    # Another new connection's full answer takes a whole handshake, so `ahead` has had one by then too.
    assert get(connect(sim), "/api/models?limit=1") == 200

    asked_first = connect(sim)
    asked_first.request("GET", "/api/models/org/model")
    sim.wait_for_request(r"^/api/models/org/model$")
    assert get(ahead, "/api/models?limit=2") == 200  # answered at once, though asked second
    assert not answered(asked_first)
    assert sim.connections("hub") == 3
    ahead.close()
    asked_first.close()


def test_dropped_connections_are_closed_by_the_server(sim: HubSim) -> None:
    conn = connect(sim)
    assert get(conn, "/api/models?limit=1") == 200
    sim.drop_connections()
    assert answered(conn)  # readable: the end of the stream
    assert conn.sock is not None and conn.sock.recv(1) == b""
    conn.close()
