"""A local endpoint that answers every POST with the bytes a test gives it: real HTTP on
127.0.0.1, in a thread.

For streams unlike Azure's (the shipped simulator speaks Azure's own): each piece of
``RawAnswer.pieces`` is written and flushed as one HTTP/1.1 chunk, with or without a
``Content-Type``. With ``hold_after_first``, the server sends the first piece and then waits
until the test sets ``release`` (or ``hold_s`` passes), so a test can tell whether the client
handed the first piece on before the answer ended. ``headers`` are added to the answer, and
``delay_s`` passes before anything is sent (a slow endpoint); ``server.hits`` counts the
requests that arrived.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class RawAnswer:
    pieces: list[bytes]
    content_type: str | None = "text/event-stream"
    status: int = 200
    hold_after_first: bool = False
    hold_s: float = 10.0
    release: threading.Event = field(default_factory=threading.Event)
    released_in_time: bool | None = None  # set after a hold: was ``release`` set in time?
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class RawAnswerServer:
    """``with RawAnswerServer() as server:`` serves ``server.answer`` on ``server.url``."""

    def __init__(self) -> None:
        self.answer = RawAnswer(pieces=[])
        self.hits = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="raw-answers", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RawAnswerServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: RawAnswerServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that stops reading early (at an error event) is not an error here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows what the tests assert, not an access log."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        owner = self.server.owner
        owner.hits += 1
        answer = owner.answer
        if answer.delay_s:
            time.sleep(answer.delay_s)
        self.send_response(answer.status)
        if answer.content_type is not None:
            self.send_header("content-type", answer.content_type)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for number, piece in enumerate(answer.pieces):
            if piece:  # an empty chunk would end the body
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
            if number == 0 and answer.hold_after_first:
                answer.released_in_time = answer.release.wait(answer.hold_s)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
