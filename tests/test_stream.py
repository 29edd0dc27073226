"""The streaming pipeline as a user meets it, in subprocesses against the loopback fake web: records out as
each article is done and in input order, one request per distinct URL however far apart it is cited,
``--resume`` after a SIGKILL, ``archive`` committing article by article, URL lists, ``--rate``, file modes."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .webserver import FakeWeb, Request, serve

ROOT = Path(__file__).resolve().parents[1]
# Without PYTHONUNBUFFERED (as in conftest): the records must come out through a block-buffered pipe.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PYTHONPATH": str(ROOT)}


def resolver(*args: str) -> list[str]:
    return [sys.executable, "-m", "resolver", *args]


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def answer(record: dict[str, Any]) -> tuple[Any, ...]:
    """What a record says, without what differs from run to run (timings, fetch times)."""
    return (record["source"], record["kind"], tuple(record["span"]), record["url"], record["status"],
            record["final_url"])  # fmt: skip


def pages(web: FakeWeb, delay: float = 0.0) -> None:
    """/s/N redirects to /page/N, a page (after ``delay`` seconds)."""
    web.route("/s/*")(lambda r: r.redirect(f"/page/{r.path.rsplit('/', 1)[1]}"))

    def page(r: Request) -> None:
        time.sleep(delay)
        r.reply(200, f"<title>page {r.path.rsplit('/', 1)[1]}</title>".encode())

    web.route("/page/*")(page)


def articles(root: Path, web: FakeWeb, count: int, per: int) -> list[Path]:
    """``count`` Markdown articles of ``per`` distinct links each (article i cites /s/i-0 … /s/i-(per-1))."""
    root.mkdir(exist_ok=True)
    made = []
    for i in range(count):
        path = root / f"a{i:03d}.md"
        path.write_text(f"# Article {i}\n\n" + "\n\n".join(f"See <{web.base}/s/{i}-{j}>." for j in range(per)) + "\n")
        made.append(path)
    return made


def test_an_articles_records_are_out_while_a_later_article_still_waits(tmp_path: Path) -> None:
    released = threading.Event()
    waited_out = []
    with serve() as web:
        pages(web)

        @web.route("/hold")
        def hold(r: Request) -> None:
            waited_out.append(not released.wait(30))  # True only if nobody released it: the test then fails
            r.reply(200, b"<title>held</title>")

        first, second = tmp_path / "first.md", tmp_path / "second.md"
        first.write_text(f"<{web.base}/s/1> and <{web.base}/s/2>\n")
        second.write_text(f"<{web.base}/hold>\n")
        proc = subprocess.Popen(resolver("resolve", str(first), str(second), "--allow-private", "--no-cache",
                                         "--format", "jsonl", "-q"),
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout is not None
        early = [json.loads(proc.stdout.readline()) for _ in range(2)]  # blocks until first.md is written
        released.set()
        rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert [r["url"] for r in early] == [f"{web.base}/s/1", f"{web.base}/s/2"]
    assert [json.loads(line)["url"] for line in rest.splitlines()] == [f"{web.base}/hold"]
    assert waited_out == [False]  # the held request was released by the test, after first.md's records came


def test_scan_writes_an_articles_records_while_a_later_article_is_still_fetched() -> None:
    """scan's records of one article reach a pipe before the next article has even arrived."""
    released = threading.Event()
    waited_out = []
    with serve() as web:

        @web.route("/first")
        def first(r: Request) -> None:
            r.reply(200, b'<p>See <a href="https://example.org/one">one</a>.</p>')

        @web.route("/hold")
        def hold(r: Request) -> None:
            waited_out.append(not released.wait(30))  # True only if nobody released it: the test then fails
            r.reply(200, b'<p>See <a href="https://example.org/two">two</a>.</p>')

        proc = subprocess.Popen(resolver("scan", f"{web.base}/first", f"{web.base}/hold", "--allow-private",
                                         "-j", "1", "--format", "jsonl", "-q"),
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout is not None
        early = json.loads(proc.stdout.readline())  # blocks until the first article's record is out
        released.set()
        rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (early["source"], early["url"]) == (f"{web.base}/first", "https://example.org/one")
    assert [json.loads(line)["url"] for line in rest.splitlines()] == ["https://example.org/two"]
    assert waited_out == [False]  # the held page was released by the test, after the first record came


def test_records_keep_the_input_order_when_an_earlier_article_is_slower(tmp_path: Path) -> None:
    with serve() as web:
        pages(web)

        @web.route("/slow/*")
        def slow(r: Request) -> None:
            time.sleep(0.3)
            r.reply(200, b"<title>slow</title>")

        slow_one = tmp_path / "1-slow.md"
        slow_one.write_text(f"<{web.base}/slow/a> then <{web.base}/s/a>\n")
        quick = articles(tmp_path / "quick", web, 5, 2)
        done = subprocess.run(resolver("resolve", str(slow_one), *map(str, quick), "--allow-private", "--no-cache",
                                       "--format", "jsonl", "-q", "--concurrency", "8"),
                              env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["source"] for r in out] == [str(slow_one)] * 2 + [str(p) for p in quick for _ in range(2)]
    assert [r["url"].rsplit("/", 2)[-2:] for r in out[:2]] == [["slow", "a"], ["s", "a"]]  # source order within


def test_a_url_cited_by_many_articles_is_requested_once(tmp_path: Path) -> None:
    with serve() as web:
        pages(web)
        root = tmp_path / "many"
        root.mkdir()
        for i in range(40):  # the shared link first, in the middle and last: far apart in the run
            own = [f"<{web.base}/s/own-{i}-{j}>" for j in range(3)]
            own.insert(i % 4, f"<{web.base}/s/shared>")
            (root / f"a{i:02d}.md").write_text("\n\n".join(own) + "\n")
        done = subprocess.run(resolver("resolve", str(root), "--allow-private", "--no-cache", "--format", "jsonl",
                                       "--concurrency", "16"),
                              env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 160 and all(r["status"] == "ok" for r in out)
    assert web.hits["/s/shared"] == 1 and web.hits["/page/shared"] == 1
    assert "161 distinct URLs" not in done.stderr and "121 distinct URLs, 121 fetched" in done.stderr


def _kill_when(proc: subprocess.Popen[bytes], out: Path, lines: int) -> bool:
    """SIGKILL ``proc`` once ``out`` has at least ``lines`` lines; False if it ended first."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= lines:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        time.sleep(0.01)
    proc.wait(timeout=30)
    return False


def test_resume_after_a_sigkill_gives_every_record_once_and_redoes_only_what_was_not_written(tmp_path: Path) -> None:
    with serve() as web:
        pages(web, delay=0.03)
        sources = articles(tmp_path / "in", web, 30, 2)
        whole = subprocess.run(resolver("resolve", str(tmp_path / "in"), "--allow-private", "--no-cache", "-q",
                                        "-o", str(tmp_path / "whole.jsonl")),
                               env=ENV, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert whole.returncode == 0, whole.stderr
        web.hits.clear()

        out = tmp_path / "out.jsonl"
        cmd = resolver("resolve", str(tmp_path / "in"), "--allow-private", "--no-cache", "-q", "--concurrency", "2",
                       "-o", str(out), "--resume")  # fmt: skip
        proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _kill_when(proc, out, 10)
        with out.open("ab") as torn:  # what a kill in the middle of a write leaves
            torn.write(b'{"source": "' + str(sources[-1]).encode() + b'", "kind": "li')
        kept = jsonl_whole_lines(out)
        kept_sources = list(dict.fromkeys(r["source"] for r in kept))
        hits_at_kill = Counter(web.hits)

        again = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
    final = jsonl(out)
    assert [answer(r) for r in final] == [answer(r) for r in jsonl(tmp_path / "whole.jsonl")]  # each once, in order
    # The articles the killed run had written were not asked again, except the last one (it is done again:
    # it may be what the kill cut short).
    for source in kept_sources[:-1]:
        i = int(Path(source).stem[1:])
        assert all(web.hits[f"/s/{i}-{j}"] == hits_at_kill[f"/s/{i}-{j}"] for j in range(2)), source
    assert len(kept_sources) >= 2


def jsonl_whole_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_bytes()
    return [json.loads(line) for line in text[: text.rfind(b"\n") + 1].decode().splitlines()]


def test_archive_commits_each_article_when_its_records_are_written(tmp_path: Path) -> None:
    cache, out = tmp_path / "cache.sqlite3", tmp_path / "archived.jsonl"
    with serve() as web:
        pages(web, delay=0.03)
        articles(tmp_path / "in", web, 24, 2)
        cmd = resolver("archive", str(tmp_path / "in"), "--no-lookup", "--allow-private", "--cache", str(cache),
                       "--concurrency", "2", "-q", "-o", str(out))  # fmt: skip
        kills = 0
        for lines in (6, 20, 34):  # killed three times, further on each time
            proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            kills += _kill_when(proc, out, lines)
        assert kills == 3
        done = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        again = subprocess.run([*cmd[:-1], str(tmp_path / "again.jsonl")], env=ENV, capture_output=True, text=True,
                               timeout=120)  # fmt: skip
        assert again.returncode == 0, again.stderr
    delivered = jsonl(out)
    assert Counter(r["url"].rsplit("/", 1)[1] for r in delivered) == Counter(
        f"{i}-{j}" for i in range(24) for j in range(2)
    )  # every record once, across four runs and three kills
    assert jsonl(tmp_path / "again.jsonl") == []  # every article committed: nothing left to do
    # An article is asked again after a kill only if it was in flight: at most a few of the 48 links twice.
    assert sum(n - 1 for path, n in web.hits.items() if path.startswith("/s/")) <= 3 * 4


def test_archive_replaces_the_output_of_a_run_that_finished(tmp_path: Path) -> None:
    cache, out = tmp_path / "cache.sqlite3", tmp_path / "latest.jsonl"
    with serve() as web:
        pages(web)
        first, second = tmp_path / "first.md", tmp_path / "second.md"
        first.write_text(f"<{web.base}/s/1>\n")

        def archive(*sources: Path) -> None:
            done = subprocess.run(resolver("archive", *map(str, sources), "--no-lookup", "--allow-private", "--cache",
                                           str(cache), "-q", "-o", str(out)),
                                  env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
            assert done.returncode == 0, done.stderr

        archive(first)
        assert [r["url"] for r in jsonl(out)] == [f"{web.base}/s/1"]
        second.write_text(f"<{web.base}/s/2>\n")
        archive(first, second)  # the first article is unchanged and its source not due: only the second's
    assert [r["url"] for r in jsonl(out)] == [f"{web.base}/s/2"]


def test_output_files_get_the_users_file_mode(tmp_path: Path) -> None:
    source = tmp_path / "a.md"
    source.write_text("no links here\n")

    def umask_022() -> None:
        os.umask(0o022)

    for extra in ([], ["--resume"]):
        out = tmp_path / f"out{len(extra)}.jsonl"
        done = subprocess.run(resolver("resolve", str(source), "--no-cache", "-q", "-o", str(out), *extra), env=ENV,
                              capture_output=True, text=True, timeout=60, preexec_fn=umask_022)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o644, extra


@pytest.mark.parametrize(("fmt", "why"), [("json", "jsonl or csv"), ("table", "jsonl or csv")])
def test_resume_of_a_format_that_cannot_be_continued_is_one_line_and_exit_2(tmp_path: Path, fmt: str,
                                                                            why: str) -> None:  # fmt: skip
    source, out = tmp_path / "a.md", tmp_path / f"out.{fmt}"
    source.write_text("nothing\n")
    out.write_text("[]\n")
    done = subprocess.run(resolver("resolve", str(source), "--no-cache", "-q", "-o", str(out), "--format", fmt,
                                   "--resume"), env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and why in done.stderr
    assert out.read_text() == "[]\n"  # untouched


def test_a_csv_column_of_urls_keeps_each_rows_columns_in_order(tmp_path: Path) -> None:
    with serve() as web:
        pages(web)
        listing = tmp_path / "links.csv"
        listing.write_text(
            "id,url,note\n"
            f"1,{web.base}/s/one,plain\n"
            f'2,{web.base}/s/two,"a note, with a comma\nand a line break"\n'
            "3,,no url\n"
            "4,ftp://example.org/file,not http\n"
            f"5,  {web.base}/s/one  ,the same again\n"
        )
        done = subprocess.run(resolver("resolve", "--urls", str(listing), "--column", "url", "--allow-private",
                                       "--no-cache", "-q", "--format", "jsonl"),
                              env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
        requests_for_one = web.hits["/s/one"]
        as_csv = subprocess.run(resolver("resolve", "--urls", str(listing), "--column", "url", "--allow-private",
                                         "--no-cache", "-q", "--format", "csv"),
                                env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1, done.stderr  # rows without an http(s) URL are errors: worth a look
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["row"]["id"] for r in out] == ["1", "2", "3", "4", "5"]
    assert out[1]["row"]["note"] == "a note, with a comma\nand a line break"
    assert [r["line"] for r in out] == [2, 3, 5, 6, 7]  # physical lines: row 2 spans lines 3-4
    assert [r["status"] for r in out] == ["ok", "ok", "error", "error", "ok"]
    assert out[0]["final_url"] == out[4]["final_url"] == f"{web.base}/page/one"
    assert all(r["error"] for r in out[2:4]) and "url" not in out[0]["row"]
    assert requests_for_one == 1  # the same URL on two rows: one request
    text = listing.read_text()
    start, end = out[4]["span"]
    assert text[start:end] == f"{web.base}/s/one"
    header = as_csv.stdout.splitlines()[0].split(",")
    assert header[:2] == ["id", "note"] and "url" in header[2:] and "status" in header


def test_a_missing_column_is_one_line_and_exit_2(tmp_path: Path) -> None:
    listing = tmp_path / "links.csv"
    listing.write_text("id,link\n1,https://example.org/\n")
    done = subprocess.run(resolver("resolve", "--urls", str(listing), "--column", "url", "--no-cache", "-q"),
                          env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "url" in done.stderr


def test_rate_spaces_the_requests_to_one_site(tmp_path: Path) -> None:
    arrivals: list[float] = []
    with serve() as web:

        @web.route("/r/*")
        def page(r: Request) -> None:
            arrivals.append(time.monotonic())
            r.reply(200, b"<title>r</title>")

        source = tmp_path / "a.md"
        source.write_text("\n\n".join(f"<{web.base}/r/{i}>" for i in range(6)) + "\n")
        done = subprocess.run(resolver("resolve", str(source), "--allow-private", "--no-cache", "-q", "--rate", "4",
                                       "--concurrency", "6", "--per-host", "6"),
                              env=ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(arrivals) == 6
    # At 4 a second (a bucket of one), six starts take at least five intervals of 0.25 s; unlimited, the six
    # would arrive together. A lower bound only: a slow machine can only make it longer.
    assert arrivals[-1] - arrivals[0] >= 5 * 0.25 * 0.9


def test_a_run_that_ends_leaves_no_run_directory_behind(tmp_path: Path) -> None:
    """The run's memory lives in ``$TMPDIR/resolver-run-*``: gone after a run that finished, one that failed
    on a page, and one that SIGTERM stopped while it waited (only SIGKILL may leave it)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**ENV, "TMPDIR": str(scratch)}
    waiting, released = threading.Event(), threading.Event()
    with serve() as web:
        pages(web)
        web.route("/gone")(lambda r: r.reply(404, b"no"))

        @web.route("/hold")
        def hold(r: Request) -> None:
            waiting.set()
            released.wait(30)
            r.reply(200, b"<title>late</title>")

        ok, failing, held = tmp_path / "ok.md", tmp_path / "failing.md", tmp_path / "held.md"
        ok.write_text(f"<{web.base}/s/1>\n")
        failing.write_text(f"<{web.base}/gone>\n")
        held.write_text(f"<{web.base}/hold>\n")
        for source, status in ((ok, "ok"), (failing, "dead")):
            done = subprocess.run(resolver("resolve", str(source), "--allow-private", "--no-cache", "-q"),
                                  env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
            assert [json.loads(line)["status"] for line in done.stdout.splitlines()] == [status], done.stderr
            assert list(scratch.iterdir()) == [], source
        proc = subprocess.Popen(resolver("resolve", str(held), "--allow-private", "--no-cache", "-q"), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        assert waiting.wait(30)
        assert [p.name.startswith("resolver-run-") for p in scratch.iterdir()] == [True]  # it was there
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        released.set()
    assert proc.returncode == 143, err
    assert list(scratch.iterdir()) == []


def test_in_parts_splits_only_a_plain_unit_larger_than_a_part() -> None:
    from resolver.models import Link, ResolvedRecord
    from resolver.pipeline.stream import Unit, in_parts

    def links(n: int) -> list[Link]:
        return [Link("a.txt", f"https://example.org/{i}", f"https://example.org/{i}", None, False, (i, i + 1), 1)
                for i in range(n)]  # fmt: skip

    big = Unit("a.txt", list(links(7)), extra={"row": 1})
    small = Unit("b.txt", links(3))
    decided = Unit("c.txt", links(9), ready=[ResolvedRecord(links(1)[0], None)])
    archived = Unit("d.txt", links(9), job="article")
    parts = list(in_parts([big, small, decided, archived], 3))
    assert [(u.key, len(u.findings)) for u in parts] == [("a.txt", 3), ("a.txt", 3), ("a.txt", 1), ("b.txt", 3),
                                                         ("c.txt", 9), ("d.txt", 9)]  # fmt: skip
    assert [f for u in parts[:3] for f in u.findings] == big.findings  # the same findings, in their order
    assert all(u.extra == {"row": 1} for u in parts[:3])


def test_one_document_of_many_links_is_resolved_in_parts_its_records_whole_and_in_order() -> None:
    """A file listing thousands of links is one document: its links go through the window part by part, not
    all at once (the tasks a run holds stay near the window however long the document is)."""
    import asyncio

    import httpx

    from resolver.net import make_client
    from resolver.pipeline import RunOptions, run
    from resolver.pipeline.flow import window_for
    from resolver.read import document

    count = 3000
    options = RunOptions(concurrency=4)
    assert count > 2 * window_for(options)
    most_tasks = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal most_tasks
        most_tasks = max(most_tasks, len(asyncio.all_tasks()))
        await asyncio.sleep(0)
        return httpx.Response(200, html=f"<title>{request.url.path}</title>")

    text = "\n".join(f"https://news.example.org/story/{i}" for i in range(count)) + "\n"

    async def go() -> list[Any]:
        async with make_client(transport=httpx.MockTransport(answer), rate=0) as client:  # no politeness pause
            return await run([document("links.txt", text.encode())], client=client, options=options)

    records = asyncio.run(go())
    assert [r.finding.url for r in records] == [f"https://news.example.org/story/{i}" for i in range(count)]
    assert {r.resolution.status if r.resolution else None for r in records} == {"ok"}
    assert most_tasks < 3 * window_for(options)  # all at once, the run held two tasks a link: 6,000


def test_a_document_written_in_parts_is_one_unit_of_the_output_file(tmp_path: Path) -> None:
    from resolver.write.resume import read_output, source_key

    out = tmp_path / "out.jsonl"
    records = [{"source": "big.txt", "url": f"u{i}"} for i in range(5)] + [{"source": "next.txt", "url": "v"}]
    out.write_text("".join(json.dumps(r) + "\n" for r in records))  # as the parts of big.txt were written
    held = read_output(out, "jsonl", source_key)
    assert held is not None and held.units == 2 and held.records == 6
    assert list(held.keys(held.whole)) == ["big.txt", "next.txt"]
