"""The running instance's socket: what a later launch may ask for, and bad messages answered without harm."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QByteArray
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from app.ui.single_instance import InstanceServer, clean_payload, hand_over


def test_only_a_view_and_a_query_are_taken() -> None:
    assert clean_payload({"view": "hub", "query": "qwen", "exec": "rm -rf /"}) == {"view": "hub", "query": "qwen"}
    assert clean_payload({"view": "settings"}) == {}
    assert clean_payload({"query": 42}) == {}
    assert clean_payload(["view", "hub"]) == {}
    assert clean_payload({"query": "x" * 5000}) == {}


@pytest.fixture
def server(qloop: asyncio.AbstractEventLoop) -> Iterator[InstanceServer]:
    server = InstanceServer(f"mlx-manager-test-{uuid.uuid4().hex[:12]}")
    assert server.listen() is True
    yield server
    server.close()


def raw_send(qtbot: QtBot, name: str, data: bytes) -> bytes:
    socket = QLocalSocket()
    socket.connectToServer(name)
    qtbot.waitUntil(lambda: socket.state() == QLocalSocket.LocalSocketState.ConnectedState, timeout=2_000)
    socket.write(QByteArray(data))
    socket.flush()
    received = b""

    def answered() -> bool:
        nonlocal received
        received += bytes(socket.readAll().data())
        return b"\n" in received or socket.state() == QLocalSocket.LocalSocketState.UnconnectedState

    qtbot.waitUntil(answered, timeout=2_000)
    socket.abort()
    return received


def test_garbage_is_answered_and_ignored(qtbot: QtBot, server: InstanceServer) -> None:
    got: list[dict[str, str]] = []
    server.activated.connect(got.append)
    assert raw_send(qtbot, server.name, b"\xff\xfe not json\n") == b"ok\n"
    assert got == [{}], "still comes forward, asks for nothing"
    assert raw_send(qtbot, server.name, b'{"view": "hub", "query": "gemma"}\n') == b"ok\n"
    assert got[-1] == {"view": "hub", "query": "gemma"}


def test_an_endless_message_is_cut_off(qtbot: QtBot, server: InstanceServer) -> None:
    got: list[dict[str, str]] = []
    server.activated.connect(got.append)
    assert raw_send(qtbot, server.name, b"x" * 40_000) == b""
    assert got == []
    assert server.listening


def test_nobody_listening_means_no_hand_over(qapp: object) -> None:
    assert hand_over(f"mlx-manager-nobody-{uuid.uuid4().hex[:12]}", {"view": "my"}) is False
