"""The command line: options → reader, client, store → pipeline → output; errors → exit codes.

Exit codes (CONTRACT.md for 0, 1 and 2; the rest are sysexits.h's): 0 every item reached a final answer
(ok or dead); 1 some item ended in ``error`` or ``blocked``, or a source could not be archived — worth
retrying later; 2 bad usage, unreadable input, or a cache or output that could not be used or written (the
other sources are still processed); 70 an internal error (a bug); 75 another run holds the lock (try
later); 130 interrupted; 143 terminated (SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx
import typer

from .. import __version__, defaults
from ..errors import OutputError, ResolverError, SourceError, StoreError
from ..models import Document, Finding, ResolvedRecord
from ..pipeline import RunOptions, Stats
from ..read.files import MAX_SOURCE_BYTES, expand_sources, parse_size, read_source
from ..scan import LinkFilter, iter_scan
from ..store import Freshness, MemoryStore, SQLiteStore, Store
from ..write import Format, open_output, write_bytes, write_records
from .config import LIMITS

T = TypeVar("T")

EXIT_OK = 0
EXIT_RETRY = 1  # some item ended in error or blocked, or a source could not be archived
EXIT_INPUT = 2  # bad usage, unreadable input, an unusable cache, an output that could not be written
EXIT_SOFTWARE = 70  # EX_SOFTWARE: an internal error
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: another run holds the lock
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended

if TYPE_CHECKING:
    from ..archive.near import Target
    from ..net import Client, Deadline

app = typer.Typer(
    name="resolver",
    help=(
        "Find the social posts and shortened links an article cites, and resolve them to canonical URLs "
        "with the posts' metadata.\n\n"
        "SOURCE is a file, a directory (its .html .htm .md .markdown .txt files, recursively), an http(s) "
        "URL of an article, or - for standard input.\n\n"
        "Exit codes: 0 all answers final (ok/dead); 1 some error/blocked or archive error (retry later); "
        "2 bad usage, unreadable input, or a cache or output that could not be used (needs a human); "
        "70 internal error (a bug); 75 another run holds the lock (try later); 130 interrupted; 143 terminated.\n\n"
        "Defaults of the network options (--concurrency, --per-host, --timeout, --retries, --max-hops, "
        "--deadline, --user-agent, --header, --cache, --allow-host, --allow-private) come from, highest first: "
        "the command line; RESOLVER_* environment variables (RESOLVER_PER_HOST=4; RESOLVER_HEADER holds one "
        "header a line); the config file $XDG_CONFIG_HOME/resolver/config.toml (~/.config/resolver/config.toml; "
        "RESOLVER_CONFIG names another), e.g. per-host = 4; the built-in default. A default shown in a "
        "command's --help already includes the file's and the environment's."
    ),
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _src(key: str, note: str = "") -> str:
    """Where this option's default may also come from, for its --help."""
    more = f", {note}" if note else ""
    return f" Default also from the config file ({key} = ...) or RESOLVER_{key.upper().replace('-', '_')}{more}."


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
    typer.Option(
        "--format",
        "-f",
        help="Output format. Default: table on a terminal, else jsonl (with -o: from the file's extension).",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write here instead of to stdout: a regular file atomically (temporary file, fsync, rename), a "
        "device or FIFO directly. A failed write exits 2.",
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
AllowPrivateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private",
        help="Allow loopback, private, link-local and other non-public addresses (all of them; see --allow-host)."
        + _src("allow-private"),
    ),
]


def _check_allow_hosts(values: list[str] | None) -> list[str]:
    from ..net.guard import AllowRule

    for value in values or []:
        try:
            AllowRule.parse(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return values or []


AllowHostOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-host",
        help=(
            "Allow this one non-public host (repeatable): a name (cms.intranet, *.intranet.example), an address "
            "or a network (10.1.2.3, 10.0.0.0/8, [fd00::1]), optionally :PORT."
        )
        + _src("allow-host"),
        callback=_check_allow_hosts,
        metavar="HOST",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout",
        help=(
            "Seconds one request may take in all (connect, headers, body). One item - a link with all its "
            "hops, retries and waits, or one post's metadata - gets 4 times that; a Retry-After longer than "
            "30 s ends the item as error at once."
        )
        + _src("timeout"),
        min=LIMITS["timeout"][0],
    ),
]


def _check_headers(values: list[str] | None) -> list[str]:
    from .config import ConfigError, parse_header

    for value in values or []:
        try:
            parse_header(value)
        except ConfigError as exc:
            raise typer.BadParameter(str(exc)) from None
    return values or []


UserAgentOpt = Annotated[
    str | None,
    typer.Option(
        "--user-agent",
        help=(
            "The User-Agent sent with every request (resolver's own honest one by default; the Wayback Machine "
            "and Common Crawl ask for a contact in it)."
        )
        + _src("user-agent"),
        show_default=False,
    ),
]
HeaderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--header",
        "-H",
        help=(
            "A header sent with every request, 'Name: value' (repeatable; it replaces a default of that name). "
            "It goes to every host, strangers' included: no secrets."
        )
        + _src("header", "one a line"),
        callback=_check_headers,
        show_default=False,
    ),
]


def _headers(values: list[str] | None) -> tuple[tuple[str, str], ...]:
    from .config import parse_header

    return tuple(parse_header(v) for v in values or ())


