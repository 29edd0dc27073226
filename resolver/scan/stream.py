"""Many documents → their findings, streamed: a scanner failure on one document does not lose the others.

With ``jobs`` above one, documents are scanned by that many worker processes (forked, so they start with
everything the parent has imported and cost a few milliseconds each) while the parent reads the next ones
and writes what came back: the findings still come out in input order, document by document. At most
``4 × jobs`` documents, and at most :data:`IN_FLIGHT_CHARS` of text, are out at once, so memory stays
bounded however long the input; a document larger than :data:`PARENT_ONLY_CHARS` is scanned by the parent
itself, piece by piece as with one job, once those before it are out (its findings are never held whole,
nor is it copied to a worker). Workers are used only
where ``fork`` is (Linux) and only while the parent runs no other thread (forking a threaded process can
deadlock): elsewhere, the scan is the one-job scan. Workers start only after the parent has scanned the
first :data:`SERIAL_FIRST_CHARS` characters itself: an input smaller than that (a few articles) never pays
for them, and what the scanner builds on first use is built once, before the fork, not in each worker.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..models import Document, Finding
from . import LinkFilter, iter_scan

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

SERIAL_FIRST_CHARS = 500_000  # scanned by the parent before any worker starts (a few articles, ~25 ms)
PARENT_ONLY_CHARS = 8_000_000  # a larger document stays in the parent: streamed, never held whole
IN_FLIGHT_CHARS = 32_000_000  # the documents out at once, in characters, however many jobs
MAX_AUTO_JOBS = 8
OnError = Callable[[Document, Exception], None]
Job = tuple["Future[Any]", int]  # a worker's scan, and the generation of the pool it went to


def auto_jobs() -> int:
    """The CPUs this process may use (its affinity, not the machine's count), at most :data:`MAX_AUTO_JOBS`."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_AUTO_JOBS))


def scan_each(
    documents: Iterable[Document],
    *,
    links: LinkFilter = "all",
    whole_page: bool = False,
    on_error: OnError,
    jobs: int = 1,
) -> Iterator[Finding]:
    """Each document's findings in turn, as they are found (a long page is never held whole); a document
    the scanner fails on goes to ``on_error`` with the exception, and the next one is scanned."""
    docs = iter(documents)
    if jobs > 1:
        # The parent scans the first documents itself: a small input is done before workers would have
        # started, and a large one is handed to workers already warm (what the scanner builds on first
        # use is inherited, not built again in each of them).
        scanned = 0
        for doc in docs:
            yield from _serial([doc], links, whole_page, on_error)
            scanned += len(doc.text)
            if scanned >= SERIAL_FIRST_CHARS:
                break
        following = next(docs, None)
        if following is None:
            return
        if _can_fork():
            yield from _parallel(_chain(following, docs), links, whole_page, on_error, jobs)
            return
        docs = _chain(following, docs)
    yield from _serial(docs, links, whole_page, on_error)


def _serial(documents: Iterable[Document], links: LinkFilter, whole_page: bool, on_error: OnError) -> Iterator[Finding]:
    for doc in documents:
        try:
            yield from iter_scan(doc, links=links, whole_page=whole_page)
        except Exception as exc:  # a scanner bug on one page is that page's failure, reported by on_error
            on_error(doc, exc)


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _chain(first: Document, rest: Iterator[Document]) -> Iterator[Document]:
    yield first
    yield from rest


class ScanFailed(Exception):
    """A worker's scanner failure, as its type name and message (the exception itself need not pickle)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(kind, message)  # both in args: it is pickled back from the worker
        self.kind, self.message = kind, message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}" if self.message else self.kind


def _scan_in_worker(doc: Document, links: LinkFilter, whole_page: bool) -> list[Finding] | ScanFailed:
    try:
        return list(iter_scan(doc, links=links, whole_page=whole_page))
    except Exception as exc:  # the page's failure, carried back to the parent's on_error
        return ScanFailed(type(exc).__name__, str(exc))


def _for_worker(doc: Document) -> Document:
    """What a worker is sent: the text, not the source's bytes too (the scanner reads only the text)."""
    return replace(doc, raw=None)


def _quiet_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent alone answers it (and stops the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


KILLED = "the process scanning it was killed (out of memory?); not scanned"


class _Workers:
    """The pool of forked workers. When one dies (killed, out of memory) the pool is broken: the documents
    it held are scanned again one at a time, each in a worker of its own, so only the one that kills its
    worker fails; then a new pool takes the rest (or the parent, where it may no longer fork)."""

    def __init__(self, jobs: int, links: LinkFilter, whole_page: bool) -> None:
        self.jobs, self.links, self.whole_page = jobs, links, whole_page
        self.pool: ProcessPoolExecutor | None = self._new(jobs)
        self.generation = 0  # which pool a job went to: only a break of the current one restarts it

    @staticmethod
    def _new(jobs: int) -> ProcessPoolExecutor | None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if not _can_fork():
            return None
        # concurrent.futures, not multiprocessing.Pool: a worker that dies breaks the pool and its pending
        # documents say so, where Pool waits for them for ever. With fork it starts every worker at the
        # first submit, before its own thread exists.
        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(jobs, mp_context=context, initializer=_quiet_interrupts)

    def submit(self, doc: Document) -> Job | None:
        """The document's scan in a worker; None: the parent scans it (too large, or no pool)."""
        from concurrent.futures.process import BrokenProcessPool

        if len(doc.text) > PARENT_ONLY_CHARS or self.pool is None:
            return None
        try:
            return self.pool.submit(_scan_in_worker, _for_worker(doc), self.links, self.whole_page), self.generation
        except BrokenProcessPool:
            self.restart()
            return self.submit(doc)
        except OSError:  # no process could be forked (a process limit, memory): the parent scans the rest
            self.close()
            return None

    def result(self, doc: Document, job: Job) -> list[Finding] | ScanFailed:
        from concurrent.futures.process import BrokenProcessPool

        future, generation = job
        try:
            found: list[Finding] | ScanFailed = future.result()
        except BrokenProcessPool:
            if generation == self.generation:
                self.restart()
            return self.alone(doc)
        return found

    def alone(self, doc: Document) -> list[Finding] | ScanFailed:
        """The document scanned in a worker of its own: if that one dies too, the document is the cause."""
        from concurrent.futures.process import BrokenProcessPool

        single = self._new(1)
        if single is None:
            return ScanFailed("worker died", KILLED)
        try:
            found: list[Finding] | ScanFailed = single.submit(
                _scan_in_worker, _for_worker(doc), self.links, self.whole_page
            ).result()
        except BrokenProcessPool:
            return ScanFailed("worker died", KILLED)
        except OSError as exc:  # not scanned in the parent: it may be what kills a process
            return ScanFailed("worker died", f"{KILLED}; no worker could be started to try it alone ({exc})")
        finally:
            single.shutdown(wait=True)
        return found

    def restart(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new(self.jobs)
        self.generation += 1

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _parallel(
    documents: Iterator[Document], links: LinkFilter, whole_page: bool, on_error: OnError, jobs: int
) -> Iterator[Finding]:
    workers = _Workers(jobs, links, whole_page)
    pending: deque[tuple[Document, Job | None]] = deque()
    chars = 0  # of the documents out, held here until their findings are written (a worker may need them again)
    try:
        for doc in documents:
            pending.append((doc, workers.submit(doc)))
            chars += len(doc.text)
            while pending and (len(pending) >= 4 * jobs or chars > IN_FLIGHT_CHARS or pending[0][1] is None):
                done, job = pending.popleft()
                chars -= len(done.text)
                yield from _take(workers, (done, job), on_error)
        while pending:
            yield from _take(workers, pending.popleft(), on_error)
    finally:
        workers.close()


def _take(workers: _Workers, item: tuple[Document, Job | None], on_error: OnError) -> Iterator[Finding]:
    doc, job = item
    if job is None:
        yield from _serial([doc], workers.links, workers.whole_page, on_error)
        return
    found = workers.result(doc, job)
    if isinstance(found, ScanFailed):
        on_error(doc, found)
    else:
        yield from found
