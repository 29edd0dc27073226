"""The store: every answer kept between runs, and the ledger of unattended runs.

In: answers (resolutions, post metadata, Wayback lookups) and what archive runs saw; out: the same, with their
age, so each caller decides what is still fresh. ``Store`` and ``Ledger`` are protocols; ``SQLiteStore`` is the
embedded default, ``MemoryStore`` forgets when the process ends; ``RunLock`` keeps two runs apart.
"""

from .base import FINAL, STORED_AT, Clock, Freshness, Ledger, Sighting, Store, default_cache_path, wall_clock
from .lock import LockBusyError, RunLock
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = [
    "FINAL",
    "STORED_AT",
    "Clock",
    "Freshness",
    "Ledger",
    "LockBusyError",
    "MemoryStore",
    "RunLock",
    "SQLiteStore",
    "Sighting",
    "Store",
    "default_cache_path",
    "wall_clock",
]
