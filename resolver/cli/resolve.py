"""``resolver resolve``: scan, follow every link hop by hop, attach each post's metadata — written as it goes."""

from __future__ import annotations

from .. import defaults
from . import net_options as net
from . import options as opt
from . import run
from .log import LogFormat, set_log_format
from .output import format_for


def resolve_command(
    sources: opt.SourcesOrUrls = None,
    format: opt.FormatOpt = None,
    output: opt.ResumableOutputOpt = None,
    resume: opt.ResumeOpt = False,
    urls: opt.UrlsOpt = None,
    column: opt.ColumnOpt = None,
    quiet: opt.QuietOpt = False,
    input_format: opt.InputOpt = None,
    links: opt.LinksOpt = opt.LinksChoice.all,
    whole_page: opt.WholePageOpt = False,
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
    log_format: opt.LogFormatOpt = LogFormat.text,
    max_source_size: opt.MaxSourceSizeOpt = "64M",
) -> None:
    """Scan, then follow every link's redirects and fetch each post's metadata.

    Records are written as each article is done (in input order); every answer is cached, so a re-run sends
    only the new requests, and -o FILE --resume continues a run that was interrupted.
    Examples: resolver resolve article.html --format table;
    resolver resolve --urls links.csv --column url -o resolved.csv
    """
    set_log_format(log_format)
    settings = run.run_settings(
        cache=cache, no_cache=no_cache, concurrency=concurrency, per_host=per_host, timeout=timeout,
        max_hops=max_hops, allow_private=allow_private, allow_host=allow_host, cassette=cassette,
        deadline=deadline, retries=retries, user_agent=user_agent, header=header, rate=rate,
    )  # fmt: skip
    source = run.source_of(sources, urls, column, settings, input_format=input_format, max_source_size=max_source_size)
    out = run.records_out(output, format_for(format, output), source, resume=resume)
    streamed = run.stream(source, settings, out, links=links.value, whole_page=whole_page, quiet=quiet)
    run.finish_stream(streamed, out, source, quiet=quiet)
