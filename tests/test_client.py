"""The client (resolver.net.client): a Session of ours, or an httpx.AsyncClient the caller brings.

Either way cookies travel only within one redirect chain (a cookie-check redirector works; the next link,
on the same host or another, gets none), every hop is judged by the guard (a caller's client that follows
redirects by itself does not get to), and the headers on the wire are the documented ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from resolver.net import USER_AGENT, Client, Session, fetch_once, make_client
from resolver.net.bodies import ACCEPT_ENCODING
from resolver.resolve.hops import ResolveOptions, resolve_url

from .webserver import Request, serve


def cookie_checking_site(seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    """/start sets a cookie and redirects to /check, which wants it back; /other only records what it got."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/start":
            return httpx.Response(302, headers={"Location": "/check", "Set-Cookie": "visited=1; Path=/"})
        if request.url.path == "/check":
            if request.headers.get("cookie") != "visited=1":
                return httpx.Response(302, headers={"Location": "/start"})
            return httpx.Response(200, html="<title>in</title>")
        return httpx.Response(200, html="<title>other</title>")

    return handler


def resolve_two_links(client: Client) -> list[str]:
    async def go() -> list[str]:
        async with client:
            first = await resolve_url("https://news.example/start", client, ResolveOptions())
            second = await resolve_url("https://news.example/other", client, ResolveOptions())
        return [first.status, first.final_url, second.status, second.final_url]

    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["session", "a caller's httpx client"])
def test_cookies_travel_within_one_chain_and_never_with_the_next_link(kind: str) -> None:
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(cookie_checking_site(seen))
    client: Client = make_client(transport=transport) if kind == "session" else httpx.AsyncClient(transport=transport)
    assert resolve_two_links(client) == ["ok", "https://news.example/check", "ok", "https://news.example/other"]
    assert [r.url.path for r in seen] == ["/start", "/check", "/other"]
    assert seen[1].headers.get("cookie") == "visited=1"  # the chain carried it
    assert "cookie" not in seen[2].headers  # the next link on the same host did not


def test_a_callers_client_that_follows_redirects_still_goes_hop_by_hop_through_the_guard() -> None:
    """A redirect to a private address is refused even when the caller's client would follow it by itself."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:9/admin"})

    async def go() -> tuple[str, str | None]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True) as client:
            res = await resolve_url("https://short.example/x", client, ResolveOptions())
        return res.status, res.error

    status, error = asyncio.run(go())
    assert status == "blocked" and error is not None and "non-public address" in error
    assert seen == ["https://short.example/x"]


def test_a_callers_client_sends_its_own_headers_with_resolver_accept_encoding() -> None:
    """Its User-Agent and other headers go out; Accept-Encoding is resolver's, so every body can be decoded
    within its cap (a coding resolver cannot bound is never asked for)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="hello")

    async def go() -> bytes:
        headers = {"User-Agent": "mine/1", "Accept-Encoding": "zstd", "X-Desk": "d"}
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), headers=headers) as client:
            response = await fetch_once(client, "https://a.example/", read_body=lambda _: True)
        return response.body

    assert asyncio.run(go()) == b"hello"
    sent = seen[0].headers
    assert sent["user-agent"] == "mine/1" and sent["x-desk"] == "d"
    assert sent.get_list("accept-encoding") == [ACCEPT_ENCODING]


def test_the_headers_on_the_wire_are_resolvers_in_their_order() -> None:
    """Names, values and order as the run sends them (and WARC request records keep them)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async def go() -> None:
        transport = httpx.MockTransport(handler)
        async with make_client(transport=transport, headers=[("From", "desk@example.org")]) as client:
            await fetch_once(client, "https://a.example/")
            await fetch_once(client, "https://a.example/", headers={"Accept": "application/json"})

    asyncio.run(go())
    accept_html = "text/html,application/xhtml+xml,*/*;q=0.8"
    assert seen[0].headers.multi_items() == [
        ("host", "a.example"),  # httpx.Request's own
        ("connection", "keep-alive"),
        ("user-agent", USER_AGENT),
        ("accept", accept_html),
        ("accept-encoding", ACCEPT_ENCODING),
        ("from", "desk@example.org"),
    ]
    assert seen[1].headers.get_list("accept") == ["application/json"]  # the request's own header wins
    assert seen[1].headers["from"] == "desk@example.org"


def test_a_session_closes_its_transport_and_bounds_each_request() -> None:
    closed: list[bool] = []

    class Recording(httpx.MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, extensions={"timeout_seen": request.extensions["timeout"]})

    async def go() -> object:
        async with make_client(transport=Recording(handler), timeout=7.0) as client:
            assert isinstance(client, Session) and client.seconds == 7.0
            response = await client.send("GET", "https://a.example/")
            return response.extensions["timeout_seen"]

    assert asyncio.run(go()) == {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    assert closed == [True]


def test_no_cookie_crosses_links_through_the_real_transport() -> None:
    """The aiohttp transport keeps no cookie jar either (loopback server)."""
    cookies: dict[str, str | None] = {}

    with serve() as web:

        @web.route("/set")
        def set_cookie(r: Request) -> None:
            cookies["/set"] = r.headers.get("Cookie")
            r.reply(200, b"<title>set</title>", {"Set-Cookie": "session=abc; Path=/"})

        @web.route("/next")
        def next_link(r: Request) -> None:
            cookies["/next"] = r.headers.get("Cookie")
            r.reply(200, b"<title>next</title>")

        async def go() -> None:
            async with make_client(allow_private=True, timeout=5.0) as client:
                for path in ("/set", "/next"):
                    res = await resolve_url(f"{web.base}{path}", client, ResolveOptions(allow_private=True))
                    assert res.status == "ok", res

        asyncio.run(go())
    assert cookies == {"/set": None, "/next": None}
