"""The unattended archive run: resolve what is new, re-check what is due, archive every cited source — article
by article, each one committed to the ledger as soon as its records are written.

Made for cron on a whole archive. The ledger (the store's memory of earlier runs) says which articles are
unchanged since they were last done (their content hash): those are not re-scanned, but their sources
that are due (``recheck``) are resolved again, so link rot under an unchanged article is seen. A source ok
at its last real answer and dead now is flagged newly dead, once.

Articles stream through as ``resolve``'s documents do (read and triaged in the reader's thread, a bounded
window in flight, written in reading order). For each article, in this order: its records are flagged, its
delivery is noted (which file, which bytes: ``ledger.note_delivery``), its records are written, and the
article is committed. So a SIGKILL at any moment loses only the articles in flight, and delivers nothing
twice: an article written but not yet committed when the kill came is found by the next run where its
note says, committed from there and not written again. An output written whole at the end (JSON, a table)
gets its articles committed together after it is in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..archive import ArchiveOptions, Archiver, WarcRecorder, archive_records, ledger
from ..archive.near import Moment, Near, Target, article_date, run_date, target_for
from ..errors import StoreError
from ..models import Document, ResolvedRecord
from ..read.sources import SourceReader
from ..resolve.dateworker import date_worker
from ..scan import LinkFilter, scan
from ..store import Freshness, RunLock, Sighting, SQLiteStore
from ..write.resume import Key, records_between
from .answers import Layered, Stats
from .flow import Flow, window_for
from .jobs import Hooks, Out, Placed, mark_done, open_stores, resolving, unit_records
from .settings import RunSettings
from .stream import Unit, in_order, threaded
from .units import Documents, Input, Listed, Rows

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
    resume: bool = False  # --resume: keep what the -o file holds, even if the run that wrote it finished


@dataclass
class ArchiveOutcome:
    articles: int = 0  # new or changed articles scanned
    unchanged: int = 0  # articles skipped as unchanged
    rechecked: int = 0  # sources of unchanged articles re-checked
    rows: int = 0  # rows of a URL list (--urls)
    newly_dead: int = 0
    archive_errors: int = 0  # sources that could not be archived (worth retrying)
    failed_scans: int = 0  # articles the scanner failed on (not committed: the next run tries again)
    kept: int = 0  # articles (or rows) the continued output held already
    delivered_before: int = 0  # articles an interrupted run had written, committed now from its output
    stats: Stats = field(default_factory=Stats)
    failure: str | None = None  # the cache or the WARC could not be written: it needs a human


@contextlib.contextmanager
def run_lock(settings: RunSettings, wait: float) -> Iterator[None]:
    """Hold the lock beside the cache, so two runs never overlap; ``LockBusyError`` after ``wait`` seconds."""
    path = settings.cache_path()
    if path.exists() and not path.is_file():  # before the lock: no lock file beside a device
        raise StoreError(f"cannot use the cache at {path}: not a regular file")
    with RunLock(Path(str(path) + ".lock"), wait=wait) if not settings.no_cache else contextlib.nullcontext():
        yield


@dataclass
class _Article:
    """What the writer needs to commit one unit: the article (or the URL list a row belongs to)."""

    source: str
    digest: str | None  # its content hash; None for a re-check of an unchanged article, or a row
    date: Moment | None = None  # its own date, for --near article
    unchanged: bool = False
    failed: bool = False  # the scanner failed on it: not committed, the next run tries again
    written: list[dict[str, Any]] | None = None  # its records, written by an interrupted run (not committed)


class _SharedArchiver(Archiver):
    """An Archiver whose lookups under way are shared by all the units in flight (the store shares the rest)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._running: dict[tuple[str, str], asyncio.Task[dict[str, Any]]] = {}

    async def archive(self, url: str, target: Target | None = None) -> dict[str, Any]:
        key = (url, target.moment.cdx if target else "")
        task = self._running.get(key)
        if task is None:
            task = self._running[key] = asyncio.ensure_future(super().archive(url, target))
            task.add_done_callback(lambda _, key=key: self._running.pop(key, None))  # type: ignore[misc]
        return dict(await asyncio.shield(task))  # a copy each: archive_records adds the record's WARC to it


