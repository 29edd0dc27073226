"""The only module that speaks HTTP: the client factory, one hop, the retry policy, time limits.

* The client is an ``httpx.AsyncClient``; its transport is injected (tests and ``--cassette`` replay, users
  may bring their own). The default transport is httpx-aiohttp: the httpx API at aiohttp's cost (the
  plain httpcore pool spends most of its time in CPU and opens a connection per request under load).
* Every request is judged by the client's :class:`~resolver.guard.AddressGuard` on the URL as a browser
  parses it, and sent to exactly that URL; with the aiohttp transport the guard judges again every DNS
  answer and every socket's address at connect time (see :mod:`resolver.guard`).
* DNS is asynchronous (c-ares through aiodns): a hanging lookup holds no thread, and each is bounded.
* One hop = one request with redirects off, under one time limit (connect, headers and body together),
  its body streamed and capped by its *decoded* size (:mod:`resolver.bodies`).
* Retrying wraps one hop (tenacity): transport errors, 408, 429, 5xx; exponential backoff with jitter;
  ``Retry-After`` honoured up to a cap, and a longer one ends the item at once (:class:`RetryLater`);
  every request and wait is paid from the item's :class:`Budget`; ``sleep`` injected so tests never wait.
* A failure is one line naming its real cause (:class:`~resolver.errors.NetworkError`): refused, reset,
  DNS, TLS, malformed answer, timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import sys
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from .. import __version__, defaults
from ..errors import BlockedError, FetchError, NetworkError, RetryLater
from .bodies import ACCEPT_ENCODING, Inflater
from .guard import PRIVATE_REFUSAL, AddressGuard, ConnectGuard, Target, is_public_ip, refusal_in

__all__ = [
    "PRIVATE_REFUSAL",
    "AddressGuard",
    "Budget",
    "Deadline",
    "HopResponse",
    "HostLimiter",
    "RetryPolicy",
    "fetch_article",
    "fetch_once",
    "fetch_with_retry",
    "is_public_ip",
    "make_client",
]

USER_AGENT = f"resolver/{__version__} (+https://pypi.org/project/resolver/)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


# --- time -----------------------------------------------------------------------------------------------


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


# --- the client -----------------------------------------------------------------------------------------


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
        transport = _aiohttp_transport(
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
    chosen = _merge(_merge(standard, list(headers)), [("User-Agent", user_agent)] if user_agent else [])
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


async def _send(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str] | None, content: bytes | None = None
) -> httpx.Response:
    direct = _DIRECT.get(client)
    if direct is None:
        return await client.send(client.build_request(method, url, headers=headers, content=content), stream=True)
    merged = direct.headers if not headers else _merge(direct.headers, list(headers.items()))
    request = httpx.Request(method, url, headers=merged, content=content, extensions={"timeout": direct.timeout})
    response = await direct.transport.handle_async_request(request)
    response.request = request
    return response


def _merge(base: list[tuple[str, str]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``base`` with ``extra`` added; a name in ``extra`` replaces that name in ``base`` (case-insensitive)."""
    if not extra:
        return base
    replaced = {name.lower() for name, _ in extra}
    return [(n, v) for n, v in base if n.lower() not in replaced] + extra


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def _aiohttp_transport(
    guard: AddressGuard,
    *,
    concurrency: int,
    per_host: int,
    lookup_timeout: float,
    dns: Any = None,
    dns_servers: Sequence[str] | None = None,
) -> httpx.AsyncBaseTransport:
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


DEFAULT_DNS_SERVERS: Sequence[str] | None = None  # None: the system's resolv.conf


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


# --- why a request failed -------------------------------------------------------------------------------


# aiohttp's (and h11's) names for an answer that is not HTTP: matched by name, so no import is needed.
_MALFORMED = frozenset(
    {
        "ClientResponseError",
        "BadHttpMessage",
        "BadStatusLine",
        "LineTooLong",
        "InvalidHeader",
        "TransferEncodingError",
        "HttpProcessingError",
        "LocalProtocolError",
        "RemoteProtocolError",
    }
)


