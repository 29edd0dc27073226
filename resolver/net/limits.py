"""Politeness: at most so many requests in flight to one host, whatever the transport (``--per-host``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import defaults


@dataclass
class HostLimiter:
    """At most ``per_host`` requests in flight to one host, whatever the transport."""

    per_host: int = defaults.PER_HOST
    _semaphores: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = _host(url)
        semaphore = self._semaphores.get(host)
        if semaphore is None:
            semaphore = self._semaphores[host] = asyncio.Semaphore(self.per_host)
        async with semaphore:
            yield


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
