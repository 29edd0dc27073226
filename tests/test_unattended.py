"""Unattended runs as cron meets them, in subprocesses against the loopback fake web: the README's nightly
recipe with a clock the test moves on, SIGKILLs in the middle of a WARC, JSON logs, failures that must be
one line and the documented exit code."""

from __future__ import annotations

import gzip
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .webserver import FakeWeb, Request, serve

ROOT = Path(__file__).resolve().parents[1]
DAY = 86400.0

# The resolver's own entry point, with time.time moved on by RESOLVER_TEST_CLOCK: a night, a month later.
CLOCKED = (
    "import os, sys, time\n"
    "real = time.time\n"
    "offset = float(os.environ.get('RESOLVER_TEST_CLOCK', '0'))\n"
    "time.time = lambda: real() + offset\n"
    "from resolver.cli import main\n"
    "main()\n"
)


def resolver(*args: str) -> list[str]:
    return [sys.executable, "-c", CLOCKED, *args]


def env(offset: float = 0.0) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "RESOLVER_TEST_CLOCK": str(offset)}


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every stderr line must be one JSON object
    assert all(isinstance(p, dict) and "event" in p and "message" in p for p in parsed), lines
    return parsed


def pages(web: FakeWeb, dead: set[str], delay: float = 0.0) -> None:
    """/s/N redirects to /page/N, which is a page, or a 404 once N is in ``dead``."""
    web.route("/s/*")(lambda r: r.redirect(f"/page/{r.path.rsplit('/', 1)[1]}"))

    def page(r: Request) -> None:
        time.sleep(delay)
        n = r.path.rsplit("/", 1)[1]
        r.reply(404, b"gone") if n in dead else r.reply(200, f"<title>page {n}</title>".encode())

    web.route("/page/*")(page)


# --- the README's nightly recipe -------------------------------------------------------------------------


def test_readme_nightly_recipe_reports_a_source_that_died_under_an_unchanged_article(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    recipe = next(line for line in readme.splitlines() if "resolver archive https://news.example.org/sitemap" in line)
    for part in ("--warc /srv/warc/cited-", "-q --log-format json -o /srv/resolver/", "2>>/var/log/resolver.log"):
        assert part in recipe  # the test runs this recipe: keep the two in step
    cache, log = tmp_path / "cache.sqlite3", tmp_path / "resolver.log"
    dead: set[str] = set()
    with serve() as web:
        sitemap = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{web.base}/articles/1</loc></url><url><loc>{web.base}/articles/2</loc></url></urlset>"
        )
        web.route("/sitemap.xml")(lambda r: r.reply(200, sitemap.encode(), content_type="application/xml"))
        links = {"1": ("1", "2"), "2": ("3",)}
        web.route("/articles/*")(
            lambda r: r.reply(
                200,
                b"<html><body><article>"
                + "".join(f'<p><a href="{web.base}/s/{n}">source {n}</a></p>' for n in links[r.path[-1]]).encode()
                + b"</article></body></html>",
            )
        )
        pages(web, dead)

        def night(day: float) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
            """One night of the recipe (Wayback left out: --no-lookup; the fake web is loopback)."""
            name = f"day{day:g}"
            before = log.read_text() if log.exists() else ""
            with log.open("a") as stderr:
                done = subprocess.run(
                    resolver("archive", f"{web.base}/sitemap.xml", "--no-lookup", "--allow-private",
                             "--cache", str(cache), "--warc", str(tmp_path / f"cited-{name}.warc.gz"),
                             "-q", "--log-format", "json", "-o", str(tmp_path / f"{name}.jsonl")),
                    env=env(day * DAY), stdout=subprocess.DEVNULL, stderr=stderr, timeout=120,
                )  # fmt: skip
            return done.returncode, records(tmp_path / f"{name}.jsonl"), json_lines(log.read_text()[len(before) :])

        code, first, logged = night(0)
        assert code == 0 and logged == []  # -q: a quiet night says nothing
        assert sorted((r["raw"].rsplit("/", 1)[-1], r["status"], r["newly_dead"]) for r in first) == [
            ("1", "ok", False), ("2", "ok", False), ("3", "ok", False)]  # fmt: skip

        code, second, _ = night(1)
        assert code == 0 and second == []  # nothing changed and nothing is due yet

        dead.add("2")  # a source dies; its article does not change
        code, month, logged = night(31)
        assert code == 0
        assert sorted((r["raw"].rsplit("/", 1)[-1], r["status"], r["newly_dead"]) for r in month) == [
            ("1", "ok", False), ("2", "dead", True), ("3", "ok", False)]  # fmt: skip
        (summary,) = [entry for entry in logged if entry["event"] == "summary"]
        assert summary["newly_dead"] == 1 and summary["skipped"] == 2 and summary["rechecked"] == 3

        code, next_night, logged = night(32)
        assert code == 0 and next_night == [] and logged == []  # reported once, not every night
        code, week_later, logged = night(40)
        assert code == 0 and [(r["status"], r["newly_dead"]) for r in week_later] == [("dead", False)]
        assert logged == []

    report = subprocess.run(resolver("report", "--cache", str(cache), "--format", "json"),
                            env=env(41 * DAY), capture_output=True, text=True, timeout=60)  # fmt: skip
    newly_dead = json.loads(report.stdout)["newly_dead"]
    assert [d["source"].rsplit("/", 2)[-2:] for d in newly_dead] == [["s", "2"]]


