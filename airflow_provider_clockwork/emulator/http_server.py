"""The emulator's HTTP transport: connections, request bodies, replies and the faults that spoil them.

:class:`Handler` reads and writes HTTP/1.1 the way Clockwork's IIS does (keep-alive, a
Content-Length on every reply) and delivers a reply once the latency has passed since the
request arrived, spoiled as a queued fault asks (reset, truncated, dripping...). It knows no
endpoint: the emulator's handler (:mod:`.server`) routes each path to the module of the API it
plays. :class:`EmulatorHTTPServer` serves each connection in a thread and can drop them all, so
that ``stop()`` never waits.
"""

from __future__ import annotations

import logging
import math
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, ClassVar, Protocol
from urllib.parse import SplitResult

from airflow_provider_clockwork.emulator.callbacks import Callbacks
from airflow_provider_clockwork.emulator.faults import (
    DELAY,
    DRIP,
    GARBAGE,
    RESET_AFTER,
    RESET_BEFORE,
    STATUS,
    STATUS_AFTER,
    TRUNCATE,
    Fault,
)
from airflow_provider_clockwork.emulator.send_rules import SendDesk
from airflow_provider_clockwork.emulator.state import EmulatorState
from airflow_provider_clockwork.protocol.results import SmsError

logger = logging.getLogger("airflow_provider_clockwork.emulator")

PLAIN_TEXT = "text/plain; charset=utf-8"
HTML_TEXT = "text/html; charset=utf-8"
MAX_BODY_BYTES = 4 * 1024 * 1024
IDLE_CONNECTION_SECONDS = 30.0
DRIP_BYTES = 4
MAX_DRIP_PIECES = 40


def reply_hold(arrived: float, latency: float, now: float, delay: float = 0.0) -> float:
    """Seconds a reply still waits at ``now``: the rest of the latency since the request arrived
    (none once the emulator's own work took longer), plus a ``delay`` fault's seconds."""
    return max(0.0, arrived + latency - now) + delay


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str


def spoiled(
    fault: Fault | None,
    answer: Callable[[], bytes],
    format_error: Callable[[SmsError], bytes],
    content_type: str,
) -> Reply:
    """The reply under ``fault``; ``answer`` (which may record messages) runs only if the fault lets
    the request through. Sends and account checks share it."""
    if fault is None or fault.processes_request:
        body = answer()
        if fault is not None and fault.kind == STATUS_AFTER:
            return Reply(fault.status, fault.body.encode("utf-8"), HTML_TEXT)
        return Reply(200, body, content_type)
    if fault.kind == STATUS:
        return Reply(fault.status, fault.body.encode("utf-8"), HTML_TEXT)
    if fault.kind == GARBAGE:
        return Reply(200, fault.body.encode("utf-8"), content_type)
    return Reply(200, format_error(SmsError(fault.code, fault.description)), content_type)


class SendRequest(Protocol):
    """A send request as read off the wire, before any judgement."""

    content_type: ClassVar[str]
    param_names: list[str]
    numbers: list[str]

    def answer(self, desk: SendDesk, request_index: int) -> bytes: ...

    def format_error(self, error: SmsError) -> bytes: ...


SendReader = Callable[[str, str, str | None, bytes], SendRequest]
"""Reads a send request from its method, query string, content type and body."""