def _network_error(exc: BaseException, target: Target) -> FetchError:
    """One line naming the real cause of a transport failure, from the whole chain of wrapped errors."""
    if refusal := refusal_in(exc):
        return BlockedError(refusal)
    where = _where(target)
    chain = _chain(exc)
    names = {type(e).__name__ for e in chain}
    texts = [t for e in chain if (t := _one_line(e))]
    detail = texts[-1] if texts else type(exc).__name__

    def has(*kinds: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kinds)), None)

    import ssl

    if own := next((t for t in texts if t.startswith("DNS lookup of")), None):  # the guard's bound on a lookup
        return NetworkError(own, timeout=True)
    if "ClientConnectorDNSError" in names or "DNSError" in names or has(_gaierror()):
        dns_errors = [e for e in chain if type(e).__name__ in ("DNSError", "gaierror")]
        dns_text = next((str(e.args[1]) for e in dns_errors if len(e.args) > 1 and e.args[1]), detail)
        if "timed out" in dns_text.lower() or "timeout" in dns_text.lower():
            return NetworkError(f"DNS lookup of {target.host} timed out: no answer from the DNS servers", timeout=True)
        return NetworkError(f"DNS lookup of {target.host} failed: {_dns_reason(dns_text)}", retryable=False)
    if has(ssl.SSLCertVerificationError) or "ClientConnectorCertificateError" in names:
        return NetworkError(f"TLS certificate of {where} not accepted: {_ssl_reason(chain)}", retryable=False)
    if has(ssl.SSLError) or "ClientConnectorSSLError" in names or "ClientSSLError" in names:
        return NetworkError(f"TLS handshake with {where} failed: {_ssl_reason(chain)}", retryable=False)
    if has(ConnectionRefusedError):
        return NetworkError(f"connection refused by {where}")
    if has(ConnectionResetError, BrokenPipeError):
        return NetworkError(f"connection reset by {where} before a complete answer")
    if "ServerDisconnectedError" in names:
        return NetworkError(f"{where} closed the connection without a complete answer")
    if names & {"ContentLengthError", "ClientPayloadError", "IncompleteRead"}:
        return NetworkError(f"the answer from {where} was cut off: {_malformed_reason(chain, detail)}")
    if has(_zlib_error()) or "brotli" in {type(e).__module__ for e in chain} or "DecodingError" in names:
        return NetworkError(f"the compressed body from {where} cannot be decoded: {detail}", retryable=False)
    if names & _MALFORMED:
        return NetworkError(f"malformed HTTP answer from {where}: {_malformed_reason(chain, detail)}", retryable=False)
    if has(TimeoutError, asyncio.TimeoutError) or isinstance(exc, httpx.TimeoutException):
        return NetworkError(f"timed out waiting for {where}", timeout=True)
    if os_error := has(OSError):
        return NetworkError(f"could not connect to {where}: {_one_line(os_error) or type(os_error).__name__}")
    return NetworkError(f"request to {where} failed: {type(exc).__name__}: {detail}")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or any(current is seen for seen in out):
            continue
        out.append(current)
        stack += [getattr(current, "os_error", None), current.__context__, current.__cause__]
    return out


def _one_line(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, OSError) and exc.strerror and exc.errno is not None:
        return str(exc.strerror)
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else ""


def _gaierror() -> type[BaseException]:
    import socket

    return socket.gaierror


def _zlib_error() -> type[BaseException]:
    import zlib

    return zlib.error


def _dns_reason(text: str) -> str:
    text = text.replace("[Errno None] ", "")
    return {"Domain name not found": "no such name (NXDOMAIN)"}.get(text, text)


def _ssl_reason(chain: list[BaseException]) -> str:
    import ssl

    for exc in chain:
        if isinstance(exc, ssl.SSLError) and (reason := getattr(exc, "reason", None)):
            return str(reason).lower().replace("_", " ")
    return next((t for e in chain if isinstance(e, ssl.SSLError) and (t := _one_line(e))), "TLS error")


def _malformed_reason(chain: list[BaseException], detail: str) -> str:
    """aiohttp's parser messages quote the offending bytes on a second line with a caret: keep line one."""
    for exc in chain:
        message = getattr(exc, "message", None)
        if isinstance(message, str) and message.strip():
            lines = [line.strip() for line in message.splitlines() if line.strip(" ^\t")]
            return " ".join(" ".join(lines).split())[:200]
    return detail[:200]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


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
    limit: float | None = None,
) -> HopResponse:
    """One request, judged by the client's guard and sent to the URL as judged, under one time limit.

    The limit is the client's timeout (or ``limit`` if sooner), for connect, headers and the capped body
    together: a server that trickles bytes, or sends nothing but ``103 Early Hints``, cannot hold a
    request open longer. ``allow_private`` matters only for a client not made by :func:`make_client`
    (which carries its rules). Raises BlockedError (refused), NetworkError (the real cause, one line), or
    CassetteMissError.
    """
    target = guard_of(client, allow_private=allow_private).judge(url)
    seconds = request_seconds(client) if limit is None else min(limit, request_seconds(client))
    work = _fetch_once(client, url, target, method, max_body, read_body, headers, content)
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(seconds):  # inline, not within(): one coroutine less per request
                return await work
        return await asyncio.wait_for(work, timeout=seconds)  # pragma: no cover
    except (TimeoutError, asyncio.TimeoutError):
        reason = f"timed out: no complete answer from {_where(target)} within {seconds:g} s"
        raise NetworkError(reason, timeout=True) from None


