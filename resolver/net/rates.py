"""Politeness as a rate: so many request starts a second per site (registrable domain), ``--rate``.

Every attempt of every hop asks the run's :class:`RateMeter` before it starts — retries, redirect hops,
platform fetchers, Wayback lookups alike — because a site is hit by all of them. Sites, not hosts: a redirect
chain crosses hosts of one site (``t.co`` → ``bit.ly`` → ``news.example.co.uk`` → ``www.example.co.uk``), and
a site's servers answer for all its hosts. A ``Retry-After`` (or a 429 without one) pauses the site for every
task of the run, not only the one that was told.

Two meters keep the same promise — in any one-second window, at most ``rate + 1`` starts per site:
:class:`LocalRateMeter` within one process (aiolimiter's leaky bucket, one per site, with room for one
request: evenly spaced starts, never a burst), and the cluster run's shared meter in Redis
(``resolver.cluster``), for work spread over several processes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from .. import defaults
from .sites import host_of, site_of

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter


class RateMeter(Protocol):
    """Paces request starts per site. ``acquire`` returns when one request to ``url``'s site may start."""

    async def acquire(self, url: str) -> None: ...

    def pause(self, url: str, seconds: float) -> None:
        """The site asked for a pause (``Retry-After``): no request to it starts for ``seconds``."""
        ...


def site_key(url: str) -> str:
    """The meter's key for a URL: its registrable domain (an address is its own site)."""
    host = host_of(url)
    return site_of(host) if host else ""


def rate_for(site: str, rate: float | None, overrides: Mapping[str, float] | None = None) -> float | None:
    """Request starts a second for ``site``: ``rate`` when given (``--rate``), else the site's documented
    default, else the general one. None or 0: no limit.

    Without ``--rate``, an address that is not public (loopback, a private network: reachable only with
    ``--allow-host`` or ``--allow-private``) gets no default rate: the default protects strangers' sites,
    and those addresses are the user's own machines."""
    if rate is not None:
        return rate or None
    if _own_address(site):
        return None
    table = defaults.SITE_RATES if overrides is None else overrides
    return table.get(site, defaults.RATE)


def _own_address(site: str) -> bool:
    if site in ("localhost",) or site.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(site)
    except ValueError:
        return False
    return not address.is_global


class LocalRateMeter:
    """One process's meter: a leaky bucket per site with room for one request (evenly spaced starts).

    ``rate`` (``--rate``) applies to every site; without it each site gets its default
    (``defaults.SITE_RATES``, else ``defaults.RATE``). A rate of 0 means no limit. ``clock`` and ``sleep``
    are injected so tests can run a meter on a clock of their own.
    """

    def __init__(
        self,
        rate: float | None = None,
        *,
        overrides: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.overrides = overrides
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, AsyncLimiter | None] = {}
        self._paused: dict[str, tuple[float, asyncio.Task[object] | None]] = {}  # site → (until, who was told)

    def _limiter(self, site: str) -> AsyncLimiter | None:
        if site in self._limiters:
            return self._limiters[site]
        limiter = None
        per_second = rate_for(site, self.rate, self.overrides)
        if per_second:
            from aiolimiter import AsyncLimiter  # imported when a first request is metered, not at start-up

            limiter = AsyncLimiter(1, 1.0 / per_second)  # room for one request: evenly spaced, no bursts
        self._limiters[site] = limiter
        return limiter

    async def acquire(self, url: str) -> None:
        site = site_key(url)
        while (paused := self._paused.get(site)) is not None:
            until, told = paused
            wait = until - self._clock()
            if wait <= 0:
                del self._paused[site]
                break
            if told is not None and told is asyncio.current_task():
                break  # the task that was told to wait sleeps through its own retry wait (RetryPolicy)
            await self._sleep(wait)
        limiter = self._limiter(site)
        if limiter is not None:
            await limiter.acquire()

    def pause(self, url: str, seconds: float) -> None:
        if seconds <= 0:
            return
        site = site_key(url)
        until = self._clock() + seconds
        previous = self._paused.get(site)
        if previous is None or until > previous[0]:
            self._paused[site] = (until, asyncio.current_task())


class Unmetered:
    """No rate at all (the meter of a caller's own client, and of ``--rate 0``)."""

    async def acquire(self, url: str) -> None:
        return None

    def pause(self, url: str, seconds: float) -> None:
        return None
