"""``resolver cluster``: the records of ``resolve`` (``--archive``: of ``archive``), made by tasks on Dask."""

from __future__ import annotations

from pathlib import Path

from .. import defaults
from . import archive_options as arc
from . import cluster_options as clu
from . import net_options as net
from . import options as opt
from .cluster_run import ClusterArgs, run_cluster_command
from .log import LogFormat, set_log_format


def cluster_command(
    sources: opt.Sources,
    scheduler: clu.SchedulerOpt = None,
    local: clu.LocalOpt = None,
    redis: clu.RedisOpt = None,
    run_dir: clu.RunDirOpt = Path("resolver-run"),
    parquet: clu.ParquetOpt = None,
    archive: clu.ArchiveOpt = False,
    save: arc.SaveOpt = False,
    max_age: arc.MaxAgeOpt = None,
    format: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    quiet: opt.QuietOpt = False,
    input_format: opt.InputOpt = None,
    links: opt.LinksOpt = opt.LinksChoice.all,
    whole_page: opt.WholePageOpt = False,
    rate: clu.RateOpt = None,
    concurrency: net.ConcurrencyOpt = defaults.CONCURRENCY,
    per_host: net.PerHostOpt = defaults.PER_HOST,
    timeout: net.TimeoutOpt = defaults.TIMEOUT,
    max_hops: net.MaxHopsOpt = defaults.MAX_HOPS,
    retries: net.RetriesOpt = defaults.RETRIES,
    allow_private: net.AllowPrivateOpt = False,
    allow_host: net.AllowHostOpt = None,
    cassette: net.CassetteOpt = None,
    user_agent: net.UserAgentOpt = None,
    header: net.HeaderOpt = None,
    partition_size: clu.PartitionOpt = 200,
    chunk: clu.ChunkOpt = 200,
    log_format: opt.LogFormatOpt = LogFormat.text,
    max_source_size: opt.MaxSourceSizeOpt = "64M",
) -> None:
    """The same stages and records as resolve (--archive: as archive), run as tasks on a Dask cluster.

    Articles are scanned in partitions; the distinct URLs not already answered in --run-dir are shuffled by
    site and resolved, every request start paced per site through Redis (--redis) across all workers;
    answers are kept in --run-dir in Parquet chunks, so a re-run goes on where a killed one stopped. Records
    come out in source order, here (-o, --format) and as Parquet (--parquet). Needs the cluster extra:
    pip install -e '.[cluster]' in the source tree. Exit codes as resolve's.
    Example: resolver cluster /srv/articles --scheduler tcp://head:8786 --redis redis://head:6379/0
    --run-dir /shared/resolver -o resolved.jsonl
    """
    set_log_format(log_format)
    args = ClusterArgs(
        sources=sources, scheduler=scheduler, local=local, redis=redis, run_dir=run_dir, parquet=parquet,
        archive=archive, save=save, max_age=opt.parse_age(max_age), format=format, output=output, quiet=quiet,
        kind=opt.kind_of(input_format), links=links.value, whole_page=whole_page, rate=rate,
        concurrency=concurrency, per_host=per_host, timeout=timeout, max_hops=max_hops, retries=retries,
        allow_private=allow_private, allow_hosts=tuple(allow_host or ()), cassette=cassette,
        user_agent=user_agent, headers=net.headers_of(header), partition_size=partition_size, chunk=chunk,
        max_bytes=opt.max_bytes(max_source_size),
    )  # fmt: skip
    run_cluster_command(args)
