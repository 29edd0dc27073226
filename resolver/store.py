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

SCHEMA_VERSION = 1
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


class MemoryStore:
    """A store that forgets when the process ends."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._data: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._clock = clock

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        item = self._data.get((kind, key))
        if item is None or item[0] < self._clock():
            return None
        return item[1]

    def put(self, kind: str, key: str, value: dict[str, Any], ttl: float) -> None:
        self._data[(kind, key)] = (self._clock() + ttl, value)

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
        if version < 1:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS answers ("
                    " kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
                    " stored_at REAL NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (kind, key))"
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


def default_cache_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("resolver", appauthor=False)) / "cache.sqlite3"
