"""Time limits: the run's :class:`Deadline`, one item's :class:`Budget`, and :func:`within`."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import FetchError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment on the monotonic clock (the one asyncio's loop uses) by which something must be done."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    @classmethod
    def of(cls, value: Deadline | float | None) -> Deadline | None:
        """A Deadline from seconds-from-now, or the Deadline itself; None stays None (no limit)."""
        return cls.after(value) if isinstance(value, (int, float)) else value

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at


@dataclass
class Budget:
    """The seconds one item may spend on the network — every request and every retry wait, together.

    Time spent queued for a politeness slot (``--per-host``) is not counted: a link is not to blame for
    the links ahead of it on the same host. The run as a whole is bounded by its :class:`Deadline`."""

    total: float
    what: str = "one link"
    spent: float = 0.0

    def remaining(self) -> float:
        return max(0.0, self.total - self.spent)

    def used_up(self) -> ItemTimeUp:
        return ItemTimeUp(f"gave up after {self.total:g} s (the time {self.what} may take)")


class ItemTimeUp(FetchError):
    """The item's :class:`Budget` is spent: its last request was cut short, or no wait fits any more."""


async def within(seconds: float, work: Awaitable[T]) -> T:
    """``work``, cancelled with TimeoutError after ``seconds`` (no extra task on Python 3.11+)."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, timeout=seconds)  # pragma: no cover