def _where(target: Target) -> str:
    host = f"[{target.host}]" if target.ip is not None and target.ip.version == 6 else target.host
    return f"{host}:{target.port}"


async def _fetch_once(
    client: httpx.AsyncClient,
    url: str,
    target: Target,
    method: str,
    max_body: int,
    read_body: Callable[[HopResponse], bool] | None,
    headers: dict[str, str] | None,
    content: bytes | None,
) -> HopResponse:
    """One request, redirects off. Reads the body only if ``read_body`` says so, and never past the cap."""
    try:
        response = await _send(client, method, target.url, headers, content)
    except FetchError:
        raise
    except Exception as exc:
        if not _is_transport_failure(exc):
            raise
        raise _network_error(exc, target) from exc
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
        try:
            body, truncated = await _read_capped(response, max_body)
        except FetchError:
            raise
        except Exception as exc:
            if not _is_transport_failure(exc):
                raise
            raise _network_error(exc, target) from exc
        return replace(head, body=body, truncated=truncated)
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too; the answer stands
            await response.aclose()


async def _read_capped(response: httpx.Response, max_body: int) -> tuple[bytes, bool]:
    """At most ``max_body`` decoded bytes, and whether there was more. Decoding is ours (bounded):
    the raw stream is read and inflated only as far as the cap."""
    if hasattr(response, "_content"):  # built from bytes (a test's MockTransport): already decoded by httpx
        return response.content[:max_body], len(response.content) > max_body
    chunks: list[bytes] = []
    size = 0
    encoding = response.headers.get("content-encoding")
    if not encoding or encoding.strip().lower() == "identity":  # most pages: nothing to inflate
        async for raw in response.aiter_raw():
            chunks.append(raw)
            size += len(raw)
            if size >= max_body:
                return b"".join(chunks)[:max_body], True
        return b"".join(chunks), False
    inflater = Inflater(encoding, max_body)
    async for raw in response.aiter_raw():
        chunks.append(inflater.feed(raw))
        if inflater.full:
            return b"".join(chunks), True
    return b"".join(chunks), False


def _is_transport_failure(exc: BaseException) -> bool:
    if isinstance(exc, (httpx.TransportError, httpx.DecodingError, OSError, asyncio.TimeoutError, EOFError)):
        return True
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(exc, aiohttp.ClientError):
        return True
    import zlib

    return isinstance(exc, zlib.error) or (type(exc).__name__ == "error" and type(exc).__module__ == "brotli")


# --- retrying -------------------------------------------------------------------------------------------


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date), or Mastodon's ISO ``x-ratelimit-reset``, in seconds."""
    value = headers.get("retry-after")
    now = time.time() if now is None else now
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-ratelimit-reset")
    if reset:
        import datetime as dt

        with contextlib.suppress(ValueError, OverflowError):
            when = dt.datetime.fromisoformat(reset.replace("Z", "+00:00"))
            return max(0.0, when.timestamp() - now)
    return None


