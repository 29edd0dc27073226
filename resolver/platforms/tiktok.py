"""TikTok: /@user/video/<id> URLs, blockquote.tiktok-embed and the v2 embed iframe."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import SplitResult, urlencode

from .base import (
    Embed,
    HtmlElement,
    Platform,
    PostRef,
    absolute,
    clean_text,
    first,
    host_of,
    split,
    text_of,
)
from .http import FetchContext, Fetched, oembed, tries

_VIDEO = re.compile(r"^/@(?P<user>[\w.-]+)/(?:video|photo)/(?P<id>\d{5,25})")
_EMBED = re.compile(r"^/embed(?:/v2)?/(?P<id>\d{5,25})")


def match_url(parts: SplitResult) -> PostRef | None:
    if host_of(parts) not in ("tiktok.com", "m.tiktok.com"):
        return None
    if m := _VIDEO.match(parts.path):
        return PostRef("tiktok", m.group("id"), m.group("user"))
    if m := _EMBED.match(parts.path):
        return PostRef("tiktok", m.group("id"))
    return None


def canonical_url(ref: PostRef) -> str:
    return f"https://www.tiktok.com/@{ref.handle or '_'}/video/{ref.post_id}"


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    cite = absolute(el.get("cite") or el.get("src"), base_url)
    parts = split(cite) if cite else None
    ref = match_url(parts) if parts else None
    video_id = el.get("data-video-id") or (ref.post_id if ref else None)
    if not video_id:
        return None
    text = None
    if el.tag == "blockquote":
        paragraph = first(el, "p")
        text = clean_text(text_of(paragraph, " ")) if paragraph is not None else None
    return Embed(
        "tiktok",
        url=cite if ref and ref.handle else None,
        post_id=video_id,
        author_handle=ref.handle if ref else None,
        text=text or None,
    )


@tries("oembed")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    query = urlencode({"format": "json", "url": canonical_url(ref)})
    result = await oembed(ctx, f"https://www.tiktok.com/oembed?{query}", ref, "tiktok", canonical_url(ref))
    if result.meta and result.meta.author_handle and not ref.handle:  # the real handle makes the real URL
        fixed = canonical_url(PostRef("tiktok", ref.post_id, result.meta.author_handle))
        return Fetched(replace(result.meta, url=fixed))
    return result


PLATFORM = Platform(
    name="tiktok",
    example_url="https://www.tiktok.com/@shmemmmy/video/7005293332821822726",
    example_id="7005293332821822726",
    match_url=match_url,
    hosts=frozenset({"tiktok.com", "m.tiktok.com"}),
    canonical_url=canonical_url,
    fetch=fetch,
    embed_xpath="//blockquote[contains(@class, 'tiktok-embed')] | //iframe[contains(@src, 'tiktok.com/embed')]",
    parse_embed=parse_embed,
    embed_markers=("tiktok",),
)
