"""``resolver resolve``: scan, follow every link hop by hop, attach each post's metadata."""

from __future__ import annotations

from .. import defaults
from . import net_options as net
from . import options as opt
from . import run
from .log import LogFormat, set_log_format
from .output import format_for, write_output


def resolve_command(
    sources: opt.Sources,
    format: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    quiet: opt.QuietOpt = False,
    input_format: opt.InputOpt = None,
    links: opt.LinksOpt = opt.LinksChoice.all,
    whole_page: opt.WholePageOpt = False,
    cache: net.CacheOpt = None,
    no_cache: net.NoCacheOpt = False,
    concurrency: net.ConcurrencyOpt = defaults.CONCURRENCY,
    per_host: net.PerHostOpt = defaults.PER_HOST,
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

    Every answer is cached, so a re-run sends only the new requests.
    Example: resolver resolve article.html --format table
    """
    set_log_format(log_format)
    settings = run.run_settings(
        cache=cache, no_cache=no_cache, concurrency=concurrency, per_host=per_host, timeout=timeout,
        max_hops=max_hops, allow_private=allow_private, allow_host=allow_host, cassette=cassette,
        deadline=deadline, retries=retries, user_agent=user_agent, header=header,
    )  # fmt: skip
    reader = run.reader(sources, settings, input_format=input_format, max_source_size=max_source_size, quiet=quiet)
    docs = list(reader)
    resolved = run.resolve(docs, settings, links=links.value, whole_page=whole_page, quiet=quiet)
    write_output(output, format_for(format, output), (r.to_dict() for r in resolved.records))
    run.finish(resolved, quiet=quiet, failed_sources=reader.failed)
