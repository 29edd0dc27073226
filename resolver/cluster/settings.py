"""What every task of a cluster run is told: the run's options, where its folder is, how to meter.

A :class:`ClusterSettings` is sent to every task (it is pickled with the task), so it holds only plain
values; each task makes its own client, meter and store from it inside its own event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from .. import defaults
from ..models import ContentKind
from ..net import Client, RateMeter
from ..pipeline import RunOptions
from ..pipeline.settings import RunSettings
from ..read.files import MAX_SOURCE_BYTES
from ..read.sources import UrlFetch
from ..scan import LinkFilter
from .meter import MeterSpec

ANSWER_CHUNK = 200  # answers per Parquet chunk: what a killed worker can lose at most, per task


@dataclass(frozen=True)
class ArchiveSpec:
    """``--archive``: what the Wayback lane does for every cited source."""

    lookup: bool = True
    save: bool = False
    max_age: float | None = None
    cdx_url: str | None = None  # None: the Wayback Machine's own
    cdx_interval: float | None = None  # None: the archive stage's default spacing


@dataclass(frozen=True)
class ClusterSettings:
    run_dir: Path  # answers (shared by every run on it) and each run's work; every worker must see it
    run_id: str
    meter: MeterSpec
    links: LinkFilter = "all"
    whole_page: bool = False
    kind: ContentKind | None = None
    max_bytes: int = MAX_SOURCE_BYTES
    concurrency: int = defaults.CONCURRENCY
    per_host: int = defaults.PER_HOST
    timeout: float = defaults.TIMEOUT
    max_hops: int = defaults.MAX_HOPS
    retries: int = defaults.RETRIES
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()
    user_agent: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    cassette: Path | None = None
    answer_chunk: int = ANSWER_CHUNK
    archive: ArchiveSpec | None = None
    records_dir: Path | None = None  # None: the run's own folder
    shared_cache: bool = True  # answers found while records are assembled are shared through Redis

    @property
    def answers(self) -> Path:
        return self.run_dir / "answers"

    @property
    def work(self) -> Path:
        return self.run_dir / "runs" / self.run_id

    @property
    def records(self) -> Path:
        return self.records_dir or self.work / "records"

    def run_settings(self) -> RunSettings:
        return RunSettings(
            no_cache=True, concurrency=self.concurrency, per_host=self.per_host, timeout=self.timeout,
            max_hops=self.max_hops, allow_private=self.allow_private, cassette=self.cassette, retries=self.retries,
            allow_hosts=self.allow_hosts, user_agent=self.user_agent, headers=self.headers,
        )  # fmt: skip

    def run_options(self) -> RunOptions:
        return self.run_settings().run_options(self.links, self.whole_page)

    def url_fetch(self) -> UrlFetch:
        return self.run_settings().url_fetch(self.max_bytes)

    @contextlib.asynccontextmanager
    async def client(self, meter: RateMeter) -> AsyncIterator[Client]:
        """The task's client (the run's options, as ``resolve`` makes it), metered by ``meter``."""
        async with self.run_settings().client(meter) as client:
            yield client