MaxSourceSizeOpt = Annotated[
    str,
    typer.Option(
        "--max-source-size",
        help="Refuse a source (file, stdin, fetched article) larger than this: bytes, or with K, M, G (powers "
        "of 1024). Only regular files and stdin are read.",
    ),
]


def _max_bytes(value: str) -> int:
    try:
        return parse_size(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a size like 64M, 512K or 1048576") from None


def _write_output(output: Path | None, fmt: Format, records: Iterable[dict[str, Any]]) -> int:
    """Write the records; a write that fails (full disk, closed pipe, …) is one line and exit 2."""
    try:
        with open_output(str(output) if output else None) as stream:
            return write_records(records, fmt, stream)
    except OutputError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"resolver {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """resolver: scan articles for cited posts and links, resolve and archive them."""
    _load_defaults(ctx)


def _load_defaults(ctx: typer.Context) -> None:
    """The config file's settings, overridden by RESOLVER_* variables, as the commands' defaults (the
    command line still wins). A file or variable that cannot be used is one line and exit 2."""
    from .config import ConfigError, config_path, from_environment, load, misspelt_variables

    try:
        values = {**load(config_path()), **from_environment()}
    except ConfigError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    for name, meant in misspelt_variables():
        _warn(f"{name} is not a resolver setting (did you mean {meant}?); it is ignored")
    if values:
        commands = getattr(ctx.command, "commands", {})
        ctx.default_map = {name: dict(values) for name in commands}


def _format_for(fmt: FormatChoice | None, output: Path | None) -> Format:
    if fmt is not None:
        return fmt.value
    if output is not None:
        by_suffix: dict[str, Format] = {".json": "json", ".csv": "csv", ".txt": "table"}
        return by_suffix.get(output.suffix.lower(), "jsonl")
    return "table" if sys.stdout.isatty() else "jsonl"


_LOG_JSON = False


def _log(event: str, message: str, **fields: Any) -> None:
    """One line on stderr: human text, or one JSON object per line with --log-format json."""
    message = " ".join(message.split())  # one line, whatever the message carried
    if _LOG_JSON:
        import json
        import time as _time

        record = {"time": _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime()), "event": event, "message": message}
        line = json.dumps({**record, **fields}, ensure_ascii=False, default=str)
    else:
        line = f"resolver: {message}"
    with contextlib.suppress(OSError, ValueError):  # a closed stderr must not turn a result into a crash
        typer.echo(line, err=True)


def _warn(message: str, **fields: Any) -> None:
    _log("warning", f"warning: {message}", **fields)


def _error(message: str, **fields: Any) -> None:
    _log("error", f"error: {message}", **fields)


class LogFormat(str, Enum):
    text = "text"
    json = "json"


LogFormatOpt = Annotated[
    LogFormat, typer.Option("--log-format", help="stderr lines as text, or as JSON objects (for log collectors).")
]


def _set_log_format(fmt: LogFormat) -> None:
    global _LOG_JSON
    _LOG_JSON = fmt is LogFormat.json


class _LogHandler(logging.Handler):
    """Library log records (asyncio, aiohttp, …) as our one-line stderr lines: no multi-line dumps."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            text = record.getMessage()
            fields: dict[str, Any] = {"logger": record.name, "level": record.levelname.lower()}
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                text = f"{text}: {type(exc).__name__}: {exc}"
                fields["exception"] = type(exc).__name__
            _log("log", f"{record.name}: {text}", **fields)


def _route_diagnostics() -> None:
    """Send warnings, library logging and unraisable exceptions through ``_log`` (idempotent)."""
    import warnings

    root = logging.getLogger()
    if not any(isinstance(h, _LogHandler) for h in root.handlers):
        root.addHandler(_LogHandler(level=logging.WARNING))

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        _log("warning", f"warning: {category.__name__}: {message} ({Path(filename).name}:{lineno})")

    warnings.showwarning = show

    def unraisable(info: Any) -> None:
        exc = info.exc_value
        _log("internal_error", f"internal error (ignored): {type(exc).__name__}: {exc}", exception=type(exc).__name__)

    sys.unraisablehook = unraisable


class SourceReader:
    """Reads every SOURCE in turn, reporting a bad one on stderr and going on; remembers failures."""

    def __init__(
        self,
        sources: list[str],
        input_format: InputFormat | None,
        *,
        allow_private: bool = False,
        timeout: float = 30.0,
        quiet: bool = False,
        max_bytes: int = MAX_SOURCE_BYTES,
        allow_hosts: tuple[str, ...] = (),
        cassette: Path | None = None,
        deadline: Deadline | None = None,
        user_agent: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.sources = list(expand_sources(sources))
        self.user_agent = user_agent
        self.headers = headers
        self.max_bytes = max_bytes
        self.kind = input_format.value if input_format else None
        self.allow_private = allow_private
        self.allow_hosts = allow_hosts
        self.cassette = cassette  # URL sources are replayed too: no request leaves a --cassette run
        self.deadline = deadline
        self.timeout = timeout
        self.quiet = quiet
        self.failed = 0
        self.max_articles = 500  # per feed or sitemap

    def follow(self, settings: NetSettings) -> None:
        """Fetch URL sources the run's way: its allowed hosts, its cassette, its deadline, its headers."""
        self.allow_hosts, self.cassette, self.deadline = settings.allow_hosts, settings.cassette, settings.ends
        self.user_agent, self.headers = settings.user_agent, settings.headers

    def _fetch(self, url: str) -> tuple[bytes, str | None, str]:
        from ..read.fetch import fetch_article

        try:
            return fetch_article(
                url,
                allow_private=self.allow_private,
                allow_hosts=self.allow_hosts,
                timeout=self.timeout,
                transport=_replay(self.cassette),
                deadline=self.deadline,
                max_bytes=self.max_bytes,
                user_agent=self.user_agent,
                headers=self.headers,
            )
        except ResolverError as exc:
            raise SourceError(url, str(exc)) from None
        except Exception as exc:  # network failures of every kind end as one line
            raise SourceError(url, f"could not fetch: {exc or type(exc).__name__}") from None

    def __iter__(self) -> Iterator[Document]:
        from ..read.files import document

        queue = list(self.sources)
        feeds_left = 20  # a sitemap index may list sitemaps; bounded, so a hostile index cannot loop us
        for source in _progress(queue, quiet=self.quiet, label="reading"):
            try:
                if not source.startswith(("http://", "https://")):
                    yield read_source(source, kind=self.kind, fetch=self._fetch, max_bytes=self.max_bytes)  # type: ignore[arg-type]
                    continue
                data, content_type, final_url = self._fetch(source)
                from ..read.feeds import detect, walk  # imported only when a URL is read

                if detect(data, final_url) and feeds_left > 0:
                    feeds_left -= 1
                    problems: list[SourceError] = []  # a sitemap of an index that fails: reported, not fatal
                    entries = walk(data, final_url, self._fetch, on_error=problems.append)[: self.max_articles]
                    for problem in problems:
                        self.failed += 1
                        _error(str(problem), source=problem.source)
                    if not entries:
                        raise SourceError(source, "a feed or sitemap that lists no articles")
                    queue.extend(e for e in entries if e not in queue)
                    self.sources.extend(e for e in entries if e not in self.sources)
                    continue
                yield document(source, data, kind=self.kind, content_type=content_type, base_url=final_url)  # type: ignore[arg-type]
            except SourceError as exc:
                self.failed += 1
                _error(str(exc), source=exc.source)


def _progress(items: list[str], *, quiet: bool, label: str) -> Iterator[str]:
    """A progress bar on stderr, only on a terminal, only for more than a handful of items."""
    if quiet or _LOG_JSON or len(items) < 5 or not sys.stderr.isatty():
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
    allow_host: AllowHostOpt = None,
    timeout: TimeoutOpt = 30.0,
    max_source_size: MaxSourceSizeOpt = "64M",
    log_format: LogFormatOpt = LogFormat.text,
    cassette: CassetteOpt = None,
    user_agent: UserAgentOpt = None,
    header: HeaderOpt = None,
) -> None:
    """Find embedded posts and links. Touches the network only to fetch a SOURCE given as a URL.

    Example: resolver scan article.html --links short --format table
    """
    _set_log_format(log_format)
    reader = SourceReader(
        sources,
        input_format,
        allow_private=allow_private,
        timeout=timeout,
        quiet=quiet,
        max_bytes=_max_bytes(max_source_size),
        allow_hosts=tuple(allow_host or ()),
        cassette=cassette,
        user_agent=user_agent,
        headers=_headers(header),
    )
    fmt = _format_for(format, output)
    link_filter: LinkFilter = links.value

    def records() -> Iterator[dict[str, Any]]:
        for doc in reader:
            try:  # records go out as they are found: a long page is never held whole
                for finding in iter_scan(doc, links=link_filter, whole_page=whole_page):
                    yield finding.to_dict()
            except Exception as exc:  # a scanner bug on one page must not lose the others
                reader.failed += 1
                _error(f"{doc.source}: could not scan: {type(exc).__name__}: {exc}")

    count = _write_output(output, fmt, records())
    if not quiet and sys.stderr.isatty():
        _log("summary", f"{count} records from {len(reader.sources) - reader.failed} sources", records=count)
    raise typer.Exit(EXIT_INPUT if reader.failed else EXIT_OK)


CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="The SQLite cache file. Default: in the user's cache directory." + _src("cache"),
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Keep nothing between runs.")]
ConcurrencyOpt = Annotated[
    int,
    typer.Option(
        "--concurrency",
        help="Requests in flight at once." + _src("concurrency"),
        min=LIMITS["concurrency"][0],
        max=LIMITS["concurrency"][1],
    ),
]
PerHostOpt = Annotated[
    int,
    typer.Option(
        "--per-host",
        help="Requests in flight to one host at once (politeness)." + _src("per-host"),
        min=LIMITS["per_host"][0],
        max=LIMITS["per_host"][1],
    ),
]
MaxHopsOpt = Annotated[
    int,
    typer.Option(
        "--max-hops",
        help="Longest redirect chain followed." + _src("max-hops"),
        min=LIMITS["max_hops"][0],
        max=LIMITS["max_hops"][1],
    ),
]
CassetteOpt = Annotated[
    Path | None,
    typer.Option(
        "--cassette",
        help="Replay HTTP from this vcrpy YAML cassette (a directory: all cassettes in it); touch no network.",
        exists=True,
    ),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        help=(
            "Seconds for the whole run - fetching URL sources, resolving, post metadata, archiving; "
            "unfinished items end as errors."
        )
        + _src("deadline"),
    ),
]
RetriesOpt = Annotated[
    int,
    typer.Option(
        "--retries",
        help="Extra tries for 408, 429, 5xx and network errors." + _src("retries"),
        min=LIMITS["retries"][0],
    ),
]


