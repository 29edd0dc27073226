"""What a platform fetcher may do over HTTP: GET a URL under the run's retry policy and host limits.

Fetchers live in their platform's module and reach the network only through a ``FetchContext`` (which goes
through ``resolver.net``, and so through the address guard), so tests and ``--cassette`` replay them like
everything else. The context remembers every refusal of the guard: a fetcher may skip a refused source and
try the next, but the record still says that a request was refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..models import Media, PostMeta


@dataclass(frozen=True)
class Fetched:
    """A fetcher's verdict: metadata, or that the post is gone (with why), or nothing learnt."""

    meta: PostMeta | None = None
    dead: str | None = None  # "deleted by its author", "not found", …
    missing: bool = False  # a source said "not found" without being sure (try the next one)
    blocked: str | None = None  # the address guard refused a request, and nothing was learnt otherwise


NOTHING = Fetched()


@dataclass
class FetchContext:
    client: httpx.AsyncClient
    allow_private: bool = False
    max_body: int = 2 * 1024 * 1024
    policy: Any = None  # resolver.net.RetryPolicy
    limiter: Any = None  # resolver.net.HostLimiter
    budget: Any = None  # resolver.net.Budget: the post's time, shared by all its requests and waits
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the guard's refusals, in order

    async def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """One GET (retried per policy): a ``resolver.net.HopResponse`` with its body read (capped)."""
        from ..errors import BlockedError
        from ..net import HostLimiter, RetryPolicy, fetch_with_retry

        policy = self.policy or RetryPolicy()
        limiter = self.limiter or HostLimiter()
        self.requests.append(url)
        try:
            async with limiter.slot(url):
                return await fetch_with_retry(
                    self.client,
                    url,
                    policy=policy,
                    budget=self.budget,
                    max_body=self.max_body,
                    allow_private=self.allow_private,
                    read_body=lambda _: True,
                    headers=headers,
                )
        except BlockedError as exc:
            self.refused.append(str(exc))
            raise

    async def get_json(self, url: str) -> tuple[int, Any]:
        """(status, parsed JSON or None). A body that is not JSON (some APIs answer errors as 200 HTML,
        YouTube once answered "Forbidden" as 200 text) is None, whatever the status says."""
        response = await self.get(url, headers={"Accept": "application/json"})
        return response.status, parse_json(response.content_type, response.body)


def parse_json(content_type: str, body: bytes) -> Any:
    if "json" not in content_type and body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None


async def oembed(ctx: FetchContext, endpoint: str, ref: Any, platform: str, post_url: str) -> Fetched:
    """A standard oEmbed answer → PostMeta: title as text, author, handle from author_url, thumbnail.

    400/404/410 mean the post is gone; 403 that it is private or removed (YouTube's recorded answer)."""
    status, data = await ctx.get_json(endpoint)
    if status in (400, 404, 410):
        return Fetched(dead=f"not found (oEmbed answered {status})")
    if status == 403:
        return Fetched(dead="private or removed (oEmbed answered 403)")
    if status != 200 or not isinstance(data, dict):
        return NOTHING
    author_url = str(data.get("author_url") or "").rstrip("/")
    handle = author_url.rsplit("/", 1)[-1].lstrip("@") if author_url else None
    thumbnail = data.get("thumbnail_url")
    return Fetched(
        PostMeta(
            platform=platform,
            id=ref.post_id,
            url=post_url,
            author_name=data.get("author_name"),
            author_handle=handle or ref.handle,
            text=data.get("title") or None,
            media=(Media("image", str(thumbnail)),) if thumbnail else (),
        )
    )


# Meta's oEmbed answers without a token since 2026-06-15 (1,000 calls an hour per endpoint) and no longer
# gives author or thumbnail fields: the caption comes from the returned html.
META_GRAPH = "https://graph.facebook.com/v22.0"


async def meta_oembed(ctx: FetchContext, endpoint: str, ref: Any, platform: str, post_url: str) -> Fetched:
    """Meta's oEmbed; when it does not answer, the post page's OpenGraph tags."""
    from ..errors import BlockedError, FetchError
    from .base import html_text

    try:
        status, data = await ctx.get_json(endpoint)
    except BlockedError:
        raise
    except (httpx.HTTPError, FetchError):  # Meta's endpoint failed: the post's own page may still answer
        status, data = 0, None
    if status == 404:
        return Fetched(dead="not found (oEmbed answered 404)")
    if status == 200 and isinstance(data, dict) and data.get("html"):
        text, _ = html_text(str(data["html"]))
        return Fetched(
            PostMeta(platform, ref.post_id, post_url, data.get("author_name"), ref.handle, text=text or None)
        )
    return await opengraph(ctx, ref, platform, post_url)


_OG_AUTHOR = re.compile(r"^(?P<name>.*?)\s*\(@(?P<handle>[\w.]+)\)")


async def opengraph(ctx: FetchContext, ref: Any, platform: str, post_url: str) -> Fetched:
    """What the post's own page says in OpenGraph: og:title "Name (@handle) on Threads", og:description
    "N likes, N replies. TEXT" (Threads), or an Instagram/Facebook caption."""
    from ..pages import read_page

    response = await ctx.get(post_url)
    if response.status in (404, 410):
        return Fetched(dead=f"not found (the post page answered {response.status})")
    if response.status != 200 or not response.body:
        return NOTHING
    page = read_page(response.text(), post_url).page or {}
    title, description = page.get("title") or "", page.get("description") or ""
    author = _OG_AUTHOR.match(title)
    text = re.sub(r"^[\d.,KkMm]+ likes?, [\d.,KkMm]+ (?:replies|reply|comments?)\W+", "", description) or None
    if not (author or text):
        return NOTHING
    return Fetched(
        PostMeta(
            platform,
            ref.post_id,
            post_url,
            author.group("name") if author else None,
            author.group("handle") if author else ref.handle,
            text=text,
        )
    )
