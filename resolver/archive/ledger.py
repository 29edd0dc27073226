"""The bookkeeping of unattended ``archive`` runs: which article is done, which source is newly dead.

The order is what keeps a killed run from losing anything: records are flagged (``NewlyDead``) while
nothing is committed, then written, and only then is each article committed (``commit_article``): its
sources' statuses and its content hash. A run killed before that leaves the article to the next run,
which delivers its records and its newly-dead alerts; a committed article is never redone. The functions
take one article at a time, so a streaming pipeline can commit article by article as each article's
records are flushed; a run that writes one file at the end commits all its articles in one transaction
(``Ledger.batch``) right after the file is in place, so a kill leaves all of them done or none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..models import Document, Finding, Link, Post, ResolvedRecord
from ..resolve.hops import first_url
from ..store import Ledger, Sighting


def content_hash(doc: Document) -> str:
    return hashlib.sha256(doc.raw if doc.raw is not None else doc.text.encode()).hexdigest()


def source_key(record: ResolvedRecord) -> str | None:
    """The identity of a cited source across runs: the link as found (pic.* as its t.co), or the post."""
    finding = record.finding
    if isinstance(finding, Link):
        return first_url(finding.url)
    if finding.url:
        return first_url(finding.url)
    return record.resolution.canonical_url if record.resolution else None


def finding_from_dict(data: dict[str, Any]) -> Finding:
    """A finding back from its record form (``to_dict``), as the ledger keeps it for re-checks."""
    span = (int(data["span"][0]), int(data["span"][1]))
    if data["kind"] == "link":
        return Link(data["source"], data["raw"], data["url"], data.get("shortener"), bool(data.get("in_post")),
                    span, int(data["line"]))  # fmt: skip
    return Post(
        source=data["source"],
        platform=data["platform"],
        url=data.get("url"),
        post_id=data.get("post_id"),
        author_name=data.get("author_name"),
        author_handle=data.get("author_handle"),
        published=data.get("published"),
        text=data.get("text"),
        links=tuple(data.get("links") or ()),
        embedded=bool(data.get("embedded")),
        span=span,
        line=int(data["line"]),
    )


class NewlyDead:
    """Flags the records whose source was ok at its last real answer and is dead now, once per source."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._seen: set[str] = set()
        self.count = 0

    def flag(self, record: ResolvedRecord) -> ResolvedRecord:
        key = source_key(record)
        res = record.resolution
        if key is None or res is None:
            return record
        newly = res.status == "dead" and key not in self._seen and self._ledger.last_answer(key) == "ok"
        if res.status == "dead":
            self._seen.add(key)
        self.count += newly
        return replace(record, extra={**record.extra, "newly_dead": newly})


def sightings(records: Iterable[ResolvedRecord]) -> list[Sighting]:
    found: list[Sighting] = []
    for record in records:
        key = source_key(record)
        res = record.resolution
        if key is None or res is None:
            continue
        archive = record.extra.get("archive") or {}
        found.append(Sighting(key, res.status, res.canonical_url, archive.get("wayback_url"), record.finding.to_dict()))
    return found


def commit_article(ledger: Ledger, article: str, digest: str | None, records: Sequence[ResolvedRecord]) -> None:
    """Mark ``article`` done with these records (already written!); ``digest`` None for a re-check only."""
    ledger.commit_article(article, digest, sightings(records))