# --- SIGKILL in the middle of a WARC ---------------------------------------------------------------------


def _warc_responses(path: Path) -> list[str]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as handle:
        return [
            record.rec_headers.get_header("WARC-Target-URI")
            for record in ArchiveIterator(handle, check_digests="raise")
            if record.rec_type == "response" and record.content_stream().read() is not None
        ]


def test_kills_mid_warc_then_a_rerun_deliver_every_record_alert_and_capture_once(tmp_path: Path) -> None:
    cache, out, warc = tmp_path / "cache.sqlite3", tmp_path / "out.jsonl", tmp_path / "cited.warc.gz"
    dead: set[str] = set()
    with serve() as web:
        pages(web, dead, delay=0.1)
        article = tmp_path / "story.html"
        article.write_text(
            "<html><body><article>"
            + "".join(f'<p><a href="{web.base}/s/{n}">{n}</a></p>' for n in range(12))
            + "</article></body></html>"
        )

        def archive(target: Path, *extra: str) -> list[str]:
            return resolver("archive", str(article), "--no-lookup", "--allow-private", "--cache", str(cache),
                            "--concurrency", "4", "-q", "--log-format", "json", "-o", str(target), *extra)  # fmt: skip

        first = subprocess.run(archive(tmp_path / "first.jsonl"), env=env(0), capture_output=True, timeout=120)
        assert first.returncode == 0 and len(records(tmp_path / "first.jsonl")) == 12

        dead.add("5")  # a month later one source is gone: the next run re-checks all twelve
        kills = 0
        for _ in range(3):
            size = warc.stat().st_size if warc.exists() else 0
            proc = subprocess.Popen(archive(out, "--warc", str(warc)), env=env(31 * DAY),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if warc.exists() and warc.stat().st_size > size:  # at least one more capture is in
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                    break
                time.sleep(0.01)
            proc.wait(timeout=30)
            assert not out.exists()  # killed before its output was complete: nothing half-written
        assert kills == 3
        with warc.open("ab") as torn:  # and what a full disk leaves: half a record at the end
            half = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 9999\r\n\r\n" + b"x" * 50)
            torn.write(half[:40])

        done = subprocess.run(archive(out, "--warc", str(warc)), env=env(31 * DAY),
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        logged = json_lines(done.stderr)
        assert any(e["event"] == "warning" and "torn record" in e["message"] for e in logged)
        delivered = records(out)
        assert sorted(int(r["raw"].rsplit("/", 1)[-1]) for r in delivered) == list(range(12))  # each once
        assert [r["raw"].rsplit("/", 1)[-1] for r in delivered if r["newly_dead"]] == ["5"]
        (summary,) = [e for e in logged if e["event"] == "summary"]
        assert summary["newly_dead"] == 1

        captured = _warc_responses(warc)  # reads back whole: every record, digests checked
        expected = {f"{web.base}/{kind}/{n}" for n in range(12) if n != 5 for kind in ("s", "page")}
        assert set(captured) == expected and all(n == 1 for n in Counter(captured).values())
        ids = {r["archive"]["warc"]["record_id"] for r in delivered if r["status"] == "ok"}
        assert len(ids) == 11  # every ok record points at its capture, written by whichever run made it

        again = subprocess.run(archive(tmp_path / "again.jsonl"), env=env(31.01 * DAY), capture_output=True,
                               timeout=120)  # fmt: skip
        assert again.returncode == 0 and records(tmp_path / "again.jsonl") == []  # all committed: nothing redone

    report = subprocess.run(resolver("report", "--cache", str(cache), "--format", "json"), env=env(32 * DAY),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert [d["source"].rsplit("/", 1)[-1] for d in json.loads(report.stdout)["newly_dead"]] == ["5"]


# --- failures: one line, the documented exit code, no dumps ----------------------------------------------


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, like a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_cache_that_fills_the_disk_mid_run_is_one_line_and_exit_2(tmp_path: Path, log_format: str) -> None:
    cache = tmp_path / "cache.sqlite3"
    with serve() as web:
        pages(web, set())
        article = tmp_path / "links.txt"
        article.write_text("".join(f"{web.base}/s/{n}\n" for n in range(200)))
        done = subprocess.run(
            resolver("resolve", str(article), "--allow-private", "--cache", str(cache), "-f", "jsonl",
                     "--log-format", log_format),
            env=env(), capture_output=True, text=True, timeout=120,
            preexec_fn=lambda: _limit_file_size(96 * 1024),
        )  # fmt: skip
    assert done.returncode == 2
    assert len(done.stdout.splitlines()) == 200  # the records still came out
    assert "Traceback" not in done.stderr and "Task exception" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "could not write the cache" in errors[0]
    if log_format == "json":
        assert [e["event"] for e in json_lines(done.stderr)] == ["summary", "error"]


def test_an_internal_error_is_one_json_line_and_exit_70(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("https://bit.ly/x\n")
    crash = CLOCKED.replace(
        "from resolver.cli import main\n",
        "import resolver.pipeline.flow\n"
        "async def broken(*a, **k):\n    raise RuntimeError('a bug in the pipeline')\n"
        "resolver.pipeline.flow.Flow.records = broken\n"
        "from resolver.cli import main\n",
    )
    for log_format in ("json", "text"):
        done = subprocess.run([sys.executable, "-c", crash, "resolve", str(article), "--no-cache", "--log-format",
                               log_format], env=env(), capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 70 and "Traceback" not in done.stderr
        if log_format == "json":
            (line,) = json_lines(done.stderr)
            assert line["event"] == "internal_error" and line["exception"] == "RuntimeError"
            assert "a bug in the pipeline" in line["message"]
        else:
            assert done.stderr.splitlines() == [
                "resolver: internal error: RuntimeError: a bug in the pipeline (a bug; please report it)"
            ]


def test_json_mode_makes_even_usage_errors_json(tmp_path: Path) -> None:
    done = subprocess.run(resolver("resolve", "--log-format", "json", "--concurrency", "0", "x"), env=env(),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    (line,) = json_lines(done.stderr)
    assert done.returncode == 2 and line["event"] == "usage" and "--concurrency" in line["message"]


def test_lock_exit_code_is_75_and_not_an_items_failure(tmp_path: Path) -> None:
    from resolver.store import RunLock

    cache = tmp_path / "cache.sqlite3"
    article = tmp_path / "a.txt"
    article.write_text("no links\n")
    with RunLock(Path(str(cache) + ".lock")):
        done = subprocess.run(resolver("archive", str(article), "--cache", str(cache), "--lock-wait", "0.2",
                                       "--log-format", "json"), env=env(), capture_output=True, text=True,
                              timeout=60)  # fmt: skip
    (line,) = json_lines(done.stderr)
    assert done.returncode == 75 and line["event"] == "locked" and "another run holds" in line["message"]


def test_a_warc_that_fills_the_disk_is_one_line_exit_2_and_stays_readable(tmp_path: Path) -> None:
    warc = tmp_path / "cited.warc"
    bodies = {str(n): os.urandom(60_000) for n in range(6)}  # incompressible: every capture grows the file
    with serve() as web:
        web.route("/p/*")(lambda r: r.reply(200, bodies[r.path.rsplit("/", 1)[1]], content_type="text/plain"))
        article = tmp_path / "a.md"
        article.write_text("".join(f"- <{web.base}/p/{n}>\n" for n in range(6)))
        done = subprocess.run(
            resolver("archive", str(article), "--no-lookup", "--allow-private", "--no-cache", "--warc", str(warc),
                     "-f", "jsonl"),
            env=env(), capture_output=True, text=True, timeout=120, preexec_fn=lambda: _limit_file_size(200_000),
        )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == "resolver: error: warc: not written: File too large"
    delivered = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(delivered) == 6  # the records still came out, the failed captures saying so
    assert sum(1 for r in delivered if r["archive"]["error"] == "warc: not written: File too large") >= 3
    assert 1 <= len(_warc_responses(warc)) <= 3  # what was written reads back whole
