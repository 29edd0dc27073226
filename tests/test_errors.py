"""Each way a request can fail says so in one line, naming the real cause, against a loopback server (or a
loopback DNS server) that fails exactly that way. None of them may read "timed out" unless time ran out."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import resolver.net.transport
from resolver.cli import app
from resolver.models import Resolution
from resolver.net import RetryPolicy, make_client
from resolver.resolve.hops import ResolveOptions, resolve_url

from .webserver import FakeDNS, RawServer, read_request, unused_port


def _answer(raw: bytes) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(raw)

    return handler


def _reset(conn: socket.socket) -> None:
    read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _close(conn: socket.socket) -> None:
    read_request(conn)


def _plain_http_on_a_tls_port(conn: socket.socket) -> None:
    conn.recv(4096)  # a TLS ClientHello, answered as a plain HTTP server answers nonsense
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


SERVERS: dict[str, tuple[Callable[[socket.socket], None], str, str]] = {
    # name: (handler, scheme, the one line expected, with {where} for 127.0.0.1:PORT)
    "reset": (_reset, "http", "connection reset by {where} before a complete answer"),
    "closed": (_close, "http", "{where} closed the connection without a complete answer"),
    "tls-on-plain-port": (
        _plain_http_on_a_tls_port,
        "https",
        "TLS handshake with {where} failed: wrong version number",
    ),
    "bad-status-line": (
        _answer(b"SSH-2.0-OpenSSH_9.6\r\n"),
        "http",
        "malformed HTTP answer from {where}: Bad status line: Expected HTTP/, RTSP/ or ICE/: b'SSH-2.0-OpenSSH_9.6'",
    ),
    "bad-header": (
        _answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNot A Header\r\n\r\nhi"),
        "http",
        "malformed HTTP answer from {where}: Invalid header token: b'Not A Header'",
    ),
    "bad-chunk": (
        _answer(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n"),
        "http",
        "malformed HTTP answer from {where}: Invalid character in chunk size: b'zz'",
    ),
    "cut-off": (
        _answer(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\nshort"),
        "http",
        "the answer from {where} was cut off: "
        "Not enough data to satisfy content length header (received 5 of 100 bytes).",
    ),
}


def resolve(url: str, dns: FakeDNS | None = None) -> Resolution:
    async def go() -> Resolution:
        servers = [dns.server] if dns else None
        async with make_client(allow_private=True, timeout=3, dns_servers=servers) as client:
            options = ResolveOptions(allow_private=True, policy=RetryPolicy(attempts=1))
            return await resolve_url(url, client, options)

    return asyncio.run(go())


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_each_failure_names_its_cause(name: str) -> None:
    handler, scheme, expected = SERVERS[name]
    with RawServer(handler) as server:
        res = resolve(f"{scheme}://127.0.0.1:{server.port}/page")
    assert res.status == "error"
    assert res.error == expected.format(where=f"127.0.0.1:{server.port}")


def test_a_refused_connection_says_refused() -> None:
    port = unused_port()
    res = resolve(f"http://127.0.0.1:{port}/")
    assert (res.status, res.error) == ("error", f"connection refused by 127.0.0.1:{port}")


def test_a_name_that_does_not_exist_says_nxdomain() -> None:
    with FakeDNS({}) as dns:
        res = resolve("http://no-such-host.test/", dns)
    assert (res.status, res.error) == ("error", "DNS lookup of no-such-host.test failed: no such name (NXDOMAIN)")


def test_a_dns_server_that_never_answers_says_so() -> None:
    with FakeDNS({}, hang=["silent.test"]) as dns:
        res = resolve("http://silent.test/", dns)
    assert res.status == "error" and str(res.error).startswith("DNS lookup of silent.test timed out")


def test_a_non_ascii_location_or_junk_headers_do_not_escape_as_internal_errors() -> None:
    with RawServer(_answer(b"HTTP/1.1 301 Moved\r\nLocation: http://\xff\xfe/\r\nContent-Length: 0\r\n\r\n")) as server:
        res = resolve(f"http://127.0.0.1:{server.port}/")
    assert res.status in ("blocked", "error")
    assert res.error and "internal error" not in res.error and "\n" not in res.error


def test_on_the_command_line_every_cause_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeDNS({}) as dns, RawServer(SERVERS["reset"][0]) as reset, RawServer(SERVERS["bad-header"][0]) as bad:
        monkeypatch.setattr(resolver.net.transport, "DEFAULT_DNS_SERVERS", [dns.server])
        refused = unused_port()
        tls = RawServer(_plain_http_on_a_tls_port).__enter__()
        urls = [
            f"http://127.0.0.1:{refused}/a",
            f"http://127.0.0.1:{reset.port}/b",
            f"http://127.0.0.1:{bad.port}/c",
            f"https://127.0.0.1:{tls.port}/d",
            "http://nowhere.test/e",
        ]
        article = tmp_path / "a.md"
        article.write_text("".join(f"- <{u}>\n" for u in urls))
        args = ["resolve", str(article), "--allow-private", "--no-cache", "--retries", "0", "-f", "jsonl"]
        result = CliRunner().invoke(app, args)
        tls.__exit__()
    records = {r["url"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [records[u]["error"] for u in urls]
    assert [e.split(" ")[0] for e in errors] == ["connection", "connection", "malformed", "TLS", "DNS"]
    assert all("\n" not in e and "timed out" not in e and "internal error" not in e for e in errors)
