"""The only module that speaks HTTP: the client factory, the address guard, one hop, the retry policy.

* The client is an ``httpx.AsyncClient``; its transport is injected (tests and ``--cassette`` replay, users
  may bring their own). The default transport is httpx-aiohttp: the httpx API at aiohttp's cost (the
  plain httpcore pool spends most of its time in CPU and opens a connection per request under load).
* The address guard refuses non-public addresses *after DNS resolution, at connect time*: the aiohttp
  connector's resolver drops them, so a host that rebinds to 127.0.0.1 between two lookups cannot slip
  past. IP-literal hosts skip DNS, so they are checked before the request.
* One hop = one request with redirects off, its body streamed and capped.
* Retrying wraps one hop (tenacity): transport errors, 408, 429, 5xx; exponential backoff with jitter;
  ``Retry-After`` honoured up to a cap; ``sleep`` injected so tests never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import random
import socket
import sys
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

from . import __version__, defaults
from .errors import BlockedError

USER_AGENT = f"resolver/{__version__} (+https://pypi.org/project/resolver/)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
PRIVATE_REFUSAL = "refused: non-public address"
Sleep = Callable[[float], Awaitable[None]]


# --- the address guard --------------------------------------------------------------------------------


def is_public_ip(address: str) -> bool:
    """True only for globally routable unicast addresses (IPv4-mapped IPv6 judged by its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip.teredo is not None:
            ip = ip.teredo[1]
    return bool(ip.is_global) and not ip.is_multicast and not ip.is_reserved


def literal_ip(host: str) -> str | None:
    """The address an IP-literal host names, in any spelling inet_aton accepts (2130706433, 0x7f.1)."""
    host = host.strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host.replace(".", "").replace("x", "").replace("X", "").isalnum() and not any(
        c.isalpha() and c.lower() not in "abcdefx" for c in host
    ):
        with contextlib.suppress(OSError):
            return socket.inet_ntoa(socket.inet_aton(host))
    return None


@lru_cache(maxsize=4096)
def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def check_url_allowed(url: str, *, allow_private: bool) -> None:
    """Scheme and IP-literal checks made before any request. DNS names are checked at connect time."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise BlockedError(f"refused: only http and https are followed, not {scheme or url}")
    if allow_private:
        return
    host = _host(url)
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        raise BlockedError(f"{PRIVATE_REFUSAL} ({host})")
    ip = literal_ip(host)
    if ip is not None and not is_public_ip(ip):
        raise BlockedError(f"{PRIVATE_REFUSAL} ({host} is {ip})")


def _public_resolver() -> Any:
    from aiohttp.abc import AbstractResolver
    from aiohttp.resolver import DefaultResolver

    class PublicOnlyResolver(AbstractResolver):
        """Resolves through aiohttp's resolver, then drops every non-public address."""

        def __init__(self) -> None:
            self._inner = DefaultResolver()

        async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
            results = await self._inner.resolve(host, port, family)
            public = [r for r in results if is_public_ip(r["host"])]
            if not public:
                addresses = ", ".join(sorted({r["host"] for r in results}))
                raise OSError(f"{PRIVATE_REFUSAL} ({host} resolves to {addresses})")
            return public

        async def close(self) -> None:
            await self._inner.close()

    return PublicOnlyResolver()


def make_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_private: bool = False,
    concurrency: int = defaults.CONCURRENCY,
    per_host: int = defaults.PER_HOST,
    timeout: float = defaults.TIMEOUT,
) -> httpx.AsyncClient:
    """An AsyncClient with an honest User-Agent, redirects off, and the address guard at connect time."""
    if transport is None:
        transport = _aiohttp_transport(allow_private=allow_private, concurrency=concurrency, per_host=per_host)
    client = httpx.AsyncClient(
        transport=transport,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )
    # No client-wide cookie jar: cookies set by one stranger's site must not travel with the next link,
    # and httpx's jar costs a urllib request wrapper per response. resolve.py carries cookies within
    # one redirect chain, which is what cookie-checking redirectors need.
    client._cookies = _NoCookies()
    _DIRECT[client] = (transport, list(client.headers.multi_items()), client.timeout.as_dict())
    return client