class Handler(BaseHTTPRequestHandler):
    """One connection: HTTP/1.1 with Content-Length on every reply, so clients keep it alive."""

    protocol_version = "HTTP/1.1"
    server_version = "ClockworkEmulator/1.0"
    timeout = IDLE_CONNECTION_SECONDS
    server: EmulatorHTTPServer
    arrived = 0.0
    """When the current request's head was read (``time.monotonic()``): its latency counts from then."""

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm holds a reply's body until the headers are acknowledged.
        with suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the request's head
        self.arrived = time.monotonic()
        return parsed

    def log_message(self, format: str, *args: Any) -> None:
        """Access lines are noise in test output; keep them at debug level only."""
        logger.debug("emulator: %s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    # Other methods reach the routes too, to be refused with 405 as a web server does (not 501).
    def do_PUT(self) -> None:
        self.route("PUT")

    def do_DELETE(self) -> None:
        self.route("DELETE")

    def do_PATCH(self) -> None:
        self.route("PATCH")

    def route(self, method: str) -> None:
        """Serve the request at ``self.path``; the emulator's handler maps paths to the APIs it plays."""
        raise NotImplementedError

    # -- what every endpoint uses --

    def serve_send(
        self, method: str, target: SplitResult, reader: SendReader, methods: tuple[str, ...]
    ) -> None:
        if method not in methods:
            self.refuse_method(method, target, methods)
            return
        in_flight = self.server.state.begin_send()
        try:
            fault = self.server.state.take_fault()
            if fault is not None and fault.kind == RESET_BEFORE:
                self.record_request(method, target, fault=fault, in_flight=in_flight)
                self.reset_connection()
                return
            body = self.read_body()
            if body is None:
                return
            request = reader(method, target.query, self.headers.get("Content-Type"), body)
            names, numbers = request.param_names, request.numbers
            index = self.record_request(method, target, names, numbers, fault, in_flight)
            self.deliver(self._reply_under(fault, request, index), fault)
        finally:
            self.server.state.end_send()

    def _reply_under(self, fault: Fault | None, request: SendRequest, index: int) -> Reply:
        """The reply a send gets, processed (and recorded) only when the fault lets it through."""
        return spoiled(
            fault, lambda: request.answer(self.server.desk, index), request.format_error, request.content_type
        )

    def serve_unknown(self, method: str, target: SplitResult) -> None:
        if self.read_body() is None:
            return
        self.record_request(method, target)
        self.send_reply(Reply(404, f"No Clockwork endpoint at {target.path}".encode(), PLAIN_TEXT))

    def refuse_method(self, method: str, target: SplitResult, allowed: tuple[str, ...]) -> None:
        if self.read_body() is None:
            return
        self.record_request(method, target)
        self.send_reply(
            Reply(405, f"{method} is not allowed here".encode(), PLAIN_TEXT), {"Allow": ", ".join(allowed)}
        )

    def record_request(
        self,
        method: str,
        target: SplitResult,
        param_names: list[str] | None = None,
        numbers: list[str] | None = None,
        fault: Fault | None = None,
        in_flight: int | None = None,
    ) -> int:
        return self.server.state.log_request(
            method=method,
            path=target.path,
            query=target.query,
            param_names=param_names or [],
            content_type=self.headers.get("Content-Type"),
            numbers=numbers or [],
            client_port=self.client_address[1],
            fault=fault.to_dict() if fault is not None else None,
            in_flight=in_flight,
        )

    # -- reading and writing --

    def read_body(self) -> bytes | None:
        """The request body, or ``None`` after refusing a body the emulator will not read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_and_close(Reply(411, b"Send a Content-Length", PLAIN_TEXT))
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0:
            self.send_and_close(Reply(400, b"Bad Content-Length", PLAIN_TEXT))
            return None
        if length > MAX_BODY_BYTES:
            self.send_and_close(Reply(413, b"Body too large", PLAIN_TEXT))
            return None
        return self.rfile.read(length)

    def deliver(self, reply: Reply, fault: Fault | None) -> None:
        """Send a Clockwork reply, spoiled in the way the fault asks, once the latency has passed.

        The latency is a server's: the time from the request's arrival to its reply. The time
        the emulator takes to read and answer the request is part of it, not added to it, so a
        client meets the latency it asked for, not the latency plus the emulator's own CPU time
        (which is spent on the client's machine, unlike a real server's). A reply that took
        longer than the latency goes at once; a ``delay`` fault holds it its seconds more.
        """
        delay = fault.seconds if fault is not None and fault.kind == DELAY else 0.0
        if not self._pause(reply_hold(self.arrived, self.server.state.latency, time.monotonic(), delay)):
            self.reset_connection()
            return
        kind = fault.kind if fault is not None else None
        if kind == RESET_AFTER:
            self.reset_connection()
        elif kind == TRUNCATE:
            self._send_truncated(reply)
        elif kind == DRIP and fault is not None:
            self._send_dripping(reply, fault.seconds)
        else:
            self.send_reply(reply)

    def _pause(self, seconds: float) -> bool:
        """Wait, unless the emulator is stopping; ``False`` means stop now."""
        return seconds <= 0 or not self.server.stopping.wait(seconds)

    def _send_head(self, reply: Reply, extra_headers: dict[str, str] | None = None) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def send_reply(self, reply: Reply, extra_headers: dict[str, str] | None = None) -> None:
        self._send_head(reply, extra_headers)
        self.wfile.write(reply.body)

    def send_and_close(self, reply: Reply) -> None:
        self.send_reply(reply, {"Connection": "close"})
        self.close_connection = True

    def _send_truncated(self, reply: Reply) -> None:
        """Promise the whole body, deliver half, then close: a reply cut off in transit."""
        self._send_head(reply)
        self.wfile.write(reply.body[: len(reply.body) // 2])
        self.close_connection = True

    def _send_dripping(self, reply: Reply, seconds: float) -> None:
        """The whole body, a few bytes at a time, spread over ``seconds``: a slow but sound reply."""
        pieces = max(1, min(MAX_DRIP_PIECES, math.ceil(len(reply.body) / DRIP_BYTES)))
        size = math.ceil(len(reply.body) / pieces) or 1
        gap = seconds / pieces
        self._send_head(reply)
        for start in range(0, len(reply.body), size):
            if not self._pause(gap):
                self.reset_connection()
                return
            self.wfile.write(reply.body[start : start + size])

    def reset_connection(self) -> None:
        """Drop the connection with a TCP reset and no reply: the client cannot know what happened."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with suppress(OSError):
            self.rfile.close()
            self.connection.close()


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threaded server that can drop every open connection, so that stop() never waits on a client."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[Handler],
        state: EmulatorState,
        desk: SendDesk,
        callbacks: Callbacks,
    ) -> None:
        self.state = state
        self.desk = desk
        self.callbacks = callbacks
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_changed = threading.Condition()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall without a network.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_changed:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_changed:
            self._connections.discard(request)
            self._connections_changed.notify_all()
        super().shutdown_request(request)

    def drop_connections(self, timeout: float) -> None:
        """Close every open connection and wait (bounded) for their threads to finish."""
        with self._connections_changed:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with self._connections_changed:
            self._connections_changed.wait_for(lambda: not self._connections, timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is not an error; anything else is an emulator bug worth a traceback."""
        error = sys.exc_info()[1]
        if self.stopping.is_set() or isinstance(error, (ConnectionError, TimeoutError)):
            return
        logger.error("emulator: error while answering %s", client_address, exc_info=True)
