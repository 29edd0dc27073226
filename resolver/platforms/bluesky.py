"""Bluesky: bsky.app post URLs, AT-URIs, the blockquote embed and its iframe."""

from __future__ import annotations

import re
from urllib.parse import SplitResult

from ..dates import parse_embed_date
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

_POST = re.compile(r"/profile/(?P<actor>[^/]+)/post/(?P<rkey>[A-Za-z0-9._~:-]+)/?$")
_AT_URI = re.compile(r"^at://(?P<actor>[^/]+)/app\.bsky\.feed\.post/(?P<rkey>[A-Za-z0-9._~:-]+)$")
_SIGNATURE = re.compile(r"[—–-]\s*(?P<name>[^\n(—]*?)\s*\(\s*@(?P<handle>[\w.-]+)\s*\)")
_EMBED = re.compile(r"/embed/(?P<actor>did:[^/]+)/app\.bsky\.feed\.post/(?P<rkey>[A-Za-z0-9._~:-]+)")


def match_url(parts: SplitResult) -> PostRef | None:
    host = host_of(parts)
    if host in ("bsky.app", "staging.bsky.app") and (m := _POST.match(parts.path)):
        return PostRef("bluesky", m.group("rkey"), m.group("actor"))
    if host == "embed.bsky.app" and (m := _EMBED.match(parts.path)):
        return PostRef("bluesky", m.group("rkey"), m.group("actor"))
    return None


def match_at_uri(uri: str) -> PostRef | None:
    m = _AT_URI.match(uri.strip())
    return PostRef("bluesky", m.group("rkey"), m.group("actor")) if m else None


def canonical_url(ref: PostRef) -> str:
    return f"https://bsky.app/profile/{ref.handle}/post/{ref.post_id}"


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    if el.tag == "iframe":
        parts = split(absolute(el.get("src"), base_url) or "")
        ref = match_url(parts) if parts else None
        return Embed("bluesky", url=canonical_url(ref), post_id=ref.post_id) if ref else None
    ref = match_at_uri(el.get("data-bluesky-uri") or "")
    post_url = None
    date_text = None
    name = handle = None
    for a, href in anchors(el):
        url = absolute(href, base_url) or ""
        parts = split(url)
        found = match_url(parts) if parts else None
        if found is not None:
            post_url, date_text = url, text_of(a)
            ref = ref or found
    if signature := _SIGNATURE.search(text_of(el, " ")):
        name, handle = clean_text(signature.group("name")) or None, signature.group("handle")
    if ref is None:
        return None
    paragraph = first(el, "p")
    return Embed(
        "bluesky",
        url=post_url or canonical_url(ref),
        post_id=ref.post_id,
        author_name=name,
        author_handle=handle or (ref.handle if ref.handle and not ref.handle.startswith("did:") else None),
        published=parse_embed_date(date_text) if date_text else None,
        text=clean_text(text_of(paragraph)) if paragraph is not None else None,
        links=tuple(href for _, href in anchors(paragraph)) if paragraph is not None else (),
    )


def _shortcode(attrs: dict[str, str]) -> Embed | None:
    link = attrs.get("link") or attrs.get("url") or attrs.get("0")
    parts = split(link or "")
    ref = match_url(parts) if parts else None
    if ref is None:
        return None
    return Embed("bluesky", url=link, post_id=ref.post_id, author_handle=ref.handle)


PLATFORM = Platform(
    name="bluesky",
    example_url="https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22",
    example_id="3kaheyt6vpc22",
    match_url=match_url,
    hosts=frozenset({"bsky.app", "staging.bsky.app", "embed.bsky.app"}),
    canonical_url=canonical_url,
    embed_xpath="//blockquote[@data-bluesky-uri] | "
    "//blockquote[contains(@class, 'bluesky-embed')] | "
    "//iframe[contains(@src, 'embed.bsky.app/embed/')]",
    parse_embed=parse_embed,
    embed_markers=("bluesky", "bsky"),
    shortcodes={"bluesky": _shortcode, "bsky": _shortcode},
)