def archive_documents(
    source: Input | Iterable[Document],
    settings: RunSettings,
    job: ArchiveJob,
    *,
    out: Out,
    hooks: Hooks | None = None,
) -> ArchiveOutcome:
    """Resolve and archive the new or changed articles and the due sources of the others, writing each
    article's records to ``out`` and committing it (see the module docstring). Raises ``StoreError`` when
    the cache or the ledger cannot be used, ``OutputError`` when ``out`` fails: what was committed stays."""
    hooks = hooks or Hooks()
    if not isinstance(source, (Documents, Rows)):
        source = Documents(source if isinstance(source, SourceReader) else Listed(source))
    outcome = ArchiveOutcome()
    memory, cache = open_stores(settings)
    book: SQLiteStore = cache if cache is not None else memory  # the ledger: the cache, or this run's own
    try:
        _continue(out, book, memory, source, outcome, journal=cache is not None, resume=job.resume)
        writing = _mark_writing(out, book)
        warc = hooks.run_loop(_run(source, settings, job, out, memory, cache, book, outcome, hooks))
        if writing is not None:
            book.put(WRITING, writing, {}, -1.0)  # finished: the next run starts the file afresh
        if warc is not None and warc.repaired and hooks.warning is not None:
            hooks.warning(warc.repaired)
        failure = cache.failure if cache is not None else None
        outcome.failure = (str(failure) if failure is not None else None) or (warc.broken if warc else None)
    finally:
        memory.close()
        if cache is not None:
            cache.close()
    return outcome


WRITING = "writing"  # the store's note that a run is writing this output file (kept until it finishes)


def _mark_writing(out: Out, book: SQLiteStore) -> str | None:
    """Note in the ledger that this run writes ``out``'s file in place (so that, if it is killed, the next
    run knows the file is an interrupted run's and continues it); the file's path, or None."""
    path = getattr(out, "path", None)
    if path is None:
        return None
    book.put(WRITING, str(path), {"started": time.time()}, 10 * 365 * DAY)
    return str(path)


def _continue(out: Out, book: SQLiteStore, memory: SQLiteStore, source: Input, outcome: ArchiveOutcome,
              *, journal: bool, resume: bool) -> None:  # fmt: skip
    """An output that already holds records. Left by a run that was interrupted (the ledger's ``writing``
    note is still there) or kept on purpose (``--resume``): keep every whole unit in it (the ledger's
    delivery note says whether the last one is whole), make sure the last one is committed, skip them all
    in this run. Left by a run that finished: this run's records replace it (``-o latest.jsonl`` holds the
    latest run's), its CSV header kept."""
    resumed = out.resumed
    if resumed is None:
        return
    if not resume and (not journal or book.get(WRITING, str(getattr(out, "path", None) or resumed.path)) is None):
        out.keep(resumed.header_end)
        return
    keep, last = resumed.whole, resumed.last
    if last is not None:
        note = ledger.delivery(book, last.key) if journal and isinstance(source, Documents) else None
        ours = note is not None and note.get("file") == str(resumed.path) and note.get("start") == last.start
        if ours and note is not None and int(note.get("end", 0)) > last.end:
            keep = last.start  # its write was cut short (a kill mid-write): the article is done again
        else:
            written = resumed.records_of(last)
            digest = note.get("digest") if ours and note is not None else None
            article = str(source.path) if isinstance(source, Rows) else last.key
            if digest is None or not book.article_unchanged(article, digest):
                ledger.commit_written(book, article, digest, written)  # written, perhaps not committed: now it is
    out.keep(keep)
    outcome.kept = mark_done(memory, resumed.keys(keep))


async def _run(
    source: Input,
    settings: RunSettings,
    job: ArchiveJob,
    out: Out,
    memory: SQLiteStore,
    cache: SQLiteStore | None,
    book: SQLiteStore,
    outcome: ArchiveOutcome,
    hooks: Hooks,
) -> WarcRecorder | None:
    freshness = Freshness(ok=job.recheck, dead=min(job.recheck, Freshness().dead))
    today = run_date(time.time())
    async with date_worker() as dates, settings.client() as client:
        options = settings.run_options(job.links, job.whole_page, freshness)
        options.resolve.dates = dates
        done = (lambda key: memory.get("done", key) is not None) if out.resumed is not None else None
        source.bind(client, asyncio.get_running_loop(), done)
        archiver = _SharedArchiver(client, Layered(memory, cache),
                                   ArchiveOptions(lookup=job.lookup, save=job.save, max_age=job.max_age),
                                   allow_private=settings.allow_private)  # fmt: skip
        recorder = (
            WarcRecorder(job.warc, client, allow_private=settings.allow_private, store=book) if job.warc else None
        )
        writer = _Writer(out, book, outcome, journal=cache is not None)
        try:
            with resolving(hooks) as progress:
                flow = Flow(client, memory=memory, cache=cache, options=options, stats=outcome.stats,
                            progress=progress)  # fmt: skip

                async def work(unit: Unit) -> list[ResolvedRecord]:
                    article: _Article = unit.job
                    if article.failed or article.written is not None:
                        return []
                    records = await unit_records(flow, unit)

                    def target(_: ResolvedRecord) -> Target | None:
                        return target_for(job.near, article.date, today) if job.near is not None else None

                    return await archive_records(records, archiver, recorder, deadline=settings.ends,
                                                 target=target if job.near is not None else None)  # fmt: skip

                try:
                    units = threaded(_units(source, book, job, freshness, hooks))
                    async for unit, records in in_order(units, work, window=window_for(options)):
                        writer.take(unit, records)
                    writer.close()
                except BaseException:
                    out.abort()
                    raise
                finally:
                    flow.close()
        finally:
            if recorder is not None:
                recorder.close()
    return recorder