# Clients made by make_client send through their transport directly: one hop needs no auth flow, no
# redirect loop, no cookie jar, no base URL, and httpx's client layer cost as much CPU per request as
# aiohttp itself (benchmarks/bench_resolve.py). Any other client goes through client.send.
_DIRECT: weakref.WeakKeyDictionary[
    httpx.AsyncClient, tuple[httpx.AsyncBaseTransport, list[tuple[str, str]], dict[str, Any]]
] = weakref.WeakKeyDictionary()


async def _send(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str] | None, content: bytes | None = None
) -> httpx.Response:
    direct = _DIRECT.get(client)
    if direct is None:
        return await client.send(client.build_request(method, url, headers=headers, content=content), stream=True)
    transport, default_headers, timeout = direct
    merged = default_headers if not headers else [*default_headers, *headers.items()]
    request = httpx.Request(method, url, headers=merged, content=content, extensions={"timeout": timeout})
    response = await transport.handle_async_request(request)
    response.request = request
    return response


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def _aiohttp_transport(*, allow_private: bool, concurrency: int, per_host: int) -> httpx.AsyncBaseTransport:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=concurrency,
            limit_per_host=per_host,
            ttl_dns_cache=300,
            resolver=None if allow_private else _public_resolver(),
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    transport: httpx.AsyncBaseTransport = AiohttpTransport(client=session)
    return transport


def private_refusal(exc: BaseException) -> str | None:
    """The guard's refusal message, wherever the transport wrapped it (aiohttp keeps it in ``os_error``)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if PRIVATE_REFUSAL in str(current):
            text = str(current)
            return text[text.index(PRIVATE_REFUSAL) :].splitlines()[0].rstrip("]")
        stack += [current.__cause__, current.__context__, getattr(current, "os_error", None)]
    return None


# --- one hop --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HopResponse:
    """What one request answered: status, headers, and at most ``max_body`` bytes of its body."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes = b""
    truncated: bool = False
    request_headers: httpx.Headers | None = None  # what was sent (for WARC request records)
    reason: str = ""

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()

    def text(self) -> str:
        charset = "utf-8"
        ctype = self.headers.get("content-type", "")
        if "charset=" in ctype.lower():
            charset = ctype.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'") or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class RetryableStatus(Exception):
    """An answer worth asking again (408, 429, 5xx); carries the response for the final report."""

    def __init__(self, response: HopResponse) -> None:
        super().__init__(f"HTTP {response.status}")
        self.response = response


