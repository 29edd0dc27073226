"""TikTok: /@user/video/<id> URLs, blockquote.tiktok-embed and the v2 embed iframe."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import SplitResult, urlencode

from .base import (
    Embed,
    EmbedForm,
    HtmlElement,
    Platform,
    PostRef,
    absolute,
    anchors,
    clean_text,
    first,
    host_of,
    split,
    text_of,
    text_without,
)
from .http import FetchContext, Fetched, oembed, tries

_HOSTS = frozenset({"tiktok.com", "m.tiktok.com"})
_VIDEO = re.compile(r"^/@(?P<user>[\w.-]+)/(?:video|photo)/(?P<id>\d{5,25})")
_EMBED = re.compile(r"^/(?:embed(?:/v2)?|player/v1)/(?P<id>\d{5,25})")


def match_url(parts: SplitResult) -> PostRef | None:
    if host_of(parts) not in _HOSTS:
        return None
    if m := _VIDEO.match(parts.path):
        return PostRef("tiktok", m.group("id"), m.group("user"))
    if m := _EMBED.match(parts.path):
        return PostRef("tiktok", m.group("id"))
    return None


def canonical_url(ref: PostRef) -> str:
    return f"https://www.tiktok.com/@{ref.handle or '_'}/video/{ref.post_id}"


_PROFILE = re.compile(r"^/@(?P<user>[\w.-]+)/?$")


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    data_src = el.get("data-src") or ""
    if data_src.isdigit():  # <amp-tiktok data-src="7300…">: the id itself
        return Embed("tiktok", post_id=data_src)
    cite = absolute(el.get("cite") or el.get("src") or data_src, base_url)
    parts = split(cite) if cite else None
    ref = match_url(parts) if parts else None
    video_id = el.get("data-video-id") or (ref.post_id if ref else None)
    if not video_id:
        return None
    handle = ref.handle if ref else None
    text = None
    if el.tag == "blockquote":
        profile = None
        for a, href in anchors(el):  # the embed code's first link is the author's profile: @handle
            link = split(absolute(href, base_url) or "")
            if link and host_of(link) in _HOSTS and (m := _PROFILE.match(link.path)):
                profile = a
                handle = handle or m.group("user")
                break
        paragraph = first(el, "p")
        section = first(el, "section")
        if paragraph is not None:
            text = clean_text(text_of(paragraph, " "))
        elif section is not None:  # newer embed code: the caption stands in the section beside the links
            text = clean_text(_caption(section, profile))
    return Embed(
        "tiktok",
        url=cite if ref and ref.handle else None,
        post_id=video_id,
        author_handle=handle,
        text=text or None,
    )


def _caption(section: HtmlElement, profile: HtmlElement | None) -> str:
    """The section's text without the author link and the sound link ("♬ original sound - …")."""
    sound = [a for a in section.iter("a") if (a.get("href") or "").split("?")[0].rstrip("/").count("/music/")]
    text = text_without(section, profile, " ")
    for a in sound:
        text = text.replace(text_of(a, " "), " ")
    return text


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
    hosts=_HOSTS,
    canonical_url=canonical_url,
    fetch=fetch,
    embed_forms=(
        EmbedForm("blockquote", "contains(@class, 'tiktok-embed')"),
        EmbedForm("amp-tiktok"),
        EmbedForm("iframe", "contains(@src, 'tiktok.com/embed') or contains(@src, 'tiktok.com/player/v1/')"),
    ),
    parse_embed=parse_embed,
)
