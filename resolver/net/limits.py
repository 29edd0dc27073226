"""Politeness: at most so many requests in flight to one host, whatever the transport (``--per-host``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .. import defaults
from .sites import host_of


@dataclass
class HostLimiter:
    """At most ``per_host`` requests in flight to one host, whatever the transport."""

    per_host: int = defaults.PER_HOST
    _semaphores: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def slot(self, url: str) -> asyncio.Semaphore:
        """``async with limiter.slot(url):`` holds one of the slots of ``url``'s host (the semaphore itself:
        no context-manager generator per request)."""
        host = host_of(url)
        semaphore = self._semaphores.get(host)
        if semaphore is None:
            semaphore = self._semaphores[host] = asyncio.Semaphore(self.per_host)
        return semaphore
