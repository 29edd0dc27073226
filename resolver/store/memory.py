"""A store that forgets when the process ends (``--no-cache``, cassette replays, tests)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from ..errors import StoreError
from .base import STORED_AT, Clock, Freshness, Sighting, _due, _next_source_row, _report, wall_clock


class MemoryStore:
    """A store that forgets when the process ends."""

    failure: StoreError | None = None

    def __init__(self, clock: Clock = wall_clock) -> None:
        self._data: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._clock = clock
        self._articles: dict[str, str] = {}
        self._sources: dict[str, dict[str, Any]] = {}
        self._sightings: dict[tuple[str, str], dict[str, Any]] = {}
        self._warc: dict[str, dict[str, tuple[str, int]]] = {}

    def article_unchanged(self, url: str, content_hash: str) -> bool:
        return self._articles.get(url) == content_hash

    def last_answer(self, source: str) -> str | None:
        row = self._sources.get(source)
        return row["last_final"] if row else None

    def commit_article(self, article: str, content_hash: str | None, sightings: Sequence[Sighting]) -> None:
        now = self._clock()
        for s in sightings:
            self._sightings[(article, s.source)] = s.finding
            row = self._sources.get(s.source) or {"wayback": None, "canonical": None, "last_final": None}
            self._sources[s.source] = _next_source_row(row, s, now)
        if content_hash is not None:
            self._articles[article] = content_hash

    def batch(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def due_findings(self, article: str, freshness: Freshness) -> list[dict[str, Any]]:
        now = self._clock()
        return [
            finding
            for (art, source), finding in self._sightings.items()
            if art == article and _due(self._sources[source], freshness, now)
        ]

    def warc_captures(self, warc: str) -> dict[str, str]:
        return {url: rid for url, (rid, _) in self._warc.get(warc, {}).items()}

    def warc_end(self, warc: str) -> int | None:
        ends = [end for _, end in self._warc.get(warc, {}).values()]
        return max(ends) if ends else None

    def note_warc_capture(self, warc: str, url: str, record_id: str, end: int) -> None:
        self._warc.setdefault(warc, {})[url] = (record_id, end)

    def forget_warc(self, warc: str) -> None:
        self._warc.pop(warc, None)

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


