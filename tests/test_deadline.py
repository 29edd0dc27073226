"""--deadline bounds the whole run, and no hanging DNS lookup holds a run or starves the healthy hosts.

Hanging lookups are a DNS server on 127.0.0.1 that never answers some names; nothing here measures time:
each test checks which items finished, which were cut short, and what their records say.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import resolver.net.transport
from resolver.archive import ArchiveOptions, Archiver, archive_records
from resolver.cli import app
from resolver.errors import FetchError
from resolver.models import ResolvedRecord
from resolver.net import Deadline, RetryPolicy, make_client
from resolver.pipeline import RunOptions, run
from resolver.platforms import PostRef
from resolver.platforms.http import FetchContext, Fetched
from resolver.read import document
from resolver.read.fetch import fetch_article
from resolver.resolve.hops import ResolveOptions
from resolver.store import MemoryStore

from .webserver import FakeDNS, serve, trickle

HUNG = [f"hang{i}.test" for i in range(12)]
HEALTHY = [f"ok{i}.test" for i in range(6)]


def _article(urls: list[str]) -> Any:
    body = "".join(f'<p><a href="{u}">{i}</a></p>' for i, u in enumerate(urls))
    return document("a.html", f"<article>{body}</article>".encode(), kind="html")


def test_twelve_hanging_lookups_do_not_starve_the_healthy_hosts() -> None:
    with serve() as web, FakeDNS({h: ["127.0.0.1"] for h in HEALTHY}, hang=HUNG) as dns:
        web.route("/*")(lambda r: r.reply(200, b"<title>fine</title>"))
        port = web.server_address[1]
        urls = [f"http://{h}:{port}/story" for h in HUNG + HEALTHY]

        async def go() -> list[ResolvedRecord]:
            async with make_client(allow_hosts=[f"127.0.0.1:{port}"], dns_servers=[dns.server], timeout=2) as client:
                options = RunOptions(resolve=ResolveOptions(policy=RetryPolicy(attempts=1)))
                return await run([_article(urls)], client=client, options=options)

        records = {r.finding.url: r.resolution for r in asyncio.run(go()) if r.resolution}
    healthy = [records[u] for u in urls[len(HUNG) :]]
    hung = [records[u] for u in urls[: len(HUNG)]]
    assert [r.status for r in healthy] == ["ok"] * len(HEALTHY)
    assert [r.status for r in hung] == ["error"] * len(HUNG)
    assert all(str(r.error).startswith(f"DNS lookup of {h} timed out") for h, r in zip(HUNG, hung, strict=True))


def test_the_deadline_cuts_hung_lookups_and_the_command_line_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeDNS({}, hang=HUNG) as dns:
        monkeypatch.setattr(resolver.net.transport, "DEFAULT_DNS_SERVERS", [dns.server])
        article = tmp_path / "a.md"
        article.write_text("".join(f"- <http://{h}/x>\n" for h in HUNG))
        # --timeout 60: each lookup alone may take 10 s and each link 240 s; the run may take 1.
        args = ["resolve", str(article), "--no-cache", "--timeout", "60", "--deadline", "1", "-f", "jsonl"]
        result = CliRunner().invoke(app, args)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert len(records) == len(HUNG)
    assert {r["error"] for r in records} == {"the run's deadline was reached first"}


def test_the_deadline_covers_post_metadata_and_keeps_the_markup() -> None:
    started = asyncio.Event()

    async def hangs(ref: PostRef, ctx: FetchContext) -> Fetched:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("never")

    html = (
        '<blockquote class="twitter-tweet"><p lang="en">The council voted.</p>&mdash; Jane Doe (@janedoe) '
        '<a href="https://twitter.com/janedoe/status/1500000000000000001">March 1, 2022</a></blockquote>'
    )

    async def go() -> list[ResolvedRecord]:
        transport = httpx.MockTransport(lambda r: httpx.Response(500))
        async with make_client(transport=transport) as client:
            options = RunOptions(links="none", deadline=0.5)
            doc = document("a.html", html.encode(), kind="html")
            return await run([doc], client=client, options=options, fetchers={"twitter": hangs})

    records = asyncio.run(go())
    assert started.is_set()
    (post,) = records
    assert post.resolution is not None and post.resolution.status == "error"
    assert post.resolution.error == "the run's deadline was reached first (post metadata)"
    assert post.post is not None and post.post.author_handle == "janedoe" and post.post.id == "1500000000000000001"


def test_the_deadline_covers_the_archive_phase() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("never")

    async def go() -> list[ResolvedRecord]:
        transport = httpx.MockTransport(lambda r: httpx.Response(200, html="<title>story</title>"))
        async with make_client(transport=transport) as client:
            records = await run([_article(["https://news.example.org/story"])], client=client)
        async with make_client(transport=httpx.MockTransport(hang)) as wayback:
            archiver = Archiver(wayback, MemoryStore(), ArchiveOptions(cdx_interval=0))
            return await archive_records(records, archiver, deadline=Deadline.after(0.3))

    (record,) = asyncio.run(go())
    assert record.resolution is not None and record.resolution.status == "ok"
    assert record.extra["archive"]["error"] == "the run's deadline was reached first"


def test_the_deadline_covers_url_sources() -> None:
    with serve() as web:
        web.route("/slow-article")(lambda r: trickle(r, 100, 0.05))
        with pytest.raises(FetchError, match="the run's deadline was reached first"):
            fetch_article(f"{web.base}/slow-article", allow_private=True, timeout=60, deadline=Deadline.after(0.5))
        with pytest.raises(FetchError, match="the run's deadline was reached first"):
            fetch_article(f"{web.base}/slow-article", allow_private=True, deadline=Deadline.after(0))
