"""A small web the tests start themselves on 127.0.0.1: redirects, faults, slow and huge bodies, servers that
misbehave below HTTP (raw TCP), and a DNS server that answers, refuses or never answers."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
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


def send_raw_headers(request: Request, status: int, headers: list[tuple[str, str]], body: bytes = b"") -> None:
    """A response whose header values may hold any characters (sent as UTF-8, as careless servers do)."""
    lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in headers), f"Content-Length: {len(body)}"]
    request.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)


# --- servers that misbehave below HTTP -------------------------------------------------------------------


class RawServer:
    """A TCP server on 127.0.0.1 whose ``handler(conn)`` speaks whatever bytes it likes (or none)."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = int(self._sock.getsockname()[1])
        self.connections = 0
        self._handler = handler
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            self._handler(conn)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()


def read_request(conn: socket.socket, limit: int = 65536) -> bytes:
    """The request head (up to the blank line), or what came before the peer stopped sending."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a DNS server on 127.0.0.1 -----------------------------------------------------------------------------


class FakeDNS:
    """Answers A/AAAA queries over UDP from ``answers`` (name → addresses); NXDOMAIN for other names;
    never answers the names in ``hang``. Point the resolver at it with ``dns_servers=[dns.server]``."""

    def __init__(self, answers: dict[str, list[str]], hang: Iterable[str] = ()) -> None:
        self.answers = {k.lower(): v for k, v in answers.items()}
        self.hang = {h.lower() for h in hang}
        self.queries: Counter[str] = Counter()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self.server = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeDNS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self._sock.recvfrom(4096)
            except OSError:
                return
            with contextlib.suppress(Exception):  # a malformed query is dropped, as a real server would
                reply = self._answer(data)
                if reply is not None:
                    self._sock.sendto(reply, peer)

    def _answer(self, query: bytes) -> bytes | None:
        query_id = struct.unpack(">H", query[:2])[0]
        labels, i = [], 12
        while query[i]:
            labels.append(query[i + 1 : i + 1 + query[i]].decode("ascii"))
            i += 1 + query[i]
        qtype = struct.unpack(">H", query[i + 1 : i + 3])[0]
        question = query[12 : i + 5]
        name = ".".join(labels).lower()
        self.queries[name] += 1
        if name in self.hang:
            return None
        if name not in self.answers:
            return struct.pack(">HHHHHH", query_id, 0x8183, 1, 0, 0, 0) + question  # NXDOMAIN
        records = b""
        count = 0
        for address in self.answers[name]:
            ip = ipaddress.ip_address(address)
            rtype = 1 if ip.version == 4 else 28
            if rtype == qtype:
                records += struct.pack(">HHHIH", 0xC00C, rtype, 1, 60, len(ip.packed)) + ip.packed
                count += 1
        return struct.pack(">HHHHHH", query_id, 0x8180, 1, count, 0, 0) + question + records
