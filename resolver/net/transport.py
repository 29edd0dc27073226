"""The default transport: httpx-aiohttp (the httpx transport interface at aiohttp's cost), guarded.

The plain httpcore pool spends most of its time in CPU and opens a connection per request under load; an
aiohttp connector keeps connections and limits them overall and per host. The address guard is applied
inside it twice (see :mod:`resolver.net.guard`): to every DNS answer and to every socket's address at
connect time. DNS is asynchronous (c-ares through aiodns): a hanging lookup holds no thread, and each one
is bounded in time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from .guard import AddressGuard, ConnectGuard

DEFAULT_DNS_SERVERS: Sequence[str] | None = None  # None: the system's resolv.conf (tests point it at loopback)


def aiohttp_transport(
    guard: AddressGuard,
    *,
    concurrency: int,
    per_host: int,
    lookup_timeout: float,
    dns: Any = None,
    dns_servers: Sequence[str] | None = None,
) -> httpx.AsyncBaseTransport:
    """An httpx transport over one aiohttp session (made at the first request), the guard on its DNS
    answers and sockets. ``dns`` (an aiohttp resolver) or ``dns_servers`` (``"ip[:port]"``) replace the
    system's DNS configuration; the resolver is closed with the transport."""
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    class GuardedTransport(AiohttpTransport):
        """Closes the DNS resolver with the session: aiohttp leaves a resolver it was given open, and
        c-ares would then report an abandoned lookup to an event loop that no longer exists."""

        resolver: Any = None

        async def aclose(self) -> None:
            await super().aclose()
            if self.resolver is not None:
                await self.resolver.close()
                self.resolver = None

    connect_guard = ConnectGuard(guard)

    def session() -> aiohttp.ClientSession:
        inner = dns if dns is not None else _dns_resolver(dns_servers, lookup_timeout)
        transport.resolver = connect_guard.resolver(inner, lookup_timeout=lookup_timeout)
        connector = aiohttp.TCPConnector(
            limit=concurrency,
            limit_per_host=per_host,
            ttl_dns_cache=300,
            resolver=transport.resolver,
            socket_factory=None if guard.allow_private else connect_guard.socket_factory,
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    transport = GuardedTransport(client=session)
    return transport


def _dns_resolver(servers: Sequence[str] | None, lookup_timeout: float) -> Any:
    """c-ares (aiodns) when installed: lookups hold no thread and can be abandoned. Otherwise the
    thread-pool resolver, each lookup still bounded by the guard's wrapper."""
    from aiohttp.resolver import ThreadedResolver

    servers = servers if servers is not None else DEFAULT_DNS_SERVERS
    try:
        from aiohttp.resolver import AsyncResolver

        options: dict[str, Any] = {"timeout": max(0.1, lookup_timeout / 2), "tries": 2}
        if servers is not None:
            options["nameservers"] = list(servers)
        return AsyncResolver(**options)
    except (ImportError, RuntimeError):  # aiodns missing
        return ThreadedResolver()
