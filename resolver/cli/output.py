"""What a command writes: the records or the article (a failed write is one line and exit 2), the summary line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import typer

from ..errors import OutputError
from ..write import Format, open_output, write_bytes, write_records
from .exits import EXIT_INPUT
from .log import error, log
from .options import FormatChoice

if TYPE_CHECKING:
    from ..models import ResolvedRecord
    from ..pipeline import Stats
    from ..pipeline.archive_job import ArchiveOutcome
    from ..pipeline.jobs import Tally


def fail(message: str, code: int = EXIT_INPUT, **fields: Any) -> NoReturn:
    """One error line, then exit (2 unless told: it needs a human)."""
    error(message, **fields)
    raise typer.Exit(code)


def format_for(fmt: FormatChoice | None, output: Path | None) -> Format:
    """The format asked for; else from the output file's suffix; else a table on a terminal, JSON lines in a pipe."""
    if fmt is not None:
        return fmt.value
    if output is not None:
        by_suffix: dict[str, Format] = {".json": "json", ".csv": "csv", ".txt": "table"}
        return by_suffix.get(output.suffix.lower(), "jsonl")
    return "table" if sys.stdout.isatty() else "jsonl"


def write_output(
    output: Path | None,
    fmt: Format,
    records: Iterable[dict[str, Any]],
    *,
    opened: Callable[[TextIO], None] = lambda _: None,
) -> int:
    """Write the records; a write that fails (full disk, closed pipe, …) is one line and exit 2. ``opened``
    is given the stream once it is open (whoever makes the records may flush it between them)."""
    try:
        with open_output(str(output) if output else None) as stream:
            opened(stream)
            return write_records(records, fmt, stream)
    except OutputError as exc:
        fail(str(exc))


def write_text(output: Path | None, data: bytes) -> None:
    """Write an article or a report as it is; a failed write is one line and exit 2."""
    try:
        write_bytes(str(output) if output else None, data)
    except OutputError as exc:
        fail(str(exc))


def resolve_summary(records: list[ResolvedRecord], stats: Stats, quiet: bool) -> None:
    """``resolver: 9 records (1 dead, 8 ok); 7 distinct URLs, 7 fetched, 0 from cache`` (not with -q)."""
    from ..pipeline.jobs import Tally

    tally = Tally()
    tally.add(records)
    stream_summary(tally, stats, quiet)


def stream_summary(tally: Tally, stats: Stats, quiet: bool, *, kept: int = 0) -> None:
    """The same line from a streamed run's counts; ``…; 120 already in the output`` when it continued one."""
    if quiet:
        return
    counts = tally.by_status
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    resumed = f"; {kept} already in the output" if kept else ""
    log(
        "summary",
        f"{tally.records} records ({parts or 'none'}); {stats.urls} distinct URLs, "
        f"{stats.fetched} fetched, {stats.from_cache} from cache{resumed}",
        records=tally.records,
        by_status=dict(counts),
        urls=stats.urls,
        fetched=stats.fetched,
        from_cache=stats.from_cache,
        **({"kept": kept} if kept else {}),
    )


def archive_summary(outcome: ArchiveOutcome, tally: Tally, quiet: bool) -> None:
    """What an archive run did, in one line: with -q too when something is newly dead or failed to archive."""
    if quiet and not outcome.newly_dead and not outcome.archive_errors:
        return
    rows = f" and {outcome.rows} rows" if outcome.rows else ""
    earlier = outcome.kept + outcome.delivered_before
    resumed = f"; {earlier} already in the output" if earlier else ""
    log(
        "summary",
        f"{tally.records} records from {outcome.articles} articles{rows} ({outcome.unchanged} unchanged, skipped; "
        f"{outcome.rechecked} of their sources re-checked); {outcome.newly_dead} newly dead; "
        f"{outcome.archive_errors} archive errors; {outcome.stats.fetched} URLs fetched, "
        f"{outcome.stats.from_cache} from cache{resumed}",
        records=tally.records,
        articles=outcome.articles,
        skipped=outcome.unchanged,
        rechecked=outcome.rechecked,
        newly_dead=outcome.newly_dead,
        archive_errors=outcome.archive_errors,
        **({"rows": outcome.rows} if outcome.rows else {}),
        **({"kept": earlier} if earlier else {}),
    )
