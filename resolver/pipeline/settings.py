"""A run's settings → what the run is made of: its store, its HTTP client, its ``RunOptions``, its URL fetch.

The settings are the network options a command takes (from its command line, the config file or the
``RESOLVER_*`` environment); the run's deadline starts when they are made, at the start of the command.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import defaults
from ..net import Client, Deadline, HostLimiter, RetryPolicy, make_client
from ..read.sources import UrlFetch, replay
from ..resolve.hops import ResolveOptions
from ..scan import LinkFilter
from ..store import Freshness, MemoryStore, SQLiteStore
from .flow import RunOptions


@dataclass
class RunSettings:
    cache: Path | None = None  # None: the user's cache directory
    no_cache: bool = False
    concurrency: int = defaults.CONCURRENCY
    per_host: int = defaults.PER_HOST
    timeout: float = defaults.TIMEOUT
    max_hops: int = defaults.MAX_HOPS
    allow_private: bool = False
    cassette: Path | None = None
    deadline: float | None = None  # seconds for the whole run
    retries: int = defaults.RETRIES
    allow_hosts: tuple[str, ...] = ()
    user_agent: str | None = None  # None: resolver's own
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request
    ends: Deadline | None = field(init=False)

    def __post_init__(self) -> None:
        self.ends = Deadline.of(self.deadline)  # counted from now: the start of the command

    def cache_path(self) -> Path:
        from ..store import default_cache_path  # looked up at the call: a test may point it elsewhere

        return self.cache or default_cache_path()

    def open_store(self) -> SQLiteStore | MemoryStore:
        """The cache (and, for archive runs, the ledger): SQLite on disk, or memory with ``no_cache``."""
        if self.no_cache or (self.cassette is not None and self.cache is None):
            # Replayed answers are not observations of the web: they never enter the user's real cache.
            return MemoryStore()
        return SQLiteStore(self.cache_path())

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[Client]:
        """The run's client: replaying the cassette, or live with the address guard."""
        async with make_client(
            transport=replay(self.cassette),
            allow_private=self.allow_private,
            allow_hosts=self.allow_hosts,
            concurrency=self.concurrency,
            per_host=self.per_host,
            timeout=self.timeout,
            user_agent=self.user_agent,
            headers=self.headers,
        ) as client:
            yield client

    def run_options(self, links: LinkFilter, whole_page: bool, freshness: Freshness | None = None) -> RunOptions:
        return RunOptions(
            links=links,
            whole_page=whole_page,
            concurrency=self.concurrency,
            deadline=self.ends,
            freshness=freshness or Freshness(),
            resolve=ResolveOptions(
                max_hops=self.max_hops,
                allow_private=self.allow_private,
                policy=RetryPolicy(attempts=self.retries + 1),
                limiter=HostLimiter(per_host=min(self.per_host, self.concurrency)),
                item_timeout=defaults.ITEM_TIME * self.timeout,
            ),
        )

    def url_fetch(self, max_bytes: int) -> UrlFetch:
        """URL sources fetched the run's way: its allowed hosts, its cassette, its deadline, its headers."""
        return UrlFetch(
            allow_private=self.allow_private,
            allow_hosts=self.allow_hosts,
            timeout=self.timeout,
            max_bytes=max_bytes,
            cassette=self.cassette,
            deadline=self.ends,
            user_agent=self.user_agent,
            headers=self.headers,
        )
