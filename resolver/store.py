"""The cache: every answer kept, so a re-run does only the new work.

``Store`` is a small protocol; ``SQLiteStore`` (the default, in the user's cache directory) and
``MemoryStore`` (``--no-cache``, tests) implement it. SQLite runs in WAL mode with a busy timeout so two
overlapping cron runs are safe, each answer is committed as it arrives (a run killed halfway keeps what it
finished), the file is created 0600, and the schema is versioned with ``PRAGMA user_version``.

Freshness is the caller's decision (see ``Freshness``): an ``ok`` answer lasts long, ``dead`` less, an
``error`` or ``blocked`` one briefly, so a later run tries again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import StoreError

SCHEMA_VERSION = 2
STORED_AT = "_stored_at"  # every stored answer carries when it was stored, so callers can judge its age
Clock = Callable[[], float]


@dataclass(frozen=True)
class Freshness:
    """Seconds an answer stays fresh, by status."""

    ok: float = 30 * 86400
    dead: float = 7 * 86400
    error: float = 3600
    blocked: float = 86400
    post: float = 7 * 86400

    def for_status(self, status: str) -> float:
        return float(getattr(self, status, self.error))


class Store(Protocol):
    def get(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def put(self, kind: str, key: str, value: dict[str, Any], ttl: float) -> None: ...

    def close(self) -> None: ...


class Ledger(Protocol):
    """The memory of unattended runs: articles seen (URL + content hash) and cited sources' status history."""

    def article_unchanged(self, url: str, content_hash: str) -> bool: ...

    def remember_article(self, url: str, content_hash: str) -> None: ...

    def note_source(
        self, article: str, source: str, status: str, canonical: str | None, wayback: str | None
    ) -> str | None: ...

    def report(self, since: float | None) -> dict[str, Any]: ...


