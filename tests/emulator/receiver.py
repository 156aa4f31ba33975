"""A tiny local web service standing in for a user's receipt and inbound endpoints.

It records every request it gets and answers with the statuses it is told to, or
holds its answer back (bounded) to play a receiver that hangs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HOLD_LIMIT_SECONDS = 10.0
WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def form(self) -> dict[str, str]:
        """The query string of a GET or the form body of a POST, as a dict."""
        text = self.query if self.method == "GET" else self.body.decode("utf-8")
        return dict(parse_qsl(text, keep_blank_values=True))

    def raw(self) -> str:
        """Everything that came over the wire, for checking that a secret never did."""
        head = " ".join(f"{name}: {value}" for name, value in self.headers.items())
        return f"{self.method} {self.path}?{self.query} {head} {self.body.decode('utf-8', 'replace')}"


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that records requests; ``statuses`` are answered in turn."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.default_status = 200
        self.hold = False
        self._received: list[Received] = []
        self._changed = threading.Condition()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(WAIT_SECONDS)

    def received(self) -> list[Received]:
        with self._changed:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self._received) >= count, timeout)

    def _record(self, request: Received) -> int:
        with self._changed:
            self._received.append(request)
            self._changed.notify_all()
            return self.statuses.pop(0) if self.statuses else self.default_status

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                target = urlsplit(self.path)
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = receiver._record(
                    Received(self.command, target.path, target.query, headers, self.rfile.read(length))
                )
                if receiver.hold:
                    receiver._release.wait(HOLD_LIMIT_SECONDS)
                with suppress(ConnectionError):  # a caller that gave up on a held answer has gone
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
