"""``resolver rewrite``: the article itself, every shortened link replaced by its canonical URL."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import defaults
from ..scan import LinkFilter
from ..write import rewrite
from . import net_options as net
from . import options as opt
from . import run
from .exits import EXIT_INPUT
from .log import LogFormat, set_log_format
from .output import write_output, write_text

Article = Annotated[str, typer.Argument(help="One article: a file, a URL, or - for stdin.", show_default=False)]
ReplaceOpt = Annotated[
    opt.LinksChoice,
    typer.Option("--links", help="Replace shortened links (short), every resolved link (all), or none."),
]
RecordsOpt = Annotated[
    opt.FormatChoice | None,
    typer.Option("--format", "-f", help="Print the records behind the rewrite in this format instead of the article."),
]


def rewrite_command(
    source: Article,
    output: opt.OutputOpt = None,
    quiet: opt.QuietOpt = False,
    input_format: opt.InputOpt = None,
    links: ReplaceOpt = opt.LinksChoice.short,
    format: RecordsOpt = None,
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
    log_format: opt.LogFormatOpt = LogFormat.text,
) -> None:
    """Print the article with every shortened link replaced by its canonical URL, nothing else changed.

    Links that did not resolve stay as they were; the original bytes are kept everywhere else (encoding,
    line endings). Example: resolver rewrite post.md -o post.expanded.md
    """
    set_log_format(log_format)
    settings = run.run_settings(
        cache=cache, no_cache=no_cache, concurrency=concurrency, per_host=per_host, timeout=timeout,
        max_hops=max_hops, allow_private=allow_private, allow_host=allow_host, cassette=cassette,
        deadline=deadline, retries=retries, user_agent=user_agent, header=header, rate=rate,
    )  # fmt: skip
    reader = run.reader([source], settings, input_format=input_format, max_source_size=max_source_size, quiet=quiet)
    docs = list(reader)
    if not docs:
        raise typer.Exit(EXIT_INPUT)
    scope: LinkFilter = "all" if links is opt.LinksChoice.all else "short"
    resolved = run.resolve(docs, settings, links=scope, whole_page=False, quiet=quiet)
    if format is not None:
        write_output(output, format.value, (r.to_dict() for r in resolved.records))
    else:
        replaced = [] if links is opt.LinksChoice.none else resolved.records
        write_text(output, rewrite(docs[0], replaced, only_short=links is not opt.LinksChoice.all))
    run.finish(resolved, quiet=quiet, failed_sources=reader.failed)
