"""The options of ``cluster``: where the cluster is, where the shared meters and the run folder are."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="The Dask scheduler to run on (tcp://HOST:8786, or a scheduler file's path).",
        metavar="ADDRESS",
        show_default=False,
    ),
]
LocalOpt = Annotated[
    int | None,
    typer.Option("--local", help="Instead: start N Dask worker processes on this machine.", min=1, show_default=False),
]
RedisOpt = Annotated[
    str | None,
    typer.Option(
        "--redis",
        help=(
            "The Redis every worker shares the per-site rate meters through (redis://HOST:6379/0). Needed with "
            "--scheduler or more than one --local worker: without it each worker would meter on its own."
        ),
        metavar="URL",
        show_default=False,
    ),
]
RunDirOpt = Annotated[
    Path,
    typer.Option(
        "--run-dir",
        help=(
            "The run folder every worker must see (shared storage): the answers known so far (a re-run goes "
            "on from them) and each run's work."
        ),
    ),
]
ParquetOpt = Annotated[
    Path | None,
    typer.Option(
        "--parquet",
        help="Write the records' Parquet files (one per article partition) here. Default: in the run's folder.",
        show_default=False,
    ),
]
PartitionOpt = Annotated[int, typer.Option("--partition-size", help="Articles per scan partition.", min=1)]
ChunkOpt = Annotated[
    int,
    typer.Option("--chunk", help="Answers per Parquet chunk: at most what a killed worker loses per task.", min=1),
]
RateOpt = Annotated[
    float | None,
    typer.Option(
        "--rate",
        help=(
            "Request starts a second per site (registrable domain), every attempt of every hop, summed over "
            "all workers. Default: 5, t.co 20; none for loopback and private addresses. 0: no limit."
        ),
        min=0,
        show_default=False,
    ),
]
ArchiveOpt = Annotated[
    bool, typer.Option("--archive", help="Also archive every cited source (archive's records): one Wayback lane.")
]
