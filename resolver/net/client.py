"""The client: a :class:`Session` of ours, made by :func:`make_client`, or an ``httpx.AsyncClient`` a caller brings.

A Session hands each request straight to its transport: to the default aiohttp one as method, URL and
headers (:meth:`Session.open`, no httpx objects built), to any other through httpx's public transport
interface (``handle_async_request`` with a built ``httpx.Request``: a cassette, ``httpx.MockTransport``).
One hop needs no auth flow, no redirect loop, no cookie jar and no base URL, and httpx's client layer, then
its request and response objects, each cost about as much CPU per request as aiohttp itself
(benchmarks/bench_resolve.py). A Session has no cookie jar at all: cookies set by one stranger's site must
not travel with the next link (resolve/hops.py carries cookies within one redirect chain, which is what
cookie-checking redirectors need).

A caller's own ``httpx.AsyncClient`` goes through its ``send`` (its transport, auth, hooks and timeout), with a
request built here: its cookie jar is never sent, redirects stay off whatever it was made with, and the
``Accept-Encoding`` is ours, so that every body can be decoded within its cap (:mod:`resolver.net.bodies`).
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, TypeAlias

import httpx

from .. import __version__, defaults
from .answer import Answer, HttpxAnswer
from .bodies import ACCEPT_ENCODING
from .guard import AddressGuard, Target
from .rates import LocalRateMeter, RateMeter, Unmetered
from .transport import AiohttpSeam, aiohttp_transport

USER_AGENT = f"resolver/{__version__} (+https://pypi.org/project/resolver/)"
Header = tuple[str, str]


class Session:
    """What every request of a run goes through: one transport, the headers every request carries, the
    time one request may take as a whole, the address guard's rules and the rate meter every request
    start asks first. ``async with`` it (or ``aclose`` it) to close the transport."""

    __slots__ = ("_seam_timeout", "_sent", "guard", "headers", "meter", "seconds", "timeout", "transport")

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        guard: AddressGuard,
        headers: Sequence[Header],
        seconds: float,
        meter: RateMeter | None = None,
    ) -> None:
        self.transport = transport
        self.guard = guard
        self.meter: RateMeter = meter if meter is not None else Unmetered()
        self.headers = tuple(headers)
        self.seconds = seconds  # one request as a whole: connect, headers and the capped body
        # What the transport is told; the whole request is bounded above this by fetch_once.
        self.timeout = httpx.Timeout(seconds, connect=min(seconds, 10.0)).as_dict()
        # The aiohttp transport is told the connect limit only: every request it sends is bounded as a whole
        # by fetch_once's limit, and a read limit (re-armed by aiohttp on every chunk) adds nothing under it
        # but a timer per chunk.
        self._seam_timeout = {"connect": self.timeout["connect"]}
        self._sent: dict[str, httpx.Headers] = {}  # host → the headers a plain request to it sends

    async def send(
        self, method: str, url: str, headers: dict[str, str] | None = None, content: bytes | None = None
    ) -> httpx.Response:
        """The transport's answer to one request, its body not yet read. ``headers`` replace the Session's
        headers of the same names for this request."""
        merged = self.headers if not headers else merge(self.headers, headers.items())
        request = httpx.Request(method, url, headers=merged, content=content, extensions={"timeout": self.timeout})
        response = await self.transport.handle_async_request(request)
        response.request = request  # a transport need not set it (httpx.MockTransport does not)
        return response

    async def open(
        self, method: str, target: Target, headers: dict[str, str] | None = None, content: bytes | None = None
    ) -> Answer:
        """The answer to one request for ``target`` (a URL as the guard judged it), its body not yet read.
        ``headers`` replace the Session's headers of the same names for this request. The caller bounds the
        whole request in time (:func:`~resolver.net.hop.fetch_once` does)."""
        transport = self.transport
        if not isinstance(transport, AiohttpSeam):
            return HttpxAnswer(await self.send(method, target.url, headers, content))
        merged = self.headers if not headers else merge(self.headers, headers.items())
        # The Host header first, as httpx.Request puts it: the request on the wire and in a WARC request
        # record stays what it was when httpx built it.
        wire = [("host", target.authority), *merged]
        if content:
            wire.append(("content-length", str(len(content))))
        plain = not headers and not content
        sent = self._sent.get(target.authority) if plain else None
        if sent is None:
            sent = httpx.Headers(wire)
            if plain:
                if len(self._sent) >= 4096:
                    self._sent.clear()
                self._sent[target.authority] = sent  # shared by the answers: read-only
        return await transport.open(method, target.url, wire, content, self._seam_timeout, sent)

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> Session:
        await self.transport.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: types.TracebackType | None = None,
    ) -> None:
        await self.transport.__aexit__(exc_type, exc, traceback)


# What every networking function takes: a Session, or a client the caller brings.
Client: TypeAlias = Session | httpx.AsyncClient


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
    headers: Iterable[Header] = (),
    rate: float | None = None,
    meter: RateMeter | None = None,
) -> Session:
    """A Session with an honest User-Agent, redirects off, and the address guard on every request.

    ``transport`` replaces the guarded aiohttp one (tests, ``--cassette`` replay). ``guard`` (or
    ``allow_private`` and ``allow_hosts``, ``--allow-host`` entries) says what may be reached. ``timeout``
    bounds one request as a whole. ``dns`` (an aiohttp resolver, closed with the client) or ``dns_servers``
    (``"ip[:port]"``) replace the system's DNS configuration for the default transport. ``user_agent``
    (``--user-agent``) and ``headers`` (``--header``) go with every request; a header of the same name
    replaces the default one, and a request's own headers (a fetcher's ``Accept``, Save Page Now's
    ``Authorization``) replace both for that request. ``meter`` paces request starts per site (a cluster
    run's shared meter); by default a :class:`~resolver.net.rates.LocalRateMeter` at ``rate`` starts a
    second per site (``--rate``; None: each site's default; 0: no limit).
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
    chosen = merge(merge(standard, headers), [("User-Agent", user_agent)] if user_agent else [])
    # Names in lower case and "Connection: keep-alive" first, as the httpx client sent them before: the
    # requests on the wire and in WARC request records stay byte for byte what they were.
    sent = [(name.lower(), value) for name, value in merge([("Connection", "keep-alive")], chosen)]
    meter = meter if meter is not None else LocalRateMeter(rate)
    return Session(transport, guard=guard, headers=sent, seconds=timeout, meter=meter)


async def send(
    client: Client, method: str, url: str, headers: dict[str, str] | None = None, content: bytes | None = None
) -> httpx.Response:
    """``client``'s answer to one request, redirects off, its body not yet read."""
    if isinstance(client, Session):
        return await client.send(method, url, headers, content)
    own = [("accept-encoding", ACCEPT_ENCODING), *(headers.items() if headers else ())]
    request = httpx.Request(method, url, headers=merge(client.headers.multi_items(), own), content=content)
    return await client.send(request, stream=True, follow_redirects=False)


async def open_answer(
    client: Client, method: str, target: Target, headers: dict[str, str] | None = None, content: bytes | None = None
) -> Answer:
    """``client``'s answer to one request for ``target``, redirects off, its body not yet read."""
    if isinstance(client, Session):
        return await client.open(method, target, headers, content)
    return HttpxAnswer(await send(client, method, target.url, headers, content))


async def metered_start(client: Client, url: str) -> None:
    """A request's start as the rate meter counts it, with the transport ready to send at once: the
    default transport makes its aiohttp session at the first request (0.1 s: aiohttp's import and TLS
    contexts), which would otherwise fall between the first start counted and the request on the wire,
    and bring the second request to the site closer to the first than the rate allows."""
    if isinstance(client, Session):
        if isinstance(client.transport, AiohttpSeam):
            client.transport.ready()
        await client.meter.acquire(url)


def meter_of(client: Client) -> RateMeter:
    """The rate meter ``client``'s requests ask first; a caller's own httpx client is not metered here."""
    return client.meter if isinstance(client, Session) else _UNMETERED


_UNMETERED = Unmetered()


def request_seconds(client: Client) -> float:
    """How long one request of ``client`` may take as a whole."""
    if isinstance(client, Session):
        return client.seconds
    return float(client.timeout.read or defaults.TIMEOUT)


def guard_of(client: Client, *, allow_private: bool = False) -> AddressGuard:
    """The rules ``client`` was made with; for a caller's own httpx client, ``allow_private`` alone."""
    return client.guard if isinstance(client, Session) else _plain_guard(allow_private)


@lru_cache(maxsize=2)
def _plain_guard(allow_private: bool) -> AddressGuard:
    return AddressGuard(allow_private=allow_private)


def merge(base: Sequence[Header], extra: Iterable[Header]) -> Sequence[Header]:
    """``base`` with ``extra`` added; a name in ``extra`` replaces that name in ``base`` (case-insensitive)."""
    extra = list(extra)
    if not extra:
        return base
    replaced = {name.lower() for name, _ in extra}
    return [(n, v) for n, v in base if n.lower() not in replaced] + extra
