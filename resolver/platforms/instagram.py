"""Instagram: /p/, /reel/, /tv/ URLs; blockquote.instagram-media, amp-instagram and embed iframes."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlencode

from .base import (
    Embed,
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
)
from .http import META_GRAPH, FetchContext, Fetched, meta_oembed, tries

_HOSTS = frozenset({"instagram.com", "instagr.am", "m.instagram.com"})
_POST = re.compile(r"^(?:/(?P<user>[\w.]+))?/(?P<kind>p|reels?|tv)/(?P<code>[\w-]{5,40})(?:/|$)")


def match_url(parts: SplitResult) -> PostRef | None:
    if host_of(parts) not in _HOSTS:
        return None
    m = _POST.match(parts.path)
    if m is None:
        return None
    kind = "reel" if m.group("kind").startswith("reel") else m.group("kind")
    return PostRef("instagram", m.group("code"), m.group("user"), (("kind", kind),))


def canonical_url(ref: PostRef) -> str:
    return f"https://www.instagram.com/{dict(ref.extra).get('kind', 'p')}/{ref.post_id}/"


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    if el.tag == "amp-instagram":
        code = el.get("data-shortcode")
        if not code:
            return None
        return Embed("instagram", url=f"https://www.instagram.com/p/{code}/", post_id=code)
    candidates = [el.get("data-instgrm-permalink"), el.get("src"), el.get("cite")]
    if el.tag != "iframe":
        candidates += [href for _, href in anchors(el)]
    for href in candidates:
        parts = split(absolute(href, base_url) or "") if href else None
        ref = match_url(parts) if parts else None
        if ref is None:
            continue
        text = None
        if el.tag != "iframe":
            caption = first(el, "p")
            text = clean_text(text_of(caption, " ")) if caption is not None else None
        return Embed("instagram", url=canonical_url(ref), post_id=ref.post_id, text=text or None)
    return None


def _shortcode(attrs: dict[str, str]) -> Embed | None:
    code = attrs.get("id") or attrs.get("0")
    if not code:
        return None
    return Embed("instagram", url=f"https://www.instagram.com/p/{code}/", post_id=code)


@tries("oembed", "opengraph")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    query = urlencode({"format": "json", "omitscript": "true", "url": canonical_url(ref)})
    return await meta_oembed(ctx, f"{META_GRAPH}/instagram_oembed?{query}", ref, "instagram", canonical_url(ref))


PLATFORM = Platform(
    name="instagram",
    example_url="https://www.instagram.com/p/B9bOM-6Ax_d/",
    example_id="B9bOM-6Ax_d",
    match_url=match_url,
    hosts=_HOSTS,
    canonical_url=canonical_url,
    fetch=fetch,
    embed_xpath="//blockquote[contains(@class, 'instagram-media')] | "
    "//amp-instagram | //iframe[contains(@src, 'instagram.com/p/') or contains(@src, 'instagram.com/reel/')]",
    parse_embed=parse_embed,
    embed_markers=("instagram",),
    shortcodes={"instagram": _shortcode},
)
