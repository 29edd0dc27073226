"""The default transport: one aiohttp session, guarded, that a Session's requests go to directly.

aiohttp keeps connections and limits them overall and per host (the plain httpcore pool spent most of its
time in CPU and opened a connection per request under load). A Session hands each request to
:meth:`AiohttpSeam.open` — method, URL, headers — and reads an :class:`~resolver.net.answer.Answer` back:
no ``httpx.Request`` or ``httpx.Response`` is built per request (with the httpx-aiohttp adapter those
objects and the adapter cost about as much CPU as aiohttp itself, benchmarks/bench_resolve.py). The seam
is an ``httpx.AsyncBaseTransport`` too, so an httpx client can be given it.

The address guard is applied inside it twice (see :mod:`resolver.net.guard`): to every DNS answer and to
every socket's address at connect time. DNS is asynchronous (c-ares through aiodns): a hanging lookup holds
no thread, and each one is bounded in time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .answer import Answer
from .guard import AddressGuard, ConnectGuard

if TYPE_CHECKING:
    import aiohttp

DEFAULT_DNS_SERVERS: Sequence[str] | None = None  # None: the system's resolv.conf (tests point it at loopback)
Header = tuple[str, str]
_CHUNK = 64 * 1024


class AiohttpAnswer(Answer):
    """An aiohttp response, its body not yet read."""

    __slots__ = ("response",)

    def __init__(self, response: aiohttp.ClientResponse, sent: httpx.Headers) -> None:
        status = response.status
        reason = response.reason or httpx.codes.get_reason_phrase(status)
        super().__init__(status, reason, httpx.Headers(response.raw_headers), sent)
        self.response = response

    def raw(self) -> AsyncIterator[bytes]:
        return self.response.content.iter_chunked(_CHUNK)

    async def aclose(self) -> None:
        # A body not read to its end closes the connection instead of returning it to the pool.
        self.response.release()
        await self.response.wait_for_close()


class AiohttpSeam(httpx.AsyncBaseTransport):
    """One aiohttp session (made at the first request, inside the running loop) and the DNS resolver it was
    made with, closed together."""

    def __init__(self, make_session: Callable[[], tuple[aiohttp.ClientSession, Any]]) -> None:
        self._make_session = make_session
        self._session: aiohttp.ClientSession | None = None
        self._resolver: Any = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    async def open(
        self,
        method: str,
        url: str,
        headers: Sequence[Header],
        content: bytes | None,
        timeout: Mapping[str, float | None],
        sent: httpx.Headers,
    ) -> Answer:
        """Send one request, redirects off, its body undecoded; ``sent`` is what the answer says was sent."""
        session = self._session or self.ready()
        response = await session.request(
            method,
            url,
            headers=headers,
            data=content or None,
            allow_redirects=False,
            timeout=self._timeout(timeout),
        )
        return AiohttpAnswer(response, sent)

    def ready(self) -> aiohttp.ClientSession:
        """The session, made now if it is not yet (inside the running loop): the first request's start
        should not include importing aiohttp and building its TLS contexts."""
        if self._session is None:
            self._session, self._resolver = self._make_session()
        return self._session

    def _timeout(self, timeout: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
        key = tuple(timeout.items())
        found = self._timeouts.get(key)
        if found is None:
            import aiohttp

            # httpx's names for aiohttp's: connect is the socket's, read a socket read's, pool a connection's.
            found = aiohttp.ClientTimeout(
                sock_connect=timeout.get("connect"), sock_read=timeout.get("read"), connect=timeout.get("pool")
            )
            self._timeouts[key] = found
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """httpx's transport interface, for an httpx client given this transport."""
        content = await request.aread()
        answer = await self.open(
            request.method,
            str(request.url),
            request.headers.multi_items(),
            content,
            request.extensions.get("timeout", {}),
            request.headers,
        )
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=_Stream(answer),
            request=request,
            extensions={"reason_phrase": answer.reason.encode("latin-1", "replace")},
        )

    async def aclose(self) -> None:
        session, resolver = self._session, self._resolver
        self._session = self._resolver = None
        if session is not None:
            await session.close()
        # aiohttp leaves a resolver it was given open, and c-ares would then report an abandoned lookup to an
        # event loop that no longer exists.
        if resolver is not None:
            await resolver.close()


class _Stream(httpx.AsyncByteStream):
    def __init__(self, answer: Answer) -> None:
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._answer.raw():
            yield chunk

    async def aclose(self) -> None:
        await self._answer.aclose()


def aiohttp_transport(
    guard: AddressGuard,
    *,
    concurrency: int,
    per_host: int,
    lookup_timeout: float,
    dns: Any = None,
    dns_servers: Sequence[str] | None = None,
) -> AiohttpSeam:
    """The default transport, the guard on its DNS answers and sockets. ``dns`` (an aiohttp resolver) or
    ``dns_servers`` (``"ip[:port]"``) replace the system's DNS configuration; the resolver is closed with
    the transport."""
    connect_guard = ConnectGuard(guard)

    def session() -> tuple[aiohttp.ClientSession, Any]:
        import aiohttp

        inner = dns if dns is not None else _dns_resolver(dns_servers, lookup_timeout)
        resolver = connect_guard.resolver(inner, lookup_timeout=lookup_timeout)
        connector = aiohttp.TCPConnector(
            limit=concurrency,
            limit_per_host=per_host,
            ttl_dns_cache=300,
            resolver=resolver,
            socket_factory=None if guard.allow_private else connect_guard.socket_factory,
        )
        # No cookie jar (cookies of one stranger's site must not travel with the next link), bodies left
        # encoded (resolver.net.bodies decodes them within a cap), no proxy from the environment.
        made = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False)
        return made, resolver

    return AiohttpSeam(session)


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
