"""What a store is: the cache protocol, the ledger protocol, freshness, and the pieces both stores share.

Freshness is the caller's decision (see ``Freshness``): an ``ok`` answer lasts long, ``dead`` less, an
``error`` or ``blocked`` one briefly, so a later run tries again.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

STORED_AT = "_stored_at"  # every stored answer carries when it was stored, so callers can judge its age
Clock = Callable[[], float]
FINAL = ("ok", "dead")  # statuses that are answers; error and blocked say "ask again later"


def wall_clock() -> float:
    """time.time, looked up at each call (a test may replace it to move time on)."""
    return time.time()


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


@dataclass(frozen=True)
class Sighting:
    """One cited source as one article's records saw it in this run."""

    source: str  # the source's identity across runs (see ledger.source_key)
    status: str
    canonical: str | None
    wayback: str | None
    finding: dict[str, Any]  # the record's finding, so the source can be re-checked without a re-scan


class Ledger(Protocol):
    """The memory of unattended runs: articles seen (URL + content hash), the sources each one cites with
    their status history, and what was written to which WARC."""

    def article_unchanged(self, url: str, content_hash: str) -> bool: ...

    def last_answer(self, source: str) -> str | None: ...

    def commit_article(self, article: str, content_hash: str | None, sightings: Sequence[Sighting]) -> None: ...

    def batch(self) -> contextlib.AbstractContextManager[None]: ...

    def due_findings(self, article: str, freshness: Freshness) -> list[dict[str, Any]]: ...

    def warc_captures(self, warc: str) -> dict[str, str]: ...

    def warc_end(self, warc: str) -> int | None: ...

    def note_warc_capture(self, warc: str, url: str, record_id: str, end: int) -> None: ...

    def forget_warc(self, warc: str) -> None: ...

    def report(self, since: float | None) -> dict[str, Any]: ...


def _next_source_row(row: dict[str, Any], s: Sighting, now: float) -> dict[str, Any]:
    """A source's row after this sighting. ``last_final`` is the last real answer (ok or dead), so a source
    that went ok → error → dead is still newly dead; ``dead_since`` marks the move from ok to dead."""
    last_final = row.get("last_final")
    if s.status == "dead":
        dead_since = now if last_final == "ok" else row.get("dead_since")
    elif s.status == "ok":
        dead_since = None
    else:
        dead_since = row.get("dead_since")
    return {
        "status": s.status,
        "previous": row.get("status"),
        "canonical": s.canonical or row.get("canonical"),
        "wayback": s.wayback or row.get("wayback"),
        "dead_since": dead_since,
        "last_final": s.status if s.status in FINAL else last_final,
        "checked_at": now,
    }


def _due(row: dict[str, Any], freshness: Freshness, now: float) -> bool:
    return bool(now - row["checked_at"] >= freshness.for_status(row["status"]))


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


def default_cache_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("resolver", appauthor=False)) / "cache.sqlite3"
