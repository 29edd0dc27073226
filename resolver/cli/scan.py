"""``resolver scan``: the posts and links of every SOURCE, written as they are found.

It starts fast: the network stack, the pipeline and the store are not imported (only a URL SOURCE loads
what fetching it needs).
"""

from __future__ import annotations

import sys
from typing import TextIO

import typer

from ..models import Document
from ..read.files import UnreadFile
from ..read.sources import SourceReader, UrlFetch
from ..scan.stream import auto_jobs, scan_each
from . import net_options as net
from . import options as opt
from . import progress
from .exits import EXIT_INPUT, EXIT_OK
from .log import LogFormat, log, scan_failed, set_log_format, source_failed
from .output import format_for, write_output


def scan_command(
    sources: opt.Sources,
    format: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    quiet: opt.QuietOpt = False,
    input_format: opt.InputOpt = None,
    links: opt.LinksOpt = opt.LinksChoice.all,
    whole_page: opt.WholePageOpt = False,
    allow_private: net.AllowPrivateOpt = False,
    allow_host: net.AllowHostOpt = None,
    timeout: net.TimeoutOpt = 30.0,
    max_source_size: opt.MaxSourceSizeOpt = "64M",
    log_format: opt.LogFormatOpt = LogFormat.text,
    cassette: net.CassetteOpt = None,
    user_agent: net.UserAgentOpt = None,
    header: net.HeaderOpt = None,
    jobs: opt.JobsOpt = 0,
) -> None:
    """Find embedded posts and links. Touches the network only to fetch a SOURCE given as a URL.

    Example: resolver scan article.html --links short --format table
    """
    set_log_format(log_format)
    cap = opt.max_bytes(max_source_size)
    fetch = UrlFetch(allow_private=allow_private, allow_hosts=tuple(allow_host or ()), timeout=timeout, max_bytes=cap,
                     cassette=cassette, user_agent=user_agent, headers=net.headers_of(header))  # fmt: skip
    reader = SourceReader(
        sources, kind=opt.kind_of(input_format), max_bytes=cap, fetch=fetch, on_error=source_failed,
        walk=progress.reading(quiet=quiet),
    )  # fmt: skip
    unscanned = 0

    def failed(item: Document | UnreadFile, exc: Exception) -> None:
        nonlocal unscanned
        unscanned += 1
        scan_failed(item, exc)

    streams: list[TextIO] = []  # the output, once open: each article's records are flushed when it is done

    def done() -> None:
        for stream in streams:
            stream.flush()

    workers = jobs or auto_jobs()
    findings = scan_each(
        reader.items(files_unread=True),  # each file read and decoded by the process that scans it
        links=links.value,
        whole_page=whole_page,
        on_error=failed,
        on_unreadable=reader.failed_source,
        on_done=done,
        jobs=workers,
    )
    records = (finding.to_dict() for finding in findings)
    count = write_output(output, format_for(format, output), records, opened=streams.append)
    failures = reader.failed + unscanned
    if not quiet and sys.stderr.isatty():
        log("summary", f"{count} records from {len(reader.sources) - failures} sources", records=count)
    raise typer.Exit(EXIT_INPUT if failures else EXIT_OK)
