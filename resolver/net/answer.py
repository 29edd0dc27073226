"""One request's answer as a hop reads it: status, headers, what was sent, and the body as raw bytes.

Two kinds, one shape. The default transport's answers come straight from aiohttp (:mod:`.transport`): no
``httpx.Request`` or ``httpx.Response`` is built per request, which cost as much CPU as aiohttp itself. An
answer from any httpx transport or client (a cassette, ``httpx.MockTransport``, a caller's own
``httpx.AsyncClient``) is the ``httpx.Response`` wrapped (:class:`HttpxAnswer`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx


class Answer:
    """Status, reason phrase, response headers and the request headers sent; the body, not yet read, as
    raw (still encoded) chunks. ``aclose`` it when done: an unread body closes its connection."""

    __slots__ = ("headers", "reason", "sent", "status")

    def __init__(self, status: int, reason: str, headers: httpx.Headers, sent: httpx.Headers | None) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.sent = sent

    @property
    def decoded(self) -> bytes | None:
        """The whole body, already read and decoded, when the transport gave it so (a test's
        ``httpx.Response(content=…)``); None when it is still to be streamed."""
        return None

    def raw(self) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class HttpxAnswer(Answer):
    """An ``httpx.Response`` from an httpx transport or client, its body not yet read."""

    __slots__ = ("response",)

    def __init__(self, response: httpx.Response) -> None:
        sent = response.request.headers if response.request is not None else None
        super().__init__(response.status_code, response.reason_phrase, response.headers, sent)
        self.response = response

    @property
    def decoded(self) -> bytes | None:
        return self.response.content if self.response.is_stream_consumed else None

    def raw(self) -> AsyncIterator[bytes]:
        return self.response.aiter_raw()

    async def aclose(self) -> None:
        await self.response.aclose()
