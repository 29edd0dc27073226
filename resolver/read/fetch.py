"""Reading an article, a feed or a sitemap given as a URL: one GET, redirects followed, through the net seam."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import urljoin

import httpx

from .. import defaults
from ..errors import BlockedError, FetchError
from ..net import AddressGuard, Budget, Client, Deadline, RetryPolicy, fetch_with_retry, make_client, within

MAX_REDIRECTS = 10


def fetch_article(
    url: str,
    *,
    allow_private: bool = False,
    allow_hosts: Iterable[str] = (),
    guard: AddressGuard | None = None,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    max_bytes: int = 64 * 1024 * 1024,
    deadline: Deadline | None = None,
    user_agent: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> tuple[bytes, str | None, str]:
    """GET an article, feed or sitemap given as a SOURCE, following up to :data:`MAX_REDIRECTS` redirects:
    (body, content type, final URL).

    It goes through the same guard as every request, and through ``transport`` when one is given (so
    ``--cassette`` replays URL sources too). All of it — redirects, retries — gets the item's time
    (:data:`~resolver.defaults.ITEM_TIME` × ``timeout``), and never runs past ``deadline``. ``user_agent``
    and ``headers`` are the run's (``--user-agent``, ``--header``).
    Raises FetchError (BlockedError, NetworkError, …) with a one-line reason.
    """

    async def run() -> tuple[bytes, str | None, str]:
        rules = guard or AddressGuard.from_options(allow_private=allow_private, allow_hosts=allow_hosts)
        async with make_client(
            transport=transport, guard=rules, timeout=timeout, user_agent=user_agent, headers=headers
        ) as client:
            return await fetch_article_with(client, url, timeout=timeout, max_bytes=max_bytes, deadline=deadline)

    return asyncio.run(run())


async def fetch_article_with(
    client: Client,
    url: str,
    *,
    timeout: float = 30.0,
    max_bytes: int = 64 * 1024 * 1024,
    deadline: Deadline | None = None,
) -> tuple[bytes, str | None, str]:
    """``fetch_article`` through a client the caller holds (a run's: its guard, rate meter, connections and
    cassette), in the caller's event loop. Raises FetchError."""
    if deadline is not None and deadline.passed:
        raise FetchError("the run's deadline was reached first")
    item = Budget(defaults.ITEM_TIME * timeout, "one source")

    async def follow() -> tuple[bytes, str | None, str]:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            response = await fetch_with_retry(
                client,
                current,
                policy=RetryPolicy(attempts=3),
                budget=item,
                max_body=max_bytes,
                read_body=lambda r: r.status < 300 or r.status >= 400,
            )
            location = response.headers.get("location")
            if 300 <= response.status < 400 and location:
                current = urljoin(current, location.strip())
                continue
            if response.status >= 400:
                raise FetchError(f"HTTP {response.status}")
            if response.truncated:
                raise BlockedError(f"refused: larger than {max_bytes // 2**20} MiB")
            return response.body, response.headers.get("content-type"), current
        raise BlockedError(f"refused: more than {MAX_REDIRECTS} redirects")

    if deadline is None:
        return await follow()
    try:
        return await within(deadline.remaining(), follow())
    except (TimeoutError, asyncio.TimeoutError):
        raise FetchError("the run's deadline was reached first") from None
