"""The steps ``resolve``, ``rewrite`` and ``archive`` share: the run's settings from their options, the
input (SOURCEs, or a URL list), the output, the job's hooks (progress bar, stderr lines, the event loop),
the summary and the exit code.

The pipeline is imported inside these functions, when a command that goes online runs: ``scan`` never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ..errors import ResolverError
from ..read.sources import SourceReader
from ..write import Format
from . import progress
from .exits import exit_code, exit_code_of
from .log import run_loop, scan_failed, source_failed, warn
from .net_options import headers_of
from .options import InputFormat, kind_of, max_bytes
from .output import fail, resolve_summary, stream_summary

if TYPE_CHECKING:
    from ..models import Document
    from ..pipeline.jobs import Hooks, Resolved, Streamed
    from ..pipeline.settings import RunSettings
    from ..pipeline.units import Documents, Rows
    from ..scan import LinkFilter
    from .records import RecordsOut


def run_settings(
    *,
    cache: Path | None,
    no_cache: bool,
    concurrency: int,
    per_host: int,
    timeout: float,
    max_hops: int,
    allow_private: bool,
    allow_host: list[str] | None,
    cassette: Path | None,
    deadline: float | None,
    retries: int,
    user_agent: str | None,
    header: list[str] | None,
    rate: float | None = None,
) -> RunSettings:
    """The network options as the run's settings; the run's deadline starts now."""
    from ..pipeline.settings import RunSettings

    return RunSettings(
        cache=cache, no_cache=no_cache, concurrency=concurrency, per_host=per_host, timeout=timeout,
        max_hops=max_hops, allow_private=allow_private, cassette=cassette, deadline=deadline, retries=retries,
        allow_hosts=tuple(allow_host or ()), user_agent=user_agent, headers=headers_of(header), rate=rate,
    )  # fmt: skip


def reader(
    sources: list[str], settings: RunSettings, *, input_format: InputFormat | None, max_source_size: str, quiet: bool
) -> SourceReader:
    """Every SOURCE, URLs fetched the run's way; a bad one is a line on stderr and the others are read."""
    cap = max_bytes(max_source_size)
    return SourceReader(
        sources, kind=kind_of(input_format), max_bytes=cap, fetch=settings.url_fetch(cap), on_error=source_failed,
        walk=progress.reading(quiet=quiet),
    )  # fmt: skip


def source_of(
    sources: list[str] | None,
    urls: str | None,
    column: str | None,
    settings: RunSettings,
    *,
    input_format: InputFormat | None,
    max_source_size: str,
) -> Documents | Rows:
    """The run's input: the SOURCEs (read as the run goes, URL sources through its client), or the URL list
    of ``--urls`` (its header read now: a missing column is one line and exit 2)."""
    from ..pipeline.units import Documents, Rows
    from ..read.urllist import UrlList

    if urls is not None and sources:
        raise typer.BadParameter("give SOURCEs or --urls FILE, not both", param_hint="--urls")
    if urls is None and not sources:
        raise typer.BadParameter("give at least one SOURCE, or --urls FILE", param_hint="SOURCE")
    if column is not None and urls is None:
        raise typer.BadParameter("--column names a column of the --urls file", param_hint="--column")
    if urls is not None:
        try:
            return Rows(UrlList(urls, column), on_error=source_failed)
        except ResolverError as exc:
            fail(str(exc))
    cap = max_bytes(max_source_size)
    return Documents(SourceReader(sources or [], kind=kind_of(input_format), max_bytes=cap,
                                  fetch=settings.url_fetch(cap), on_error=source_failed))  # fmt: skip


def records_out(
    output: Path | None, fmt: Format, source: Documents | Rows, *, resume: bool, archive: bool = False
) -> RecordsOut:
    """Where the records go (see ``records.open_out``); a file that cannot be continued is one line and exit 2."""
    from ..pipeline.units import Rows
    from .records import open_out

    rows = isinstance(source, Rows)
    try:
        return open_out(output, fmt, resume=resume, key=source.key, archive=archive, rows=rows,
                        row_names=source.urls.others if isinstance(source, Rows) else ())  # fmt: skip
    except ResolverError as exc:
        fail(str(exc))


def stream(
    source: Documents | Rows, settings: RunSettings, out: RecordsOut, *, links: LinkFilter, whole_page: bool,
    quiet: bool,
) -> Streamed:  # fmt: skip
    """The resolve job, its records written as they come; a job-level failure (a cache that cannot be opened,
    an output that cannot be written) is one line and exit 2."""
    from ..pipeline.jobs import resolve_stream

    try:
        return resolve_stream(source, settings, out, links=links, whole_page=whole_page, hooks=hooks(quiet=quiet))
    except ResolverError as exc:
        fail(str(exc))


def finish_stream(streamed: Streamed, out: RecordsOut, source: Documents | Rows, *, quiet: bool) -> NoReturn:
    """The summary line, then the cache's failure if it had one (after the records are out), then the exit."""
    stream_summary(out.tally, streamed.stats, quiet, kept=streamed.kept)
    if streamed.store_failure is not None:
        fail(str(streamed.store_failure))
    raise typer.Exit(exit_code_of(out.tally, source.failed))


def hooks(*, quiet: bool) -> Hooks:
    """A job's progress as a bar on a terminal; a page the scanner failed on and warnings as stderr lines."""
    from ..pipeline.jobs import Hooks

    return Hooks(
        progress=lambda: progress.ProgressBar(quiet=quiet),
        document_failed=scan_failed,
        warning=warn,
        run_loop=run_loop,
    )


def resolve(
    docs: list[Document], settings: RunSettings, *, links: LinkFilter, whole_page: bool, quiet: bool
) -> Resolved:
    """The resolve job; a job-level failure (a cache that cannot be opened, …) is one line and exit 2."""
    from ..pipeline.jobs import resolve_documents

    try:
        return resolve_documents(docs, settings, links=links, whole_page=whole_page, hooks=hooks(quiet=quiet))
    except ResolverError as exc:
        fail(str(exc))


def finish(resolved: Resolved, *, quiet: bool, failed_sources: int) -> NoReturn:
    """The summary line, then the cache's failure if it had one (after the records are out), then the exit."""
    resolve_summary(resolved.records, resolved.stats, quiet)
    if resolved.store_failure is not None:
        fail(str(resolved.store_failure))
    raise typer.Exit(exit_code(resolved.records, failed_sources))
