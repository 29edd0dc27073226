"""Posts → PostMeta: what the embed markup already says, completed by the platform when it answers.

Offline first: the fields a copied or embedded post carries are used without a request (``source:
"markup"``). Network fetchers (each platform module's ``fetch``) fill in the rest from the platform's keyless
sources, tried in the order the fetcher declares (``resolver platforms`` lists them); ``post.source`` names
the one that answered. The markup's metadata is always kept: the platform's answer wins field by field.

What a post's record says, decided in this order:

1. **dead** — a source the platform owns says the post is gone (a tombstone, a 404 from the post's own
   server, every Twitter source saying "not found"). Cached as long as a dead link.
2. **ok**, with the platform's metadata — some source answered. A source that failed before it (a network
   error, a cassette miss, a 5xx) does not matter then: a later source in the chain stood in for it.
   Cached for the post-metadata freshness.
3. **blocked** — nothing was learnt and a request was refused by the address guard (a private address).
4. **error** — nothing was learnt and at least one request failed for a reason worth retrying: a network
   failure or timeout, a request the cassette lacks, a 408/429/5xx still there after the retries, a
   ``Retry-After`` longer than the run waits, an answer no parser could read. ``error`` names the first
   such request as ``METHOD URL`` (a cassette miss reads ``cassette has no interaction for GET https://…``)
   and counts the others: ``… (+2 more)``. Not cached: the next run asks again.
5. **ok**, ``source: "markup"`` — every source answered, and none had the metadata (an oEmbed that answers
   401 because embedding is off, a login-only Mastodon server with no oEmbed), or the platform has no
   keyless source at all. Nothing failed, so nothing is worth retrying.

A post cited many times in a run is fetched once (the run's in-flight table), whatever the verdict.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .. import defaults
from ..errors import BlockedError, FetchError
from ..models import Post, PostMeta
from ..net import Budget, Client, request_seconds
from ..platforms import BY_NAME, PostRef, canonical_post_url, match_post_url
from ..platforms.http import FetchContext, Fetched, summarize
from ..store import Freshness, Store

Fetcher = Callable[[PostRef, FetchContext], Awaitable[Fetched]]
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
        source="markup",
    )


def _handle(ref: PostRef) -> str | None:
    if ref.platform in ("twitter", "tiktok", "threads", "mastodon", "bluesky") and ref.handle:
        return None if ref.handle.startswith("did:") else ref.handle
    return None


@dataclass(frozen=True)
class Enriched:
    """What enrichment concluded for one post: its metadata, and a reason when the post is gone."""

    meta: PostMeta | None
    dead: str | None = None
    blocked: str | None = None  # a metadata request was refused by the address guard
    error: str | None = None  # nothing learnt, and a request failed for a reason worth retrying


@dataclass
class Enricher:
    """Post metadata for a run: offline from markup, then the platform's fetcher, through the store."""

    client: Client
    store: Store
    freshness: Freshness = field(default_factory=Freshness)
    network: bool = True
    allow_private: bool = False
    policy: Any = None  # resolver.net.RetryPolicy
    limiter: Any = None  # resolver.net.HostLimiter
    fetchers: dict[str, Fetcher] | None = None  # default: each platform's own fetch()
    item_timeout: float | None = None  # seconds for all of one post's metadata requests
    _inflight: dict[str, asyncio.Future[Fetched]] = field(default_factory=dict, repr=False)

    def cancel(self) -> None:
        """Stop every metadata fetch still under way (the run's deadline has passed)."""
        for task in self._inflight.values():
            task.cancel()

    async def for_url(self, url: str) -> Enriched | None:
        ref = match_post_url(url)
        return await self._meta(None, ref) if ref else None

    async def for_post(self, post: Post, canonical: str | None) -> Enriched | None:
        ref = match_post_url(canonical) if canonical else None
        if ref is None and post.url:
            ref = match_post_url(post.url)
        if ref is None and post.post_id:
            ref = PostRef(post.platform, post.post_id, post.author_handle)
        if ref is None:
            return None
        return await self._meta(post, ref)

    def _fetcher(self, platform: str) -> Fetcher | None:
        if self.fetchers is not None:
            return self.fetchers.get(platform)
        return BY_NAME[platform].fetch if platform in BY_NAME else None

    async def _meta(self, post: Post | None, ref: PostRef) -> Enriched:
        offline = offline_meta(post, ref)
        fetcher = self._fetcher(ref.platform)
        if not self.network or fetcher is None:
            return Enriched(offline)
        key = f"{ref.platform}:{ref.post_id}"
        task = self._inflight.get(key)
        if task is None:  # one post cited by many records is fetched once
            task = self._inflight[key] = asyncio.ensure_future(self._fetch(key, ref, fetcher))
        fetched = await asyncio.shield(task)
        if (fetched.dead or fetched.meta is not None) and self._inflight.get(key) is task:
            del self._inflight[key]  # the store holds the answer now: a long run keeps only what it does not
        if fetched.dead:
            return Enriched(offline, fetched.dead)
        if fetched.blocked:
            return Enriched(offline, blocked=fetched.blocked)
        if fetched.error:
            return Enriched(offline, error=fetched.error)
        return Enriched(merge(offline, fetched.meta))

    async def _fetch(self, key: str, ref: PostRef, fetcher: Fetcher) -> Fetched:
        cached = self.store.get("post", key)
        if cached is not None:
            if cached.get("dead"):
                return Fetched(dead=cached["dead"])
            return Fetched(PostMeta.from_dict(cached["meta"]))
        seconds = self.item_timeout or defaults.ITEM_TIME * request_seconds(self.client)
        budget = Budget(seconds, "a post's metadata")  # all of its requests together, whichever sources
        context = FetchContext(
            self.client,
            self.allow_private,
            policy=self.policy,
            limiter=self.limiter,
            budget=budget,
            page_meta=_page_meta,
        )
        try:
            fetched: Fetched = await fetcher(ref, context)
        except BlockedError as exc:
            return Fetched(blocked=_with_failures(str(exc), context))
        except (httpx.HTTPError, FetchError) as exc:  # the chain ended here (context.get noted it already)
            context.note(exc)
            fetched = Fetched()
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # an answer of a shape no parser knew
            context.note_unreadable(exc)
            fetched = Fetched()
        if fetched.dead:
            self.store.put("post", key, {"dead": fetched.dead}, self.freshness.dead)
            return fetched
        if fetched.meta is not None:
            self.store.put("post", key, {"meta": fetched.meta.to_dict()}, self.freshness.post)
            return fetched
        if context.refused:  # a refusal is said on the record, not skipped silently
            return Fetched(blocked=_with_failures(context.refused[0], context))
        if context.failures:  # worth retrying: not stored, so the next run asks again
            return Fetched(error=summarize(context.failures))
        return fetched  # every source answered without the metadata: the markup stands


def _with_failures(refusal: str, context: FetchContext) -> str:
    return f"{refusal}; also {summarize(context.failures)}" if context.failures else refusal


def _more_precise(fetched: str | None, offline: str | None) -> str | None:
    """A date-time beats a bare date (oEmbed gives dates only; a tweet id gives the second)."""
    if fetched and offline and len(fetched) == 10 and len(offline) > 10:
        return offline
    return fetched or offline


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
        created_at=_more_precise(fetched.created_at, offline.created_at),
        text=fetched.text or offline.text,
        lang=fetched.lang or offline.lang,
        media=fetched.media or offline.media,
        links=fetched.links or offline.links,
        quoted=fetched.quoted or offline.quoted,
        reply_to=fetched.reply_to or offline.reply_to,
        source=fetched.source or offline.source,
    )


def _page_meta(body: str, url: str) -> dict[str, str] | None:
    from ..resolve.pages import read_page

    return read_page(body, url).page
