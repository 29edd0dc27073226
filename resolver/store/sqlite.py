"""The cache: every answer kept, so a re-run does only the new work; and the ledger of unattended runs.

``Store`` is a small protocol; ``SQLiteStore`` (the default, in the user's cache directory) and
``MemoryStore`` (``--no-cache``, tests) implement it. SQLite runs in WAL mode with a busy timeout so two
overlapping cron runs are safe, each answer is committed as it arrives (a run killed halfway keeps what it
finished), the file is created 0600, and the schema is versioned with ``PRAGMA user_version``.

A cache is checked when it is opened (``PRAGMA quick_check``): a damaged one is refused with one line
(``StoreError``) instead of failing later, query by query. A history that vanished is noticed too: a small
marker beside the cache (``cache.sqlite3.history``) records how many articles the ledger held, so a cache
emptied or truncated to zero bytes is refused rather than silently taken as a new one. Cache answers are
an optimisation, so a failed read or write of one (a full disk, a read-only file) does not stop the run:
the first failure is kept in ``failure`` and the command reports it once and exits 2. Ledger writes
(what marks an article done) raise ``StoreError`` at once.

Freshness is the caller's decision (see ``Freshness``): an ``ok`` answer lasts long, ``dead`` less, an
``error`` or ``blocked`` one briefly, so a later run tries again.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from ..errors import StoreError
from .base import STORED_AT, Clock, Freshness, Sighting, _due, _next_source_row, _report, wall_clock

SCHEMA_VERSION = 3


class SQLiteStore:
    """The embedded default. Safe to share between overlapping runs; one connection per thread."""

    SYNCHRONOUS = "NORMAL"  # WAL with NORMAL: a commit survives a crash of the process, fsync at checkpoints

    def __init__(
        self, path: str | Path, clock: Clock = wall_clock, busy_timeout_ms: int = 15000, *, readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self.marker = self.path.with_name(self.path.name + ".history")
        self.failure: StoreError | None = None
        self._clock = clock
        self._busy_timeout_ms = busy_timeout_ms
        self._readonly = readonly
        self._local = threading.local()
        self._articles_at_open = 0
        self._marker_due = False
        try:
            if self.path.exists() and not self.path.is_file():
                raise StoreError(f"cannot use the cache at {self.path}: not a regular file")
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if not self.path.exists():
                    fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                    os.close(fd)
            conn = self._conn()
            self._check(conn)
            if not readonly:
                self._migrate(conn)
            self._articles_at_open = self._count_articles(conn)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(
                f"the cache at {self.path} is damaged ({_one_line(exc)}): restore a backup, or move it and"
                f" {self.marker.name} aside to start a new history"
            ) from None
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise StoreError(f"cannot use the cache at {self.path}: {_one_line(exc)}") from None
        self._check_history()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._readonly:
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            else:
                conn = sqlite3.connect(self.path, timeout=self._busy_timeout_ms / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            if not self._readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA synchronous = {self.SYNCHRONOUS}")
            self._local.conn = conn
        return conn

    def _check(self, conn: sqlite3.Connection) -> None:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError(f"quick_check: {'; '.join(problems[:3])}")

    def _count_articles(self, conn: sqlite3.Connection) -> int:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:  # a read-only open of a cache that never had a ledger
            return 0

    def _check_history(self) -> None:
        """Refuse a cache whose ledger is empty when its marker says it held articles."""
        try:
            held = int(json.loads(self.marker.read_text()).get("articles", 0))
        except FileNotFoundError:
            return
        except (OSError, ValueError, AttributeError):
            held = 0  # an unreadable marker proves nothing; it is rewritten at the next commit
        if held > 0 and self._articles_at_open == 0:
            self.close()
            raise StoreError(
                f"the cache at {self.path} holds no history, but it held {held} articles before "
                f"(see {self.marker.name}): it was emptied or replaced. Restore it from a backup, or delete "
                f"{self.marker} to start a new history"
            )

    def _mark_history(self) -> None:
        with contextlib.suppress(OSError, sqlite3.Error):
            count = self._count_articles(self._conn())
            if count > 0:
                tmp = self.marker.with_name(self.marker.name + ".tmp")
                tmp.write_text(json.dumps({"articles": count, "updated": self._clock()}) + "\n")
                os.replace(tmp, self.marker)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"the cache at {self.path} was written by a newer resolver (schema {version})")
        if version < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the write lock: an overlapping run may have migrated meanwhile.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version < 1:
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS answers ("
                        " kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
                        " stored_at REAL NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (kind, key))"
                    )
                if version < 2:
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS articles ("
                        " url TEXT PRIMARY KEY, content_hash TEXT NOT NULL, first_seen REAL NOT NULL,"
                        " last_seen REAL NOT NULL)"
                    )
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS sources ("
                        " url TEXT PRIMARY KEY, status TEXT NOT NULL, previous TEXT, canonical TEXT, wayback TEXT,"
                        " first_seen REAL NOT NULL, checked_at REAL NOT NULL, dead_since REAL)"
                    )
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS sightings ("
                        " article TEXT NOT NULL, source TEXT NOT NULL, first_seen REAL NOT NULL,"
                        " last_seen REAL NOT NULL, PRIMARY KEY (article, source))"
                    )
                if version < 3:
                    # v3: the finding behind each sighting (re-checks without a re-scan), the last real answer
                    # of each source (ok → error → dead is still newly dead), and what each WARC holds.
                    conn.execute("ALTER TABLE sightings ADD COLUMN finding TEXT")
                    conn.execute("ALTER TABLE sources ADD COLUMN last_final TEXT")
                    conn.execute("UPDATE sources SET last_final = status WHERE status IN ('ok', 'dead')")
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS warc_captures ("
                        " warc TEXT NOT NULL, url TEXT NOT NULL, record_id TEXT NOT NULL, end_offset INTEGER NOT NULL,"
                        " PRIMARY KEY (warc, url))"
                    )
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # --- answers: failures are kept, not raised (see the module docstring) ------------------------------

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        try:
            row = (
                self._conn()
                .execute("SELECT value, expires_at FROM answers WHERE kind = ? AND key = ?", (kind, key))
                .fetchone()
            )
        except sqlite3.Error as exc:
            self._failed("read", exc)
            return None
        if row is None or row[1] < self._clock():
            return None
        value: dict[str, Any] = _decode(row[0])
        return value

    def put(self, kind: str, key: str, value: dict[str, Any], ttl: float) -> None:
        if self.failure is not None:
            return  # one failure is enough to know; the rest of the run works from memory
        now = self._clock()
        value = {**value, STORED_AT: now}
        try:
            self._conn().execute(
                "INSERT INTO answers (kind, key, value, stored_at, expires_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value,"
                " stored_at = excluded.stored_at, expires_at = excluded.expires_at",
                (kind, key, _encode(value), now, now + ttl),
            )
        except sqlite3.Error as exc:
            self._failed("write", exc)

    def _failed(self, what: str, exc: sqlite3.Error) -> None:
        if self.failure is None:
            self.failure = StoreError(
                f"could not {what} the cache at {self.path}: {_one_line(exc)}; this run's answers were not all kept"
            )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if not self._readonly:
                self._mark_history()
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            self._local.conn = None

    # --- the ledger of unattended runs: failures raise StoreError ---------------------------------------

    @contextlib.contextmanager
    def _ledger_write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if getattr(self._local, "in_batch", False):
            yield conn  # the batch's transaction commits or rolls back everything at once
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"could not write the ledger in the cache at {self.path}: {_one_line(exc)}") from None
        if self._marker_due and not self.marker.exists():
            self._mark_history()  # only after the commit: a marker must never claim rows a rollback undid
        self._marker_due = False

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Several ledger writes (say, every article of a run) as one transaction: all of them or none."""
        with self._ledger_write():
            self._local.in_batch = True
            try:
                yield
            finally:
                self._local.in_batch = False

    def _ledger_read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the ledger in the cache at {self.path}: {_one_line(exc)}") from None

    def article_unchanged(self, url: str, content_hash: str) -> bool:
        rows = self._ledger_read("SELECT content_hash FROM articles WHERE url = ?", (url,))
        return bool(rows) and rows[0][0] == content_hash

    def last_answer(self, source: str) -> str | None:
        """The source's last real answer (ok or dead) before this run, if it has one."""
        rows = self._ledger_read("SELECT last_final FROM sources WHERE url = ?", (source,))
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def commit_article(self, article: str, content_hash: str | None, sightings: Sequence[Sighting]) -> None:
        """One article's sightings and (unless None: a re-check) its content hash, in one transaction.

        Call it only once the article's records are written: this is what marks the article done.
        """
        now = self._clock()
        with self._ledger_write() as conn:
            for s in sightings:
                found = conn.execute(
                    "SELECT status, canonical, wayback, dead_since, last_final FROM sources WHERE url = ?", (s.source,)
                ).fetchone()
                keys = ("status", "canonical", "wayback", "dead_since", "last_final")
                row = _next_source_row(dict(zip(keys, found, strict=True)) if found else {}, s, now)
                conn.execute(
                    "INSERT INTO sources (url, status, previous, canonical, wayback, first_seen, checked_at,"
                    " dead_since, last_final) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
                    " status = excluded.status, previous = excluded.previous, canonical = excluded.canonical,"
                    " wayback = excluded.wayback, checked_at = excluded.checked_at,"
                    " dead_since = excluded.dead_since, last_final = excluded.last_final",
                    (s.source, row["status"], row["previous"], row["canonical"], row["wayback"], now, now,
                     row["dead_since"], row["last_final"]),
                )  # fmt: skip
                conn.execute(
                    "INSERT INTO sightings (article, source, first_seen, last_seen, finding) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (article, source) DO UPDATE SET last_seen = excluded.last_seen,"
                    " finding = excluded.finding",
                    (article, s.source, now, now, json.dumps(s.finding, ensure_ascii=False)),
                )
            if content_hash is not None:
                conn.execute(
                    "INSERT INTO articles (url, content_hash, first_seen, last_seen) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (url) DO UPDATE SET content_hash = excluded.content_hash,"
                    " last_seen = excluded.last_seen",
                    (article, content_hash, now, now),
                )
        if content_hash is not None:
            self._marker_due = True

    def due_findings(self, article: str, freshness: Freshness) -> list[dict[str, Any]]:
        """The findings of ``article`` whose source's last check is older than its status allows."""
        rows = self._ledger_read(
            "SELECT sightings.finding, sources.status, sources.checked_at FROM sightings"
            " JOIN sources ON sources.url = sightings.source WHERE sightings.article = ?"
            " AND sightings.finding IS NOT NULL ORDER BY sightings.first_seen, sightings.source",
            (article,),
        )
        now = self._clock()
        return [
            json.loads(finding)
            for finding, status, checked_at in rows
            if _due({"status": status, "checked_at": checked_at}, freshness, now)
        ]

    def warc_captures(self, warc: str) -> dict[str, str]:
        """URL → WARC-Record-ID of every response already written to ``warc``."""
        rows = self._ledger_read("SELECT url, record_id FROM warc_captures WHERE warc = ?", (warc,))
        return {url: record_id for url, record_id in rows}

    def warc_end(self, warc: str) -> int | None:
        """Where the last record known to be whole ends in ``warc``."""
        rows = self._ledger_read("SELECT MAX(end_offset) FROM warc_captures WHERE warc = ?", (warc,))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def note_warc_capture(self, warc: str, url: str, record_id: str, end: int) -> None:
        with self._ledger_write() as conn:
            conn.execute(
                "INSERT INTO warc_captures (warc, url, record_id, end_offset) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (warc, url) DO UPDATE SET record_id = excluded.record_id,"
                " end_offset = excluded.end_offset",
                (warc, url, record_id, end),
            )

    def forget_warc(self, warc: str) -> None:
        """The WARC was replaced or shortened by someone else: what we knew of it no longer holds."""
        with self._ledger_write() as conn:
            conn.execute("DELETE FROM warc_captures WHERE warc = ?", (warc,))

    def report(self, since: float | None) -> dict[str, Any]:
        articles = self._ledger_read("SELECT COUNT(*) FROM articles")[0][0]
        sightings = self._ledger_read("SELECT COUNT(*) FROM sightings")[0][0]
        rows = self._ledger_read("SELECT url, status, previous, canonical, wayback, dead_since FROM sources")
        sources = [
            (url, {"status": st, "previous": prev, "canonical": can, "wayback": wb, "dead_since": ds})
            for url, st, prev, can, wb, ds in rows
        ]
        return _report(articles, sightings, sources, since)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _encode(value: Any) -> str:
    """A stored value as JSON text: orjson (a tenth of the standard library's time on an answer), or
    ``json`` for what orjson refuses (a lone surrogate from undecodable input, an integer past 64 bits).
    Both read back the same (a NaN, which no answer holds, would come back as null)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _decode(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what only ``json`` writes (NaN) or reads
        return json.loads(text)
