"""Many documents → their findings, streamed: a scanner failure on one document does not lose the others.

With ``jobs`` above one, documents are scanned by that many worker processes (forked, so they start with
everything the parent has imported and cost a few milliseconds each) while the parent lists the next ones
and writes what came back: the findings still come out in input order, document by document. A file given
unread (:class:`UnreadFile`) is read by the worker that scans it: its text never goes through a pipe, and
the parent neither reads nor decodes it. At most
``4 × jobs`` documents, and at most :data:`IN_FLIGHT_CHARS` of text, are out at once, so memory stays
bounded however long the input; a document larger than :data:`PARENT_ONLY_CHARS` is scanned by the parent
itself, piece by piece as with one job, once those before it are out (its findings are never held whole,
nor is it copied to a worker). Workers are used only
where ``fork`` is (Linux) and only while the parent runs no other thread (forking a threaded process can
deadlock): elsewhere, the scan is the one-job scan. Workers start only once the input is known to hold
more than one document and more than :data:`SERIAL_FIRST_CHARS` characters (the first items' sizes, read
from the listing or the texts already read): a smaller input (a few articles), or one document however
large, is scanned by the parent and never pays for them. Before they start, the parent warms the scanner
on a few lines of its own (:func:`warm_scanner`), so that what it builds on first use (its modules,
compiled patterns, the list of top-level domains) is built once, before the fork, not in each worker; the
parent then scans nothing itself while they work.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..defaults import usable_cpus
from ..errors import SourceError
from ..models import Document, Finding
from ..read.files import UnreadFile
from . import LinkFilter, iter_scan

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

SERIAL_FIRST_CHARS = 500_000  # an input smaller than this (a few articles, ~25 ms) is scanned by the parent alone
PARENT_ONLY_CHARS = 8_000_000  # a larger document stays in the parent: streamed, never held whole
IN_FLIGHT_CHARS = 32_000_000  # the documents out at once, in characters, however many jobs
MAX_AUTO_JOBS = 8
Item = Document | UnreadFile
OnError = Callable[[Item, Exception], None]
OnUnreadable = Callable[[SourceError], None]
Job = tuple["Future[Any]", int]  # a worker's scan, and the generation of the pool it went to


def auto_jobs() -> int:
    """The CPUs this process may use (its affinity, not the machine's count), at most :data:`MAX_AUTO_JOBS`."""
    return max(1, min(usable_cpus(), MAX_AUTO_JOBS))


def scan_each(
    documents: Iterable[Item],
    *,
    links: LinkFilter = "all",
    whole_page: bool = False,
    on_error: OnError,
    on_unreadable: OnUnreadable | None = None,
    on_done: Callable[[], None] = lambda: None,
    jobs: int = 1,
) -> Iterator[Finding]:
    """Each document's findings in turn, as they are found (a long page is never held whole); a document
    the scanner fails on goes to ``on_error`` with the exception, and the next one is scanned. A file given
    unread that cannot be read goes to ``on_unreadable`` (to ``on_error`` if there is none). ``on_done``
    is called once a document's last finding has been taken (or it failed), before the next is scanned or
    waited for: the moment to flush what was written of it."""
    failed = _Failures(on_error, on_unreadable, on_done)
    items: Iterator[Item] = iter(documents)
    if jobs > 1:
        # A small input is scanned here, before workers would have started; a large one goes to workers
        # started warm (what the scanner builds on first use is inherited, not built again in each).
        ahead, enough = _look_ahead(items, SERIAL_FIRST_CHARS)
        items = _chain(ahead, items)
        if enough and _can_fork():
            warm_scanner(links=links, whole_page=whole_page)
            yield from _parallel(items, links, whole_page, failed, jobs)
            return
    yield from _serial(items, links, whole_page, failed)


def _look_ahead(items: Iterator[Item], chars: int) -> tuple[list[Item], bool]:
    """The first items, up to the one that brings their sizes to ``chars``, and at least two (all of them,
    if they never do), and whether they did: listed, not read (an unread file's size is its listing's). One
    document alone is scanned by the parent however large: a worker would only add its start and the trip
    of its findings."""
    ahead: list[Item] = []
    total = 0
    for item in items:
        ahead.append(item)
        total += _size(item)
        if total >= chars and len(ahead) > 1:
            return ahead, True
    return ahead, False


# Every path a first scan takes through the scanner: a page with a link, a URL written as text and an
# embedded post; a text with a URL and a copied post's signature.
_WARM_UP = (
    Document(
        "warm-up.html",
        '<html><body><p>See <a href="https://example.com/a">this</a> and example.org/b.</p>'
        '<blockquote class="twitter-tweet"><p>Hello https://t.co/abc</p>&mdash; A (@a) '
        '<a href="https://twitter.com/a/status/1">March 14, 2025</a></blockquote></body></html>',
        "html",
    ),
    Document("warm-up.txt", "See example.org/b.\n\nHello https://t.co/abc\n— A (@a) March 14, 2025\n", "text"),
)


def warm_scanner(*, links: LinkFilter = "all", whole_page: bool = False) -> None:
    """Build what the scanner builds on first use (its modules, compiled patterns, the list of top-level
    domains, a parser), by scanning a few lines of its own: processes forked after this start warm."""
    for doc in _WARM_UP:
        for _ in iter_scan(doc, links=links, whole_page=whole_page):
            pass


class _Failures:
    """Where a document's failure goes: the scanner's to ``on_error``; an unread file's, when reading it
    fails, to ``on_unreadable`` (or ``on_error``); and ``done``, told when a document is over either way."""

    def __init__(self, on_error: OnError, on_unreadable: OnUnreadable | None, done: Callable[[], None]) -> None:
        self.on_error, self.on_unreadable = on_error, on_unreadable
        self.done = done  # a document is over (its findings all taken, or its failure reported)

    def scan(self, item: Item, exc: Exception) -> None:
        self.on_error(item, exc)

    def read(self, item: Item, exc: SourceError) -> None:
        if self.on_unreadable is not None:
            self.on_unreadable(exc)
        else:
            self.on_error(item, exc)

    def opened(self, item: Item) -> Document | None:
        """The item's Document, read now if it is an unread file (None: it could not be, and said so)."""
        if isinstance(item, Document):
            return item
        try:
            return item.read()
        except SourceError as exc:
            self.read(item, exc)
            return None


def _serial(items: Iterable[Item], links: LinkFilter, whole_page: bool, failed: _Failures) -> Iterator[Finding]:
    for item in items:
        doc = failed.opened(item)
        if doc is None:
            failed.done()
            continue
        try:
            yield from iter_scan(doc, links=links, whole_page=whole_page)
        except Exception as exc:  # a scanner bug on one page is that page's failure, reported by on_error
            failed.scan(item, exc)
        failed.done()


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _chain(first: Iterable[Item], rest: Iterator[Item]) -> Iterator[Item]:
    yield from first
    yield from rest


class ScanFailed(Exception):
    """A worker's scanner failure, as its type name and message (the exception itself need not pickle)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(kind, message)  # both in args: it is pickled back from the worker
        self.kind, self.message = kind, message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}" if self.message else self.kind


class Unreadable(Exception):
    """A file a worker could not read: its source and reason (the SourceError, rebuilt in the parent)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason)  # both in args: it is pickled back from the worker
        self.source, self.reason = source, reason


