"""One running app per user: a second launch hands its --view/--query to the first and exits.

The first instance listens on a local socket (QLocalServer, the user's access only). A later launch
connects, sends one JSON line and waits for "ok"; nothing answering means no instance is running (or a
crashed one left its socket behind): the stale socket is removed and this launch becomes the server. A lock
file around "remove and listen" keeps two launches at the same moment from both becoming the server.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os

from PySide6.QtCore import QByteArray, QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger("mlx_manager.ui")

CONNECT_MS = 300
REPLY_MS = 700
_MAX_MESSAGE = 16_384
_FIELDS = ("view", "query")


def instance_name() -> str:
    """Per user and per config-store folder (so tests and a second profile never meet the real app)."""
    from app.services.paths import cache_dir

    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): the uid still separates users
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    digest = hashlib.sha256(f"{user}\0{cache_dir()}".encode()).hexdigest()[:16]
    return f"mlx-manager-{digest}"


def clean_payload(raw: object) -> dict[str, str]:
    """What a second launch may ask for: a view and a query, as strings; anything else is dropped."""
    if not isinstance(raw, dict):
        return {}
    result: dict[str, str] = {}
    for key in _FIELDS:
        value = raw.get(key)
        if isinstance(value, str) and len(value) <= 1000:
            result[key] = value
    if result.get("view") not in (None, "my", "hub"):
        del result["view"]
    return result


def hand_over(name: str, payload: dict[str, str], *, connect_ms: int = CONNECT_MS, reply_ms: int = REPLY_MS) -> bool:
    """Send `payload` to a running instance; True when it answered (this launch should then exit)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(connect_ms):
        return False
    try:
        socket.write(QByteArray(json.dumps(payload).encode() + b"\n"))
        if not socket.waitForBytesWritten(reply_ms):
            return False
        reply = b""
        while b"\n" not in reply:
            if not socket.waitForReadyRead(reply_ms):
                return False
            reply += bytes(socket.readAll().data())
        return reply.startswith(b"ok")
    finally:
        socket.abort()


class InstanceServer(QObject):
    """The running instance's end: `activated` carries what a later launch asked for."""

    activated = Signal(dict)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    @property
    def server_path(self) -> str:
        return self._server.fullServerName()

    def listen(self, payload: dict[str, str] | None = None) -> bool | None:
        """Become the instance others hand over to: True. A socket left by a crashed run is removed first.

        Under the lock, another launch of the same moment may have become the server: then `payload` is
        handed to it and the answer is None (this launch should exit). False: running without the socket.
        """
        lock = QLockFile(os.path.join(QDir.tempPath(), f"{self.name}.lock"))
        lock.setStaleLockTime(0)  # only a dead owner makes it stale, never its age
        if not lock.tryLock(2000):
            log.warning("single instance: could not take %s; running without it", lock.fileName())
            return False
        try:
            if payload is not None and hand_over(self.name, payload):
                return None
            if self._server.listen(self.name):
                return True
            # Nothing answered a hand-over under the lock, so whatever holds the name is a leftover.
            QLocalServer.removeServer(self.name)
            if self._server.listen(self.name):
                log.info("single instance: removed a stale socket from an earlier run")
                return True
            log.warning("single instance: cannot listen on %s (%s)", self.name, self._server.errorString())
            return False
        finally:
            lock.unlock()

    def close(self) -> None:
        for socket in list(self._buffers):
            socket.abort()
        self._buffers.clear()
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if socket is None:
                break
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > _MAX_MESSAGE:
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            payload = clean_payload(json.loads(line))
        except (ValueError, UnicodeDecodeError):
            log.warning("single instance: ignored a message that is not JSON")
            payload = {}
        socket.write(QByteArray(b"ok\n"))
        socket.flush()
        socket.disconnectFromServer()
        self._buffers.pop(socket, None)
        self.activated.emit(payload)
