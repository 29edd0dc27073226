"""The cluster run, stage by stage: scan → resolve (host shuffle) → assemble → (Wayback lane → attach).

1. **scan** — one task per article partition: its findings and the URLs they name (``articles``).
2. **resolve** — the distinct URLs of all partitions, anti-joined with the answers already known (fresh
   ones: a re-run continues where the last one stopped), shuffled by site so each site's URLs sit
   together, one task per shuffle partition (``resolving``), answers appended in chunks (``answers``).
3. **join** — each article partition is handed the answers its URLs have (``frames.join_answers``).
4. **assemble** — one task per article partition: the pipeline's ``resolve_findings`` on a store
   pre-filled with those answers (``assemble``): the records ``resolve`` makes, in order; post metadata
   is fetched here, shared between workers through Redis.
5. with ``--archive``: the cited sources, anti-joined with known Wayback answers, go to **one lane**;
   then each partition's records get their ``archive`` objects (``wayback``).

Every task can be run again (a worker died): it rewrites the same files, or reads its own earlier answer
chunks and goes on after them. The client holds the list of partitions and the tasks' summaries only.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ResolverError
from ..models import Document
from .articles import ArticlePart, PartScan, article_parts, scan_part
from .assemble import assemble_part
from .frames import Round, join_answers, resolve_round, wayback_lane
from .layout import part_name
from .settings import ClusterSettings
from .wayback import attach_part

if TYPE_CHECKING:
    from distributed import Client

Note = Callable[[str], None]
PARTITION_SIZE = 200  # articles per scan partition


class ClusterError(ResolverError):
    """The run could not finish on the cluster (workers lost too often, no worker at all); a re-run goes on
    from the answers kept so far."""


@dataclass
class ClusterOutcome:
    parts: int = 0
    documents: int = 0
    records: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    archive_errors: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (source, one line), in source order
    unscannable: list[str] = field(default_factory=list)
    resolved: Round = field(default_factory=Round)
    archived: Round | None = None
    records_dir: Path | None = None

    def record_files(self) -> list[Path]:
        """The records' Parquet files, in the order of the sources."""
        if self.records_dir is None:
            return []
        return [self.records_dir / part_name(i) for i in range(self.parts)]


EXTRA_MODULES = ("dask.dataframe", "distributed", "pandas", "pyarrow", "redis")


def missing_extra() -> str | None:
    """The first module of the ``cluster`` extra that cannot be imported, or None when all can."""
    import importlib

    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


@contextlib.contextmanager
def connect(scheduler: str | None, local: int | None) -> Iterator[Client]:
    """A Dask client: of the scheduler at ``scheduler``, or of ``local`` worker processes started here
    (one thread each: each task runs its own event loop)."""
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)  # its progress notes are not ours to print
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)  # "shuffle … initialized" is a warning
    if scheduler is not None:
        # A scheduler file (dask scheduler --scheduler-file, dask-mpi) names the address too.
        where = {"scheduler_file": scheduler} if Path(scheduler).is_file() else {"address": scheduler}
        with Client(**where) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=local or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def workers_of(client: Client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def run_cluster(
    sources: Iterable[str],
    settings: ClusterSettings,
    client: Client,
    *,
    partition_size: int = PARTITION_SIZE,
    read_here: Callable[[str], Document | None] = lambda source: None,
    note: Note | None = None,
) -> ClusterOutcome:
    """Run every stage on ``client``'s cluster; the records are in ``outcome.record_files()``."""
    say = note or (lambda message: None)
    outcome = ClusterOutcome(records_dir=settings.records)
    parts = list(article_parts(sources, partition_size, read_here))
    outcome.parts = len(parts)
    if not parts:
        return outcome
    workers = workers_of(client)
    try:
        _scan(parts, settings, client, outcome)
        say(f"scanned {outcome.documents} articles in {len(parts)} partitions on {workers} workers")
        outcome.resolved = resolve_round(settings, "scan", partitions=2 * workers)
        r = outcome.resolved
        say(f"{r.distinct} distinct URLs: {r.known} known, {r.fetched} resolved in {r.tasks} host partitions")
        join_answers(settings, "scan", ["resolution"], partitions=max(1, min(len(parts), 2 * workers)))
        _each(assemble_part, "assemble", parts, settings, client, outcome)
        if settings.archive is not None:
            outcome.archived = a = wayback_lane(settings)
            say(f"{a.distinct} cited sources: {a.known} known, {a.fetched} asked of the Wayback Machine")
            join_answers(settings, "archive", ["archive"], partitions=max(1, min(len(parts), 2 * workers)))
            _each(attach_part, "attach", parts, settings, client, outcome)
    except Exception as exc:
        from distributed import KilledWorker

        if isinstance(exc, KilledWorker):
            raise ClusterError(f"a task's workers died too often ({exc}); run again to go on from the answers "
                               "kept so far") from None  # fmt: skip
        raise
    _tidy(settings)
    return outcome


def _scan(parts: list[ArticlePart], settings: ClusterSettings, client: Client, outcome: ClusterOutcome) -> None:
    keys = [f"scan-{settings.run_id}-{p.index}" for p in parts]
    reports: list[PartScan] = client.gather(client.map(scan_part, parts, settings=settings, key=keys))
    for report in reports:
        outcome.documents += report.documents
        outcome.unreadable.extend(report.unreadable)
        outcome.unscannable.extend(report.unscannable)


def _each(task: Callable[[int, ClusterSettings], dict[str, Any]], name: str, parts: list[ArticlePart],
          settings: ClusterSettings, client: Client, outcome: ClusterOutcome) -> None:  # fmt: skip
    indices = [p.index for p in parts]
    keys = [f"{name}-{settings.run_id}-{i}" for i in indices]
    results: list[dict[str, Any]] = client.gather(client.map(task, indices, settings=settings, key=keys))
    outcome.records = sum(r["records"] for r in results)
    outcome.by_status = {}
    for r in results:
        for status, n in r["by_status"].items():
            outcome.by_status[status] = outcome.by_status.get(status, 0) + n
    outcome.archive_errors = sum(r.get("archive_errors", 0) for r in results)


def _tidy(settings: ClusterSettings) -> None:
    """The run went through: its intermediate files go (the records and the answers stay)."""
    for path in settings.work.iterdir() if settings.work.is_dir() else ():
        if path.is_dir() and path != settings.records:
            shutil.rmtree(path, ignore_errors=True)