Outcome = list[Finding] | ScanFailed | Unreadable


def _scan_in_worker(item: Item, links: LinkFilter, whole_page: bool) -> Outcome:
    if isinstance(item, UnreadFile):
        try:
            item = item.read()
        except SourceError as exc:
            return Unreadable(exc.source, exc.reason)
    try:
        return list(iter_scan(item, links=links, whole_page=whole_page))
    except Exception as exc:  # the page's failure, carried back to the parent's on_error
        return ScanFailed(type(exc).__name__, str(exc))


def _for_worker(item: Item) -> Item:
    """What a worker is sent: an unread file as it is; of a document, the text, not the source's bytes too
    (the scanner reads only the text)."""
    return replace(item, raw=None) if isinstance(item, Document) else item


def _size(item: Item) -> int:
    """The item's text in characters or, for an unread file, its size in bytes (as many or more)."""
    return len(item.text) if isinstance(item, Document) else item.size or 0


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

    def submit(self, doc: Item) -> Job | None:
        """The document's scan in a worker; None: the parent scans it (too large, or no pool)."""
        from concurrent.futures.process import BrokenProcessPool

        if _size(doc) > PARENT_ONLY_CHARS or self.pool is None:
            return None
        try:
            return self.pool.submit(_scan_in_worker, _for_worker(doc), self.links, self.whole_page), self.generation
        except BrokenProcessPool:
            self.restart()
            return self.submit(doc)
        except OSError:  # no process could be forked (a process limit, memory): the parent scans the rest
            self.close()
            return None

    def result(self, doc: Item, job: Job) -> Outcome:
        from concurrent.futures.process import BrokenProcessPool

        future, generation = job
        try:
            found: Outcome = future.result()
        except BrokenProcessPool:
            if generation == self.generation:
                self.restart()
            return self.alone(doc)
        return found

    def alone(self, doc: Item) -> Outcome:
        """The document scanned in a worker of its own: if that one dies too, the document is the cause."""
        from concurrent.futures.process import BrokenProcessPool

        single = self._new(1)
        if single is None:
            return ScanFailed("worker died", KILLED)
        try:
            found: Outcome = single.submit(
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
    items: Iterator[Item], links: LinkFilter, whole_page: bool, failed: _Failures, jobs: int
) -> Iterator[Finding]:
    workers = _Workers(jobs, links, whole_page)
    pending: deque[tuple[Item, Job | None]] = deque()
    chars = 0  # of the documents out, held here until their findings are written (a worker may need them again)
    try:
        for item in items:
            pending.append((item, workers.submit(item)))
            chars += _size(item)
            while pending and (len(pending) >= 4 * jobs or chars > IN_FLIGHT_CHARS or pending[0][1] is None):
                done, job = pending.popleft()
                chars -= _size(done)
                yield from _take(workers, (done, job), failed)
        while pending:
            yield from _take(workers, pending.popleft(), failed)
    finally:
        workers.close()


def _take(workers: _Workers, out: tuple[Item, Job | None], failed: _Failures) -> Iterator[Finding]:
    item, job = out
    if job is None:
        yield from _serial([item], workers.links, workers.whole_page, failed)
        return
    found = workers.result(item, job)
    if isinstance(found, ScanFailed):
        failed.scan(item, found)
    elif isinstance(found, Unreadable):
        failed.read(item, SourceError(found.source, found.reason))
    else:
        yield from found
    failed.done()
