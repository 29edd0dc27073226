"""The unattended archive run: resolve what is new, re-check what is due, archive every cited source.

Made for cron on a whole archive. The ledger (the store's memory of earlier runs) says which articles are
unchanged since they were last done (their content hash): those are not re-scanned, but their sources
that are due (``recheck``) are resolved again, so link rot under an unchanged article is seen. A source ok
at its last real answer and dead now is flagged newly dead, once. The order is what keeps a killed run
from losing anything: the records are flagged, handed to ``deliver`` (written), and only when that has
returned are their articles committed to the ledger — all in one transaction.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..archive import ArchiveOptions, Archiver, WarcRecorder, archive_records, ledger
from ..archive.near import Moment, Near, Target, article_date, run_date, target_for
from ..errors import StoreError
from ..models import Document, Finding, ResolvedRecord
from ..scan import LinkFilter
from ..store import Freshness, MemoryStore, RunLock, SQLiteStore
from .flow import Stats, resolve_findings, scan_documents
from .jobs import Hooks, resolving
from .settings import RunSettings

DAY = 86400.0


@dataclass(frozen=True)
class ArchiveJob:
    """What an archive run is asked to do, beyond resolving."""

    links: LinkFilter = "all"
    whole_page: bool = False
    lookup: bool = True  # ask the Wayback Machine for captures
    save: bool = False  # ask Save Page Now for a capture where there is none (newer than max_age)
    max_age: float | None = None
    warc: Path | None = None  # also write every response fetched for a cited source here
    near: Near | None = None  # name the capture nearest a date instead of the newest
    every_article: bool = False  # not only new or changed ones
    recheck: float = 30 * DAY  # re-check a source found ok once its answer is older


@dataclass
class ArchiveOutcome:
    records: list[ResolvedRecord]  # flagged newly dead, in the articles' reading order
    articles: int  # new or changed articles scanned
    unchanged: int  # articles skipped as unchanged
    rechecked: int  # sources of unchanged articles re-checked
    newly_dead: int
    archive_errors: int  # sources that could not be archived (worth retrying)
    failed_scans: int  # articles the scanner failed on (not committed: the next run tries again)
    stats: Stats
    failure: str | None  # the cache or the WARC could not be written: it needs a human


@contextlib.contextmanager
def run_lock(settings: RunSettings, wait: float) -> Iterator[None]:
    """Hold the lock beside the cache, so two runs never overlap; ``LockBusyError`` after ``wait`` seconds."""
    path = settings.cache_path()
    if path.exists() and not path.is_file():  # before the lock: no lock file beside a device
        raise StoreError(f"cannot use the cache at {path}: not a regular file")
    with RunLock(Path(str(path) + ".lock"), wait=wait) if not settings.no_cache else contextlib.nullcontext():
        yield


@dataclass
class _Articles:
    """The articles read: those to scan (new or changed), and the unchanged ones whose due sources are re-checked."""

    scan: list[Document] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    unchanged: set[str] = field(default_factory=set)
    rechecks: list[Finding] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)  # reading order: re-checked records join their article
    dates: dict[str, Moment | None] = field(default_factory=dict)  # each article's own date, for --near article


def _triage(
    documents: Iterable[Document], store: SQLiteStore | MemoryStore, job: ArchiveJob, fresh: Freshness
) -> _Articles:
    found = _Articles()
    for doc in documents:
        found.order.setdefault(doc.source, len(found.order))
        if job.near is not None and job.near.moment is None:  # unchanged articles' too: their sources are re-checked
            found.dates[doc.source] = article_date(doc)
        digest = ledger.content_hash(doc)
        if not job.every_article and store.article_unchanged(doc.source, digest):
            found.unchanged.add(doc.source)
            found.rechecks.extend(ledger.finding_from_dict(f) for f in store.due_findings(doc.source, fresh))
            continue
        found.scan.append(doc)
        found.digests[doc.source] = digest
    return found


def archive_documents(
    documents: Iterable[Document],
    settings: RunSettings,
    job: ArchiveJob,
    *,
    deliver: Callable[[list[ResolvedRecord]], None],
    hooks: Hooks | None = None,
) -> ArchiveOutcome:
    """Resolve and archive the new or changed articles and the due sources of the others; ``deliver`` the
    records (if it raises, nothing is committed: the next run redoes these articles); then commit."""
    hooks = hooks or Hooks()
    freshness = Freshness(ok=job.recheck, dead=min(job.recheck, Freshness().dead))
    store = settings.open_store()
    try:
        articles = _triage(documents, store, job, freshness)
        stats = Stats()
        failed_scans: set[str] = set()
        target = _targets(job.near, articles.dates)
        records, warc = hooks.run_loop(
            _resolve_and_archive(articles, settings, job, store, freshness, stats, failed_scans, target, hooks)
        )
        if warc is not None and warc.repaired and hooks.warning is not None:
            hooks.warning(warc.repaired)
        flagger = ledger.NewlyDead(store)
        order = articles.order
        marked = sorted((flagger.flag(r) for r in records), key=lambda r: order.get(r.finding.source, len(order)))
        deliver(marked)
        # Only now that the records are written is each article done (a kill before this redoes them).
        _commit(store, articles, failed_scans, marked)
        failure = str(store.failure) if store.failure is not None else None
        failure = failure or (warc.broken if warc is not None else None)
    finally:
        store.close()
    return ArchiveOutcome(
        records=marked,
        articles=len(articles.scan),
        unchanged=len(articles.unchanged),
        rechecked=len(articles.rechecks),
        newly_dead=flagger.count,
        archive_errors=sum(1 for r in marked if (r.extra.get("archive") or {}).get("error")),
        failed_scans=len(failed_scans),
        stats=stats,
        failure=failure,
    )


def _targets(near: Near | None, dates: dict[str, Moment | None]) -> Callable[[ResolvedRecord], Target | None] | None:
    """Which moment each record's capture is chosen nearest to (``--near``), or None for the newest."""
    if near is None:
        return None
    today = run_date(time.time())
    return lambda r: target_for(near, dates.get(r.finding.source), today)