@dataclass
class RetryPolicy:
    """How hard to try one hop. Data, so the CLI, tests and the benchmark can each set it.

    A ``Retry-After`` longer than ``max_retry_after`` (or than the time the item has left) is not slept
    through: the hop ends at once with RetryLater, for a later run."""

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

    def retrying(
        self, *, already_tried: int = 0, budget: Budget | None = None, sleep: Sleep | None = None
    ) -> AsyncRetrying:
        """The tenacity loop for the attempts left after ``already_tried`` ones; no wait is started that
        ``budget`` cannot pay for (the loop gives up with the last failure instead)."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            seconds = self.wait_seconds(exc, state.attempt_number + already_tried)
            if budget is not None and seconds >= budget.remaining():
                raise _OutOfTime(exc)
            return seconds

        return AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            wait=wait,
            stop=stop_after_attempt(max(1, self.attempts - already_tried)),
            sleep=sleep or self.sleep,
            reraise=True,
        )

    def check_retry_after(self, response: HopResponse, budget: Budget | None) -> None:
        """RetryLater when the server asks for a longer pause than this policy (or the item) can wait."""
        hinted = retry_after_seconds(response.headers)
        if hinted is None or hinted <= 0:
            return
        if hinted > self.max_retry_after or (budget is not None and hinted >= budget.remaining()):
            raise RetryLater(
                f"HTTP {response.status}: the server asks to retry after {_duration(hinted)}; left for a later run",
                hinted,
                response.status,
            )


class _OutOfTime(Exception):
    """Raised from the wait strategy: the next wait would end after the deadline."""

    def __init__(self, failure: BaseException | None) -> None:
        super().__init__("out of time")
        self.failure = failure


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, NetworkError):
        return exc.retryable
    if isinstance(exc, FetchError):
        return False
    return isinstance(exc, (RetryableStatus, httpx.TransportError))


async def fetch_with_retry(
    client: httpx.AsyncClient,
    url: str,
    *,
    policy: RetryPolicy,
    budget: Budget | None = None,
    **kwargs: Any,
) -> HopResponse:
    """``fetch_once`` under the retry policy. After the last try a retryable status is returned as is.

    ``budget`` is the item's time: each request gets at most what is left of it, each wait is paid from
    it, and no wait is started that it cannot pay for (ItemTimeUp when it is spent). The first attempt
    runs outside tenacity: almost every hop succeeds at once, and tenacity's per-attempt machinery is
    measurable at thousands of hops a second. Failures go on in tenacity's loop.
    """
    if budget is None and policy.deadline is not None:
        budget = Budget(policy.deadline, "one hop")

    async def attempt() -> HopResponse:
        if budget is None:
            return await fetch_once(client, url, **kwargs)
        left = budget.remaining()
        if left <= 0:
            raise budget.used_up()
        started = time.monotonic()
        try:
            return await fetch_once(client, url, limit=left, **kwargs)
        except NetworkError as exc:
            budget.spent += time.monotonic() - started
            started = time.monotonic()
            if exc.timeout and budget.remaining() <= 0:
                raise budget.used_up() from None
            raise
        finally:
            budget.spent += time.monotonic() - started

    async def sleep(seconds: float) -> None:
        started = time.monotonic()
        try:
            await policy.sleep(seconds)
        finally:
            if budget is not None:
                budget.spent += time.monotonic() - started

    try:
        response = await attempt()
        if response.status not in RETRY_STATUSES:
            return response
        policy.check_retry_after(response, budget)
        failure: BaseException = RetryableStatus(response)
    except Exception as exc:
        if not _is_retryable(exc):
            raise
        failure = exc
    if policy.attempts <= 1:
        return _give_up(failure)
    first_wait = policy.wait_seconds(failure, 1)
    if budget is not None and first_wait >= budget.remaining():
        return _give_up(failure)
    await sleep(first_wait)
    try:
        async for try_again in policy.retrying(already_tried=1, budget=budget, sleep=sleep):
            with try_again:
                response = await attempt()
                if response.status in RETRY_STATUSES:
                    policy.check_retry_after(response, budget)
                    raise RetryableStatus(response)
                return response
    except RetryableStatus as exc:
        return exc.response
    except _OutOfTime as exc:
        return _give_up(exc.failure)
    raise AssertionError("unreachable")  # pragma: no cover


def _give_up(failure: BaseException | None) -> HopResponse:
    if isinstance(failure, RetryableStatus):
        return failure.response
    if failure is None:  # pragma: no cover
        raise AssertionError("a failure to report")
    raise failure


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
    allow_hosts: Iterable[str] = (),
    guard: AddressGuard | None = None,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    max_bytes: int = 64 * 1024 * 1024,
    deadline: Deadline | None = None,
    user_agent: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> tuple[bytes, str | None, str]:
    """GET an article, feed or sitemap given as a SOURCE, following up to 10 redirects: (body, content
    type, final URL).

    It goes through the same guard as every request, and through ``transport`` when one is given (so
    ``--cassette`` replays URL sources too). All of it — redirects, retries — gets the item's time
    (:data:`~resolver.defaults.ITEM_TIME` × ``timeout``), and never runs past ``deadline``. ``user_agent``
    and ``headers`` are the run's (``--user-agent``, ``--header``).
    Raises FetchError (BlockedError, NetworkError, …) with a one-line reason.
    """
    from urllib.parse import urljoin

    if deadline is not None and deadline.passed:
        raise FetchError("the run's deadline was reached first")
    item = Budget(defaults.ITEM_TIME * timeout, "one source")

    async def follow(client: httpx.AsyncClient) -> tuple[bytes, str | None, str]:
        current = url
        for _ in range(11):
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
        raise BlockedError("refused: more than 10 redirects")

    async def run() -> tuple[bytes, str | None, str]:
        rules = guard or AddressGuard.from_options(allow_private=allow_private, allow_hosts=allow_hosts)
        async with make_client(
            transport=transport, guard=rules, timeout=timeout, user_agent=user_agent, headers=headers
        ) as client:
            if deadline is None:
                return await follow(client)
            try:
                return await within(deadline.remaining(), follow(client))
            except (TimeoutError, asyncio.TimeoutError):
                raise FetchError("the run's deadline was reached first") from None

    return asyncio.run(run())