@dataclass
class NetSettings:
    cache: Path | None
    no_cache: bool
    concurrency: int
    per_host: int
    timeout: float
    max_hops: int
    allow_private: bool
    cassette: Path | None
    deadline: float | None
    retries: int
    quiet: bool
    allow_hosts: tuple[str, ...] = ()
    user_agent: str | None = None  # --user-agent; None: resolver's own
    headers: tuple[tuple[str, str], ...] = ()  # --header, sent with every request

    def __post_init__(self) -> None:
        from ..net import Deadline

        self.ends = Deadline.of(self.deadline)  # counted from the start of the command


@functools.lru_cache(maxsize=4)
def _replay(cassette: Path | None) -> httpx.AsyncBaseTransport | None:
    """The --cassette transport, loaded once and shared by URL sources and the run's client."""
    from ..net.cassette import CassetteTransport

    return CassetteTransport.from_paths(cassette) if cassette is not None else None


def _store(settings: NetSettings) -> SQLiteStore | MemoryStore:
    """The cache (and, for archive runs, the ledger): SQLite on disk, or memory with --no-cache."""
    from ..store import SQLiteStore, default_cache_path

    if settings.no_cache or (settings.cassette is not None and settings.cache is None):
        # Replayed answers are not observations of the web: they never enter the user's real cache.
        return MemoryStore()
    return SQLiteStore(settings.cache or default_cache_path())


