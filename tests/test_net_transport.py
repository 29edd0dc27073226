"""The default transport (resolver.net.transport): a Session's requests go to aiohttp directly, and what an
answer says was sent is what reached the server; an httpx client can be given the same transport."""

from __future__ import annotations

import asyncio

import httpx

from resolver.net import AddressGuard, fetch_once, make_client
from resolver.net.transport import aiohttp_transport

from .webserver import Request, serve


def test_what_an_answer_says_was_sent_is_what_the_server_got() -> None:
    """The request headers a hop reports (a WARC request record writes them) are the ones on the wire, in
    order, the Host header first; a request's own header replaces the Session's of that name."""
    received: list[list[tuple[str, str]]] = []

    with serve() as web:

        @web.route("/page")
        def page(r: Request) -> None:
            received.append([(name.lower(), value) for name, value in r.headers.items()])
            r.reply(200, b"<title>page</title>")

        async def go() -> list[list[tuple[str, str]]]:
            async with make_client(allow_private=True, headers=[("From", "desk@example.org")]) as client:
                plain = await fetch_once(client, f"{web.base}/page", allow_private=True)
                own = await fetch_once(client, f"{web.base}/page", headers={"Accept": "application/json"})
                again = await fetch_once(client, f"{web.base}/page")
            sent = [response.request_headers for response in (plain, own, again)]
            assert all(headers is not None for headers in sent)
            return [headers.multi_items() for headers in sent if headers is not None]

        reported = asyncio.run(go())
    host = web.base.removeprefix("http://")
    assert [items[0] for items in reported] == [("host", host)] * 3
    assert reported[1][1:] != reported[0][1:] and ("accept", "application/json") in reported[1]
    assert reported[2] == reported[0]
    for wire, said in zip(received, reported, strict=True):
        assert wire == said


def test_an_httpx_client_can_be_given_the_default_transport() -> None:
    with serve() as web:

        @web.route("/page")
        def page(r: Request) -> None:
            r.reply(201, b"<title>made</title>" * 1000)

        async def go() -> tuple[int, str, bytes]:
            transport = aiohttp_transport(AddressGuard(allow_private=True), concurrency=4, per_host=2, lookup_timeout=2)
            async with httpx.AsyncClient(transport=transport) as client:
                response = await client.get(f"{web.base}/page")
                return response.status_code, response.reason_phrase, response.content

        status, reason, body = asyncio.run(go())
    assert (status, reason) == (201, "Created")
    assert body == b"<title>made</title>" * 1000
