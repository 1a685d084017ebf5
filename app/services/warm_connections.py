"""Connections opened ahead of need, so a search and its first screen of configs pay no handshakes.

A new HTTPS connection costs two round trips (TCP, then TLS 1.3) before its first answer: a search
followed by a screen of config fetches on fresh connections costs twice the round trips it needs.
httpcore's pool asks its network backend for a stream whenever it opens a connection; `WarmBackend`
answers from streams it connected (and TLS-wrapped) earlier, while the person was typing. Warming
sends no HTTP request, so it costs nothing against the Hub's rate limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import httpcore
import httpx

log = logging.getLogger(__name__)

# Idle connections are closed by servers after a while; one kept longer than this is not handed out
# (the next warm-up opens a new one). A stream the server already closed is never handed out either.
MAX_IDLE = 30.0
# How long to look for the end of a TLS stream behind bytes already received (they are in memory: instant).
TLS_PROBE = 0.005


class _Stream(httpcore.AsyncNetworkStream):
    """A connection's stream as the pool sees it.

    Two differences from the stream underneath: a TLS handshake done ahead is not done twice, and
    "is_readable" (which the pool asks of every idle connection whenever it places a request, dozens of
    times per screen of configs) polls the socket directly instead of going through anyio's attribute
    mapping, which builds a dict and calls getpeername() each time."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, backend: WarmBackend, host: str, port: int,
                 tls_host: str | None = None) -> None:
        self._inner = inner
        self._backend = backend
        self._host = host
        self._port = port
        self._tls_host = tls_host  # the name the TLS handshake was done for, when it was done ahead
        raw = inner.get_extra_info("socket")  # asyncio hands out a TransportSocket: anything with fileno()
        self._socket: _HasFileno | None = raw if callable(getattr(raw, "fileno", None)) else None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def get_extra_info(self, info: str) -> object:
        if info == "is_readable" and self._socket is not None:
            return _readable(self._socket)
        return self._inner.get_extra_info(info)

    async def still_open(self) -> bool:
        """Whether a connection nobody has used yet is still open. Over TLS 1.3 the server sends session
        tickets right after the handshake, so unread bytes do not mean it closed: read them (they carry no
        data), and only the end of the stream, or bytes nobody asked for, means it is gone."""
        if not self.get_extra_info("is_readable"):
            return True
        if self._tls_host is None:
            return False
        try:
            await self._inner.read(65536, timeout=TLS_PROBE)
        except httpcore.ReadTimeout:
            return True  # only TLS housekeeping was waiting
        except Exception:  # noqa: BLE001 - any failure reading means: do not reuse this connection
            return False
        return False

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        if self._tls_host is not None:
            if server_hostname in (None, self._tls_host):
                return self
            # Asked for another name than the one we shook hands with: start over, as the pool meant to.
            await self._inner.aclose()
            fresh = await self._backend.connect_tcp(self._host, self._port, timeout)
            return await fresh.start_tls(ssl_context, server_hostname, timeout)
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(tls, self._backend, self._host, self._port, server_hostname or self._host)


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


def _readable(sock: _HasFileno) -> bool:
    """Whether a read would return at once: on an idle connection, that the server closed it."""
    if sock.fileno() < 0:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


@dataclass
class _Ahead:
    """One connection opened ahead: the connect (and handshake) task, and when it started."""

    task: asyncio.Task[httpcore.AsyncNetworkStream | None]
    tls_host: str | None
    started: float


class WarmBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, handing out connections opened ahead when it has one."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None, *, max_idle: float = MAX_IDLE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._max_idle = max_idle
        self._clock = clock
        self._ahead: dict[tuple[str, int], list[_Ahead]] = {}
        self._closed = False
        self._sweep: asyncio.TimerHandle | None = None  # closes connections nobody claimed in time
        self._sweeping: asyncio.Task[None] | None = None
        self.handed_out = 0  # connections the pool got from the warm stash (tests and benchmarks read it)

    # --- what httpcore's pool calls ---

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        if local_address is None and not socket_options:
            stream = await self._claim(host, port)
            if stream is not None:
                return stream
        inner = await self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                              socket_options=socket_options)
        return _Stream(inner, self, host, port)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    # --- warming ---

    def negotiated(self, host: str, port: int) -> str | None:
        """The protocol TLS negotiated (ALPN) on a connection opened ahead for this host, if any."""
        for ahead in self._ahead.get((host, port), ()):
            if ahead.task.done() and not ahead.task.cancelled() and ahead.task.result() is not None:
                stream = ahead.task.result()
                ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
                if ssl_object is not None:
                    return str(ssl_object.selected_alpn_protocol())
        return None

    def ahead(self, host: str, port: int) -> int:
        """Connections opened ahead for this host that are not handed out yet (connecting included)."""
        now = self._clock()
        return sum(1 for a in self._ahead.get((host, port), ()) if now - a.started <= self._max_idle)

    async def warm(self, host: str, port: int, n: int, *, tls: ssl.SSLContext | None,
                   timeout: float | None) -> int:
        """Open connections until `n` are waiting for this host; returns how many are ready now.
        Failures are quiet: the request that would have used the connection opens its own."""
        if self._closed:
            return 0
        await self._drop_stale(host, port)
        queue = self._ahead.setdefault((host, port), [])
        for _ in range(max(0, n - len(queue))):
            task = asyncio.create_task(self._open(host, port, tls, timeout), name=f"warm-{host}:{port}")
            queue.append(_Ahead(task, host if tls is not None else None, self._clock()))
        self._schedule_sweep()
        pending = [a.task for a in queue if not a.task.done()]
        if pending:
            # Not cancelled with the caller: a request may be about to claim the connection.
            await asyncio.wait(pending)
        return sum(1 for a in queue if a.task.done() and not a.task.cancelled() and a.task.result() is not None)

    def _schedule_sweep(self) -> None:
        # The person typed and never searched: the sockets opened ahead are not kept past MAX_IDLE.
        if self._sweep is None and not self._closed:
            self._sweep = asyncio.get_running_loop().call_later(self._max_idle, self._start_sweep)

    def _start_sweep(self) -> None:
        self._sweep = None
        if not self._closed:
            self._sweeping = asyncio.ensure_future(self._sweep_stale())

    async def _sweep_stale(self) -> None:
        for host, port in list(self._ahead):
            await self._drop_stale(host, port)
        if any(self._ahead.values()):
            self._schedule_sweep()

    async def _open(self, host: str, port: int, tls: ssl.SSLContext | None,
                    timeout: float | None) -> httpcore.AsyncNetworkStream | None:
        try:
            stream = await self._inner.connect_tcp(host, port, timeout=timeout)
            if tls is not None:
                stream = await stream.start_tls(tls, host, timeout)
            return stream
        except Exception as exc:  # noqa: BLE001 - logged; best effort: the request connects itself
            log.debug("warm connection to %s:%s failed: %s", host, port, exc)
            return None

    async def _claim(self, host: str, port: int) -> httpcore.AsyncNetworkStream | None:
        queue = self._ahead.get((host, port))
        while queue:
            # A finished connection first; else the one that started first (it finishes soonest).
            ahead = next((a for a in queue if a.task.done()), queue[0])
            queue.remove(ahead)
            try:
                stream = await asyncio.shield(ahead.task)
            except asyncio.CancelledError:
                # The request was cancelled (a search preempted by typing): the connection is for the next.
                if self._closed:
                    ahead.task.cancel()
                else:
                    self._ahead.setdefault((host, port), []).insert(0, ahead)
                raise
            if stream is None:
                continue
            wrapped = _Stream(stream, self, host, port, ahead.tls_host)
            if self._clock() - ahead.started > self._max_idle or not await wrapped.still_open():
                await _close(stream)  # idle too long, or the server closed it
                continue
            self.handed_out += 1
            return wrapped
        return None

    async def _drop_stale(self, host: str, port: int) -> None:
        queue = self._ahead.get((host, port), [])
        now = self._clock()
        for ahead in [a for a in queue if a.task.done() and not a.task.cancelled()]:
            stream = ahead.task.result()
            if ahead not in queue:
                continue  # claimed by a request while an earlier one was being closed
            if stream is None or now - ahead.started > self._max_idle or stream.get_extra_info("is_readable"):
                queue.remove(ahead)
                if stream is not None:
                    await _close(stream)

    async def aclose(self) -> None:
        """Close every connection opened ahead and not handed out (and stop those still connecting)."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        if self._sweeping is not None:
            self._sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeping
        queues, self._ahead = list(self._ahead.values()), {}
        for ahead in (a for queue in queues for a in queue):
            ahead.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                stream = await ahead.task
                if stream is not None:
                    await _close(stream)


async def _close(stream: httpcore.AsyncNetworkStream) -> None:
    with contextlib.suppress(Exception):
        await stream.aclose()


class ConnectionWarmer:
    """Keeps `n` connections to an origin ready: idle ones in the pool count, the rest are opened ahead."""

    def __init__(self, pool: httpcore.AsyncConnectionPool, backend: WarmBackend, ssl_context: ssl.SSLContext,
                 *, http1: bool = True, http2: bool = False) -> None:
        self.pool = pool
        self.backend = backend
        self._ssl_context = ssl_context
        self._http1 = http1
        self._http2 = http2
        self._alpn = ["http/1.1", "h2"] if http2 else ["http/1.1"]

    def _idle(self, origin: httpcore.Origin) -> int:
        # An idle connection the server has closed (or past keep-alive) stays in the pool until the next
        # request sweeps it: it is not ready.
        return sum(1 for c in self.pool.connections
                   if c.can_handle_request(origin) and c.is_idle() and not c.has_expired())

    async def warm(self, url: httpx.URL, n: int, *, timeout: float | None = None) -> int:
        if self._http2 and (not self._http1 or url.scheme == "https"):
            # HTTP/2 carries every request on one connection: one is enough (if the server speaks it).
            ready = await self._warm(url, 1, timeout)
            if ready and (not self._http1 or self._negotiated_h2(url)):
                return ready
        return await self._warm(url, n, timeout)

    def _negotiated_h2(self, url: httpx.URL) -> bool:
        host, port, origin = _origin(url)
        return any(c.can_handle_request(origin) and "HTTP/2" in c.info() for c in self.pool.connections) or \
            self.backend.negotiated(host, port) == "h2"

    async def _warm(self, url: httpx.URL, n: int, timeout: float | None) -> int:
        host, port, origin = _origin(url)
        idle = self._idle(origin)
        tls = None
        if url.scheme == "https":
            tls = self._ssl_context
            tls.set_alpn_protocols(self._alpn)  # as the pool sets it, so the server picks the same protocol
        ready = await self.backend.warm(host, port, max(0, n - idle), tls=tls, timeout=timeout)
        return idle + ready

    async def aclose(self) -> None:
        await self.backend.aclose()


def _origin(url: httpx.URL) -> tuple[str, int, httpcore.Origin]:
    port = url.port or (443 if url.scheme == "https" else 80)
    return url.host, port, httpcore.Origin(url.raw_scheme, url.raw_host, port)


def warm_transport(limits: httpx.Limits, *, http1: bool = True, http2: bool = False
                   ) -> tuple[httpx.AsyncHTTPTransport, ConnectionWarmer | None]:
    """httpx's own transport, its pool opening connections through a `WarmBackend`.

    httpx has no public way to give its pool a network backend; when its insides are not what we expect,
    the transport is used as is and there is no warming (everything else works the same)."""
    ssl_context = httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits, http1=http1, http2=http2)
    pool = getattr(transport, "_pool", None)
    if type(pool) is not httpcore.AsyncConnectionPool or not hasattr(pool, "_network_backend"):
        return transport, None
    backend = WarmBackend()
    pool._network_backend = backend
    return transport, ConnectionWarmer(pool, backend, ssl_context, http1=http1, http2=http2)
