"""``resolver archive``: resolve, then archive every cited source; made for cron (see pipeline.archive_job)."""

from __future__ import annotations

import typer

from .. import defaults
from ..errors import ResolverError
from . import archive_options as arc
from . import net_options as net
from . import options as opt
from . import run
from .exits import EXIT_INPUT, EXIT_OK, EXIT_RETRY, EXIT_TEMPFAIL, exit_code_of
from .log import LogFormat, error, log, set_log_format
from .output import archive_summary, fail, format_for


def archive_command(
    sources: opt.SourcesOrUrls = None,
    format: opt.FormatOpt = None,
    output: opt.ArchiveOutputOpt = None,
    resume: opt.ResumeOpt = False,
    urls: opt.UrlsOpt = None,
    column: opt.ColumnOpt = None,
    quiet: opt.QuietOpt = False,
    input_format: opt.InputOpt = None,
    links: opt.LinksOpt = opt.LinksChoice.all,
    whole_page: opt.WholePageOpt = False,
    save: arc.SaveOpt = False,
    max_age: arc.MaxAgeOpt = None,
    warc: arc.WarcOpt = None,
    no_lookup: arc.NoLookupOpt = False,
    near: arc.NearOpt = None,
    all_articles: arc.AllArticlesOpt = False,
    lock_wait: arc.LockWaitOpt = 10.0,
    recheck: arc.RecheckOpt = "30d",
    log_format: opt.LogFormatOpt = LogFormat.text,
    cache: net.CacheOpt = None,
    no_cache: net.NoCacheOpt = False,
    concurrency: net.ConcurrencyOpt = defaults.CONCURRENCY,
    per_host: net.PerHostOpt = defaults.PER_HOST,
    rate: net.RateOpt = None,
    timeout: net.TimeoutOpt = defaults.TIMEOUT,
    max_hops: net.MaxHopsOpt = defaults.MAX_HOPS,
    allow_private: net.AllowPrivateOpt = False,
    allow_host: net.AllowHostOpt = None,
    cassette: net.CassetteOpt = None,
    deadline: net.DeadlineOpt = None,
    retries: net.RetriesOpt = defaults.RETRIES,
    user_agent: net.UserAgentOpt = None,
    header: net.HeaderOpt = None,
    max_source_size: opt.MaxSourceSizeOpt = "64M",
) -> None:
    """Resolve, then archive every cited source: Wayback lookup, Save Page Now (--save), a local WARC (--warc).

    Made for cron: SOURCE may also be an RSS/Atom feed or a sitemap URL; the cache remembers articles, so a
    re-run processes only new or changed ones (--all for every one), and re-checks the sources of unchanged
    ones when they are due (--recheck); a source that was ok and is dead now is reported once as newly dead
    (see `resolver report`). Each article is marked done as soon as its records are written; -o FILE (jsonl
    or csv) is continued by the next run, so a killed run loses only the articles in flight and delivers
    nothing twice. Two runs never overlap: the second waits --lock-wait seconds, then exits 75.
    Exit codes: 0 all final; 1 some error/blocked/archive error (retried by the next run); 2 needs a human
    (bad input, damaged cache, failed write); 70 internal error; 75 locked.
    Example: resolver archive https://news.example.org/feed.xml --save --max-age 30d -q -o today.jsonl
    """
    from ..archive.near import Near
    from ..pipeline.archive_job import ArchiveJob, archive_documents, run_lock
    from ..store import LockBusyError

    set_log_format(log_format)
    settings = run.run_settings(
        cache=cache, no_cache=no_cache, concurrency=concurrency, per_host=per_host, timeout=timeout,
        max_hops=max_hops, allow_private=allow_private, allow_host=allow_host, cassette=cassette,
        deadline=deadline, retries=retries, user_agent=user_agent, header=header, rate=rate,
    )  # fmt: skip
    job = ArchiveJob(
        recheck=opt.parse_age(recheck) or 0.0, max_age=opt.parse_age(max_age), links=links.value,
        whole_page=whole_page, lookup=not no_lookup, save=save, warc=warc, every_article=all_articles,
        near=Near.parse(near) if near else None, resume=resume,
    )  # fmt: skip
    try:
        with run_lock(settings, lock_wait):
            source = run.source_of(sources, urls, column, settings, input_format=input_format,
                                   max_source_size=max_source_size)  # fmt: skip
            out = run.records_out(output, format_for(format, output), source, resume=resume, archive=True)
            outcome = archive_documents(source, settings, job, out=out, hooks=run.hooks(quiet=quiet))
    except LockBusyError as exc:
        log("locked", f"{exc}; another run is still working, try again later", exit_code=EXIT_TEMPFAIL)
        raise typer.Exit(EXIT_TEMPFAIL) from None
    except ResolverError as exc:
        fail(str(exc))
    archive_summary(outcome, out.tally, quiet)
    if outcome.failure is not None:
        error(outcome.failure)  # a write that failed needs a human: it will not mend itself
        raise typer.Exit(EXIT_INPUT)
    code = exit_code_of(out.tally, source.failed + outcome.failed_scans)
    raise typer.Exit(EXIT_RETRY if code == EXIT_OK and outcome.archive_errors else code)
