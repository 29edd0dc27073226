"""The client factory: an ``httpx.AsyncClient`` with an honest User-Agent, redirects off and the address guard.

Clients made by :func:`make_client` send through their transport directly: one hop needs no auth flow, no
redirect loop, no cookie jar, no base URL, and httpx's client layer cost as much CPU per request as aiohttp
itself (benchmarks/bench_resolve.py). Any other client goes through ``client.send``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx

from .. import __version__, defaults
from .bodies import ACCEPT_ENCODING
from .guard import AddressGuard
from .transport import aiohttp_transport

USER_AGENT = f"resolver/{__version__} (+https://pypi.org/project/resolver/)"


@dataclass(frozen=True)
class _Direct:
    transport: httpx.AsyncBaseTransport
    headers: list[tuple[str, str]]
    timeout: dict[str, Any]
    guard: AddressGuard
    seconds: float  # one request as a whole


def make_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_private: bool = False,
    allow_hosts: Iterable[str] = (),
    guard: AddressGuard | None = None,
    concurrency: int = defaults.CONCURRENCY,
    per_host: int = defaults.PER_HOST,
    timeout: float = defaults.TIMEOUT,
    dns: Any = None,
    dns_servers: Sequence[str] | None = None,
    user_agent: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> httpx.AsyncClient:
    """An AsyncClient with an honest User-Agent, redirects off, and the address guard on every request.

    ``guard`` (or ``allow_private`` and ``allow_hosts``, ``--allow-host`` entries) says what may be reached.
    ``timeout`` bounds one request as a whole. ``dns`` (an aiohttp resolver, closed with the client) or
    ``dns_servers`` (``"ip[:port]"``) replace the system's DNS configuration for the default transport.
    ``user_agent`` (``--user-agent``) and ``headers`` (``--header``) go with every request the client sends;
    a header of the same name replaces the default one, and a request's own headers (a fetcher's ``Accept``,
    Save Page Now's ``Authorization``) replace both for that request.
    """
    guard = guard or AddressGuard.from_options(allow_private=allow_private, allow_hosts=allow_hosts)
    if transport is None:
        transport = aiohttp_transport(
            guard,
            concurrency=concurrency,
            per_host=per_host,
            lookup_timeout=min(timeout / 2, defaults.DNS_TIMEOUT),  # well inside the request's own limit
            dns=dns,
            dns_servers=dns_servers,
        )
    standard = [
        ("User-Agent", USER_AGENT),
        ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
        ("Accept-Encoding", ACCEPT_ENCODING),  # only codings whose decoding can be bounded
    ]
    chosen = merge(merge(standard, list(headers)), [("User-Agent", user_agent)] if user_agent else [])
    client = httpx.AsyncClient(
        transport=transport,
        headers=chosen,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )
    # No client-wide cookie jar: cookies set by one stranger's site must not travel with the next link,
    # and httpx's jar costs a urllib request wrapper per response. resolve.py carries cookies within
    # one redirect chain, which is what cookie-checking redirectors need.
    client._cookies = _NoCookies()
    _DIRECT[client] = _Direct(transport, list(client.headers.multi_items()), client.timeout.as_dict(), guard, timeout)
    return client


# Clients made by make_client send through their transport directly: one hop needs no auth flow, no
# redirect loop, no cookie jar, no base URL, and httpx's client layer cost as much CPU per request as
# aiohttp itself (benchmarks/bench_resolve.py). Any other client goes through client.send.
_DIRECT: weakref.WeakKeyDictionary[httpx.AsyncClient, _Direct] = weakref.WeakKeyDictionary()


def request_seconds(client: httpx.AsyncClient) -> float:
    """How long one request of ``client`` may take as a whole."""
    direct = _DIRECT.get(client)
    return direct.seconds if direct is not None else float(client.timeout.read or defaults.TIMEOUT)


def guard_of(client: httpx.AsyncClient, *, allow_private: bool = False) -> AddressGuard:
    """The rules ``client`` was made with; for a client not made by make_client, ``allow_private`` alone."""
    direct = _DIRECT.get(client)
    return direct.guard if direct is not None else _plain_guard(allow_private)


@lru_cache(maxsize=2)
def _plain_guard(allow_private: bool) -> AddressGuard:
    return AddressGuard(allow_private=allow_private)


async def send(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str] | None, content: bytes | None = None
) -> httpx.Response:
    direct = _DIRECT.get(client)
    if direct is None:
        return await client.send(client.build_request(method, url, headers=headers, content=content), stream=True)
    merged = direct.headers if not headers else merge(direct.headers, list(headers.items()))
    request = httpx.Request(method, url, headers=merged, content=content, extensions={"timeout": direct.timeout})
    response = await direct.transport.handle_async_request(request)
    response.request = request
    return response


def merge(base: list[tuple[str, str]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``base`` with ``extra`` added; a name in ``extra`` replaces that name in ``base`` (case-insensitive)."""
    if not extra:
        return base
    replaced = {name.lower() for name, _ in extra}
    return [(n, v) for n, v in base if n.lower() not in replaced] + extra


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None
