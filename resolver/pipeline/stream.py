"""Streaming: units of work (a document's findings, one row of a URL list) through a bounded window, their
records handed on in input order; and units made in a thread of their own, so that reading never blocks
the event loop.

**Order and its cost.** Records leave in input order (documents as given, rows as listed), so an output
can be resumed and a URL list keeps its order. A unit whose work is slow holds back the units after it:
the window (``window`` findings in flight, finished or not) keeps filling behind it, so the requests go on,
and only when the window is full does the run wait for that head — at most one item's time (4 ×
``--timeout``), the longest any link may take. Memory is bounded by the window, whatever the documents'
sizes: a document with more findings than a part of the window goes as consecutive units of its own
(``in_parts``: a file listing 10⁶ links is one document, and its links are not all in flight at once).

**Reading in a thread.** Files are read, decoded and scanned, and URL lists parsed, in one worker thread
(``threaded``), handed to the loop through a small bounded buffer: the loop keeps answering the network
while a large page is parsed or standard input is waited for. The thread is a daemon: a run that ends
early (a deadline, SIGTERM) never waits for a blocked read.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ..models import Finding, ResolvedRecord

T = TypeVar("T")
U = TypeVar("U")
R = TypeVar("R")


@dataclass
class Unit:
    """What is written together: a document's findings (``key`` its source), or one row (``key`` its line).

    ``ready`` holds records decided without a request (a row with no URL); ``extra`` is added to every
    record (a row's columns); ``job`` carries what a job needs after the records are written (an article's
    content hash for the archive ledger)."""

    key: str
    findings: list[Finding]
    ready: list[ResolvedRecord] | None = None
    extra: dict[str, Any] | None = None
    job: Any = None
    weight: int = field(init=False)

    def __post_init__(self) -> None:
        self.weight = max(1, len(self.findings))


def in_parts(units: Iterable[Unit], most: int) -> Iterator[Unit]:
    """The units, each one of more than ``most`` findings as consecutive units of at most ``most`` with its key.

    Written one after another, a document's parts are still one unit in the output file (consecutive records
    of one key: how ``--resume`` reads a file, and redoes its last unit whole). A unit with records decided
    already or a job's payload (the archive's articles) is never split."""
    most = max(1, most)
    for unit in units:
        if len(unit.findings) <= most or unit.ready is not None or unit.job is not None:
            yield unit
            continue
        for start in range(0, len(unit.findings), most):
            yield Unit(unit.key, unit.findings[start : start + most], extra=unit.extra)


async def in_order(
    units: AsyncIterator[U],
    work: Callable[[U], Awaitable[R]],
    *,
    window: int,
    weight: Callable[[U], int] = lambda unit: max(1, getattr(unit, "weight", 1)),
) -> AsyncIterator[tuple[U, R]]:
    """``(unit, work(unit))`` in the order of ``units``, with at most ``window`` weight admitted and not yet
    handed on (one unit heavier than the window goes alone). A finished head is handed on at once."""
    pending: deque[tuple[U, asyncio.Task[R], int]] = deque()
    load = 0
    try:
        async for unit in units:
            size = weight(unit)
            while pending and (load + size > window or pending[0][1].done()):
                head, task, taken = pending.popleft()
                load -= taken
                yield head, await task
            pending.append((unit, asyncio.ensure_future(work(unit)), size))
            load += size
        while pending:
            head, task, taken = pending.popleft()
            load -= taken
            yield head, await task
    finally:
        for _, task, _ in pending:
            task.cancel()
        await asyncio.gather(*(task for _, task, _ in pending), return_exceptions=True)


class _Handoff(Generic[T]):
    """From one producer thread to the loop: a bounded buffer; the loop is woken only when it waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self._loop = loop
        self._items: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._room = threading.Semaphore(limit)
        self._ready = asyncio.Event()
        self.closed = threading.Event()

    def put(self, kind: str, value: Any) -> bool:
        """(thread) Hand on an item, waiting while the buffer is full; False once the loop side is gone."""
        while not self._room.acquire(timeout=0.2):
            if self.closed.is_set():
                return False
        if self.closed.is_set():
            return False
        with self._lock:
            woke = not self._items
            self._items.append((kind, value))
        if woke:
            try:
                self._loop.call_soon_threadsafe(self._ready.set)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                return False
        return True

    async def get(self) -> tuple[str, Any]:
        while True:
            with self._lock:
                if self._items:
                    self._room.release()
                    return self._items.popleft()
                self._ready.clear()
            await self._ready.wait()


async def threaded(items: Iterable[T], *, name: str = "resolver-reader", limit: int = 64) -> AsyncIterator[T]:
    """The items of ``items``, produced in a daemon thread of their own (see the module docstring); an
    exception raised there is raised here. ``limit`` items wait at most."""
    handoff: _Handoff[T] = _Handoff(asyncio.get_running_loop(), limit)

    def produce() -> None:
        try:
            for item in items:
                if not handoff.put("item", item):
                    return
            handoff.put("end", None)
        except BaseException as exc:  # handed to the loop, which raises it where the items are read
            handoff.put("error", exc)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = await handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        handoff.closed.set()  # a producer waiting for room sees it within 0.2 s and stops
