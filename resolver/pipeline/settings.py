"""A run's settings → what the run is made of: its stores, its HTTP client, its ``RunOptions``, its URL fetch.

The settings are the network options a command takes (from its command line, the config file or the
``RESOLVER_*`` environment); the run's deadline starts when they are made, at the start of the command.

A run has two stores: the **cache** (answers of earlier runs and, for archive runs, the ledger; none with
``--no-cache``, nor for a cassette replay without ``--cache``: replayed answers are not observations of the
web) and the **run's memory** (``RunMemory``: every answer of this run, so that each distinct URL is
resolved once however long the run; a temporary SQLite file, removed when the run ends, so that a run of
10⁶ links keeps its answers on disk, not in RAM).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import defaults
from ..net import Client, Deadline, HostLimiter, RateMeter, RetryPolicy, make_client
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
    rate: float | None = None  # request starts a second per site (--rate); None: each site's default; 0: none
    ends: Deadline | None = field(init=False)

    def __post_init__(self) -> None:
        self.ends = Deadline.of(self.deadline)  # counted from now: the start of the command

    def cache_path(self) -> Path:
        from ..store import default_cache_path  # looked up at the call: a test may point it elsewhere

        return self.cache or default_cache_path()

    def open_store(self) -> SQLiteStore | MemoryStore:
        """The cache (and, for archive runs, the ledger): SQLite on disk, or memory with ``no_cache``."""
        return self.open_cache() or MemoryStore()

    def open_cache(self) -> SQLiteStore | None:
        """The cache on disk, or None with ``no_cache`` (or a cassette replay without ``--cache``)."""
        if self.no_cache or (self.cassette is not None and self.cache is None):
            # Replayed answers are not observations of the web: they never enter the user's real cache.
            return None
        return SQLiteStore(self.cache_path())

    @contextlib.asynccontextmanager
    async def client(self, meter: RateMeter | None = None) -> AsyncIterator[Client]:
        """The run's client: replaying the cassette, or live with the address guard; its requests paced by
        ``meter`` when one is given (a cluster's, shared by every worker), else by a meter of ``rate``."""
        async with make_client(
            transport=replay(self.cassette),
            allow_private=self.allow_private,
            allow_hosts=self.allow_hosts,
            concurrency=self.concurrency,
            per_host=self.per_host,
            timeout=self.timeout,
            user_agent=self.user_agent,
            headers=self.headers,
            rate=self.rate,
            meter=meter,
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


class RunMemory(SQLiteStore):
    """The run's memory (see the module docstring): a SQLite store in a directory of its own under the
    system's temporary directory (``TMPDIR``), removed with everything in it by ``close``. A run killed with
    SIGKILL leaves the directory (``resolver-run-*``) for the system's temporary-file cleaning."""

    SYNCHRONOUS = "OFF"  # thrown away at the end of the run: nothing in it needs to survive a crash, so no fsync

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="resolver-run-"))
        try:
            super().__init__(self.directory / "run.sqlite3")
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    def close(self) -> None:
        super().close()
        shutil.rmtree(self.directory, ignore_errors=True)
