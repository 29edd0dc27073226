"""The resolve job (what ``resolve`` and ``rewrite`` run), and what every job works through: its ``Hooks``
(progress, warnings, the event loop) and its ``Out`` (where the records go, unit by unit).

A job opens the run's stores and client from its ``RunSettings``, streams its input's units through the
flow — read and scanned in a thread of their own, a bounded window of them in flight — hands each unit's
records to its ``Out`` in input order as soon as that unit and those before it are done, closes what it
opened and returns what came of it. It prints nothing: progress, a page the scanner failed on and
warnings go to its ``Hooks``; it runs its event loop through ``Hooks.run_loop`` (the command line installs
its own handler of the loop's complaints there).

Resuming (``Out.resumed``): the units the output file holds already are skipped before they are read, and
the last of them is cut off and done again — it may be what a kill cut short — so the file ends up with
every unit once. Their keys go to the run's memory, not to RAM.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from ..errors import StoreError
from ..models import Document, ResolvedRecord
from ..resolve.dateworker import date_worker
from ..scan import LinkFilter
from ..store import SQLiteStore, Store
from ..write.resume import Output
from .answers import Stats
from .flow import Flow, RunOptions, part_for, run, window_for
from .settings import RunMemory, RunSettings
from .stream import Unit, in_order, in_parts, threaded
from .units import Input

T = TypeVar("T")
DONE_KEPT = 10 * 365 * 86400.0


class LoopRunner(Protocol):
    """Runs a coroutine in a new event loop to its end, as ``asyncio.run`` does."""

    def __call__(self, main: Coroutine[Any, Any, T], /) -> T: ...


ProgressScope = Callable[[], contextlib.AbstractContextManager[Callable[[int, int], None]]]


@dataclass(frozen=True)
class Hooks:
    """What a job tells its caller as it goes, and how it runs its event loop."""

    progress: ProgressScope | None = None  # links resolved so far, of how many (e.g. a progress bar's update)
    document_failed: Callable[[Document, Exception], None] | None = None  # a scanner bug: the other pages go on
    warning: Callable[[str], None] | None = None  # something a human may want to know; the run goes on
    run_loop: LoopRunner = asyncio.run


def resolving(hooks: Hooks) -> contextlib.AbstractContextManager[Callable[[int, int], None] | None]:
    """The caller's progress report for the time links are resolved (nothing, without one)."""
    return hooks.progress() if hooks.progress is not None else contextlib.nullcontext()


@dataclass(frozen=True)
class Placed:
    """Where one unit's records go: bytes ``start`` to ``end`` of ``file``, written as ``fmt``."""

    file: str
    fmt: str
    start: int
    end: int


class Out(Protocol):
    """Where a job's records go, unit by unit, in input order (the command line's writer)."""

    @property
    def incremental(self) -> bool:
        """Each unit is out once ``write`` returns (jsonl, csv, a JSON array on a stream); else at ``close``."""
        ...

    @property
    def resumed(self) -> Output | None:
        """What the output file held already, when the run continues it."""
        ...

    def keep(self, offset: int) -> None:
        """Cut the file continued at ``offset`` bytes before the first write."""
        ...

    def write(self, records: Sequence[ResolvedRecord], before: Callable[[Placed], None] | None = None) -> None:
        """Write one unit's records (``before`` is told where they will land, when that is a file)."""
        ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


@dataclass
class Tally:
    """Records written, by status: what the summary line and the exit code are made of (counts, not lists)."""

    records: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, records: Iterable[ResolvedRecord]) -> None:
        for record in records:
            status = record.resolution.status if record.resolution else "ok"
            self.by_status[status] = self.by_status.get(status, 0) + 1
            self.records += 1

    @property
    def worth_retrying(self) -> bool:
        """Some item ended in ``error`` or ``blocked``."""
        return bool(self.by_status.get("error") or self.by_status.get("blocked"))


@dataclass
class Streamed:
    stats: Stats
    store_failure: StoreError | None  # the cache's first failure: the records are right, the cache kept less
    kept: int = 0  # units the resumed output held already (not done again)


def open_stores(settings: RunSettings) -> tuple[RunMemory, SQLiteStore | None]:
    """The run's memory and its cache (None with --no-cache); raises ``StoreError`` when the cache cannot be used."""
    cache = settings.open_cache()
    try:
        return RunMemory(), cache
    except BaseException:
        if cache is not None:
            cache.close()
        raise


