"""The command line: options → reader, client, store → pipeline → output; errors → exit codes.

Exit codes (CONTRACT.md): 0 every item reached a final answer (ok or dead); 1 some item ended in
``error`` or ``blocked``; 2 bad usage or an unreadable source (the other sources are still processed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from . import __version__
from .errors import ResolverError, SourceError
from .models import Document
from .output import Format, open_output, write_records
from .read import expand_sources, read_source
from .scan import LinkFilter, scan

app = typer.Typer(
    name="resolver",
    help=(
        "Find the social posts and shortened links an article cites, and resolve them to canonical URLs "
        "with the posts' metadata.\n\n"
        "SOURCE is a file, a directory (its .html .htm .md .markdown .txt files, recursively), an http(s) "
        "URL of an article, or - for standard input.\n\n"
        "Exit codes: 0 all answers final (ok/dead); 1 some error/blocked; 2 bad usage or unreadable input."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    list[str], typer.Argument(help="Files, directories, article URLs, or - for stdin.", show_default=False)
]
FormatOpt = Annotated[
    FormatChoice | None,
    typer.Option("--format", "-f", help="Output format. Default: table on a terminal, else jsonl "
                 "(with -o: from the file's extension).", show_default=False),
]  # fmt: skip
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write here atomically instead of to stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line.")]
InputOpt = Annotated[
    InputFormat | None,
    typer.Option("--input-format", help="Force the content kind instead of detecting it.", show_default=False),
]
LinksOpt = Annotated[LinksChoice, typer.Option("--links", help="all links, only shortened ones, or none (posts only).")]
WholePageOpt = Annotated[
    bool, typer.Option("--whole-page", help="HTML: also take links in navigation, footers and page furniture.")
]
AllowPrivateOpt = Annotated[
    bool,
    typer.Option("--allow-private", help="Allow loopback, private, link-local and other non-public addresses."),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds per request.", min=0.1)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"resolver {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """resolver: scan articles for cited posts and links, resolve and archive them."""


def _format_for(fmt: FormatChoice | None, output: Path | None) -> Format:
    if fmt is not None:
        return fmt.value
    if output is not None:
        by_suffix: dict[str, Format] = {".json": "json", ".csv": "csv", ".txt": "table"}
        return by_suffix.get(output.suffix.lower(), "jsonl")
    return "table" if sys.stdout.isatty() else "jsonl"


def _error(message: str) -> None:
    typer.echo(f"resolver: error: {message}", err=True)


class SourceReader:
    """Reads every SOURCE in turn, reporting a bad one on stderr and going on; remembers failures."""

    def __init__(self, sources: list[str], input_format: InputFormat | None, *, allow_private: bool = False,
                 timeout: float = 30.0, quiet: bool = False) -> None:  # fmt: skip
        self.sources = list(expand_sources(sources))
        self.kind = input_format.value if input_format else None
        self.allow_private = allow_private
        self.timeout = timeout
        self.quiet = quiet
        self.failed = 0

    def _fetch(self, url: str) -> tuple[bytes, str | None, str]:
        from .net import fetch_article

        try:
            return fetch_article(url, allow_private=self.allow_private, timeout=self.timeout)
        except ResolverError as exc:
            raise SourceError(url, str(exc)) from None
        except Exception as exc:  # network failures of every kind end as one line
            raise SourceError(url, f"could not fetch: {exc or type(exc).__name__}") from None

    def __iter__(self) -> Iterator[Document]:
        for source in _progress(self.sources, quiet=self.quiet, label="reading"):
            try:
                yield read_source(source, kind=self.kind, fetch=self._fetch)  # type: ignore[arg-type]
            except SourceError as exc:
                self.failed += 1
                _error(str(exc))


def _progress(items: list[str], *, quiet: bool, label: str) -> Iterator[str]:
    """A progress bar on stderr, only on a terminal, only for more than a handful of items."""
    if quiet or len(items) < 5 or not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task(label, total=len(items))
        for item in items:
            yield item
            progress.advance(task)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)


@app.command("scan")
def scan_command(
    sources: Sources,
    format: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    input_format: InputOpt = None,
    links: LinksOpt = LinksChoice.all,
    whole_page: WholePageOpt = False,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = 30.0,
) -> None:
    """Find embedded posts and links. Touches the network only to fetch a SOURCE given as a URL.

    Example: resolver scan article.html --links short --format table
    """
    reader = SourceReader(sources, input_format, allow_private=allow_private, timeout=timeout, quiet=quiet)
    fmt = _format_for(format, output)
    link_filter: LinkFilter = links.value

    def records() -> Iterator[dict[str, Any]]:
        for doc in reader:
            try:
                findings = scan(doc, links=link_filter, whole_page=whole_page)
            except Exception as exc:  # a scanner bug on one page must not lose the others
                reader.failed += 1
                _error(f"{doc.source}: could not scan: {type(exc).__name__}: {exc}")
                continue
            yield from (f.to_dict() for f in findings)

    with open_output(str(output) if output else None) as stream:
        count = write_records(records(), fmt, stream)
    if not quiet and sys.stderr.isatty():
        typer.echo(f"resolver: {count} records from {len(reader.sources) - reader.failed} sources", err=True)
    raise typer.Exit(2 if reader.failed else 0)


@app.command("platforms")
def platforms_command() -> None:
    """List the supported platforms with an example post URL each."""
    from .platforms import PLATFORMS

    for platform in PLATFORMS:
        typer.echo(f"{platform.name:10} {platform.example_url}")


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `resolver scan … | head`
        sys.stderr.close()
        raise SystemExit(0) from None


def _unused(stream: TextIO) -> None:  # pragma: no cover - keeps TextIO import for typing readers
    del stream
