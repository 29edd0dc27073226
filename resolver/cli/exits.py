"""Exit codes: 0, 1 and 2 as CONTRACT.md says; the others from sysexits.h and the shell's conventions.

0 every item reached a final answer (ok or dead); 1 some item ended in ``error`` or ``blocked``, or a source
could not be archived — worth retrying later; 2 bad usage, unreadable input, or a cache or output that could
not be used or written (the other sources are still processed); 70 an internal error (a bug); 75 another
run holds the lock (try later); 130 interrupted; 143 terminated (SIGTERM).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..models import ResolvedRecord

if TYPE_CHECKING:
    from ..pipeline.jobs import Tally

EXIT_OK = 0
EXIT_RETRY = 1  # some item ended in error or blocked, or a source could not be archived
EXIT_INPUT = 2  # bad usage, unreadable input, an unusable cache, an output that could not be written
EXIT_SOFTWARE = 70  # EX_SOFTWARE: an internal error
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: another run holds the lock
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended


def exit_code(records: Iterable[ResolvedRecord], failed_sources: int) -> int:
    """2 when a source could not be read (a human must look); else 1 when an item is worth retrying; else 0."""
    if failed_sources:
        return EXIT_INPUT
    if any(r.resolution is not None and r.resolution.status in ("error", "blocked") for r in records):
        return EXIT_RETRY
    return EXIT_OK


def exit_code_of(tally: Tally, failed_sources: int) -> int:
    """The same rule, from a streamed run's counts."""
    if failed_sources:
        return EXIT_INPUT
    return EXIT_RETRY if tally.worth_retrying else EXIT_OK
