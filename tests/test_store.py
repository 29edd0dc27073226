"""The store: checked when opened, a vanished history noticed, write failures kept and reported once,
and the ledger's rules (newly dead once, ok → error → dead still newly dead, due re-checks)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resolver.cli import app
from resolver.errors import StoreError
from resolver.store import Freshness, MemoryStore, Sighting, SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def sighting(source: str, status: str) -> Sighting:
    finding = {"source": "a.html", "kind": "link", "span": [0, 1], "line": 1, "raw": source, "url": source,
               "shortener": None, "in_post": False}  # fmt: skip
    return Sighting(source, status, source if status == "ok" else None, None, finding)


def test_a_file_that_is_not_a_database_is_refused_in_one_line(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    cache.write_bytes(b"this is not SQLite at all, just text that some tool left here\n" * 100)
    with pytest.raises(StoreError, match=r"is damaged \(file is not a database\): restore a backup"):
        SQLiteStore(cache)
    article = tmp_path / "a.txt"
    article.write_text("https://bit.ly/x\n")
    result = runner.invoke(app, ["resolve", str(article), "--cache", str(cache), "--cassette", str(ROOT / "cassettes")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"resolver: error: the cache at {cache} is damaged (file is not a database):"
                                          " restore a backup, or move it and cache.sqlite3.history aside to start"
                                          " a new history"]  # fmt: skip


def test_a_damaged_page_is_found_when_the_cache_is_opened(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    store = SQLiteStore(cache)
    for n in range(2000):
        store.put("resolution", f"https://example.com/{n}", {"status": "ok", "pad": "x" * 200}, 3600)
    store.close()
    with sqlite3.connect(cache) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(cache.read_bytes())
    page = 4096
    data[page * 5 : page * 5 + 600] = b"\xa5" * 600  # scribble over a b-tree page, as a bad disk would
    cache.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="is damaged"):
        SQLiteStore(cache)


def test_a_history_that_vanished_is_refused_until_a_human_says_so(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    store = SQLiteStore(cache)
    store.commit_article("https://news.example.org/a", "hash-a", [sighting("https://example.com/s", "ok")])
    store.close()
    marker = tmp_path / "cache.sqlite3.history"
    assert marker.exists()
    for leftover in tmp_path.glob("cache.sqlite3-*"):
        leftover.unlink()
    cache.write_bytes(b"")  # what a full disk or a careless script leaves: zero bytes
    with pytest.raises(StoreError, match=r"holds no history, but it held 1 articles before"):
        SQLiteStore(cache)
    result = runner.invoke(app, ["report", "--cache", str(cache)])
    assert result.exit_code == 2 and "holds no history" in result.stderr and "Traceback" not in result.output
    marker.unlink()  # the documented way to start a new history
    SQLiteStore(cache).close()


def test_a_cache_nobody_could_write_to_is_kept_as_one_failure(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    store = SQLiteStore(cache, busy_timeout_ms=50)
    blocker = sqlite3.connect(cache, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock far longer than we wait
    try:
        for n in range(50):
            store.put("resolution", f"https://example.com/{n}", {"status": "ok"}, 3600)  # never raises
        assert store.failure is not None and "database is locked" in str(store.failure)
        with pytest.raises(StoreError, match="could not write the ledger"):
            store.commit_article("a", "h", [])  # marking an article done must not pass silently
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        store.close()


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_newly_dead_follows_the_last_real_answer(tmp_path: Path, kind: str) -> None:
    clock = Clock()
    store = SQLiteStore(tmp_path / "c.sqlite3", clock=clock) if kind == "sqlite" else MemoryStore(clock=clock)
    src = "https://example.com/s"
    assert store.last_answer(src) is None
    for status in ("ok", "error", "blocked"):
        store.commit_article("a", None, [sighting(src, status)])
        clock.now += 3600
    assert store.last_answer(src) == "ok"  # a failure to ask is not an answer
    store.commit_article("a", None, [sighting(src, "dead")])
    dead_at = clock.now
    assert store.last_answer(src) == "dead"
    clock.now += 3600
    store.commit_article("a", None, [sighting(src, "dead")])
    (entry,) = store.report(None)["newly_dead"]
    assert entry["dead_since"] == dead_at  # the day it died, not the day it was last seen dead
    store.close()


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_due_findings_by_status_freshness(tmp_path: Path, kind: str) -> None:
    clock = Clock()
    store = SQLiteStore(tmp_path / "c.sqlite3", clock=clock) if kind == "sqlite" else MemoryStore(clock=clock)
    fresh = Freshness(ok=30 * 86400, dead=7 * 86400, error=3600)
    store.commit_article(
        "a", "h", [sighting("https://example.com/ok", "ok"), sighting("https://example.com/dead", "dead"),
                   sighting("https://example.com/err", "error")],
    )  # fmt: skip
    store.commit_article("b", "h", [sighting("https://example.com/other", "ok")])

    def due(at: float) -> list[str]:
        clock.now = start + at
        return sorted(f["url"].rsplit("/", 1)[1] for f in store.due_findings("a", fresh))

    start = clock.now
    assert due(0) == []
    assert due(3600) == ["err"]
    assert due(7 * 86400) == ["dead", "err"]
    assert due(30 * 86400) == ["dead", "err", "ok"]  # only article a's sources
    store.close()


def test_warc_memory_survives_reopening(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.sqlite3")
    store.note_warc_capture("/w.warc.gz", "https://example.com/", "<urn:uuid:1>", 1234)
    store.close()
    again = SQLiteStore(tmp_path / "c.sqlite3")
    assert again.warc_captures("/w.warc.gz") == {"https://example.com/": "<urn:uuid:1>"}
    assert again.warc_end("/w.warc.gz") == 1234 and again.warc_end("/other.warc") is None
    again.close()


def test_a_version_2_cache_is_migrated_with_its_history(tmp_path: Path) -> None:
    cache = tmp_path / "old.sqlite3"
    with sqlite3.connect(cache) as conn:
        conn.executescript(
            "CREATE TABLE answers (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, stored_at REAL NOT"
            " NULL, expires_at REAL NOT NULL, PRIMARY KEY (kind, key));"
            "CREATE TABLE articles (url TEXT PRIMARY KEY, content_hash TEXT NOT NULL, first_seen REAL NOT NULL,"
            " last_seen REAL NOT NULL);"
            "CREATE TABLE sources (url TEXT PRIMARY KEY, status TEXT NOT NULL, previous TEXT, canonical TEXT,"
            " wayback TEXT, first_seen REAL NOT NULL, checked_at REAL NOT NULL, dead_since REAL);"
            "CREATE TABLE sightings (article TEXT NOT NULL, source TEXT NOT NULL, first_seen REAL NOT NULL,"
            " last_seen REAL NOT NULL, PRIMARY KEY (article, source));"
            "INSERT INTO articles VALUES ('a', 'h', 1, 1);"
            "INSERT INTO sources VALUES ('https://example.com/s', 'ok', NULL, NULL, NULL, 1, 1, NULL);"
            "PRAGMA user_version = 2;"
        )
    store = SQLiteStore(cache)
    assert store.article_unchanged("a", "h") and store.last_answer("https://example.com/s") == "ok"
    store.close()


def test_a_batch_is_all_or_nothing_and_the_marker_never_claims_a_rollback(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.sqlite3")
    with pytest.raises(RuntimeError), store.batch():
        store.commit_article("a", "h", [sighting("https://example.com/s", "ok")])
        store.commit_article("b", "h", [])
        raise RuntimeError("killed halfway")
    assert not store.article_unchanged("a", "h") and store.last_answer("https://example.com/s") is None
    assert not store.marker.exists()
    with store.batch():
        store.commit_article("a", "h", [])
        store.commit_article("b", "h", [])
    assert store.article_unchanged("a", "h") and store.article_unchanged("b", "h")
    assert json.loads(store.marker.read_text())["articles"] == 2
    store.close()


def test_a_cache_or_warc_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("nothing here\n")
    result = runner.invoke(app, ["archive", str(article), "--cache", "/dev/null", "--no-lookup", "--lock-wait", "0"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["resolver: error: cannot use the cache at /dev/null: not a regular file"]
    fifo = tmp_path / "w.warc"
    os.mkfifo(fifo)
    result = runner.invoke(app, ["archive", str(article), "--no-cache", "--no-lookup", "--warc", str(fifo)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"resolver: error: cannot use the WARC {fifo}: not a regular file"]
