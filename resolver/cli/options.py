"""The options every command shares: sources, formats, output, quiet, links, sizes, logging."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..models import ContentKind
from ..read.files import parse_size
from .log import LogFormat


class FormatChoice(str, Enum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    table = "table"


class InputFormat(str, Enum):
    html = "html"
    markdown = "markdown"
    text = "text"


class LinksChoice(str, Enum):
    all = "all"
    short = "short"
    none = "none"


Sources = Annotated[
    list[str],
    typer.Argument(metavar="SOURCE...", help="Files, directories, article URLs, or - for stdin.", show_default=False),
]
SourcesOrUrls = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[SOURCE]...",
        help="Files, directories, article URLs, or - for stdin (or none, with --urls).",
        show_default=False,
    ),
]
UrlsOpt = Annotated[
    str | None,
    typer.Option(
        "--urls",
        help="Read a list of URLs instead of articles: a CSV file with --column NAME, or one URL a line; - for "
        "stdin. One record per row, in input order, the row's other columns kept under 'row' (CSV output: as "
        "columns); a row without an http(s) URL is a record with status error.",
        metavar="FILE",
        show_default=False,
    ),
]
ColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--column",
        help="With --urls: the CSV column that holds the URL (the file has a header).",
        metavar="NAME",
        show_default=False,
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="With -o (jsonl or csv): continue the file an interrupted run left - its records are kept, their "
        "articles (or rows) skipped, a torn last line cut off, the last article done again, the rest appended.",
    ),
]
FormatOpt = Annotated[
    FormatChoice | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format. Default: table on a terminal, else jsonl (with -o: from the file's extension).",
        show_default=False,
    ),
]
_OUTPUT_HELP = (
    "Write here instead of to stdout: a regular file atomically (temporary file, fsync, rename){}, a device "
    "or FIFO directly. A failed write exits 2."
)
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP.format(""))]
ResumableOutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP.format("; with --resume: continued in place"))
]
ArchiveOutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write here instead of to stdout. jsonl or csv: in place, article by article, each article committed "
        "once its records are in (a file an interrupted run left is continued, a finished run's replaced); json "
        "or a table: atomically (temporary file, fsync, rename); a device or FIFO directly. A failed write exits 2.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line.")]
InputOpt = Annotated[
    InputFormat | None,
    typer.Option("--input-format", help="Force the content kind instead of detecting it.", show_default=False),
]
LinksOpt = Annotated[LinksChoice, typer.Option("--links", help="all links, only shortened ones, or none (posts only).")]
WholePageOpt = Annotated[
    bool, typer.Option("--whole-page", help="HTML: also take links in navigation, footers and page furniture.")
]
JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        max=64,
        help="Worker processes scanning documents side by side (0: one per CPU this process may use, at most 8; "
        "1: none; one document, or an input under 500,000 characters, starts none). The output is "
        "the same, in input order, either way. Default also from the config file (jobs = ...) or RESOLVER_JOBS.",
    ),
]
MaxSourceSizeOpt = Annotated[
    str,
    typer.Option(
        "--max-source-size",
        help="Refuse a source (file, stdin, fetched article) larger than this: bytes, or with K, M, G (powers "
        "of 1024). Only regular files and stdin are read.",
    ),
]
LogFormatOpt = Annotated[
    LogFormat, typer.Option("--log-format", help="stderr lines as text, or as JSON objects (for log collectors).")
]


_KINDS: dict[InputFormat, ContentKind] = {
    InputFormat.html: "html",
    InputFormat.markdown: "markdown",
    InputFormat.text: "text",
}


def kind_of(input_format: InputFormat | None) -> ContentKind | None:
    """``--input-format``: the content kind to read every source as, or None to detect it."""
    return _KINDS[input_format] if input_format else None


def max_bytes(value: str) -> int:
    """``--max-source-size``: 64M, 512K, 1048576 → bytes."""
    try:
        return parse_size(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a size like 64M, 512K or 1048576") from None


def parse_age(value: str | None) -> float | None:
    """ "30d", "12h", "90m", "45s", "2w" or plain seconds → seconds."""
    if value is None:
        return None
    value = value.strip().lower()
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1, "w": 7 * 86400}
    try:
        if value and value[-1] in units:
            return float(value[:-1]) * units[value[-1]]
        return float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an age like 30d, 12h or 3600") from None
