"""``resolver report``: what archive runs have seen — articles, sources, dead, archived, newly dead."""

from __future__ import annotations

from ..errors import StoreError
from . import archive_options as arc
from . import net_options as net
from . import options as opt
from .log import LogFormat, set_log_format
from .output import fail, write_text


def report_command(
    cache: net.CacheOpt = None,
    since: arc.SinceOpt = None,
    format: arc.ReportFormatOpt = arc.ReportFormat.table,
    output: opt.OutputOpt = None,
    log_format: opt.LogFormatOpt = LogFormat.text,
) -> None:
    """Summarise what `resolver archive` runs have seen: articles, sources, dead, archived, newly dead."""
    from ..pipeline.archive_job import ledger_report
    from ..store import default_cache_path
    from ..write.report import render_report

    set_log_format(log_format)
    path = cache or default_cache_path()
    if not path.exists():
        fail(f"no cache at {path}: run `resolver archive` first (or give --cache)")
    since_ts = arc.since_timestamp(since)
    try:
        summary = ledger_report(path, since_ts)
    except StoreError as exc:
        fail(str(exc))
    write_text(output, render_report(summary, format.value).encode())
