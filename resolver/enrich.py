"""Posts → PostMeta: what the embed markup already says, completed by the platform when it answers.

Offline first: the fields a copied or embedded post carries are used without a request. Network
fetchers (one per platform, in ``resolver.platforms.fetch``) fill in the rest; their answers are kept in
the store with their own freshness. A fetcher that fails leaves the offline metadata in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from .models import Post, PostMeta
from .platforms import PostRef, canonical_post_url, match_post_url
from .store import Freshness, Store

Fetcher = Callable[[PostRef, httpx.AsyncClient], Awaitable[PostMeta | None]]
TWITTER_EPOCH_MS = 1288834974657


def snowflake_time(tweet_id: str) -> str | None:
    """The creation time a tweet id encodes (ids since late 2010 are snowflakes), ISO 8601 UTC."""
    if not tweet_id.isdigit() or int(tweet_id) < (1 << 22) * 10**6:
        return None
    ms = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def offline_meta(post: Post | None, ref: PostRef) -> PostMeta:
    """Metadata from the URL and the embed markup alone."""
    created = post.published if post else None
    if ref.platform == "twitter" and (derived := snowflake_time(ref.post_id)):
        created = derived  # more precise than the embed's date, and always right
    return PostMeta(
        platform=ref.platform,
        id=ref.post_id,
        url=canonical_post_url(ref),
        author_name=post.author_name if post else None,
        author_handle=(post.author_handle if post else None) or _handle(ref),
        created_at=created,
        text=post.text if post else None,
        links=tuple(post.links) if post else (),
    )


def _handle(ref: PostRef) -> str | None:
    if ref.platform in ("twitter", "tiktok", "threads", "mastodon", "bluesky") and ref.handle:
        return None if ref.handle.startswith("did:") else ref.handle
    return None


@dataclass
class Enricher:
    client: httpx.AsyncClient
    store: Store
    freshness: Freshness = field(default_factory=Freshness)
    fetchers: dict[str, Fetcher] = field(default_factory=dict)
    network: bool = True

    async def for_url(self, url: str) -> PostMeta | None:
        ref = match_post_url(url)
        return await self._meta(None, ref) if ref else None

    async def for_post(self, post: Post, canonical: str | None) -> PostMeta | None:
        ref = match_post_url(canonical) if canonical else None
        if ref is None and post.url:
            ref = match_post_url(post.url)
        if ref is None and post.post_id:
            ref = PostRef(post.platform, post.post_id, post.author_handle)
        if ref is None:
            return None
        return await self._meta(post, ref)

    async def _meta(self, post: Post | None, ref: PostRef) -> PostMeta:
        offline = offline_meta(post, ref)
        fetcher = self.fetchers.get(ref.platform)
        if not self.network or fetcher is None:
            return offline
        key = f"{ref.platform}:{ref.post_id}"
        cached = self.store.get("post", key)
        if cached is not None:
            fetched: PostMeta | None = PostMeta.from_dict(cached)
        else:
            try:
                fetched = await fetcher(ref, self.client)
            except (httpx.HTTPError, ValueError, KeyError):
                fetched = None
            if fetched is not None:
                self.store.put("post", key, fetched.to_dict(), self.freshness.post)
        return merge(offline, fetched)


def merge(offline: PostMeta, fetched: PostMeta | None) -> PostMeta:
    """The platform's answer wins field by field; the markup fills what it leaves empty."""
    if fetched is None:
        return offline
    return PostMeta(
        platform=offline.platform,
        id=offline.id,
        url=fetched.url or offline.url,
        author_name=fetched.author_name or offline.author_name,
        author_handle=fetched.author_handle or offline.author_handle,
        created_at=fetched.created_at or offline.created_at,
        text=fetched.text or offline.text,
        lang=fetched.lang or offline.lang,
        media=fetched.media or offline.media,
        links=fetched.links or offline.links,
        quoted=fetched.quoted or offline.quoted,
        reply_to=fetched.reply_to or offline.reply_to,
    )
