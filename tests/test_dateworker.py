"""Landing pages' dates found by htmldate in a child process: the same dates as in process, in any order of
asking; the run goes on in process when the child cannot start or dies; the child never outlives the run."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from resolver.resolve.dateworker import DateWorker
from resolver.resolve.pages import DATE_SCAN_CHARS, html_date

from .conftest import CORPUS, FIXTURES
from .webserver import Request, serve

ROOT = Path(__file__).resolve().parents[1]

STORY = """<!doctype html><html><head><title>Story</title></head><body><article><h1>Story</h1>
<p class="byline">Posted <time datetime="{date}T09:30:00Z">then</time></p><p>Words.</p></article></body></html>"""
PAGES: list[tuple[str, str | None]] = [
    (STORY.format(date="2024-05-24"), "https://news.example.org/story"),
    ("<html><title>x</title><p>text</p></html>", "https://blog.example.org/2021/03/30/post/"),  # the URL's date
    ("<html><title>x</title><p>no date here</p></html>", "https://example.org/a"),
    ("just text, no markup", None),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-01-02"}</script>', None),
    ("<html><body>" + "<p>filler</p>" * (DATE_SCAN_CHARS // 10) + '<time datetime="2024-05-24">x</time>', None),
    ("<html><body><p>Published 14 March 2025 — Zürich, 東京</p></body></html>", "https://example.org/b"),
]


def _in_child(pages: list[tuple[str, str | None]]) -> tuple[list[str | None], int | None]:
    async def go() -> tuple[list[str | None], int | None]:
        worker = DateWorker()
        worker.begin()
        try:
            found = list(await asyncio.gather(*(worker(body, url) for body, url in pages)))
            return found, worker.pid
        finally:
            await worker.close()

    return asyncio.run(go())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_childs_dates_are_htmldates_in_process_asked_all_at_once() -> None:
    expected = [html_date(body, url) for body, url in PAGES]
    assert {d for d in expected if d} == {"2024-05-24", "2021-03-30", "2023-01-02"} and None in expected
    found, pid = _in_child(PAGES * 3)
    assert found == expected * 3
    assert pid is not None and not _alive(pid)  # closed: killed and waited for


def test_fixture_and_corpus_pages_get_the_same_dates_in_the_child() -> None:
    paths = sorted(FIXTURES.glob("*.html")) + (sorted((CORPUS / "pages").glob("*.html")) if CORPUS.is_dir() else [])
    pages: list[tuple[str, str | None]] = [(p.read_text(encoding="utf-8", errors="replace"), None) for p in paths]
    assert len(pages) > 10
    found, _ = _in_child(pages)
    assert found == [html_date(body, url) for body, url in pages]


def test_a_child_that_dies_leaves_the_rest_to_the_run_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    body, url = PAGES[0]

    async def go() -> list[str | None]:
        worker = DateWorker()
        worker.begin()
        try:
            first = await worker(body, url)
            assert worker.pid is not None
            os.kill(worker.pid, 9)
            later = [await worker(body, url) for _ in range(3)]
            return [first, *later]
        finally:
            await worker.close()

    with caplog.at_level(logging.WARNING, logger="resolver.resolve.dateworker"):
        found = asyncio.run(go())
    assert found == ["2024-05-24"] * 4
    warnings = [r.getMessage() for r in caplog.records if r.name == "resolver.resolve.dateworker"]
    assert len(warnings) <= 1  # said once (or not at all, when no page was waiting for it as it died)


def test_a_child_that_cannot_start_leaves_the_dates_to_the_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")
    with caplog.at_level(logging.WARNING, logger="resolver.resolve.dateworker"):
        found, pid = _in_child(PAGES[:2])
    assert found == ["2024-05-24", "2021-03-30"] and pid is None
    assert any("no worker could be started" in r.getMessage() for r in caplog.records)


def _date_workers() -> set[int]:
    """The running processes that are date workers (their command line names the module)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"resolver.resolve.dateworker" in cmdline:
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to list processes")
def test_a_resolve_run_dates_its_landing_page_and_leaves_no_worker_behind(tmp_path: Path) -> None:
    before = _date_workers()
    with serve() as web:

        @web.route("/story")
        def story(r: Request) -> None:
            r.reply(200, STORY.format(date="2024-05-24").encode(), content_type="text/html")

        source = tmp_path / "a.md"
        source.write_text(f"<{web.base}/story>\n")
        done = subprocess.run([sys.executable, "-m", "resolver", "resolve", str(source), "--allow-private",
                               "--no-cache", "-q"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["page"] for line in done.stdout.splitlines()] == [
        {"title": "Story", "published": "2024-05-24"}
    ]
    assert _date_workers() - before == set()


def test_a_page_waiting_for_its_date_gives_its_network_slot_to_the_next_link() -> None:
    """With one slot, the first link's page waits for a date that comes only once the second link has been
    requested: the slot is for requests, and a page waiting for the date worker (still starting, or busy)
    holds none. Were the slot kept, the second request would never start and the run would stall."""
    import httpx

    from resolver.net import make_client
    from resolver.pipeline.answers import Answers
    from resolver.resolve.hops import ResolveOptions
    from resolver.store import Freshness, MemoryStore

    requested: list[str] = []
    second_requested = asyncio.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        if request.url.path == "/second":
            second_requested.set()
        return httpx.Response(200, html=STORY.format(date="2024-05-24"))

    asked: list[str | None] = []

    async def slow_dates(body: str, url: str | None) -> str | None:
        asked.append(url)
        await second_requested.wait()
        return "2020-01-02"

    async def go() -> dict[str, object]:
        async with make_client(transport=httpx.MockTransport(answer)) as client:
            answers = Answers(client, memory=MemoryStore(), cache=None, options=ResolveOptions(dates=slow_dates),
                              freshness=Freshness(), concurrency=1, deadline=None)  # fmt: skip
            urls = ["https://news.example.org/first", "https://news.example.org/second"]
            found = await asyncio.wait_for(answers.resolve_many(urls), timeout=10)
            return {url: (res.status, res.page) for url, res in found.items()}

    found = asyncio.run(go())
    assert requested == ["/first", "/second"]
    assert asked == ["https://news.example.org/first", "https://news.example.org/second"]
    assert found == {
        f"https://news.example.org/{name}": ("ok", {"title": "Story", "published": "2020-01-02"})
        for name in ("first", "second")
    }
