"""The resolve job (what ``resolve`` and ``rewrite`` run), and the ``Hooks`` every job reports through.

A job opens the run's store and client from its ``RunSettings``, runs the flow, closes what it opened and
returns what came of it. It prints nothing: progress, a page the scanner failed on and warnings go to its
``Hooks``; it runs its event loop through ``Hooks.run_loop`` (the command line installs its own handler
of the loop's complaints there).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..errors import StoreError
from ..models import Document, ResolvedRecord
from ..scan import LinkFilter
from .flow import Progress, Stats, run
from .settings import RunSettings

T = TypeVar("T")


class LoopRunner(Protocol):
    """Runs a coroutine in a new event loop to its end, as ``asyncio.run`` does."""

    def __call__(self, main: Coroutine[Any, Any, T], /) -> T: ...


ProgressScope = Callable[[], contextlib.AbstractContextManager[Progress]]  # entered while links are resolved


@dataclass(frozen=True)
class Hooks:
    """What a job tells its caller as it goes, and how it runs its event loop."""

    progress: ProgressScope | None = None  # links resolved so far, of how many (e.g. a progress bar's update)
    document_failed: Callable[[Document, Exception], None] | None = None  # a scanner bug: the other pages go on
    warning: Callable[[str], None] | None = None  # something a human may want to know; the run goes on
    run_loop: LoopRunner = asyncio.run


def resolving(hooks: Hooks) -> contextlib.AbstractContextManager[Progress | None]:
    """The caller's progress report for the time links are resolved (nothing, without one)."""
    return hooks.progress() if hooks.progress is not None else contextlib.nullcontext()


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
    """Scan the documents, resolve every link once, enrich posts: the run's store and client, then closed.

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
            options = settings.run_options(links, whole_page)
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
