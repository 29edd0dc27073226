"""Archive the cited sources: Wayback Machine lookups and Save Page Now, a local WARC, and the ledger.

In: resolved records; out: the same records, each with an ``archive`` object (``wayback_url``,
``archived_at``, ``chosen_by``, ``saved``, ``warc``, ``error``). ``ledger`` remembers, between unattended
runs, which articles were done and what each cited source answered (for "newly dead").
"""

from .records import archive_records, cited_url
from .warc import WarcError, WarcRecorder
from .wayback import (
    DEADLINE_REACHED,
    ArchiveError,
    ArchiveOptions,
    Archiver,
    Capture,
    Throttle,
    best_capture,
    nearest_capture,
    parse_cdx,
)

__all__ = [
    "DEADLINE_REACHED",
    "ArchiveError",
    "ArchiveOptions",
    "Archiver",
    "Capture",
    "Throttle",
    "WarcError",
    "WarcRecorder",
    "archive_records",
    "best_capture",
    "cited_url",
    "nearest_capture",
    "parse_cdx",
]
