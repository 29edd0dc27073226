"""The steps ``resolve``, ``rewrite`` and ``archive`` share: the run's settings from their options, the
sources read, the job's hooks (progress bar, stderr lines, the event loop), the summary and the exit code.

The pipeline is imported inside these functions, when a command that goes online runs: ``scan`` never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ..errors import ResolverError
from ..read.sources import SourceReader
from . import progress
from .exits import exit_code
from .log import run_loop, scan_failed, source_failed, warn
from .net_options import headers_of
from .options import InputFormat, kind_of, max_bytes
from .output import fail, resolve_summary

if TYPE_CHECKING:
    from ..models import Document
    from ..pipeline.jobs import Hooks, Resolved
    from ..pipeline.settings import RunSettings
    from ..scan import LinkFilter


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
) -> RunSettings:
    """The network options as the run's settings; the run's deadline starts now."""
    from ..pipeline.settings import RunSettings

    return RunSettings(
        cache=cache, no_cache=no_cache, concurrency=concurrency, per_host=per_host, timeout=timeout,
        max_hops=max_hops, allow_private=allow_private, cassette=cassette, deadline=deadline, retries=retries,
        allow_hosts=tuple(allow_host or ()), user_agent=user_agent, headers=headers_of(header),
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
