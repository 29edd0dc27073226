"""Hostile servers on 127.0.0.1: bodies that inflate without end, answers that never finish, far Retry-Afters.

Nothing here measures time: each test checks what happened (the status and its one-line reason, how many
requests the server saw, which sleeps the retry policy asked for, how much memory decoding took).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from resolver.errors import BlockedError
from resolver.models import Resolution
from resolver.net import RetryPolicy, make_client
from resolver.read.fetch import fetch_article
from resolver.resolve.hops import ResolveOptions, resolve_url

from .test_resolve import Sleeps
from .webserver import RawServer, Request, read_request, serve

MiB = 1024 * 1024
INFLATED = 128 * MiB  # what each bomb inflates to: past every cap the program has (page head, JSON, article)


def _deflate(chunks: Iterator[bytes], wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return b"".join([*(packer.compress(c) for c in chunks), packer.flush()])


def _zeros() -> Iterator[bytes]:
    return (b"\0" * MiB for _ in range(INFLATED // MiB))


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    raw = _deflate(_zeros(), -zlib.MAX_WBITS)  # compressed once; gzip and zlib wrap the same stream
    crc = adler = 0
    for chunk in _zeros():
        crc, adler = zlib.crc32(chunk, crc), zlib.adler32(chunk, adler if adler else 1)
    gz = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + raw + struct.pack("<II", crc, INFLATED & 0xFFFFFFFF)
    found = {
        "gzip": gz,
        "x-gzip": gz,
        "deflate": b"\x78\x9c" + raw + struct.pack(">I", adler),
        "deflate-raw": raw,
        "gzip, gzip": gzip.compress(gz),  # gzip inside gzip: a few hundred bytes for 128 MiB
    }
    try:
        import brotli
    except ImportError:
        return found
    packer = brotli.Compressor(quality=5)
    found["br"] = b"".join([*(packer.process(c) for c in _zeros()), packer.finish()])
    return found


def serve_bytes(web, path: str, body: bytes, encoding: str, content_type: str = "text/html") -> None:  # type: ignore[no-untyped-def]
    header = "deflate" if encoding == "deflate-raw" else encoding
    web.route(path)(lambda r: r.reply(200, body, {"Content-Encoding": header}, content_type=content_type))


def live(url: str, *, timeout: float = 5.0, **kw: object) -> Resolution:
    async def go() -> Resolution:
        async with make_client(allow_private=True, timeout=timeout) as client:
            return await resolve_url(url, client, ResolveOptions(allow_private=True, **kw))  # type: ignore[arg-type]

    return asyncio.run(go())


# --- bodies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "deflate-raw", "gzip, gzip", "br"])
def test_a_compression_bomb_is_refused_without_inflating_it(bombs: dict[str, bytes], encoding: str) -> None:
    if encoding not in bombs:
        pytest.skip("brotli is not installed: br is neither advertised nor decoded")
    with serve() as web:
        serve_bytes(web, "/bomb", bombs[encoding], encoding)
        tracemalloc.start()
        try:
            res = live(f"{web.base}/bomb")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert res.status == "blocked", res
    assert res.error and res.error.startswith("refused: body too large") and "\n" not in res.error
    assert peak < 32 * MiB  # the 256 MiB were never there at once (nor anywhere near)


def test_the_bomb_is_refused_for_articles_and_platform_answers_too(bombs: dict[str, bytes]) -> None:
    with serve() as web:
        serve_bytes(web, "/article", bombs["gzip, gzip"], "gzip, gzip")
        with pytest.raises(BlockedError, match="body too large"):
            fetch_article(f"{web.base}/article", allow_private=True)


def test_real_compressed_pages_still_read(bombs: dict[str, bytes]) -> None:
    page = b"<html><head><title>A page that gzips like text</title></head><body>" + b"words " * 20000 + b"</body>"
    two_members = gzip.compress(page[:1000]) + gzip.compress(page[1000:])
    with serve() as web:
        serve_bytes(web, "/gz", gzip.compress(page), "gzip")
        serve_bytes(web, "/members", two_members, "gzip")
        serve_bytes(web, "/deflate", _deflate(iter([page]), -zlib.MAX_WBITS), "deflate-raw")
        results = [live(f"{web.base}/{p}") for p in ("gz", "members", "deflate")]
        body, _, _ = fetch_article(f"{web.base}/members", allow_private=True)
    assert [(r.status, r.title) for r in results] == [("ok", "A page that gzips like text")] * 3
    assert body == page


def test_a_broken_compressed_body_is_one_line_error() -> None:
    with serve() as web:
        web.route("/broken")(lambda r: r.reply(200, b"not gzip at all", {"Content-Encoding": "gzip"}))
        res = live(f"{web.base}/broken")
    assert res.status == "error"
    assert res.error and "cannot be decoded" in res.error and "\n" not in res.error


# --- time -----------------------------------------------------------------------------------------------


def early_hints_forever(conn) -> None:  # type: ignore[no-untyped-def]
    read_request(conn)
    for _ in range(200):
        conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
        time.sleep(0.05)


def headers_a_byte_at_a_time(conn) -> None:  # type: ignore[no-untyped-def]
    read_request(conn)
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 4000:
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def body_a_byte_at_a_time(conn) -> None:  # type: ignore[no-untyped-def]
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4000\r\n\r\n")
    for _ in range(4000):
        conn.sendall(b"x")
        time.sleep(0.05)


def silent(conn) -> None:  # type: ignore[no-untyped-def]
    read_request(conn)
    time.sleep(30)


@pytest.mark.parametrize("handler", [early_hints_forever, headers_a_byte_at_a_time, body_a_byte_at_a_time, silent])
def test_a_request_that_never_completes_ends_at_its_time_limit(handler) -> None:  # type: ignore[no-untyped-def]
    """A server that keeps the connection busy (1xx answers, a trickle) cannot stretch one request
    past --timeout: a per-read timeout alone would never fire."""
    sleeps = Sleeps()
    with RawServer(handler) as server:
        res = live(server.base + "/", timeout=0.5, policy=RetryPolicy(attempts=2, sleep=sleeps))
        attempts = server.connections
    assert res.status == "error"
    assert res.error == f"timed out: no complete answer from 127.0.0.1:{server.port} within 0.5 s"
    assert attempts == 2 and len(sleeps.calls) == 1


def test_the_item_as_a_whole_is_bounded_whatever_the_retry_policy() -> None:
    """Every hop and retry of one link share one time: a policy of 50 attempts does not make 50 requests."""
    with RawServer(silent) as server:
        policy = RetryPolicy(attempts=50, initial_wait=0.01, max_wait=0.01)
        res = live(server.base + "/", timeout=0.3, policy=policy, item_timeout=1.0)
        attempts = server.connections
    assert res.status == "error" and res.error is not None
    assert res.error == "gave up after 1 s (the time one link may take)" or res.error.startswith("timed out")
    assert 2 <= attempts <= 4


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, "100000"), (503, "100000"), (429, formatdate(time.time() + 2 * 86400, usegmt=True)), (429, "31")],
)
def test_a_far_retry_after_ends_the_item_at_once(status: int, retry_after: str) -> None:
    sleeps = Sleeps()
    with serve() as web:
        web.route("/busy")(lambda r: r.reply(status, b"come back later", {"Retry-After": retry_after}))
        res = live(f"{web.base}/busy", policy=RetryPolicy(attempts=4, sleep=sleeps))
        hits = web.hits["/busy"]
    assert res.status == "error"
    assert res.error and f"HTTP {status}: the server asks to retry after" in res.error and "\n" not in res.error
    assert hits == 1 and sleeps.calls == []  # no waiting: the next run picks it up
    assert [h.status for h in res.hops] == [status]


def test_a_retry_after_longer_than_the_item_has_left_is_not_slept() -> None:
    sleeps = Sleeps()
    with serve() as web:
        web.route("/busy")(lambda r: r.reply(429, b"", {"Retry-After": "20"}))
        res = live(f"{web.base}/busy", policy=RetryPolicy(attempts=4, sleep=sleeps), item_timeout=5.0)
    assert res.status == "error" and "retry after 20 s" in (res.error or "")
    assert sleeps.calls == []


def test_no_backoff_is_started_that_would_end_after_the_item_deadline() -> None:
    sleeps = Sleeps()
    with serve() as web:
        web.route("/down")(lambda r: r.reply(503, b"down"))
        policy = RetryPolicy(attempts=4, initial_wait=30.0, max_wait=30.0, sleep=sleeps)
        res = live(f"{web.base}/down", policy=policy, item_timeout=5.0)
        hits = web.hits["/down"]
    assert res.status == "error" and "503" in (res.error or "")
    assert hits == 1 and sleeps.calls == []


# --- the whole command: bounded in memory, one line per item ------------------------------------------------


def _peak_rss_of(command: list[str]) -> tuple[int, int, str]:
    """Run ``command`` in a fresh process whose only child it is: (exit code, peak RSS in bytes, stdout)."""
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
        "print(done.stdout, end='')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, timeout=300)
    code, rss = done.stdout.splitlines()[0].split()
    return int(code), int(rss), "\n".join(done.stdout.splitlines()[1:])


def test_every_hostile_server_at_once_through_the_command_line(tmp_path: Path, bombs: dict[str, bytes]) -> None:
    def retry_later(r: Request) -> None:
        r.reply(429, b"", {"Retry-After": "100000"})

    with serve() as web, RawServer(early_hints_forever) as hints, RawServer(body_a_byte_at_a_time) as trickle:
        for encoding, body in bombs.items():
            serve_bytes(web, f"/bomb/{encoding.replace(', ', '-')}", body, encoding)
        web.route("/retry-later")(retry_later)
        urls = [f"{web.base}/bomb/{e.replace(', ', '-')}" for e in bombs]
        urls += [f"{web.base}/retry-later", hints.base + "/hints", trickle.base + "/trickle"]
        article = tmp_path / "hostile.md"
        article.write_text("".join(f"- <{u}>\n" for u in urls))
        command = [sys.executable, "-m", "resolver", "resolve", str(article), "--allow-private", "--no-cache"]
        code, rss, out = _peak_rss_of([*command, "--timeout", "1", "--retries", "1", "--format", "jsonl", "-q"])
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert code == 1
    assert len(records) == len(urls)
    by_url = {r["url"]: r for r in records}
    assert all(by_url[u]["status"] == "blocked" for u in urls[: len(bombs)])
    assert [by_url[u]["status"] for u in urls[len(bombs) :]] == ["error"] * 3
    assert all(r["error"] and "\n" not in r["error"] and "internal error" not in r["error"] for r in records)
    assert rss < 300 * MiB


def test_waiting_for_a_politeness_slot_does_not_count_against_a_link() -> None:
    """Twelve slow links to one host, one at a time: the last waits far longer than a link may take,
    but only its own request is counted, so every one ends ok."""
    from resolver.net import HostLimiter

    with serve() as web:

        @web.route("/slow/*")
        def slow(r: Request) -> None:
            time.sleep(0.2)
            r.reply(200, b"<title>slow but fine</title>")

        async def go() -> list[Resolution]:
            async with make_client(allow_private=True, timeout=5) as client:
                options = ResolveOptions(allow_private=True, limiter=HostLimiter(per_host=1), item_timeout=0.5)
                return await asyncio.gather(*(resolve_url(f"{web.base}/slow/{i}", client, options) for i in range(12)))

        results = asyncio.run(go())
    assert [r.status for r in results] == ["ok"] * 12