async def _resolve_and_archive(
    articles: _Articles,
    settings: RunSettings,
    job: ArchiveJob,
    store: SQLiteStore | MemoryStore,
    freshness: Freshness,
    stats: Stats,
    failed_scans: set[str],
    target: Callable[[ResolvedRecord], Target | None] | None,
    hooks: Hooks,
) -> tuple[list[ResolvedRecord], WarcRecorder | None]:
    """The archived records, and the WARC recorder (closed) that says what it repaired and what failed."""

    def scan_failed(doc: Document, exc: Exception) -> None:
        failed_scans.add(doc.source)
        if hooks.document_failed is not None:
            hooks.document_failed(doc, exc)

    async with settings.client() as client:
        options = settings.run_options(job.links, job.whole_page, freshness)
        findings = [*scan_documents(articles.scan, options, scan_failed), *articles.rechecks]
        with resolving(hooks) as progress:
            records = await resolve_findings(
                findings, client=client, store=store, options=options, progress=progress, stats=stats
            )
        archiver = Archiver(
            client,
            store,
            ArchiveOptions(lookup=job.lookup, save=job.save, max_age=job.max_age),
            allow_private=settings.allow_private,
        )
        recorder = (
            WarcRecorder(job.warc, client, allow_private=settings.allow_private, store=store) if job.warc else None
        )
        try:
            archived = await archive_records(records, archiver, recorder, deadline=settings.ends, target=target)
        finally:
            if recorder is not None:
                recorder.close()
    return archived, recorder


def _commit(
    store: SQLiteStore | MemoryStore, articles: _Articles, failed_scans: set[str], records: list[ResolvedRecord]
) -> None:
    """Each article done with its records; unchanged articles with the sources re-checked under them."""
    by_article: dict[str, list[ResolvedRecord]] = {}
    for record in records:
        by_article.setdefault(record.finding.source, []).append(record)
    with store.batch():  # the output is one file, complete now: all its articles are done at once
        for doc in articles.scan:
            if doc.source not in failed_scans:
                ledger.commit_article(store, doc.source, articles.digests[doc.source], by_article.get(doc.source, []))
        for article in sorted(articles.unchanged & by_article.keys()):
            ledger.commit_article(store, article, None, by_article[article])


def ledger_report(cache: Path, since: float | None) -> dict[str, Any]:
    """What archive runs on this cache have seen (``SQLiteStore.report``): read-only, so a copy without
    write access reports too. Raises ``StoreError`` when the cache cannot be read."""
    store = SQLiteStore(cache, readonly=True)
    try:
        return store.report(since)
    finally:
        store.close()