@contextlib.asynccontextmanager
async def _network(settings: NetSettings) -> AsyncIterator[Client]:
    """The run's client: replaying a cassette, or live with the address guard."""
    from ..net import make_client

    async with make_client(
        transport=_replay(settings.cassette),
        allow_private=settings.allow_private,
        allow_hosts=settings.allow_hosts,
        concurrency=settings.concurrency,
        per_host=settings.per_host,
        timeout=settings.timeout,
        user_agent=settings.user_agent,
        headers=settings.headers,
    ) as client:
        yield client


def _run_options(
    settings: NetSettings, links: LinkFilter, whole_page: bool, freshness: Freshness | None = None
) -> RunOptions:
    from ..net import HostLimiter, RetryPolicy
    from ..pipeline import RunOptions
    from ..resolve.hops import ResolveOptions

    return RunOptions(
        links=links,
        whole_page=whole_page,
        concurrency=settings.concurrency,
        deadline=settings.ends,
        freshness=freshness or Freshness(),
        resolve=ResolveOptions(
            max_hops=settings.max_hops,
            allow_private=settings.allow_private,
            policy=RetryPolicy(attempts=settings.retries + 1),
            limiter=HostLimiter(per_host=min(settings.per_host, settings.concurrency)),
            item_timeout=defaults.ITEM_TIME * settings.timeout,
        ),
    )


async def _resolve_records(
    client: Client, docs: list[Document], options: RunOptions, store: Store, stats: Stats, quiet: bool
) -> list[ResolvedRecord]:
    from ..pipeline import run

    with _ProgressBar(quiet=quiet) as bar:
        return await run(
            docs,
            client=client,
            store=store,
            options=options,
            progress=bar.update,
            stats=stats,
            on_document_error=_scan_failed,
        )


async def _resolve_run(
    docs: list[Document], settings: NetSettings, links: LinkFilter, whole_page: bool, stats: Stats
) -> tuple[list[ResolvedRecord], StoreError | None]:
    """The records, and the cache's first failure if it had one (reported after the records are out)."""
    store = _store(settings)
    try:
        async with _network(settings) as client:
            options = _run_options(settings, links, whole_page)
            return await _resolve_records(client, docs, options, store, stats, settings.quiet), store.failure
    finally:
        store.close()


def _report_store_failure(failure: StoreError | None) -> None:
    if failure is not None:
        _error(str(failure))
        raise typer.Exit(EXIT_INPUT)


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio's own loop: uvloop was measured (benchmarks/) and did not pay for itself here."""

    async def guarded() -> T:
        asyncio.get_running_loop().set_exception_handler(_loop_exception)
        return await coro

    return asyncio.run(guarded())


def _loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's complaints (an exception nobody retrieved, …) as one line, not a multi-line dump."""
    exc = context.get("exception")
    detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
    _log(
        "internal_error",
        f"internal error (asyncio): {context.get('message', 'unhandled')}{detail}",
        exception=type(exc).__name__ if exc is not None else None,
    )


def _scan_failed(doc: Document, exc: Exception) -> None:
    _error(f"{doc.source}: could not scan: {type(exc).__name__}: {exc}")


