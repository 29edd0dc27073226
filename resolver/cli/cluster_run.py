"""What ``cluster`` does with its options: checks them, runs the cluster job, writes, sums up, exits.

The cluster package (and Dask with it) is imported only here, when the command runs: without the
``cluster`` extra the command says how to install it, in one line, and exits 2.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ..errors import ResolverError, SourceError
from ..models import ContentKind, Document
from ..scan import LinkFilter
from .exits import EXIT_INPUT, EXIT_OK, EXIT_RETRY
from .log import error, log, source_failed
from .options import FormatChoice
from .output import fail, format_for, write_output

if TYPE_CHECKING:
    from ..cluster import ClusterOutcome, ClusterSettings

EXTRA = "pip install -e '.[cluster]' in resolver's source tree"


@dataclass(frozen=True)
class ClusterArgs:
    sources: list[str]
    scheduler: str | None
    local: int | None
    redis: str | None
    run_dir: Path
    parquet: Path | None
    archive: bool
    save: bool
    max_age: float | None
    format: FormatChoice | None
    output: Path | None
    quiet: bool
    kind: ContentKind | None
    links: LinkFilter
    whole_page: bool
    rate: float | None
    concurrency: int
    per_host: int
    timeout: float
    max_hops: int
    retries: int
    allow_private: bool
    allow_hosts: tuple[str, ...]
    cassette: Path | None
    user_agent: str | None
    headers: tuple[tuple[str, str], ...]
    partition_size: int
    chunk: int
    max_bytes: int


def _usage(message: str) -> NoReturn:
    raise typer.BadParameter(message)


def check(args: ClusterArgs) -> None:
    """Usage errors: where to run, and a shared meter wherever more than one worker may run."""
    if (args.scheduler is None) == (args.local is None):
        _usage("give --scheduler ADDRESS or --local N (one of them)")
    if args.redis is None and (args.scheduler is not None or (args.local or 1) > 1):
        _usage("--redis URL is needed with more than one worker: without a shared meter every worker paces "
               "on its own, and a site reached from several workers gets several times --rate")  # fmt: skip
    if args.save and not args.archive:
        _usage("--save goes with --archive")


def settings_of(args: ClusterArgs) -> ClusterSettings:
    from ..cluster import ArchiveSpec, ClusterSettings, MeterSpec

    run_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    return ClusterSettings(
        run_dir=args.run_dir.absolute(), run_id=run_id, meter=MeterSpec(args.redis, args.rate), links=args.links,
        whole_page=args.whole_page, kind=args.kind, max_bytes=args.max_bytes, concurrency=args.concurrency,
        per_host=args.per_host, timeout=args.timeout, max_hops=args.max_hops, retries=args.retries,
        allow_private=args.allow_private, allow_hosts=args.allow_hosts, user_agent=args.user_agent,
        headers=args.headers, cassette=args.cassette.absolute() if args.cassette else None,
        answer_chunk=args.chunk, records_dir=args.parquet.absolute() if args.parquet else None,
        archive=ArchiveSpec(save=args.save, max_age=args.max_age) if args.archive else None,
    )  # fmt: skip


def _ping(url: str) -> None:
    from redis import Redis

    try:
        with Redis.from_url(url, socket_connect_timeout=5) as redis:
            redis.ping()
    except Exception as exc:  # every way Redis can fail to answer is one line and exit 2
        fail(f"cannot reach Redis at {url}: {exc}")


def run_cluster_command(args: ClusterArgs) -> NoReturn:
    check(args)
    from .. import cluster

    if (missing := cluster.missing_extra()) is not None:
        fail(f"resolver cluster needs the cluster extra ({missing} is not installed): {EXTRA}")
    if args.redis is not None:
        _ping(args.redis)
    settings = settings_of(args)
    failed: list[str] = []

    def read_here(source: str) -> Document | None:
        from ..read.files import read_source

        try:
            return read_source(source, kind=args.kind, max_bytes=args.max_bytes)
        except SourceError as exc:
            source_failed(exc)
            failed.append(source)
            return None

    say = None if args.quiet else (lambda message: log("stage", f"cluster: {message}"))
    try:
        with cluster.connect(args.scheduler, args.local) as client:
            outcome = cluster.run_cluster(args.sources, settings, client, partition_size=args.partition_size,
                                          read_here=read_here, note=say)  # fmt: skip
    except ResolverError as exc:
        fail(str(exc))
    for source, message in outcome.unreadable:
        error(message, source=source)
    for line in outcome.unscannable:
        error(line)
    from ..cluster.records import read_records

    write_output(args.output, format_for(args.format, args.output), read_records(outcome.record_files()))
    summary(outcome, args.quiet)
    unreadable = len(failed) + len(outcome.unreadable)
    raise typer.Exit(exit_code(outcome, unreadable))


def exit_code(outcome: ClusterOutcome, unreadable: int) -> int:
    """As ``resolve``'s (``archive``'s with --archive): 2 a source could not be read; 1 something to retry."""
    if unreadable:
        return EXIT_INPUT
    if outcome.by_status.get("error") or outcome.by_status.get("blocked") or outcome.archive_errors:
        return EXIT_RETRY
    return EXIT_OK


def summary(outcome: ClusterOutcome, quiet: bool) -> None:
    if quiet:
        return
    parts = ", ".join(f"{n} {s}" for s, n in sorted(outcome.by_status.items()))
    r = outcome.resolved
    log(
        "summary",
        f"{outcome.records} records ({parts or 'none'}); {r.distinct} distinct URLs, {r.fetched} fetched, "
        f"{r.known} from earlier answers; Parquet in {outcome.records_dir}",
        records=outcome.records, by_status=outcome.by_status, urls=r.distinct, fetched=r.fetched,
        from_cache=r.known, parquet=str(outcome.records_dir),
    )  # fmt: skip
