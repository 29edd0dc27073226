"""The bookkeeping of unattended ``archive`` runs: which article is done, which source is newly dead.

The order is what keeps a killed run from losing anything: an article's records are flagged
(``NewlyDead``), its delivery noted (``note_delivery``: which file, which bytes), its records written, and
only then is the article committed (``commit_article``): its sources' statuses and its content hash — one
article at a time, as each one's records are out. A run killed before the commit leaves the article to
the next run; a committed article is never redone. The one moment in between — written, not yet
committed — is what the delivery note is for: the next run finds the article's records where the note
says (whichever output file it names), commits them from there and does not deliver them again
(``delivered_records``). A run that writes one file at the end (JSON, a table) commits all its articles
in one transaction (``Ledger.batch``) right after the file is in place, so a kill leaves all of them done
or none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, cast

from ..models import Document, Finding, Link, Post, Resolution, ResolvedRecord, Status
from ..resolve.hops import first_url
from ..store import Ledger, Sighting, Store

DELIVERY_KEPT = 400 * 86400.0  # a delivery note outlives any gap between two runs

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
    """Flags the records whose source was ok at its last real answer and is dead now, once per source.

    Within what is not committed yet, ``_seen`` says a source was flagged already; once articles are
    committed the ledger says it (their sources' last answer is ``dead``), so ``forget`` empties it."""

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

    def forget(self) -> None:
        """The records flagged so far are committed: the ledger remembers their sources now."""
        self._seen.clear()


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


def record_from_dict(data: dict[str, Any]) -> ResolvedRecord:
    """A record read back from an output file, as far as the ledger needs it: its finding, status,
    canonical URL, archive object and newly-dead flag."""
    status = cast("Status", data.get("status") or "ok")
    resolution = Resolution(str(data.get("url") or ""), status, data.get("final_url"), data.get("canonical_url"),
                            (), data.get("error"))  # fmt: skip
    extra: dict[str, Any] = {name: data[name] for name in ("archive", "newly_dead") if name in data}
    return ResolvedRecord(finding_from_dict(data), resolution, None, extra)


def commit_written(ledger: Ledger, article: str, digest: str | None, written: Sequence[dict[str, Any]]) -> None:
    """Mark ``article`` done with the records an earlier run wrote (read back from its output file)."""
    commit_article(ledger, article, digest, [record_from_dict(r) for r in written])


def note_delivery(
    store: Store, article: str, *, file: str, fmt: str, start: int, end: int, digest: str | None
) -> None:
    """Before an article's records are written: they go to bytes ``start``–``end`` of ``file`` (``fmt``)."""
    value = {"file": file, "format": fmt, "start": start, "end": end, "digest": digest}
    store.put("delivery", article, value, DELIVERY_KEPT)


def delivery(store: Store, article: str) -> dict[str, Any] | None:
    """The last delivery noted for ``article`` (``file``, ``format``, ``start``, ``end``, ``digest``), if any."""
    return store.get("delivery", article)
