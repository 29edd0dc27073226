"""Archiving cited sources, and running unattended: Wayback CDX and Save Page Now, WARC files, the
article memory, newly dead sources, the lock, and a run killed in the middle."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from resolver.archive import (
    ArchiveOptions,
    Archiver,
    Throttle,
    WarcRecorder,
    archive_records,
    best_capture,
    nearest_capture,
    parse_cdx,
)
from resolver.archive.near import Moment, Near, parse_moment, run_date, target_for
from resolver.cli import app
from resolver.net import make_client
from resolver.net.cassette import CassetteTransport
from resolver.resolve.hops import ResolveOptions, resolve_url
from resolver.store import MemoryStore, RunLock, SQLiteStore

from .webserver import serve

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
runner = CliRunner()


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def archiver(transport: httpx.AsyncBaseTransport, **options: object):  # type: ignore[no-untyped-def]
    async def go(urls: list[str]):  # type: ignore[no-untyped-def]
        async with make_client(transport=transport, allow_private=True) as client:
            arch = Archiver(client, MemoryStore(), ArchiveOptions(**options), allow_private=True)  # type: ignore[arg-type]
            return [await arch.archive(u) for u in urls]

    return go


# --- CDX ---------------------------------------------------------------------------------------------


def test_archived_errors_and_redirects_are_not_captures() -> None:
    rows = parse_cdx(
        "com,example)/a 20240101000000 https://example.com/a text/html 200 AAAA 100\n"
        "com,example)/a 20240301000000 https://example.com/a text/html 301 BBBB 100\n"
        "com,example)/a 20240401000000 https://example.com/a text/html 429 CCCC 100\n"
        "com,example)/a 20240501000000 https://example.com/a warc/revisit - AAAA 100\n"
        "com,example)/a 20240601000000 https://example.com/a text/html 404 DDDD 100\n"
    )
    capture = best_capture(rows)
    assert capture is not None and capture.timestamp == "20240501000000"  # the revisit of the good 200
    assert best_capture(rows[1:3]) is None  # only a redirect and a replayed 429: nothing of the page itself


def test_recorded_cdx_answers_and_a_blocked_site() -> None:
    sleeps = Sleeps()
    go = archiver(CassetteTransport.from_paths(CASSETTES / "wayback" / "cdx.yaml"), sleep=sleeps)
    nasa, dw, blocked = asyncio.run(
        go(["https://www.nasa.gov/", "https://www.dw.com/", "https://nationalpost.com/health"])
    )
    assert nasa["wayback_url"] == "https://web.archive.org/web/19961231235847/http://www.nasa.gov:80/"
    assert nasa["archived_at"] == "1996-12-31T23:58:47Z" and nasa["error"] is None
    assert dw["wayback_url"] and dw["wayback_url"].startswith("https://web.archive.org/web/2019")
    assert blocked["wayback_url"] is None and blocked["error"] == "the Wayback Machine excludes this site (blocked)"
    # spaced 2.5 s apart (~24 CDX requests a minute); the injected sleep passes no time, so the schedule adds up
    assert [round(s) for s in sleeps.calls] == [2, 5] or [round(s, 1) for s in sleeps.calls] == [2.5, 5.0]


def test_bare_429_waits_a_minute_then_asks_again() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if len(calls) == 1:
            return httpx.Response(429, text="Too Many Requests")  # CDX sends no Retry-After
        return httpx.Response(200, text="com,example)/ 20250101000000 https://example.com/ text/html 200 X 1\n")

    sleeps = Sleeps()
    (result,) = asyncio.run(archiver(httpx.MockTransport(handler), sleep=sleeps)(["https://example.com/"]))
    assert result["archived_at"] == "2025-01-01T00:00:00Z" and 60.0 in sleeps.calls and len(calls) == 2


def test_throttle_spaces_requests() -> None:
    clock = [100.0]
    calls: list[float] = []

    async def sleeps(seconds: float) -> None:  # a sleep that lets the fake clock run
        calls.append(seconds)
        clock[0] += seconds

    throttle = Throttle(2.5, sleeps, clock=lambda: clock[0])

    async def go() -> None:
        for _ in range(3):
            await throttle.wait()

    asyncio.run(go())
    assert calls == [2.5, 2.5]
    clock[0] += 10  # after a pause, no wait at all
    asyncio.run(go())
    assert calls == [2.5, 2.5, 2.5, 2.5]


# --- Save Page Now (loopback) ------------------------------------------------------------------------


def spn_web(outcome: str):  # type: ignore[no-untyped-def]
    web_ctx = serve()
    web = web_ctx.__enter__()
    polls = {"n": 0}

    def save(r):  # type: ignore[no-untyped-def]
        length = int(r.headers.get("Content-Length", 0))
        body = r.rfile.read(length).decode()
        if r.headers.get("Authorization") != "LOW key:secret":
            return r.reply(401, b'{"status":"error","message":"not logged in"}', content_type="application/json")
        if "url=" not in body:
            return r.reply(400, b"{}", content_type="application/json")
        if outcome == "refused":
            return r.reply(
                200,
                b'{"status":"error","status_ext":"error:user-session-limit","message":"busy"}',
                content_type="application/json",
            )
        return r.reply(
            200, b'{"url":"https://example.com/a","job_id":"ac58789b-f3ca"}', content_type="application/json"
        )

    def status(r):  # type: ignore[no-untyped-def]
        polls["n"] += 1
        if outcome == "pending" or polls["n"] < 3:
            return r.reply(
                200, b'{"status":"pending","job_id":"ac58789b-f3ca","resources":[]}', content_type="application/json"
            )
        if outcome == "error":
            body = (
                b'{"status":"error","status_ext":"error:not-found","message":"Page not found","job_id":"ac58789b-f3ca"}'
            )
            return r.reply(200, body, content_type="application/json")
        body = b'{"status":"success","job_id":"ac58789b-f3ca","original_url":"https://example.com/a","timestamp":"20261126090000"}'
        return r.reply(200, body, content_type="application/json")

    web.routes.append(("/save", save))
    web.routes.append(("/save/status/*", status))
    web.do_POST = None
    return web_ctx, web, polls


@pytest.fixture
def post_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    from .webserver import Request

    monkeypatch.setattr(Request, "do_POST", Request.do_GET, raising=False)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("success", ("https://web.archive.org/web/20261126090000/https://example.com/a", True, None)),
        ("error", (None, True, "Save Page Now failed: error:not-found")),
        ("refused", (None, True, "Save Page Now refused: error:user-session-limit")),
        ("pending", (None, True, "did not finish within 30 s")),
    ],
)
def test_save_page_now_polls_until_done(post_enabled: None, outcome: str, expected: tuple) -> None:  # type: ignore[type-arg]
    ctx, web, polls = spn_web(outcome)
    try:
        sleeps = Sleeps()
        go = archiver(
            httpx.AsyncHTTPTransport(),
            lookup=False,
            save=True,
            spn_url=f"{web.base}/save",
            access_key="key",
            secret_key="secret",
            sleep=sleeps,
            spn_poll_interval=6.0,
            spn_timeout=30.0,
        )
        (result,) = asyncio.run(go(["https://example.com/a"]))
    finally:
        ctx.__exit__(None, None, None)
    wayback, saved, error = expected
    assert result["wayback_url"] == wayback
    assert (result["error"] or "").endswith(error or "") if error else result["error"] is None
    assert saved or not result["saved"]
    if outcome == "pending":
        assert sum(sleeps.calls) <= 36 and polls["n"] >= 5  # gave up on time, never blocked forever


def test_save_needs_keys() -> None:
    go = archiver(
        httpx.MockTransport(lambda r: httpx.Response(500)), lookup=False, save=True, access_key=None, secret_key=None
    )
    (result,) = asyncio.run(go(["https://example.com/a"]))
    assert result["error"] and "IA_ACCESS_KEY" in result["error"]


# --- WARC --------------------------------------------------------------------------------------------


def test_warc_holds_every_hop_and_reads_back_with_valid_digests(tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from resolver.models import Link, ResolvedRecord

    with serve() as web:
        web.route("/short")(lambda r: r.redirect("/article?utm_source=x"))
        web.route("/article")(lambda r: r.reply(200, "<html><title>Story</title><p>Ünïcode body</p></html>".encode()))

        async def go() -> dict[str, str] | None:
            async with make_client(allow_private=True) as client:
                res = await resolve_url(f"{web.base}/short", client, ResolveOptions(allow_private=True))
                link = Link("a.html", f"{web.base}/short", f"{web.base}/short", None, False, (0, 1), 1)
                recorder = WarcRecorder(tmp_path / "cited.warc.gz", client, allow_private=True)
                try:
                    return await recorder.capture(ResolvedRecord(link, res))
                finally:
                    recorder.close()

        written = asyncio.run(go())
    assert written is not None and written["file"].endswith("cited.warc.gz")
    records = []
    with (tmp_path / "cited.warc.gz").open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            body = record.content_stream().read()
            records.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"), record, body))
    assert [(t, u) for t, u, _, _ in records] == [
        ("response", f"{web.base}/short"),
        ("request", f"{web.base}/short"),
        ("response", f"{web.base}/article?utm_source=x"),
        ("request", f"{web.base}/article?utm_source=x"),
    ]
    first_response, last_response = records[0][2], records[2][2]
    assert first_response.http_headers.get_statuscode() == "301"
    assert last_response.rec_headers.get_header("WARC-Payload-Digest", "").startswith("sha1:")
    assert "Ünïcode body".encode() in records[2][3]
    assert records[3][2].rec_headers.get_header("WARC-Concurrent-To") == last_response.rec_headers.get_header(
        "WARC-Record-ID"
    )
    assert written["record_id"] == last_response.rec_headers.get_header("WARC-Record-ID")


# --- unattended runs ---------------------------------------------------------------------------------


def _article(tmp_path: Path, base: str, name: str = "a.html") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<html><body><article><p><a href="{base}/s/1">one</a> <a href="{base}/s/2">two</a></p></article></body></html>'
    )
    return path


def test_rerun_skips_unchanged_articles_and_reports_newly_dead(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    with serve() as web:
        alive = {"2": True}
        web.route("/s/*")(lambda r: r.redirect(f"/page/{r.path.rsplit('/', 1)[1]}"))
        web.route("/page/*")(
            lambda r: r.reply(200, b"<title>ok</title>") if alive.get(r.path[-1], True) else r.reply(404, b"gone")
        )
        article = _article(tmp_path, web.base)
        args = ["archive", str(article), "--no-lookup", "--allow-private", "--cache", str(cache), "--format", "jsonl"]
        first = runner.invoke(app, [*args, "--log-format", "json"])
        assert first.exit_code == 0, first.output
        assert len([json.loads(x) for x in first.stdout.splitlines()]) == 2
        summary = json.loads(first.stderr.strip().splitlines()[-1])
        assert summary["event"] == "summary" and summary["articles"] == 1

        second = runner.invoke(app, args)  # nothing changed: nothing to do
        assert second.exit_code == 0 and second.stdout == ""
        assert "1 unchanged, skipped" in second.stderr

        alive["2"] = False  # the second source dies; a forced, fresh re-check notices
        third = runner.invoke(app, [*args, "--all", "--recheck", "0"])
        records = [json.loads(x) for x in third.stdout.splitlines()]
        dead = [r for r in records if r["status"] == "dead"]
        assert len(dead) == 1 and dead[0]["newly_dead"] is True and dead[0]["raw"].endswith("/s/2")

    report = runner.invoke(app, ["report", "--cache", str(cache), "--format", "json"])
    data = json.loads(report.stdout)
    assert data["articles"] == 1 and data["sources"] == 2 and data["by_status"] == {"dead": 1, "ok": 1}
    assert [d["source"].rsplit("/", 2)[-2:] for d in data["newly_dead"]] == [["s", "2"]]
    markdown = runner.invoke(app, ["report", "--cache", str(cache), "--format", "markdown"]).stdout
    assert "| source | dead since | archived copy |" in markdown


def test_a_second_run_waits_for_the_lock_then_exits_75(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    article = tmp_path / "a.txt"
    article.write_text("nothing to resolve here\n")
    with RunLock(Path(str(cache) + ".lock")):
        result = runner.invoke(app, ["archive", str(article), "--cache", str(cache), "--lock-wait", "0.3"])
    assert result.exit_code == 75 and "another run holds" in result.stderr  # EX_TEMPFAIL: not an item's failure
    after = runner.invoke(app, ["archive", str(article), "--cache", str(cache), "--no-lookup"])
    assert after.exit_code == 0


def test_killed_run_loses_nothing_and_the_next_run_finishes(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    answered: dict[str, float] = {}  # when each page's first answer had been sent
    with serve() as web:

        @web.route("/slow/*")
        def slow(r):  # type: ignore[no-untyped-def]
            time.sleep(0.15)
            r.reply(200, b"<title>slow</title>")
            answered.setdefault(r.path, time.monotonic())

        article = tmp_path / "many.md"
        article.write_text("\n".join(f"- <{web.base}/slow/{i}>" for i in range(40)) + "\n")
        cmd = [
            sys.executable,
            "-m",
            "resolver",
            "archive",
            str(article),
            "--no-lookup",
            "--allow-private",
            "--cache",
            str(cache),
            "--concurrency",
            "4",
            "--per-host",
            "4",
            "-q",
            "-o",
            str(tmp_path / "o.jsonl"),
        ]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while sum(web.hits.values()) < 24 and time.monotonic() < deadline:  # some answered well before the kill
            time.sleep(0.05)
        killed_at = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        answered_before_kill = {path: at for path, at in answered.items() if at < killed_at}
        hits_before = sum(web.hits.values())
        assert 24 <= hits_before < 40, hits_before
        assert not (tmp_path / "o.jsonl").exists()  # killed before writing: no half-written output either

        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        records = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
        assert len(records) == 40 and all(r["status"] == "ok" for r in records)
        # Each source was fetched once, except what was not finished at the kill: the requests in flight (at
        # most --concurrency of them) and the pages answered just before it, still being read or dated (a
        # page waiting for its date has given its slot back). Nothing answered well before the kill is lost.
        refetched = [path for path, n in web.hits.items() if n == 2]
        assert all(n <= 2 for n in web.hits.values())
        assert len([path for path in refetched if path not in answered_before_kill]) <= 4
        assert [path for path in refetched if answered_before_kill.get(path, killed_at) < killed_at - 0.5] == []
    store = SQLiteStore(cache)
    try:
        report = store.report(None)
    finally:
        store.close()
    assert report["sources"] == 40 and report["articles"] == 1


def test_feeds_and_sitemaps_are_sources() -> None:
    with serve() as web:
        rss = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>{web.base}/</link>'
            f"<item><link>{web.base}/a1</link></item><item><link>{web.base}/a2</link></item></channel></rss>"
        )
        sitemap = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{web.base}/a3</loc></url></urlset>"
        )
        web.route("/feed.xml")(lambda r: r.reply(200, rss.encode(), content_type="application/rss+xml"))
        web.route("/sitemap.xml")(lambda r: r.reply(200, sitemap.encode(), content_type="application/xml"))
        web.route("/a*")(
            lambda r: r.reply(
                200, f"<html><body><article><p>See https://bit.ly/{r.path[1:]}x</p></article></body></html>".encode()
            )
        )
        result = runner.invoke(
            app, ["scan", f"{web.base}/feed.xml", f"{web.base}/sitemap.xml", "--allow-private", "--format", "jsonl"]
        )
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in result.stdout.splitlines()]
    assert [(r["source"].rsplit("/", 1)[-1], r["raw"]) for r in records] == [
        ("a1", "https://bit.ly/a1x"),
        ("a2", "https://bit.ly/a2x"),
        ("a3", "https://bit.ly/a3x"),
    ]


def test_when_the_newest_captures_are_all_errors_ask_for_the_newest_good_one() -> None:
    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        if "filter" not in request.url.params:
            rows = "".join(
                f"com,example)/ 202501{d:02d}000000 https://example.com/ text/html 429 E 1\n" for d in range(1, 26)
            )
            return httpx.Response(200, text=rows)
        return httpx.Response(200, text="com,example)/ 20231111000000 https://example.com/ text/html 200 G 1\n")

    (result,) = asyncio.run(archiver(httpx.MockTransport(handler), sleep=Sleeps())(["https://example.com/"]))
    assert result["archived_at"] == "2023-11-11T00:00:00Z"
    assert asked[1]["filter"] == "statuscode:200" and asked[1]["limit"] == "-1"


# --- WARC: torn tails, memory across runs, failed writes -----------------------------------------------


def _capture_all(path: Path, urls: list[str], store: MemoryStore) -> tuple[list[dict[str, str] | None], str | None]:
    from resolver.models import Hop, Link, Resolution, ResolvedRecord

    async def go() -> tuple[list[dict[str, str] | None], str | None]:
        async with make_client(allow_private=True) as client:
            recorder = WarcRecorder(path, client, allow_private=True, store=store)
            try:
                written = []
                for url in urls:
                    res = Resolution(url, "ok", url, url, (Hop(url, 200, "http"),))  # as resolve found it
                    link = Link("a", url, url, None, False, (0, 1), 1)
                    written.append(await recorder.capture(ResolvedRecord(link, res)))
                return written, recorder.repaired
            finally:
                recorder.close()

    return asyncio.run(go())


def _read_warc(path: Path) -> list[tuple[str, str]]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as fh:
        records = ArchiveIterator(fh, check_digests="raise")
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in records
                if r.content_stream().read() is not None]  # fmt: skip


@pytest.mark.parametrize("name", ["cited.warc.gz", "cited.warc"])
def test_a_torn_warc_tail_is_cut_off_and_nothing_is_written_twice(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with serve() as web:
        web.route("/p/*")(lambda r: r.reply(200, f"<title>{r.path}</title>".encode() + b"x" * 3000))
        urls = [f"{web.base}/p/{n}" for n in range(3)]
        store = MemoryStore()
        first, repaired = _capture_all(path, urls[:2], store)
        assert repaired is None
        whole = path.stat().st_size
        with path.open("ab") as fh:  # the start of a record: what a kill mid-write or a full disk leaves
            fh.write(path.read_bytes()[:100])
        second, repaired = _capture_all(path, urls, store)
        assert repaired is not None and "torn record" in repaired and "(100 bytes)" in repaired
        assert path.stat().st_size > whole  # cut back to the whole records, then the third capture appended
        assert second[:2] == first  # already in the file: the same records, not new copies
        hits_before = web.hits["/p/0"]
        third, _ = _capture_all(path, urls, MemoryStore())  # a store that never heard of this file: it reads it
        assert third == second and web.hits["/p/0"] == hits_before  # nothing fetched or written again
    assert _read_warc(path) == [(kind, u) for u in urls for kind in ("response", "request")]


def test_a_file_that_is_not_a_warc_is_never_cut(tmp_path: Path) -> None:
    from resolver.archive import WarcError

    path = tmp_path / "notes.warc"
    path.write_text("my own notes, not a WARC\n")
    with pytest.raises(WarcError, match="not a WARC file"):
        _capture_all(path, [], MemoryStore())
    assert path.read_text() == "my own notes, not a WARC\n"


def test_a_failed_warc_write_is_undone_and_said_once(tmp_path: Path) -> None:
    path = tmp_path / "cited.warc"
    with serve() as web:
        web.route("/p/*")(lambda r: r.reply(200, b"<title>t</title>" + b"y" * 20_000))
        script = (
            "import asyncio, json, resource, signal, sys\n"
            "sys.path.insert(0, sys.argv[3])\n"
            "from tests.test_archive import _capture_all\n"
            "from resolver.store import MemoryStore\n"
            "from resolver.archive import WarcError\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))\n"  # room for two captures, not three
            "urls = [f'{sys.argv[2]}/p/{n}' for n in range(4)]\n"
            "try:\n    _capture_all(__import__('pathlib').Path(sys.argv[1]), urls, MemoryStore())\n"
            "except WarcError as exc:\n    print(exc)\n"
        )
        done = subprocess.run([sys.executable, "-c", script, str(path), web.base, str(Path(__file__).parents[1])],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.stdout.strip() == "warc: not written: File too large", done.stderr
    assert _read_warc(path) == [(k, f"{web.base}/p/{n}") for n in range(2) for k in ("response", "request")]


# --- --near: the capture nearest the article's date, or a given date ------------------------------------

NEAR_CASSETTE = CASSETTES / "wayback" / "cdx-near.yaml"


def test_parse_moment_reads_the_forms_pages_and_users_write() -> None:
    cases = {
        "2025-03-14": "2025-03-14",
        "20250314": "2025-03-14",
        "2020-10-01T16:09:26.000Z": "2020-10-01T16:09:26Z",
        "2019-11-08T15:30:00-05:00": "2019-11-08T20:30:00Z",
        "2020-05-16T09:00:40.509-0400": "2020-05-16T13:00:40Z",
        "2021-05-05 09:22:27": "2021-05-05T09:22:27Z",  # no offset: taken as UTC
        "20220101010510": "2022-01-01T01:05:10Z",
    }
    assert {text: (m.iso if (m := parse_moment(text)) else None) for text in cases} == cases
    for bad in ("Tuesday", "2025-02-30", "2025-13-01", "", None, "2025-03-14T25:00"):
        assert parse_moment(bad) is None, bad
    assert parse_moment("2025-03-14") == Moment(parse_moment("20250314").when, date_only=True)  # type: ignore[union-attr]
    assert parse_moment("2025-03-14").cdx == "20250314120000"  # type: ignore[union-attr]
    assert Near.parse("article") == Near() and Near.parse("2022-01-01").moment is not None
    with pytest.raises(ValueError, match="neither 'article' nor a date"):
        Near.parse("last week")


def test_nearest_good_capture_skips_nearer_errors_and_redirects() -> None:
    rows = parse_cdx(
        "com,example)/a 20240101000000 https://example.com/a text/html 200 AAAA 100\n"
        "com,example)/a 20240301000000 https://example.com/a text/html 301 BBBB 100\n"
        "com,example)/a 20240302000000 https://example.com/a text/html 429 CCCC 100\n"
        "com,example)/a 20240601000000 https://example.com/a warc/revisit - AAAA 100\n"
    )
    march = parse_moment("2024-03-02")
    assert march is not None
    capture = nearest_capture(rows, march)
    assert capture is not None and capture.timestamp == "20240101000000"  # 61 days before beats 91 days after
    capture = nearest_capture(rows, parse_moment("2024-05-01"))  # type: ignore[arg-type]
    assert capture is not None and capture.timestamp == "20240601000000"  # the revisit of the good 200
    tie = parse_cdx(
        "com,example)/a 20240101000000 https://example.com/a text/html 200 AAAA 100\n"
        "com,example)/a 20240103000000 https://example.com/a text/html 200 AAAA 100\n"
    )
    assert nearest_capture(tie, parse_moment("20240102000000")).timestamp == "20240101000000"  # type: ignore[arg-type,union-attr]
    assert nearest_capture(rows[1:3], march) is None


def test_near_a_date_asks_cdx_for_the_closest_captures_and_says_so() -> None:
    transport = CassetteTransport.from_paths(NEAR_CASSETTE, CASSETTES / "wayback" / "cdx.yaml")
    target = target_for(Near.parse("2022-01-01T01:05:10Z"), None, run_date(0))

    async def go():  # type: ignore[no-untyped-def]
        async with make_client(transport=transport) as client:
            arch = Archiver(client, MemoryStore(), ArchiveOptions(sleep=Sleeps()))
            return await arch.archive("https://www.nasa.gov/", target), await arch.archive("https://www.nasa.gov/")

    near, newest = asyncio.run(go())
    # Two archived 301s are nearer than any 200: the nearest good capture is the 200 at 01:04:37.
    assert near["wayback_url"] == "https://web.archive.org/web/20220101010437/https://www.nasa.gov/"
    assert (near["chosen_by"], near["target"], near["target_from"]) == ("near-date", "2022-01-01T01:05:10Z", "option")
    params = dict(httpx.URL(transport.requests[0][1]).params)
    assert (params["closest"], params["sort"], params["limit"]) == ("20220101010510", "closest", "25")
    assert newest["chosen_by"] == "newest" and newest["target"] is None  # the default rule, unchanged otherwise
    assert newest["archived_at"] == "1996-12-31T23:58:47Z"


def test_near_article_uses_the_articles_published_date(tmp_path: Path) -> None:
    article = tmp_path / "story.html"
    article.write_text(
        '<html><head><meta property="article:published_time" content="2022-01-01"></head>'
        '<body><article><p>See <a href="https://www.nasa.gov/">NASA</a>.</p></article></body></html>'
    )
    cassettes = tmp_path / "cassettes"
    cassettes.mkdir()
    (cassettes / "cdx-near.yaml").write_bytes(NEAR_CASSETTE.read_bytes())
    html = {"string": "<title>NASA</title>"}
    page = {"status": {"code": 200}, "headers": {"Content-Type": ["text/html"]}, "body": html}
    (cassettes / "nasa.yaml").write_text(
        json.dumps({"interactions": [{"request": {"method": "GET", "uri": "https://www.nasa.gov/"}, "response": page}]})
    )
    args = ["archive", str(article), "--near", "article", "--cassette", str(cassettes), "--no-cache", "-f", "jsonl"]
    result = runner.invoke(app, args)
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    archived = record["archive"]
    assert (archived["chosen_by"], archived["target"]) == ("near-article", "2022-01-01")
    assert archived["target_from"] == "article"
    # Noon of that day: the 01:39:52 capture is the nearest (the day's last), ahead of the 301s before it.
    assert archived["wayback_url"] == "https://web.archive.org/web/20220101013952/http://www.nasa.gov/"
    assert result.exit_code == 0, result.stderr


def test_an_article_without_a_date_aims_at_the_run_date() -> None:
    asked: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        return httpx.Response(200, text="com,example)/ 20250310000000 https://example.com/ text/html 200 X 1\n")

    from resolver.models import Link, Resolution, ResolvedRecord

    record = ResolvedRecord(
        Link("a.md", "https://example.com/", "https://example.com/", None, False, (0, 1), 1),
        Resolution("https://example.com/", "ok", "https://example.com/", "https://example.com/"),
    )
    today = run_date(1741953600.0)  # 2025-03-14T12:00:00Z

    async def go():  # type: ignore[no-untyped-def]
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            arch = Archiver(client, MemoryStore(), ArchiveOptions(sleep=Sleeps()))
            return await archive_records([record, record], arch, target=lambda r: target_for(Near(), None, today))

    (first, second) = asyncio.run(go())
    assert first.extra["archive"] == second.extra["archive"] and len(asked) == 1  # one lookup per source and target
    archived = first.extra["archive"]
    assert (archived["chosen_by"], archived["target"]) == ("near-article", "2025-03-14")
    assert archived["target_from"] == "run-date"
    assert asked[0]["closest"] == "20250314120000"


def test_near_with_save_keeps_the_near_capture_and_saves_when_the_newest_is_old() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path} {dict(request.url.params).get('sort', '')}")
        if request.url.path == "/save":
            return httpx.Response(200, json={"url": "https://example.com/", "job_id": "j1"})
        if request.url.path.startswith("/save/status/"):
            return httpx.Response(200, json={"status": "success", "timestamp": "20261126090000"})
        return httpx.Response(200, text="com,example)/ 20200101000000 https://example.com/ text/html 200 X 1\n")

    target = target_for(Near.parse("2020-01-02"), None, run_date(0))
    options = dict(save=True, max_age=30 * 86400.0, access_key="k", secret_key="s", sleep=Sleeps(), clock=lambda: 1.8e9)

    async def go(aim):  # type: ignore[no-untyped-def]
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            arch = Archiver(client, MemoryStore(), ArchiveOptions(**options))  # type: ignore[arg-type]
            return await arch.archive("https://example.com/", aim)

    result = asyncio.run(go(target))
    assert result["saved"] is True and result["chosen_by"] == "near-date"  # what was asked for stays the answer
    assert result["wayback_url"] == "https://web.archive.org/web/20200101000000/https://example.com/"
    assert [c.split()[1] for c in calls] == ["/cdx/search/cdx", "/cdx/search/cdx", "/save", "/save/status/j1"]
    calls.clear()
    nothing = {"save": True, "access_key": "k", "secret_key": "s", "sleep": Sleeps(), "clock": lambda: 1.8e9}

    def empty(request: httpx.Request) -> httpx.Response:
        return handler(request) if request.url.path.startswith("/save") else httpx.Response(200, text="")

    async def go_empty():  # type: ignore[no-untyped-def]
        async with make_client(transport=httpx.MockTransport(empty)) as client:
            arch = Archiver(client, MemoryStore(), ArchiveOptions(**nothing))  # type: ignore[arg-type]
            return await arch.archive("https://example.com/", target)

    saved = asyncio.run(go_empty())
    assert saved["chosen_by"] == "saved" and saved["wayback_url"].startswith(
        "https://web.archive.org/web/20261126090000/"
    )


def test_a_bad_near_value_is_a_usage_error() -> None:
    result = runner.invoke(app, ["archive", "x.html", "--near", "yesterday"])
    assert result.exit_code == 2 and "neither 'article' nor a date" in result.output
