"""Which Wayback capture a record cites (``resolver archive --near``): the rule and the moment it aims at.

By default an archived source's record names its newest good capture (``chosen_by: "newest"``). With
``--near article`` it names the good capture nearest the article's own date — the page's ``published``
(its meta tags or JSON-LD, else htmldate), else the run's date — and with ``--near DATE`` the one nearest
that date (``YYYY-MM-DD``, ``YYYYMMDDhhmmss`` or an ISO date-time). A date without a time aims at noon UTC
of that day, so a capture later that day beats one from the evening before.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from ..models import Document

ChosenBy = Literal["newest", "near-article", "near-date", "saved"]
TargetFrom = Literal["article", "run-date", "option"]

_ISO = re.compile(
    r"^\s*(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"^\s*(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2}))?\s*$")


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in time (UTC), and whether only its date is known."""

    when: dt.datetime
    date_only: bool = False

    @property
    def cdx(self) -> str:
        """The 14-digit timestamp CDX's ``closest=`` takes (noon for a bare date)."""
        when = self.when.replace(hour=12, minute=0, second=0) if self.date_only else self.when
        return when.strftime("%Y%m%d%H%M%S")

    @property
    def iso(self) -> str:
        return self.when.strftime("%Y-%m-%d" if self.date_only else "%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text: str | None) -> Moment | None:
    """``2025-03-14``, ``2025-03-14T10:00:00.000Z``, ``2019-11-08T15:30:00-05:00``, ``20250314``,
    ``20250314100000`` → a Moment in UTC (a time without an offset is taken as UTC); anything else → None."""
    if not text:
        return None
    m = _ISO.match(text) or _DIGITS.match(text)
    if m is None:
        return None
    parts = m.groupdict()
    try:
        day = dt.datetime(int(parts["y"]), int(parts["m"]), int(parts["d"]), tzinfo=dt.timezone.utc)
        if parts["H"] is None:
            return Moment(day, date_only=True)
        when = day.replace(hour=int(parts["H"]), minute=int(parts["M"]), second=int(parts["S"] or 0))
    except ValueError:  # 2025-02-30, hour 25: not a date
        return None
    offset = parts.get("tz")
    if offset and offset.upper() != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        when -= sign * dt.timedelta(minutes=minutes)
    return Moment(when)


@dataclass(frozen=True, slots=True)
class Near:
    """The ``--near`` option: the article's date (``moment`` None) or a given moment."""

    moment: Moment | None = None

    @classmethod
    def parse(cls, value: str) -> Near:
        if value.strip().lower() == "article":
            return cls()
        moment = parse_moment(value)
        if moment is None:
            raise ValueError(f"{value!r} is neither 'article' nor a date (YYYY-MM-DD, YYYYMMDDhhmmss, ISO 8601)")
        return cls(moment)


@dataclass(frozen=True, slots=True)
class Target:
    """What one record's capture is chosen nearest to, and why."""

    moment: Moment
    chosen_by: ChosenBy
    target_from: TargetFrom


def target_for(near: Near, article_date: Moment | None, run_date: Moment) -> Target:
    if near.moment is not None:
        return Target(near.moment, "near-date", "option")
    if article_date is not None:
        return Target(article_date, "near-article", "article")
    return Target(run_date, "near-article", "run-date")


def article_date(doc: Document) -> Moment | None:
    """The article's own date: its page's ``published`` (meta tags, JSON-LD, else htmldate). Markdown and
    plain text carry none that is read."""
    if doc.kind != "html":
        return None
    from ..resolve.pages import DATE_SCAN_CHARS, html_date, read_page

    head = doc.text[:DATE_SCAN_CHARS]
    published = (read_page(head, doc.base_url or "").page or {}).get("published")
    # A page may write its date in words ("March 3, 2024"); htmldate reads those as YYYY-MM-DD.
    return parse_moment(published) or parse_moment(html_date(head, doc.base_url))


def run_date(now: float) -> Moment:
    """The run's date (UTC), the target when an article has no date of its own."""
    day = dt.datetime.fromtimestamp(now, tz=dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return Moment(day, date_only=True)