def _units(source: Input, book: SQLiteStore, job: ArchiveJob, fresh: Freshness, hooks: Hooks) -> Iterator[Unit]:
    """(the reader's thread) Each article triaged: unchanged (its due sources re-checked), written already by
    an interrupted run, or scanned; each row of a URL list as it is."""
    if isinstance(source, Rows):
        for unit in source.units(job.links, job.whole_page, None):
            unit.job = _Article(source.path, None)
            yield unit
        return
    for doc in source.reader:
        date = article_date(doc) if job.near is not None and job.near.moment is None else None
        digest = ledger.content_hash(doc)
        unchanged = book.article_unchanged(doc.source, digest)
        if unchanged and not job.every_article:
            due = [ledger.finding_from_dict(f) for f in book.due_findings(doc.source, fresh)]
            yield Unit(doc.source, due, job=_Article(doc.source, None, date, unchanged=True))
            continue
        written = None if unchanged else _written_before(book, doc.source, digest, source.key)
        if written is not None:
            yield Unit(doc.source, [], job=_Article(doc.source, digest, date, written=written))
            continue
        try:
            findings = scan(doc, links=job.links, whole_page=job.whole_page)
        except Exception as exc:  # a scanner bug on one page: the others go on, this one is not committed
            if hooks.document_failed is not None:
                hooks.document_failed(doc, exc)
            yield Unit(doc.source, [], job=_Article(doc.source, digest, date, failed=True))
            continue
        yield Unit(doc.source, findings, job=_Article(doc.source, digest, date))


def _written_before(book: SQLiteStore, article: str, digest: str, key: Key) -> list[dict[str, Any]] | None:
    """The records of ``article`` (this very content) that an interrupted run wrote and did not commit:
    read back from where its delivery note says, if they are still there."""
    note = ledger.delivery(book, article)
    if note is None or note.get("digest") != digest or not note.get("file"):
        return None
    records = records_between(Path(note["file"]), note.get("format", "jsonl"), key, int(note["start"]),
                              int(note["end"]))  # fmt: skip
    if not records or any(r.get("source") != article for r in records):
        return None  # the file was replaced or cut since
    return records


class _Writer:
    """Writes each unit's records in reading order and commits its article (see the module docstring)."""

    def __init__(self, out: Out, book: SQLiteStore, outcome: ArchiveOutcome, *, journal: bool) -> None:
        self.out = out
        self.book = book
        self.outcome = outcome
        self.journal = journal
        self.flagger = ledger.NewlyDead(book)
        self.pending: list[tuple[_Article, list[Sighting]]] = []  # an output written whole at the end

    def take(self, unit: Unit, records: list[ResolvedRecord]) -> None:
        article: _Article = unit.job
        outcome = self.outcome
        if article.failed:
            outcome.failed_scans += 1
            return
        if article.written is not None:
            ledger.commit_written(self.book, article.source, article.digest, article.written)
            outcome.delivered_before += 1
            return
        if article.unchanged:
            outcome.unchanged += 1
            outcome.rechecked += len(unit.findings)
        elif article.digest is not None:
            outcome.articles += 1
        else:
            outcome.rows += 1
        marked = [self.flagger.flag(r) for r in records]
        outcome.newly_dead = self.flagger.count
        outcome.archive_errors += sum(1 for r in marked if (r.extra.get("archive") or {}).get("error"))
        commit = bool(marked) or not article.unchanged  # a scanned article is done even with no records
        if not self.out.incremental:
            self.out.write(marked)
            if commit:
                self.pending.append((article, ledger.sightings(marked)))
            return
        if marked:
            self.out.write(marked, before=self._noter(article))
        if commit:
            ledger.commit_article(self.book, article.source, article.digest, marked)
        self.flagger.forget()

    def _noter(self, article: _Article) -> Callable[[Placed], None] | None:
        if not self.journal or article.digest is None:
            return None  # rows and re-checks are not skipped by the ledger: nothing to find again

        def note(placed: Placed) -> None:
            ledger.note_delivery(self.book, article.source, file=placed.file, fmt=placed.fmt, start=placed.start,
                                 end=placed.end, digest=article.digest)  # fmt: skip

        return note

    def close(self) -> None:
        self.out.close()
        if self.pending:
            with self.book.batch():  # the output is in place now: all its articles are done at once
                for article, seen in self.pending:
                    self.book.commit_article(article.source, article.digest, seen)
            self.flagger.forget()


def ledger_report(cache: Path, since: float | None) -> dict[str, Any]:
    """What archive runs on this cache have seen (``SQLiteStore.report``): read-only, so a copy without
    write access reports too. Raises ``StoreError`` when the cache cannot be read."""
    store = SQLiteStore(cache, readonly=True)
    try:
        return store.report(since)
    finally:
        store.close()
