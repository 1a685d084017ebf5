"""The sockets: two ThreadingHTTPServers (hub and CDN) on 127.0.0.1, in background daemon threads."""

from __future__ import annotations

import contextlib
import math
import re
import secrets
import socket
import struct
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs

from tests.hubsim.catalogue import Catalogue, SimModel, corpus_models
from tests.hubsim.faults import Fault, Faults
from tests.hubsim.generate import generate
from tests.hubsim.h2serve import opens_with_preface, serve_h2
from tests.hubsim.ratelimit import RateLimiter
from tests.hubsim.routes import HubApp, Response, bucket_for, error, request_id

OVERSIZE_BYTES = 2 * 1024 * 1024 + 4096
_NO_BODY_STATUSES = (204, 304)


@dataclass
class Request:
    """One request as the simulator saw it. `status` is 0 while in flight or when no response was sent."""

    method: str
    path: str  # raw (percent-encoded) path, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case keys
    status: int
    origin: str  # "hub" | "cdn"
    t: float  # time.time() when the request was read


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, sim: HubSim, origin: str, port: int) -> None:
        self.sim = sim
        self.origin = origin
        self._conn_lock = threading.Lock()
        self.conn_threads: set[threading.Thread] = set()
        self.conn_sockets: set[socket.socket] = set()
        self.accepted = 0  # connections accepted since start (new TCP connections the client paid for)
        self.accept_times: dict[Any, float] = {}  # socket -> when accepted (the handshake starts then)
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Track every connection thread and socket so stop() can unblock and join them all.
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address),
            name=f"hubsim-{self.origin}-conn", daemon=True,
        )
        with self._conn_lock:
            self.conn_threads.add(thread)
            self.conn_sockets.add(request)
            self.accepted += 1
            self.accept_times[request] = time.monotonic()
        with self.sim._log_changed:
            self.sim._log_changed.notify_all()
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            if opens_with_preface(request):
                with self._conn_lock:
                    accepted_at = self.accept_times.pop(request, time.monotonic())
                serve_h2(self.sim, self.origin, request, accepted_at)
            else:
                self.finish_request(request, client_address)
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            self.shutdown_request(request)
            with self._conn_lock:
                self.accept_times.pop(request, None)
                self.conn_sockets.discard(request)
                self.conn_threads.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # connection-level errors are the client's business; route errors land in sim.errors

    def drop_connections(self) -> list[threading.Thread]:
        with self._conn_lock:
            sockets, threads = list(self.conn_sockets), list(self.conn_threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return threads


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, delayed ACKs add ~40 ms per reused connection.
    disable_nagle_algorithm = True
    server_version = "hubsim"
    sys_version = ""
    timeout = 60  # idle keep-alive connections close on their own eventually
    server: _Server
    _FAULT_STATUS_TEXT: ClassVar[dict[int, str]] = {500: "Internal Error", 502: "Bad Gateway",
                                                    503: "Service Unavailable", 504: "Gateway Timeout"}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.server._conn_lock:
            self._accepted_at = self.server.accept_times.pop(self.request, time.monotonic())
        self._handshake_due = True  # the first response on this connection pays faults.handshake

    def _wait_handshake(self) -> bool:
        """Hold the connection's first response until the handshake would be over; False when stopping."""
        if not self._handshake_due:
            return True
        self._handshake_due = False
        remaining = self._accepted_at + self.server.sim.faults.handshake - time.monotonic()
        return remaining <= 0 or not self.server.sim._stopping.wait(remaining)

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        sim = self.server.sim
        origin = self.server.origin
        raw_path, _, qs = self.path.partition("?")
        query = parse_qs(qs, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length_text = headers.get("content-length") or "0"
        length = int(length_text) if length_text.isdigit() else 0
        if length:
            self.rfile.read(length)  # drain, so keep-alive stays in sync
        record = Request(self.command, raw_path, query, headers, 0, origin, time.time())
        with sim._log_changed:
            sim.log.append(record)
            sim._log_changed.notify_all()

        if not self._wait_handshake() or (sim.faults.latency > 0 and sim._stopping.wait(sim.faults.latency)):
            self.close_connection = True
            return
        fault = sim.faults.take(self.command, raw_path, qs, origin, body=False)
        if fault is not None and fault.kind in ("reset", "timeout"):
            self._hang_or_reset(fault)
            return
        try:
            if fault is not None:
                response = self._fault_response(fault, raw_path)
            elif origin == "hub":
                response = sim.app.handle(self.command, raw_path, query, headers)
            else:
                response = sim.app.cdn(self.command, raw_path, query, headers)
        except Exception:
            sim.errors.append(traceback.format_exc())
            response = error(500, "Internal Error (hubsim bug, see sim.errors)")
        if origin == "hub":
            response.headers.setdefault("X-Request-Id", request_id())
        body_fault = None
        if self.command == "GET" and response.status in (200, 206) and response.body:
            body_fault = sim.faults.take(self.command, raw_path, qs, origin, body=True)
        record.status = response.status
        self._send(response, body_fault)

    def _hang_or_reset(self, fault: Fault) -> None:
        self.close_connection = True
        if fault.kind == "timeout":
            self.server.sim._stopping.wait(fault.seconds)
            return
        # SO_LINGER 0 makes close() send a RST instead of a FIN.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _fault_response(self, fault: Fault, raw_path: str) -> Response:
        sim = self.server.sim
        if fault.kind == "rate_limit":
            bucket = bucket_for(raw_path) if self.server.origin == "hub" else "resolvers"
            return sim.app.rate_limited(bucket or "api", fault.seconds, None)
        text = self._FAULT_STATUS_TEXT.get(fault.status, "Error")
        response = error(fault.status, text)
        bucket = bucket_for(raw_path)
        if self.server.origin == "hub" and bucket is not None:
            response.headers.update(sim.limiter.peek(bucket))
        return response

    def _send(self, response: Response, body_fault: Fault | None) -> None:
        body = response.body
        if body_fault is not None and body_fault.kind == "oversize":
            body = _oversize(body)
        elif body_fault is not None and body_fault.kind == "invalid_json":
            body = b'{"architectures": ["Broken"], "model_type": '  # cut mid-value: not JSON
            response.headers["Content-Type"] = "application/json; charset=utf-8"
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        if response.status not in _NO_BODY_STATUSES:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD" or response.status in _NO_BODY_STATUSES:
            return
        if body_fault is not None and body_fault.kind == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        if body_fault is not None and body_fault.kind == "slow_drip":
            self._drip(body, body_fault.seconds)
            return
        self.wfile.write(body)

    def _drip(self, body: bytes, seconds: float) -> None:
        size = math.ceil(len(body) / min(max(len(body) // 4, 1), 50))
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        pause = seconds / len(chunks)
        for chunk in chunks:
            # Wait before each piece, so the last byte lands `seconds` after the headers.
            if self.server.sim._stopping.wait(pause):
                self.close_connection = True
                return
            self.wfile.write(chunk)


def _oversize(body: bytes) -> bytes:
    """The same JSON value padded with whitespace past the 2 MiB config cap (still valid JSON)."""
    pad = b" " * OVERSIZE_BYTES
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        return stripped[:1] + pad + stripped[1:]
    return body + pad


FALLBACK_MODELS = 80


class HubSim:
    """A local Hugging Face Hub: hub origin (`url`) plus a CDN origin (`cdn_url`) for large files."""

    def __init__(self, corpus: bool = True, generated: int = 0, seed: int = 0, *,
                 port: int = 0, cdn_port: int = 0) -> None:
        self.seed = seed
        self.catalogue = Catalogue()
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.tokens: dict[str, str] = {}
        self.log: list[Request] = []
        self._log_changed = threading.Condition()
        self.errors: list[str] = []  # tracebacks of simulator bugs (answered as 500)
        self.app = HubApp(self.catalogue, self.tokens, self.limiter, secrets.token_bytes(16))
        self._ports = (port, cdn_port)
        self._servers: list[_Server] = []
        self._serve_threads: list[threading.Thread] = []
        self._stopped_threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._generate_calls = 0
        self.url = ""
        self.cdn_url = ""
        if corpus:
            real = corpus_models()
            self.catalogue.add_many(real)
            if not real:
                # Without ../shared the catalogue would be empty: realistic generated models stand in, so
                # tests that only need "some MLX models" still run (corpus-specific tests skip themselves).
                self.generate_models(FALLBACK_MODELS)
        if generated:
            self.generate_models(generated)

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> HubSim:
        if self._servers:
            return self
        self._stopping.clear()
        hub = _Server(self, "hub", self._ports[0])
        cdn = _Server(self, "cdn", self._ports[1])
        self._servers = [hub, cdn]
        self.url = f"http://127.0.0.1:{hub.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{cdn.server_address[1]}"
        self.app.hub_url, self.app.cdn_url = self.url, self.cdn_url
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"hubsim-{server.origin}", daemon=True)
            thread.start()
            self._serve_threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both servers, cut open connections (hung ones too) and join every thread."""
        if not self._servers:
            return
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        threads = [*self._serve_threads]
        for server in self._servers:
            threads += server.drop_connections()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0))
        self._stopped_threads = threads
        self._servers, self._serve_threads = [], []

    def alive_threads(self) -> list[threading.Thread]:
        """Threads of this simulator still running (empty after a clean stop())."""
        threads = [*self._serve_threads, *self._stopped_threads]
        for server in self._servers:
            threads += list(server.conn_threads)
        return [t for t in threads if t.is_alive()]

    def __enter__(self) -> HubSim:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- catalogue ------------------------------------------------------------------------------------

    @property
    def models(self) -> dict[str, SimModel]:
        return self.catalogue.snapshot()

    def add_model(self, model: SimModel) -> SimModel:
        self.catalogue.add_many([model])
        return model

    def remove_model(self, model_id: str) -> None:
        self.catalogue.remove(model_id)

    def generate_models(self, n: int) -> list[str]:
        """Add `n` generated models, return their ids; the same seed and call order give the same ones."""
        taken = set(self.catalogue.snapshot())
        seed = self.seed * 1_000_003 + self._generate_calls
        self._generate_calls += 1
        models = list(generate(n, seed, taken))
        self.catalogue.add_many(models)
        return [m.id for m in models]

    # --- knobs ----------------------------------------------------------------------------------------

    def set_budget(self, bucket: str, quota: int, window: float = 300.0) -> None:
        self.limiter.set_budget(bucket, quota, window)

    @property
    def page_size(self) -> int:
        """Most items per /api/models page (default 1000): lower it to force pagination."""
        return self.app.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self.app.page_size = max(1, value)

    # Alias kept because early callers were written against it.
    page_limit = page_size

    @property
    def tree_page_size(self) -> int:
        """Most items per tree page (default 1000)."""
        return self.app.tree_page_size

    @tree_page_size.setter
    def tree_page_size(self, value: int) -> None:
        self.app.tree_page_size = max(1, value)

    @property
    def resolve_cache(self) -> str:
        """Small files: "never" 200 directly, "always" 307 via /api/resolve-cache, "some" (default) half."""
        return self.app.resolve_cache

    @resolve_cache.setter
    def resolve_cache(self, value: str) -> None:
        if value not in ("never", "always", "some"):
            raise ValueError(f"resolve_cache must be 'never', 'always' or 'some', got {value!r}")
        self.app.resolve_cache = value

    def get_model(self, model_id: str) -> SimModel | None:
        return self.catalogue.get(model_id)

    # --- request log ----------------------------------------------------------------------------------

    def requests(self, path_regex: str | None = None, origin: str | None = None) -> list[Request]:
        pattern = re.compile(path_regex) if path_regex is not None else None
        return [r for r in list(self.log)
                if (origin is None or r.origin == origin) and (pattern is None or pattern.search(r.path))]

    def wait_for_request(self, path_regex: str | None = None, origin: str | None = None,
                         timeout: float = 5.0) -> Request:
        """Block until a matching request has arrived (it may still be in flight); TimeoutError if none."""
        with self._log_changed:
            if not self._log_changed.wait_for(lambda: self.requests(path_regex, origin), timeout):
                raise TimeoutError(f"no request matching {path_regex!r} within {timeout} s")
        return self.requests(path_regex, origin)[0]

    def clear_log(self) -> None:
        self.log.clear()

    def drop_connections(self, timeout: float = 5.0) -> None:
        """Close every open connection now, as a server closes idle keep-alive ones (the client must cope)."""
        threads = [t for server in self._servers for t in server.drop_connections()]
        deadline = time.monotonic() + timeout
        for thread in threads:
            if thread.ident is not None:  # not started yet: it finds its socket shut and ends by itself
                thread.join(max(deadline - time.monotonic(), 0))

    def connections(self, origin: str | None = None) -> int:
        """New connections accepted since start, on one origin ("hub" / "cdn") or both."""
        return sum(s.accepted for s in self._servers if origin is None or s.origin == origin)

    def wait_for_connections(self, n: int, origin: str | None = None, timeout: float = 5.0) -> int:
        """Block until at least `n` connections were accepted (a client's connect returns before the
        server's accept); returns the count, TimeoutError if it stays below."""
        with self._log_changed:
            if not self._log_changed.wait_for(lambda: self.connections(origin) >= n, timeout):
                raise TimeoutError(f"{self.connections(origin)} connections accepted, expected {n}")
        return self.connections(origin)