class MemoryStore:
    """A store that forgets when the process ends."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._data: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._clock = clock
        self._articles: dict[str, str] = {}
        self._sources: dict[str, dict[str, Any]] = {}
        self._sightings: set[tuple[str, str]] = set()

    def article_unchanged(self, url: str, content_hash: str) -> bool:
        return self._articles.get(url) == content_hash

    def remember_article(self, url: str, content_hash: str) -> None:
        self._articles[url] = content_hash

    def note_source(
        self, article: str, source: str, status: str, canonical: str | None, wayback: str | None
    ) -> str | None:
        self._sightings.add((article, source))
        row = self._sources.get(source)
        previous = row["status"] if row else None
        now = self._clock()
        became_dead = now if status == "dead" and previous == "ok" else (row or {}).get("dead_since")
        self._sources[source] = {
            "status": status,
            "previous": previous,
            "canonical": canonical,
            "wayback": wayback or (row or {}).get("wayback"),
            "dead_since": became_dead,
        }
        return previous

    def report(self, since: float | None) -> dict[str, Any]:
        return _report(len(self._articles), len(self._sightings), list(self._sources.items()), since)

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        item = self._data.get((kind, key))
        if item is None or item[0] < self._clock():
            return None
        return item[1]

    def put(self, kind: str, key: str, value: dict[str, Any], ttl: float) -> None:
        self._data[(kind, key)] = (self._clock() + ttl, {**value, STORED_AT: self._clock()})

    def close(self) -> None:
        self._data.clear()


class SQLiteStore:
    """The embedded default. Safe to share between overlapping runs; one connection per thread."""

    def __init__(self, path: str | Path, clock: Clock = time.time, busy_timeout_ms: int = 15000) -> None:
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            self._migrate(self._conn())
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot use the cache at {self.path}: {exc}") from None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_ms / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

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
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        row = (
            self._conn()
            .execute("SELECT value, expires_at FROM answers WHERE kind = ? AND key = ?", (kind, key))
            .fetchone()
        )
        if row is None or row[1] < self._clock():
            return None
        value: dict[str, Any] = json.loads(row[0])
        return value

    def put(self, kind: str, key: str, value: dict[str, Any], ttl: float) -> None:
        now = self._clock()
        value = {**value, STORED_AT: now}
        self._conn().execute(
            "INSERT INTO answers (kind, key, value, stored_at, expires_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value,"
            " stored_at = excluded.stored_at, expires_at = excluded.expires_at",
            (kind, key, json.dumps(value, ensure_ascii=False), now, now + ttl),
        )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- the ledger of unattended runs -----------------------------------------------------------------

    def article_unchanged(self, url: str, content_hash: str) -> bool:
        row = self._conn().execute("SELECT content_hash FROM articles WHERE url = ?", (url,)).fetchone()
        return row is not None and row[0] == content_hash

    def remember_article(self, url: str, content_hash: str) -> None:
        now = self._clock()
        self._conn().execute(
            "INSERT INTO articles (url, content_hash, first_seen, last_seen) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (url) DO UPDATE SET content_hash = excluded.content_hash, last_seen = excluded.last_seen",
            (url, content_hash, now, now),
        )

    def note_source(
        self, article: str, source: str, status: str, canonical: str | None, wayback: str | None
    ) -> str | None:
        """Record a sighting and the source's status now; returns its status before this run."""
        now = self._clock()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT status, dead_since, wayback FROM sources WHERE url = ?", (source,)).fetchone()
            previous = row[0] if row else None
            dead_since = (
                now if status == "dead" and previous == "ok" else (row[1] if row and status == "dead" else None)
            )
            conn.execute(
                "INSERT INTO sources (url, status, previous, canonical, wayback, first_seen, checked_at, dead_since)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET status = excluded.status,"
                " previous = excluded.previous, canonical = COALESCE(excluded.canonical, sources.canonical),"
                " wayback = COALESCE(excluded.wayback, sources.wayback), checked_at = excluded.checked_at,"
                " dead_since = excluded.dead_since",
                (source, status, previous, canonical, wayback, now, now, dead_since),
            )
            conn.execute(
                "INSERT INTO sightings (article, source, first_seen, last_seen) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (article, source) DO UPDATE SET last_seen = excluded.last_seen",
                (article, source, now, now),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return str(previous) if previous is not None else None

    def report(self, since: float | None) -> dict[str, Any]:
        conn = self._conn()
        articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        sightings = conn.execute("SELECT COUNT(*) FROM sightings").fetchone()[0]
        rows = conn.execute("SELECT url, status, previous, canonical, wayback, dead_since FROM sources").fetchall()
        sources = [
            (url, {"status": st, "previous": prev, "canonical": can, "wayback": wb, "dead_since": ds})
            for url, st, prev, can, wb, ds in rows
        ]
        return _report(articles, sightings, sources, since)


def _report(
    articles: int, sightings: int, sources: list[tuple[str, dict[str, Any]]], since: float | None
) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for _, row in sources:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    newly_dead = [
        {"source": url, "canonical": row["canonical"], "wayback_url": row["wayback"], "dead_since": row["dead_since"]}
        for url, row in sources
        if row["status"] == "dead" and row["dead_since"] is not None and (since is None or row["dead_since"] >= since)
    ]
    return {
        "articles": articles,
        "sightings": sightings,
        "sources": len(sources),
        "by_status": by_status,
        "archived": sum(1 for _, row in sources if row["wayback"]),
        "newly_dead": sorted(newly_dead, key=lambda r: r["dead_since"]),
    }


class LockBusyError(Exception):
    """Another run holds the lock."""


class RunLock:
    """An exclusive lock beside the cache file, so two unattended runs never trample each other.

    The second run waits up to ``wait`` seconds, then gives up with LockBusyError. The OS releases the lock
    when its holder dies, even by SIGKILL.
    """

    def __init__(self, path: Path, wait: float = 10.0) -> None:
        self.path = path
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                    os.close(fd)
                    raise LockBusyError(f"another run holds {self.path} ({holder or 'pid unknown'})") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def default_cache_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("resolver", appauthor=False)) / "cache.sqlite3"
