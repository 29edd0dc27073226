"""A small web the tests start themselves on 127.0.0.1: redirects, faults, slow and huge bodies."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[["Request"], None]


class Request(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeWeb  # type: ignore[assignment]

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.hits[path] += 1
        self.server.user_agents.append(self.headers.get("User-Agent", ""))
        for prefix, handler in self.server.routes:
            if path == prefix or (prefix.endswith("*") and path.startswith(prefix[:-1])):
                handler(self)
                return
        self.reply(404, b"not found")

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_type: str = "text/html; charset=utf-8") -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 301) -> None:
        self.reply(status, b"", {"Location": location})


class FakeWeb(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Request)
        self.routes: list[tuple[str, Handler]] = []
        self.hits: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self.bytes_sent = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((path, handler))
            return handler

        return register


@contextlib.contextmanager
def serve() -> Iterator[FakeWeb]:
    web = FakeWeb()
    thread = threading.Thread(target=web.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        web.shutdown()
        web.server_close()


def trickle(request: Request, chunks: int, delay: float) -> None:
    """Headers at once, then a body too slow to wait for."""
    request.send_response(200)
    request.send_header("Content-Type", "text/html")
    request.send_header("Content-Length", str(chunks))
    request.end_headers()
    for _ in range(chunks):
        try:
            request.wfile.write(b"x")
            request.wfile.flush()
        except OSError:
            return
        time.sleep(delay)


def huge(request: Request, size: int) -> None:
    """A body far larger than anyone should read; counts what was actually sent."""
    request.send_response(200)
    request.send_header("Content-Type", "text/html")
    request.send_header("Content-Length", str(size))
    request.end_headers()
    chunk = b"<p>" + b"a" * 65533 + b"\n"
    sent = 0
    try:
        while sent < size:
            request.wfile.write(chunk)
            sent += len(chunk)
            request.server.bytes_sent = sent
    except OSError:
        return


def reset(request: Request) -> None:
    request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    request.connection.close()
    request.close_connection = True