async def fetch_once(
    client: httpx.AsyncClient,
    url: str,
    *,
    method: str = "GET",
    max_body: int = 262_144,
    read_body: Callable[[HopResponse], bool] | None = None,
    allow_private: bool = False,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> HopResponse:
    """One request under an overall deadline: a server trickling bytes cannot hold a hop open forever.

    The deadline is twice the client's read timeout, for connect, headers and the capped body together.
    """
    deadline = 2 * (client.timeout.read or 15.0)
    work = _fetch_once(
        client,
        url,
        method=method,
        max_body=max_body,
        read_body=read_body,
        allow_private=allow_private,
        headers=headers,
        content=content,
    )
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(deadline):  # no extra task per request, unlike wait_for
                return await work
        return await asyncio.wait_for(work, timeout=deadline)
    except asyncio.TimeoutError:
        raise httpx.ReadTimeout(f"no complete answer from {url} within {deadline:g} s") from None


async def _fetch_once(
    client: httpx.AsyncClient,
    url: str,
    *,
    method: str = "GET",
    max_body: int = 262_144,
    read_body: Callable[[HopResponse], bool] | None = None,
    allow_private: bool = False,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> HopResponse:
    """One request, redirects off. Reads the body only if ``read_body`` says so, and never past the cap."""
    check_url_allowed(url, allow_private=allow_private)
    try:
        response = await _send(client, method, url, headers, content)
    except httpx.TransportError as exc:
        if refusal := private_refusal(exc):
            raise BlockedError(refusal) from None
        raise
    try:
        sent = response.request.headers if response.request is not None else None
        head = HopResponse(
            url, response.status_code, response.headers, request_headers=sent, reason=response.reason_phrase
        )
        if read_body is None or not read_body(head):
            return head
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body * 64:
            return replace(head, truncated=True)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= max_body:
                break
        body = b"".join(chunks)
        return replace(head, body=body[:max_body], truncated=size >= max_body)
    finally:
        await response.aclose()


# --- retrying -------------------------------------------------------------------------------------------


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date), or Mastodon's ISO ``x-ratelimit-reset``, in seconds."""
    value = headers.get("retry-after")
    now = time.time() if now is None else now
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        with contextlib.suppress(TypeError, ValueError):
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-ratelimit-reset")
    if reset:
        import datetime as dt

        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(reset.replace("Z", "+00:00"))
            return max(0.0, when.timestamp() - now)
    return None


@dataclass
class RetryPolicy:
    """How hard to try one hop. Data, so the CLI, tests and the benchmark can each set it."""

    attempts: int = defaults.RETRIES + 1
    initial_wait: float = 0.5
    max_wait: float = 8.0
    max_retry_after: float = 30.0
    deadline: float | None = None  # seconds for one hop including its retries
    sleep: Sleep = asyncio.sleep

    def wait_seconds(self, exc: BaseException | None, attempt_number: int) -> float:
        """How long to wait after failed attempt ``attempt_number`` (1-based)."""
        if isinstance(exc, RetryableStatus):
            hinted = retry_after_seconds(exc.response.headers)
            if hinted is not None:
                return min(hinted, self.max_retry_after)
        exponential = self.initial_wait * 2.0 ** max(0, attempt_number - 1)
        return min(self.max_wait, exponential + random.uniform(0, self.initial_wait))

    def retrying(self, *, already_tried: int = 0) -> AsyncRetrying:
        """The tenacity loop for the attempts left after ``already_tried`` ones."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_seconds(exc, state.attempt_number + already_tried)

        stop: Any = stop_after_attempt(max(1, self.attempts - already_tried))
        if self.deadline is not None:
            stop = stop | stop_after_delay(self.deadline)
        return AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            wait=wait,
            stop=stop,
            sleep=self.sleep,
            reraise=True,
        )


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, BlockedError):
        return False
    return isinstance(exc, (RetryableStatus, httpx.TransportError))


async def fetch_with_retry(client: httpx.AsyncClient, url: str, *, policy: RetryPolicy, **kwargs: Any) -> HopResponse:
    """``fetch_once`` under the retry policy. After the last try a retryable status is returned as is.

    The first attempt runs outside tenacity: almost every hop succeeds at once, and tenacity's per-attempt
    machinery is measurable at thousands of hops a second. Failures go on in tenacity's loop.
    """
    try:
        response = await fetch_once(client, url, **kwargs)
        if response.status not in RETRY_STATUSES:
            return response
        failure: BaseException = RetryableStatus(response)
    except Exception as exc:
        if not _is_retryable(exc):
            raise
        failure = exc
    if policy.attempts <= 1:
        if isinstance(failure, RetryableStatus):
            return failure.response
        raise failure
    await policy.sleep(policy.wait_seconds(failure, 1))
    try:
        async for attempt in policy.retrying(already_tried=1):
            with attempt:
                response = await fetch_once(client, url, **kwargs)
                if response.status in RETRY_STATUSES:
                    raise RetryableStatus(response)
                return response
    except RetryableStatus as exc:
        return exc.response
    raise AssertionError("unreachable")  # pragma: no cover


# --- politeness -----------------------------------------------------------------------------------------


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


# --- article sources ------------------------------------------------------------------------------------


def fetch_article(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    max_bytes: int = 64 * 1024 * 1024,
) -> tuple[bytes, str | None, str]:
    """GET an article given as a SOURCE, following up to 10 redirects: (body, content type, final URL)."""

    async def run() -> tuple[bytes, str | None, str]:
        async with make_client(transport=transport, allow_private=allow_private, timeout=timeout) as client:
            current = url
            for _ in range(11):
                policy = RetryPolicy(attempts=3)
                response = await fetch_with_retry(
                    client,
                    current,
                    policy=policy,
                    max_body=max_bytes,
                    allow_private=allow_private,
                    read_body=lambda r: r.status < 300 or r.status >= 400,
                )
                location = response.headers.get("location")
                if 300 <= response.status < 400 and location:
                    current = str(httpx.URL(current).join(location))
                    continue
                if response.status >= 400:
                    raise OSError(f"HTTP {response.status}")
                if response.truncated:
                    raise OSError(f"larger than {max_bytes // 2**20} MiB")
                return response.body, response.headers.get("content-type"), current
            raise OSError("too many redirects")

    return asyncio.run(run())