def resolve_stream(
    source: Input,
    settings: RunSettings,
    out: Out,
    *,
    links: LinkFilter = "all",
    whole_page: bool = False,
    hooks: Hooks | None = None,
) -> Streamed:
    """Resolve every unit of ``source`` and hand its records to ``out`` in input order (see the module
    docstring). Raises ``StoreError`` when the cache cannot be opened, ``OutputError`` when ``out`` fails
    (``out`` is aborted then); a cache that fails later is ``store_failure`` (the records are complete)."""
    hooks = hooks or Hooks()
    stats = Stats()
    memory, cache = open_stores(settings)
    try:
        kept = _resume(out, memory)
        hooks.run_loop(_stream(source, settings, out, memory, cache, links, whole_page, stats, hooks))
        cache_failed = cache is not None and cache.failure is not None
        if memory.failure is not None and not cache_failed and hooks.warning is not None:  # else: one cause, one line
            hooks.warning(f"the run's own temporary store failed ({memory.failure}); a URL cited again may have "
                          "been fetched again")  # fmt: skip
        return Streamed(stats, cache.failure if cache is not None else None, kept)
    finally:
        memory.close()
        if cache is not None:
            cache.close()


def _resume(out: Out, memory: Store) -> int:
    """A resumed output: its last unit is cut off (done again), the others' keys go to the run's memory."""
    resumed = out.resumed
    if resumed is None:
        return 0
    keep = resumed.last.start if resumed.last is not None else resumed.whole
    out.keep(keep)
    return mark_done(memory, resumed.keys(keep))


def done_test(out: Out, memory: Store) -> Callable[[str], bool] | None:
    """Which unit keys a resumed output holds already (asked from the reader's thread), or None."""
    return (lambda key: memory.get("done", key) is not None) if out.resumed is not None else None


def mark_done(memory: Store, keys: Iterable[str]) -> int:
    count = 0
    batch = memory.batch() if hasattr(memory, "batch") else contextlib.nullcontext()
    with batch:  # one transaction for all of them
        for key in keys:
            memory.put("done", key, {}, DONE_KEPT)
            count += 1
    return count


async def _stream(
    source: Input,
    settings: RunSettings,
    out: Out,
    memory: Store,
    cache: SQLiteStore | None,
    links: LinkFilter,
    whole_page: bool,
    stats: Stats,
    hooks: Hooks,
) -> None:
    async with date_worker() as dates, settings.client() as client:
        options = settings.run_options(links, whole_page)
        options.resolve.dates = dates
        source.bind(client, asyncio.get_running_loop(), done_test(out, memory))
        with resolving(hooks) as progress:
            flow = Flow(client, memory=memory, cache=cache, options=options, stats=stats, progress=progress)
            try:
                window = window_for(options)
                units = threaded(in_parts(source.units(links, whole_page, hooks.document_failed), part_for(window)))
                async for _, records in in_order(units, lambda unit: unit_records(flow, unit),
                                                 window=window):  # fmt: skip
                    out.write(records)
                out.close()
            except BaseException:
                out.abort()
                raise
            finally:
                flow.close()


async def unit_records(flow: Flow, unit: Unit) -> list[ResolvedRecord]:
    """A unit's records: decided already (a bad row), or through the flow; the unit's ``extra`` on each."""
    records = unit.ready if unit.ready is not None else await flow.records(unit.findings)
    if unit.extra:
        records = [replace(r, extra={**r.extra, **unit.extra}) for r in records]
    return records


@dataclass
class Resolved:
    records: list[ResolvedRecord]  # in source order
    stats: Stats
    store_failure: StoreError | None  # the cache's first failure: the records are right, the cache kept less


def resolve_documents(
    docs: list[Document],
    settings: RunSettings,
    *,
    links: LinkFilter = "all",
    whole_page: bool = False,
    hooks: Hooks | None = None,
) -> Resolved:
    """Scan the documents, resolve every link once, enrich posts, all records kept (``rewrite``: one article).

    Raises ``StoreError`` when the cache cannot be opened at all; a cache that fails later is
    ``store_failure`` (the records are still complete)."""
    hooks = hooks or Hooks()
    stats = Stats()
    records, failure = hooks.run_loop(_resolve(docs, settings, links, whole_page, stats, hooks))
    return Resolved(records, stats, failure)


async def _resolve(
    docs: list[Document], settings: RunSettings, links: LinkFilter, whole_page: bool, stats: Stats, hooks: Hooks
) -> tuple[list[ResolvedRecord], StoreError | None]:
    store = settings.open_store()
    try:
        async with settings.client() as client:
            options: RunOptions = settings.run_options(links, whole_page)
            with resolving(hooks) as progress:
                records = await run(
                    docs,
                    client=client,
                    store=store,
                    options=options,
                    progress=progress,
                    stats=stats,
                    on_document_error=hooks.document_failed,
                )
            return records, store.failure
    finally:
        store.close()