class _ProgressBar:
    """Links resolved so far, on stderr, only on a terminal."""

    def __init__(self, *, quiet: bool) -> None:
        self.enabled = not quiet and not _LOG_JSON and sys.stderr.isatty()  # JSON mode: only JSON lines
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("resolving"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_stderr_console(),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("resolving", total=None)
        return self

    def update(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


def _exit_code(records: list[ResolvedRecord], failed_sources: int) -> int:
    if failed_sources:
        return 2
    if any(r.resolution is not None and r.resolution.status in ("error", "blocked") for r in records):
        return 1
    return 0


def _summary(records: list[ResolvedRecord], stats: Stats, quiet: bool) -> None:
    if quiet:
        return
    counts: dict[str, int] = {}
    for r in records:
        status = r.resolution.status if r.resolution else "ok"
        counts[status] = counts.get(status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    _log(
        "summary",
        f"{len(records)} records ({parts or 'none'}); {stats.urls} distinct URLs, "
        f"{stats.fetched} fetched, {stats.from_cache} from cache",
        records=len(records),
        by_status=counts,
        urls=stats.urls,
        fetched=stats.fetched,
        from_cache=stats.from_cache,
    )


@app.command("resolve")
def resolve_command(
    sources: Sources,
    format: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    input_format: InputOpt = None,
    links: LinksOpt = LinksChoice.all,
    whole_page: WholePageOpt = False,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    concurrency: ConcurrencyOpt = defaults.CONCURRENCY,
    per_host: PerHostOpt = defaults.PER_HOST,
    timeout: TimeoutOpt = defaults.TIMEOUT,
    max_hops: MaxHopsOpt = defaults.MAX_HOPS,
    allow_private: AllowPrivateOpt = False,
    allow_host: AllowHostOpt = None,
    cassette: CassetteOpt = None,
    deadline: DeadlineOpt = None,
    retries: RetriesOpt = defaults.RETRIES,
    user_agent: UserAgentOpt = None,
    header: HeaderOpt = None,
    log_format: LogFormatOpt = LogFormat.text,
    max_source_size: MaxSourceSizeOpt = "64M",
) -> None:
    """Scan, then follow every link's redirects and fetch each post's metadata.

    Every answer is cached, so a re-run sends only the new requests.
    Example: resolver resolve article.html --format table
    """
    _set_log_format(log_format)
    settings = NetSettings(
        cache, no_cache, concurrency, per_host, timeout, max_hops, allow_private, cassette, deadline, retries, quiet
    )
    settings.allow_hosts = tuple(allow_host or ())
    settings.user_agent, settings.headers = user_agent, _headers(header)
    reader = SourceReader(
        sources, input_format, allow_private=allow_private, timeout=timeout, quiet=quiet,
        max_bytes=_max_bytes(max_source_size),
    )  # fmt: skip
    reader.follow(settings)
    docs = list(reader)
    stats = Stats()
    try:
        records, failure = _run_async(_resolve_run(docs, settings, links.value, whole_page, stats))
    except ResolverError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    fmt = _format_for(format, output)
    _write_output(output, fmt, (r.to_dict() for r in records))
    _summary(records, stats, quiet)
    _report_store_failure(failure)
    raise typer.Exit(_exit_code(records, reader.failed))


@app.command("rewrite")
def rewrite_command(
    source: Annotated[str, typer.Argument(help="One article: a file, a URL, or - for stdin.", show_default=False)],
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    input_format: InputOpt = None,
    links: Annotated[
        LinksChoice,
        typer.Option("--links", help="Replace shortened links (short), every resolved link (all), or none."),
    ] = LinksChoice.short,
    format: Annotated[
        FormatChoice | None,
        typer.Option(
            "--format", "-f", help="Print the records behind the rewrite in this format instead of the article."
        ),
    ] = None,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    concurrency: ConcurrencyOpt = defaults.CONCURRENCY,
    per_host: PerHostOpt = defaults.PER_HOST,
    timeout: TimeoutOpt = defaults.TIMEOUT,
    max_hops: MaxHopsOpt = defaults.MAX_HOPS,
    allow_private: AllowPrivateOpt = False,
    allow_host: AllowHostOpt = None,
    cassette: CassetteOpt = None,
    deadline: DeadlineOpt = None,
    retries: RetriesOpt = defaults.RETRIES,
    user_agent: UserAgentOpt = None,
    header: HeaderOpt = None,
    max_source_size: MaxSourceSizeOpt = "64M",
    log_format: LogFormatOpt = LogFormat.text,
) -> None:
    """Print the article with every shortened link replaced by its canonical URL, nothing else changed.

    Links that did not resolve stay as they were; the original bytes are kept everywhere else (encoding,
    line endings). Example: resolver rewrite post.md -o post.expanded.md
    """
    from ..write import rewrite

    _set_log_format(log_format)
    settings = NetSettings(
        cache, no_cache, concurrency, per_host, timeout, max_hops, allow_private, cassette, deadline, retries, quiet
    )
    settings.allow_hosts = tuple(allow_host or ())
    settings.user_agent, settings.headers = user_agent, _headers(header)
    reader = SourceReader(
        [source], input_format, allow_private=allow_private, timeout=timeout, quiet=quiet,
        max_bytes=_max_bytes(max_source_size),
    )  # fmt: skip
    reader.follow(settings)
    docs = list(reader)
    if not docs:
        raise typer.Exit(EXIT_INPUT)
    stats = Stats()
    scope: LinkFilter = "all" if links is LinksChoice.all else "short"
    try:
        records, failure = _run_async(_resolve_run(docs, settings, scope, False, stats))
    except ResolverError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    if format is not None:
        _write_output(output, format.value, (r.to_dict() for r in records))
        _summary(records, stats, quiet)
        _report_store_failure(failure)
        raise typer.Exit(_exit_code(records, reader.failed))
    data = rewrite(docs[0], [] if links is LinksChoice.none else records, only_short=links is not LinksChoice.all)
    try:
        write_bytes(str(output) if output else None, data)
    except OutputError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    _summary(records, stats, quiet)
    _report_store_failure(failure)
    raise typer.Exit(_exit_code(records, reader.failed))


def _check_near(value: str | None) -> str | None:
    from ..archive.near import Near

    if value is not None:
        try:
            Near.parse(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


def _parse_age(value: str | None) -> float | None:
    """ "30d", "12h", "90m", "45s" or plain seconds → seconds."""
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


@app.command("archive")
def archive_command(
    sources: Sources,
    format: FormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    input_format: InputOpt = None,
    links: LinksOpt = LinksChoice.all,
    whole_page: WholePageOpt = False,
    save: Annotated[
        bool, typer.Option("--save", help="Ask Save Page Now to capture sources with no (recent) capture.")
    ] = False,
    max_age: Annotated[
        str | None,
        typer.Option("--max-age", help="With --save: re-capture when the newest capture is older (30d, 12h)."),
    ] = None,
    warc: Annotated[
        Path | None, typer.Option("--warc", help="Also write every response fetched for a cited source to this WARC.")
    ] = None,
    no_lookup: Annotated[bool, typer.Option("--no-lookup", help="Do not ask the Wayback Machine.")] = False,
    near: Annotated[
        str | None,
        typer.Option(
            "--near",
            help=(
                "Name the good capture nearest a date instead of the newest: 'article' (the article's own "
                "published date, else the run's date) or a date (YYYY-MM-DD, YYYYMMDDhhmmss, ISO 8601). "
                "archive.chosen_by and archive.target say which rule chose it."
            ),
            metavar="article|DATE",
            callback=_check_near,
        ),
    ] = None,
    all_articles: Annotated[
        bool, typer.Option("--all", help="Process every article, not only new or changed ones.")
    ] = False,
    lock_wait: Annotated[
        float, typer.Option("--lock-wait", help="Seconds to wait for another run's lock before giving up.")
    ] = 10.0,
    recheck: Annotated[
        str, typer.Option("--recheck", help="Re-check a source found ok once its answer is older than this (30d).")
    ] = "30d",
    log_format: LogFormatOpt = LogFormat.text,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    concurrency: ConcurrencyOpt = defaults.CONCURRENCY,
    per_host: PerHostOpt = defaults.PER_HOST,
    timeout: TimeoutOpt = defaults.TIMEOUT,
    max_hops: MaxHopsOpt = defaults.MAX_HOPS,
    allow_private: AllowPrivateOpt = False,
    allow_host: AllowHostOpt = None,
    cassette: CassetteOpt = None,
    deadline: DeadlineOpt = None,
    retries: RetriesOpt = defaults.RETRIES,
    user_agent: UserAgentOpt = None,
    header: HeaderOpt = None,
    max_source_size: MaxSourceSizeOpt = "64M",
) -> None:
    """Resolve, then archive every cited source: Wayback lookup, Save Page Now (--save), a local WARC (--warc).

    Made for cron: SOURCE may also be an RSS/Atom feed or a sitemap URL; the cache remembers articles, so a
    re-run processes only new or changed ones (--all for every one), and re-checks the sources of unchanged
    ones when they are due (--recheck); a source that was ok and is dead now is reported once as newly dead
    (see `resolver report`). An article is marked done only once its records are written. Two runs never
    overlap: the second waits --lock-wait seconds for the first, then exits 75 (try again later).
    Exit codes: 0 all final; 1 some error/blocked/archive error (retried by the next run); 2 needs a human
    (bad input, damaged cache, failed write); 70 internal error; 75 locked.
    Example: resolver archive https://news.example.org/feed.xml --save --max-age 30d -q -o today.jsonl
    """
    _set_log_format(log_format)
    settings = NetSettings(
        cache, no_cache, concurrency, per_host, timeout, max_hops, allow_private, cassette, deadline, retries, quiet
    )
    settings.allow_hosts = tuple(allow_host or ())
    settings.user_agent, settings.headers = user_agent, _headers(header)
    from ..store import LockBusyError, RunLock, default_cache_path

    cache_path = cache or default_cache_path()
    if cache_path.exists() and not cache_path.is_file():  # before the lock: no lock file beside a device
        _error(f"cannot use the cache at {cache_path}: not a regular file")
        raise typer.Exit(EXIT_INPUT)
    lock_path = Path(str(cache_path) + ".lock")
    try:
        with RunLock(lock_path, wait=lock_wait) if not no_cache else contextlib.nullcontext():
            code = _archive_run(
                _parse_age(recheck) or 0.0,
                sources,
                settings,
                input_format,
                links,
                whole_page,
                save,
                _parse_age(max_age),
                warc,
                not no_lookup,
                all_articles,
                format,
                output,
                _max_bytes(max_source_size),
                near,
            )
    except LockBusyError as exc:
        _log("locked", f"{exc}; another run is still working, try again later", exit_code=EXIT_TEMPFAIL)
        raise typer.Exit(EXIT_TEMPFAIL) from None
    except ResolverError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    raise typer.Exit(code)


def _archive_run(
    recheck: float,
    sources: list[str],
    settings: NetSettings,
    input_format: InputFormat | None,
    links: LinksChoice,
    whole_page: bool,
    save: bool,
    max_age: float | None,
    warc: Path | None,
    lookup: bool,
    all_articles: bool,
    fmt_choice: FormatChoice | None,
    output: Path | None,
    max_bytes: int = MAX_SOURCE_BYTES,
    near_option: str | None = None,
) -> int:
    import time as _time

    from ..archive import ledger
    from ..archive.near import Near, article_date, run_date, target_for

    reader = SourceReader(
        sources, input_format, allow_private=settings.allow_private, timeout=settings.timeout, quiet=settings.quiet,
        max_bytes=max_bytes,
    )  # fmt: skip
    reader.follow(settings)
    freshness = Freshness(ok=recheck, dead=min(recheck, Freshness().dead))
    store = _store(settings)
    try:
        docs: list[Document] = []
        digests: dict[str, str] = {}
        rechecks: list[Finding] = []
        order: dict[str, int] = {}  # articles in reading order: re-checked records join their article's place
        unchanged: set[str] = set()
        near = Near.parse(near_option) if near_option else None
        dates = {}  # article → its own date, for --near article (unchanged articles' too: their sources are re-checked)
        for doc in reader:
            order.setdefault(doc.source, len(order))
            if near is not None and near.moment is None:
                dates[doc.source] = article_date(doc)
            digest = ledger.content_hash(doc)
            if not all_articles and store.article_unchanged(doc.source, digest):
                # Not re-scanned; but its sources that are due are re-checked, so link rot under an
                # unchanged article is seen.
                unchanged.add(doc.source)
                rechecks.extend(ledger.finding_from_dict(f) for f in store.due_findings(doc.source, freshness))
                continue
            docs.append(doc)
            digests[doc.source] = digest
        stats = Stats()
        failed_scans: set[str] = set()
        today = run_date(_time.time())
        target = (lambda r: target_for(near, dates.get(r.finding.source), today)) if near is not None else None
        records, repaired, warc_failure = _run_async(
            _archive_async(
                docs, rechecks, settings, links.value, whole_page, stats, store, save, max_age, warc, lookup,
                freshness, failed_scans, target,
            )
        )  # fmt: skip
        if repaired:
            _warn(repaired)
        reader.failed += len(failed_scans)
        flagger = ledger.NewlyDead(store)
        marked = sorted((flagger.flag(r) for r in records), key=lambda r: order.get(r.finding.source, len(order)))
        _write_output(output, _format_for(fmt_choice, output), (r.to_dict() for r in marked))
        # Only now that the records are written is each article done (a kill before this redoes them).
        by_article: dict[str, list[ResolvedRecord]] = {}
        for record in marked:
            by_article.setdefault(record.finding.source, []).append(record)
        with store.batch():  # the output is one file, complete now: all its articles are done at once
            for doc in docs:
                if doc.source not in failed_scans:
                    ledger.commit_article(store, doc.source, digests[doc.source], by_article.get(doc.source, []))
            for article in sorted(unchanged & by_article.keys()):
                ledger.commit_article(store, article, None, by_article[article])
        failure = store.failure
    finally:
        store.close()
    archive_errors = sum(1 for r in marked if (r.extra.get("archive") or {}).get("error"))
    if not settings.quiet or flagger.count or archive_errors:
        _log(
            "summary",
            f"{len(marked)} records from {len(docs)} articles ({len(unchanged)} unchanged, skipped; "
            f"{len(rechecks)} of their sources re-checked); {flagger.count} newly dead; {archive_errors} archive "
            f"errors; {stats.fetched} URLs fetched, {stats.from_cache} from cache",
            records=len(marked),
            articles=len(docs),
            skipped=len(unchanged),
            rechecked=len(rechecks),
            newly_dead=flagger.count,
            archive_errors=archive_errors,
        )
    if failure is not None or warc_failure is not None:
        _error(str(failure or warc_failure))  # a write that failed needs a human: it will not mend itself
        return EXIT_INPUT
    code = _exit_code(marked, reader.failed)
    return EXIT_RETRY if code == EXIT_OK and archive_errors else code


async def _archive_async(
    docs: list[Document],
    rechecks: list[Finding],
    settings: NetSettings,
    links: LinkFilter,
    whole_page: bool,
    stats: Stats,
    store: SQLiteStore | MemoryStore,
    save: bool,
    max_age: float | None,
    warc: Path | None,
    lookup: bool,
    freshness: Freshness,
    failed_scans: set[str],
    target: Callable[[ResolvedRecord], Target | None] | None = None,
) -> tuple[list[ResolvedRecord], str | None, str | None]:
    """The archived records, what the WARC's repair said (if anything) and its write failure (if any)."""
    from ..archive import ArchiveOptions, Archiver, WarcRecorder, archive_records
    from ..pipeline import resolve_findings, scan_documents

    def scan_failed(doc: Document, exc: Exception) -> None:
        failed_scans.add(doc.source)
        _scan_failed(doc, exc)

    async with _network(settings) as client:
        options = _run_options(settings, links, whole_page, freshness)
        findings = [*scan_documents(docs, options, scan_failed), *rechecks]
        with _ProgressBar(quiet=settings.quiet) as bar:
            records = await resolve_findings(
                findings, client=client, store=store, options=options, progress=bar.update, stats=stats
            )
        archiver = Archiver(
            client,
            store,
            ArchiveOptions(lookup=lookup, save=save, max_age=max_age),
            allow_private=settings.allow_private,
        )
        recorder = WarcRecorder(warc, client, allow_private=settings.allow_private, store=store) if warc else None
        try:
            archived = await archive_records(records, archiver, recorder, deadline=settings.ends, target=target)
            if recorder is None:
                return archived, None, None
            return archived, recorder.repaired, recorder.broken
        finally:
            if recorder is not None:
                recorder.close()


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command("report")
def report_command(
    cache: CacheOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Newly dead since this date (YYYY-MM-DD) or age (7d).")
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="table, json or markdown.")
    ] = ReportFormat.table,
    output: OutputOpt = None,
    log_format: LogFormatOpt = LogFormat.text,
) -> None:
    """Summarise what `resolver archive` runs have seen: articles, sources, dead, archived, newly dead."""
    _set_log_format(log_format)
    import datetime as dt
    import json
    import time as _time

    from ..store import SQLiteStore, default_cache_path

    path = cache or default_cache_path()
    if not path.exists():
        _error(f"no cache at {path}: run `resolver archive` first (or give --cache)")
        raise typer.Exit(2)
    since_ts = None
    if since:
        try:
            since_ts = dt.datetime.fromisoformat(since).replace(tzinfo=dt.timezone.utc).timestamp()
        except ValueError:
            age = _parse_age(since)
            since_ts = _time.time() - age if age is not None else None
    try:
        store = SQLiteStore(path, readonly=True)  # reading needs no write access: a read-only copy reports too
        try:
            summary = store.report(since_ts)
        finally:
            store.close()
    except StoreError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    for row in summary["newly_dead"]:
        row["dead_since"] = dt.datetime.fromtimestamp(row["dead_since"], dt.timezone.utc).isoformat(timespec="seconds")
    if format is ReportFormat.json:
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    else:
        text = _report_text(summary, markdown=format is ReportFormat.markdown)
    try:
        write_bytes(str(output) if output else None, text.encode())
    except OutputError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None


def _report_text(summary: dict[str, Any], *, markdown: bool) -> str:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary["by_status"].items())) or "none"
    lines = [
        "# resolver report" if markdown else "resolver report",
        "",
        f"- articles seen: {summary['articles']}",
        f"- cited sources: {summary['sources']} ({statuses}); sightings: {summary['sightings']}",
        f"- archived in the Wayback Machine: {summary['archived']}",
        f"- newly dead: {len(summary['newly_dead'])}",
    ]
    if summary["newly_dead"]:
        lines += ["", "## Newly dead" if markdown else "Newly dead:", ""]
        if markdown:
            lines += ["| source | dead since | archived copy |", "|---|---|---|"]
        for row in summary["newly_dead"]:
            copy = row["wayback_url"] or "(no capture)"
            lines.append(
                f"| {row['source']} | {row['dead_since']} | {copy} |"
                if markdown
                else f"  {row['dead_since']}  {row['source']}  →  {copy}"
            )
    return "\n".join(lines) + "\n"


