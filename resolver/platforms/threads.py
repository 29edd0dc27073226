"""Threads: threads.net / threads.com post URLs and blockquote.text-post-media embeds."""

from __future__ import annotations

import re
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
    host_of,
    split,
    text_of,
)
from .http import FetchContext, Fetched, meta_oembed, tries

_POST = re.compile(r"^/@(?P<user>[\w.]+)/post/(?P<code>[\w-]{5,40})/?")
_SHORT = re.compile(r"^/t/(?P<code>[\w-]{5,40})/?")


def match_url(parts: SplitResult) -> PostRef | None:
    if host_of(parts) not in ("threads.net", "threads.com"):
        return None
    if m := _POST.match(parts.path):
        return PostRef("threads", m.group("code"), m.group("user"))
    if m := _SHORT.match(parts.path):
        return PostRef("threads", m.group("code"))
    return None


def canonical_url(ref: PostRef) -> str:
    if ref.handle:
        return f"https://www.threads.com/@{ref.handle}/post/{ref.post_id}"
    return f"https://www.threads.com/t/{ref.post_id}"


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    permalink = absolute(el.get("data-text-post-permalink"), base_url)
    hrefs = [permalink] + [absolute(href, base_url) for _, href in anchors(el)]
    for href in hrefs:
        parts = split(href) if href else None
        ref = match_url(parts) if parts else None
        if ref is not None:
            return Embed(
                "threads",
                url=canonical_url(ref),
                post_id=ref.post_id,
                author_handle=ref.handle,
                # The embed code holds no post text, only "Post by @user" and "View on Threads".
                text=clean_text("\n\n".join(text_of(p, " ") for p in el.iter("p"))) or None,
            )
    return None


@tries("oembed", "opengraph")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    """Threads oEmbed (graph.threads.net, tokenless since 2026-06): html only, no author fields; the post
    page's OpenGraph when it does not answer."""
    query = urlencode({"url": canonical_url(ref)})
    return await meta_oembed(ctx, f"https://graph.threads.net/oembed?{query}", ref, "threads", canonical_url(ref))


PLATFORM = Platform(
    name="threads",
    example_url="https://www.threads.net/@zuck/post/CuP48CiS5sx",
    example_id="CuP48CiS5sx",
    match_url=match_url,
    hosts=frozenset({"threads.net", "threads.com"}),
    canonical_url=canonical_url,
    fetch=fetch,
    embed_forms=(EmbedForm("blockquote", "contains(@class, 'text-post-media')"),),
    parse_embed=parse_embed,
)
