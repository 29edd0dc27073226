"""The options of ``archive`` (what to archive, how, how often to look again) and of ``report``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


def _check_near(value: str | None) -> str | None:
    from ..archive.near import Near

    if value is not None:
        try:
            Near.parse(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


SaveOpt = Annotated[bool, typer.Option("--save", help="Ask Save Page Now to capture sources with no (recent) capture.")]
MaxAgeOpt = Annotated[
    str | None,
    typer.Option("--max-age", help="With --save: re-capture when the newest capture is older (30d, 12h)."),
]
WarcOpt = Annotated[
    Path | None, typer.Option("--warc", help="Also write every response fetched for a cited source to this WARC.")
]
NoLookupOpt = Annotated[bool, typer.Option("--no-lookup", help="Do not ask the Wayback Machine.")]
NearOpt = Annotated[
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
]
AllArticlesOpt = Annotated[bool, typer.Option("--all", help="Process every article, not only new or changed ones.")]
LockWaitOpt = Annotated[
    float, typer.Option("--lock-wait", help="Seconds to wait for another run's lock before giving up.")
]
RecheckOpt = Annotated[
    str, typer.Option("--recheck", help="Re-check a source found ok once its answer is older than this (30d).")
]


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


SinceOpt = Annotated[str | None, typer.Option("--since", help="Newly dead since this date (YYYY-MM-DD) or age (7d).")]
ReportFormatOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="table, json or markdown.")]


def since_timestamp(value: str | None) -> float | None:
    """``--since``: a date (YYYY-MM-DD, ISO 8601; UTC) or an age back from now (7d) → seconds since the epoch."""
    import datetime as dt
    import time

    from .options import parse_age

    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc).timestamp()
    except ValueError:
        age = parse_age(value)
        return time.time() - age if age is not None else None