@app.command("platforms")
def platforms_command() -> None:
    """List the supported platforms: an example post URL each, and the keyless metadata sources tried in order.

    A post's metadata comes from its embed markup first; then each source is asked in turn until one answers
    (a source that fails is skipped; the record is error only if none answered and one failed). A platform
    with no keyless source keeps the markup's fields (post.source "markup").
    """
    from ..platforms import PLATFORMS
    from ..platforms.http import sources_of

    for platform in PLATFORMS:
        sources = " > ".join(sources_of(platform.fetch)) or "none (markup only)"
        typer.echo(f"{platform.name:10} {platform.example_url:64} sources: {sources}")


class _Terminated(BaseException):
    """SIGTERM (systemd's stop, a timeout): unwind like an interrupt, so temporary files are removed."""


def _terminate_cleanly() -> None:
    import signal

    def handler(signum: int, frame: object) -> None:
        raise _Terminated()

    with contextlib.suppress(ValueError, OSError):  # not the main thread, or no such signal here
        signal.signal(signal.SIGTERM, handler)


def main() -> None:
    """The console entry point: every way out is an exit code and at most a line on stderr, never a dump."""
    import itertools

    args = sys.argv[1:]
    if "--log-format=json" in args or ("--log-format", "json") in itertools.pairwise(args):
        _set_log_format(LogFormat.json)  # before parsing, so even a usage error is a JSON line
    _route_diagnostics()
    _terminate_cleanly()
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors: bad options, missing arguments
        if _LOG_JSON:
            _log("usage", f"usage error: {exc.format_message()}", exit_code=exc.exit_code)
        else:
            exc.show()  # type: ignore[attr-defined]
        code = exc.exit_code
    except typer.Abort:
        _log("interrupted", "interrupted")
        code = EXIT_INTERRUPTED
    except _Terminated:
        _log("terminated", "terminated (SIGTERM); nothing half-written was left in place")
        code = EXIT_TERMINATED
    except ResolverError as exc:  # a job-level failure that no command caught: still one line
        _error(str(exc))
        code = EXIT_INPUT
    except BrokenPipeError:  # something printed past the sink: `resolver platforms | head`
        from ..write.files import _silence_stdout

        _silence_stdout()
        _error("cannot write stdout: the reader closed the pipe")
        code = EXIT_INPUT
    except Exception as exc:  # a bug: say what it was in one line, exit 70, no traceback on a cron mail
        _log(
            "internal_error",
            f"internal error: {type(exc).__name__}: {exc} (a bug; please report it)",
            exception=type(exc).__name__,
            exit_code=EXIT_SOFTWARE,
        )
        code = EXIT_SOFTWARE
    raise SystemExit(code if isinstance(code, int) else 0)
