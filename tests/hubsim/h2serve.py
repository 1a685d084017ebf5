"""HTTP/2 on the simulator's sockets (cleartext, prior knowledge): many requests share one connection.

A connection that opens with the HTTP/2 preface is served here instead of by the HTTP/1.1 handler; the
same routes answer, with the same latency and handshake charges (the handshake once per connection).
Each stream is answered from its own thread, so concurrent requests overlap as they do on the real Hub.
Faults are not applied to HTTP/2 streams (they are for the HTTP/1.1 paths).
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from tests.hubsim.server import HubSim

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"})


def opens_with_preface(sock: socket.socket) -> bool:
    """Peek (without consuming) whether the client speaks HTTP/2 with prior knowledge. Blocks until the
    client sends something (an idle keep-alive connection waits here as it would in the HTTP/1.1 handler)."""
    for _ in range(1000):
        try:
            seen = sock.recv(len(PREFACE), socket.MSG_PEEK)
        except OSError:
            return False
        if not seen or not PREFACE.startswith(seen):
            return False
        if len(seen) == len(PREFACE):
            return True
        time.sleep(0.001)  # only part of the preface so far (a segment split in two): rare
    return False


class H2Connection:
    def __init__(self, sim: HubSim, origin: str, sock: socket.socket, accepted_at: float) -> None:
        import h2.config
        import h2.connection

        self.sim = sim
        self.origin = origin
        self.sock = sock
        self.accepted_at = accepted_at
        self.handshake_due = True
        self.lock = threading.Lock()  # the h2 state machine and the socket's writes
        self.window_opened = threading.Condition(self.lock)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.requests: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.threads: list[threading.Thread] = []
        self.closed = False

    def serve(self) -> None:
        import h2.events

        self.sock.settimeout(None)
        # Small frames go out at once: with Nagle, a frame written after another waits for the client's
        # delayed ACK (~40 ms), as on the HTTP/1.1 handler (disable_nagle_algorithm).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self.conn.initiate_connection()
            self._flush()
        try:
            while not self.closed:
                data = self.sock.recv(65536)
                if not data:
                    break
                with self.lock:
                    events = self.conn.receive_data(data)
                    self._flush()
                for event in events:
                    if isinstance(event, h2.events.RequestReceived):
                        headers = {str(k): str(v) for k, v in (event.headers or [])}
                        self.requests[event.stream_id] = (headers, bytearray())
                        if event.stream_ended is not None:
                            self._answer(event.stream_id)
                    elif isinstance(event, h2.events.DataReceived) and event.stream_id in self.requests:
                        self.requests[event.stream_id][1].extend(event.data or b"")
                        with self.lock:
                            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                            self._flush()
                    elif isinstance(event, h2.events.StreamEnded) and event.stream_id in self.requests:
                        self._answer(event.stream_id)
                    elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
                        with self.window_opened:
                            self.window_opened.notify_all()
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        self.closed = True
        except OSError:
            pass
        finally:
            self.closed = True
            with self.window_opened:
                self.window_opened.notify_all()
            for thread in self.threads:
                thread.join(5)

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def _answer(self, stream_id: int) -> None:
        headers, _ = self.requests.pop(stream_id)  # no route reads a request body
        thread = threading.Thread(target=self._respond, args=(stream_id, headers), daemon=True,
                                  name=f"hubsim-{self.origin}-h2-stream")
        self.threads.append(thread)
        thread.start()

    def _respond(self, stream_id: int, headers: dict[str, str]) -> None:
        from tests.hubsim.routes import error, request_id
        from tests.hubsim.server import Request

        sim = self.sim
        method = headers.get(":method", "GET")
        raw_path, _, qs = headers.get(":path", "/").partition("?")
        query = parse_qs(qs, keep_blank_values=True)
        plain = {k: v for k, v in headers.items() if not k.startswith(":")}
        record = Request(method, raw_path, query, plain, 0, self.origin, time.time())
        with sim._log_changed:
            sim.log.append(record)
            sim._log_changed.notify_all()
        if self.handshake_due:  # the connection's first answer waits for the handshake, once
            self.handshake_due = False
            remaining = self.accepted_at + sim.faults.handshake - time.monotonic()
            if remaining > 0 and sim._stopping.wait(remaining):
                return
        if sim.faults.latency > 0 and sim._stopping.wait(sim.faults.latency):
            return
        try:
            if self.origin == "hub":
                response = sim.app.handle(method, raw_path, query, plain)
            else:
                response = sim.app.cdn(method, raw_path, query, plain)
        except Exception:
            sim.errors.append(traceback.format_exc())
            response = error(500, "Internal Error (hubsim bug, see sim.errors)")
        if self.origin == "hub":
            response.headers.setdefault("X-Request-Id", request_id())
        record.status = response.status
        body = b"" if method == "HEAD" else response.body
        out: list[tuple[str, str]] = [(":status", str(response.status))]
        out += [(k.lower(), v) for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP]
        out.append(("content-length", str(len(response.body))))
        self._send(stream_id, out, body)

    def _send(self, stream_id: int, headers: list[tuple[str, str]], body: bytes) -> None:
        with self.window_opened:
            try:
                self.conn.send_headers(stream_id, headers, end_stream=not body)
                while body and not self.closed:
                    window = min(self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size)
                    if window <= 0:
                        self.window_opened.wait(1.0)
                        continue
                    chunk, body = body[:window], body[window:]
                    self.conn.send_data(stream_id, chunk, end_stream=not body)
                    self._flush()
                self._flush()  # headers-only answers (HEAD, 304, redirects without a body)
            except Exception:
                # The client reset the stream or went away: nothing more to send on it.
                return


def serve_h2(sim: HubSim, origin: str, sock: socket.socket, accepted_at: float) -> None:
    H2Connection(sim, origin, sock, accepted_at).serve()
