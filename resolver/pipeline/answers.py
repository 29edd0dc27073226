"""Every distinct URL of a run resolved once, without holding the run's answers in memory.

A URL is looked for, in this order: a request already under way for it (shared: every finding that
needs it awaits the same task); the **run's memory** (an answer found earlier in this run, whatever its
status and age); the **cache** (an answer of an earlier run, when still fresh for this run); and only then
the network, at most ``concurrency`` URLs at a time in requests (a landing page waiting for the date
worker to find its date holds no slot: see ``resolve.hops.Undated``). Whatever is learnt goes to the run's
memory and, when it came from the network, to the cache.

The run's memory is a store, not a dict: a command's run gets a temporary SQLite file (removed when the
run ends), so 10⁶ distinct URLs cost disk pages, not RAM, and the run still sends one request chain per
URL however far apart its citations are. It is kept apart from the cache because the cache may fail
(full disk) or refuse (freshness), and neither may make the run ask twice; and because it is what counts
"distinct" exactly: an answer taken from the cache is copied into the run's memory, so its second
citation is known as a repeat, not a second cache hit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..models import Resolution
from ..net import Client, Deadline, within
from ..resolve.hops import ResolveOptions, Undated, first_url, follow_url
from ..store import STORED_AT, Freshness, Store

T = TypeVar("T")

Progress = Callable[[int, int], None]
DEADLINE_REACHED = "the run's deadline was reached first"
RUN_LONG = 10 * 365 * 86400.0  # the run's memory keeps an answer for as long as the run lasts


@dataclass
class Stats:
    """What the run's URLs came to: distinct URLs seen, resolved over the network, answered by the cache."""

    urls: int = 0
    fetched: int = 0
    from_cache: int = 0
    done: int = 0  # distinct URLs answered so far (the progress bar's count)


class Layered:
    """The run's memory in front of the cache, as one ``Store`` (for post metadata and Wayback lookups):
    read from the memory, else the cache; written to both."""

    def __init__(self, memory: Store, cache: Store | None) -> None:
        self.memory = memory
        self.cache = cache

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        found = self.memory.get(kind, key)
        if found is None and self.cache is not None:
            found = self.cache.get(kind, key)
        return found

    def put(self, kind: str, key: str, value: dict[str, Any], ttl: float) -> None:
        self.memory.put(kind, key, value, ttl)
        if self.cache is not None:
            self.cache.put(kind, key, value, ttl)

    def close(self) -> None:
        return None  # whoever opened the two stores closes them


class Answers:
    """Resolutions for a run: see the module docstring."""

    def __init__(
        self,
        client: Client,
        *,
        memory: Store,
        cache: Store | None,
        options: ResolveOptions,
        freshness: Freshness,
        concurrency: int,
        deadline: Deadline | None,
        stats: Stats | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.memory = memory
        self.cache = cache
        self.options = options
        self.freshness = freshness
        self.deadline = deadline
        self.stats = stats if stats is not None else Stats()
        self.progress = progress
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._inflight: dict[str, asyncio.Task[Resolution]] = {}

    async def resolve(self, url: str, *, counted: bool = True) -> Resolution:
        """``url``'s resolution (by the URL first requested: pic.twitter.com/CODE is its t.co link).
        ``counted``: the URL counts among the run's distinct URLs (links inside post metadata do not)."""
        key = first_url(url)
        task = self._inflight.get(key)
        if task is None:
            found = self.memory.get("resolution", key)
            if found is not None:
                return Resolution.from_dict(found)
            task = self._inflight[key] = asyncio.ensure_future(self._answer(key, counted))
            task.add_done_callback(lambda _, key=key: self._inflight.pop(key, None))  # type: ignore[misc]
        return await asyncio.shield(task)  # a caller cut short leaves the shared request running for the others

    async def resolve_many(self, urls: Iterable[str], *, counted: bool = True) -> dict[str, Resolution]:
        """Each distinct URL's resolution, keyed by the URL first requested (``first_url``)."""
        keys = list(dict.fromkeys(first_url(u) for u in urls))
        found = await asyncio.gather(*(self.resolve(k, counted=counted) for k in keys))
        return dict(zip(keys, found, strict=True))

    async def _answer(self, key: str, counted: bool) -> Resolution:
        if counted:
            self.stats.urls += 1
        resolution = self._cached(key)
        if resolution is not None:
            if counted:
                self.stats.from_cache += 1
        else:
            resolution = await self._fetch(key)
            if resolution.error != DEADLINE_REACHED and self.cache is not None:
                self.cache.put("resolution", key, resolution.to_dict(), self.freshness.for_status(resolution.status))
            if counted and resolution.error != DEADLINE_REACHED:
                self.stats.fetched += 1
        self.memory.put("resolution", key, resolution.to_dict(), RUN_LONG)  # before the in-flight entry goes
        if counted:
            self.stats.done += 1
            if self.progress is not None:
                self.progress(self.stats.done, self.stats.urls)
        return resolution

    def _cached(self, key: str) -> Resolution | None:
        """The cache's answer, if it is fresh enough for this run (the caller's ``Freshness``)."""
        if self.cache is None:
            return None
        cached = self.cache.get("resolution", key)
        if cached is None:
            return None
        now = time.time()
        if now - cached.get(STORED_AT, now) > self.freshness.for_status(cached["status"]):
            return None  # kept, but older than this run allows: check again
        return Resolution.from_dict(cached)

    async def _fetch(self, key: str) -> Resolution:
        cut = Resolution(key, "error", None, None, (), DEADLINE_REACHED)
        if self.deadline is not None and self.deadline.passed:
            return cut
        async with self._slots:  # a slot of the network: given back before a page waits for its date
            reached = await self._bounded(key, follow_url(key, self.client, self.options), cut)
        if isinstance(reached, Undated):
            return await self._bounded(key, reached.dated(), cut)
        return reached

    async def _bounded(self, key: str, work: Awaitable[T], cut: Resolution) -> T | Resolution:
        """``work`` within the run's deadline (``cut`` when it passes); a failure is the link's error."""
        try:
            if self.deadline is None:
                return await work
            return await within(self.deadline.remaining(), work)
        except TimeoutError:
            if self.deadline is not None and self.deadline.passed:
                return cut
            return Resolution(key, "error", None, None, (), "internal error: TimeoutError")
        except Exception as exc:  # a bug on one link is reported on that link; the run goes on
            return Resolution(key, "error", None, None, (), f"internal error: {type(exc).__name__}: {exc}")
