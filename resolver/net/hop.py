"""One hop: one request with redirects off, judged by the guard, under one time limit, its body capped.

The URL is judged by the client's :class:`~resolver.net.guard.AddressGuard` as a browser parses it and sent
to exactly that serialisation, so the host judged and the host connected cannot differ. Connect, headers
and body share one limit: a server that trickles bytes, or sends nothing but ``103 Early Hints``, cannot
hold a request open longer. The body is streamed and capped by its *decoded* size (:mod:`resolver.net.bodies`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..errors import FetchError, NetworkError
from .answer import Answer
from .bodies import Inflater
from .client import Client, guard_of, metered_start, open_answer, request_seconds
from .failures import failure_of, is_transport_failure, where
from .guard import Target


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


async def fetch_once(
    client: Client,
    url: str,
    *,
    method: str = "GET",
    max_body: int = 262_144,
    read_body: Callable[[HopResponse], bool] | None = None,
    allow_private: bool = False,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    limit: float | None = None,
    paced: bool = False,
) -> HopResponse:
    """One request, judged by the client's guard and sent to the URL as judged, under one time limit.

    First it waits for the client's rate meter (unless the caller has, ``paced``): that wait is politeness,
    not the request's time, so it is outside the limit.

    The limit is the client's timeout (or ``limit`` if sooner), for connect, headers and the capped body
    together: a server that trickles bytes, or sends nothing but ``103 Early Hints``, cannot hold a
    request open longer. ``allow_private`` matters only for a client not made by :func:`make_client`
    (which carries its rules). Raises BlockedError (refused), NetworkError (the real cause, one line), or
    CassetteMissError.
    """
    target = guard_of(client, allow_private=allow_private).judge(url)
    if not paced:
        await metered_start(client, target.url)
    return await fetch_judged(
        client, url, target, method=method, max_body=max_body, read_body=read_body, headers=headers,
        content=content, limit=limit,
    )  # fmt: skip


async def fetch_judged(
    client: Client,
    url: str,
    target: Target,
    *,
    method: str = "GET",
    max_body: int = 262_144,
    read_body: Callable[[HopResponse], bool] | None = None,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    limit: float | None = None,
) -> HopResponse:
    """:func:`fetch_once` for a URL the client's guard has judged already: ``target`` is what the guard's
    ``judge(url)`` returned (a hop that is retried is judged once, not once an attempt). No rate meter."""
    seconds = request_seconds(client) if limit is None else min(limit, request_seconds(client))
    work = _fetch_once(client, url, target, method, max_body, read_body, headers, content)
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(seconds):  # inline, not within(): one coroutine less per request
                return await work
        return await asyncio.wait_for(work, timeout=seconds)  # pragma: no cover
    except (TimeoutError, asyncio.TimeoutError):
        reason = f"timed out: no complete answer from {where(target)} within {seconds:g} s"
        raise NetworkError(reason, timeout=True) from None


async def _fetch_once(
    client: Client,
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
        answer = await open_answer(client, method, target, headers, content)
    except FetchError:
        raise
    except Exception as exc:
        if not is_transport_failure(exc):
            raise
        raise failure_of(exc, target) from exc
    try:
        head = HopResponse(url, answer.status, answer.headers, request_headers=answer.sent, reason=answer.reason)
        if read_body is None or not read_body(head):
            return head
        declared = answer.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body * 64:
            return HopResponse(url, head.status, head.headers, b"", True, head.request_headers, head.reason)
        try:
            body, truncated = await _read_capped(answer, max_body)
        except FetchError:
            raise
        except Exception as exc:
            if not is_transport_failure(exc):
                raise
            raise failure_of(exc, target) from exc
        return HopResponse(url, head.status, head.headers, body, truncated, head.request_headers, head.reason)
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too; the answer stands
            await answer.aclose()


async def _read_capped(answer: Answer, max_body: int) -> tuple[bytes, bool]:
    """At most ``max_body`` decoded bytes, and whether there was more. Decoding is ours (bounded):
    the raw stream is read and inflated only as far as the cap."""
    decoded = answer.decoded
    if decoded is not None:  # built from bytes (a test's MockTransport): already read and decoded
        return decoded[:max_body], len(decoded) > max_body
    chunks: list[bytes] = []
    size = 0
    encoding = answer.headers.get("content-encoding")
    if not encoding or encoding.strip().lower() == "identity":  # most pages: nothing to inflate
        async for raw in answer.raw():
            chunks.append(raw)
            size += len(raw)
            if size >= max_body:
                return b"".join(chunks)[:max_body], True
        return b"".join(chunks), False
    inflater = Inflater(encoding, max_body)
    async for raw in answer.raw():
        chunks.append(inflater.feed(raw))
        if inflater.full:
            return b"".join(chunks), True
    return b"".join(chunks), False
