"""Bluesky: bsky.app post URLs, AT-URIs, the blockquote embed and its iframe."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlencode

from ..models import Media, PostMeta
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
)
from .dates import parse_embed_date
from .http import NOTHING, FetchContext, Fetched, tries

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


# --- metadata over the network (public AppView, no auth) ------------------------------------------------

APPVIEW = "https://public.api.bsky.app/xrpc"


def at_to_web(uri: str) -> str | None:
    ref = match_at_uri(uri)
    return canonical_url(ref) if ref else None


@tries("api")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    """The public AppView: the handle's DID (resolveHandle), then the post (getPostThread)."""
    actor = ref.handle or ""
    if not actor.startswith("did:"):
        status, data = await ctx.get_json(
            f"{APPVIEW}/com.atproto.identity.resolveHandle?{urlencode({'handle': actor})}"
        )
        if status == 400 and isinstance(data, dict):
            return Fetched(dead=f"handle @{actor} does not resolve ({data.get('message') or data.get('error')})")
        if status != 200 or not isinstance(data, dict) or not data.get("did"):
            return NOTHING
        actor = str(data["did"])
    uri = f"at://{actor}/app.bsky.feed.post/{ref.post_id}"
    query = urlencode({"uri": uri, "depth": 0, "parentHeight": 0})
    status, data = await ctx.get_json(f"{APPVIEW}/app.bsky.feed.getPostThread?{query}")
    if status == 400 and isinstance(data, dict) and data.get("error") == "NotFound":
        return Fetched(dead=f"not found: {data.get('message') or 'the post was deleted'}")
    if status != 200 or not isinstance(data, dict):
        return NOTHING
    thread = data.get("thread") or {}
    if thread.get("notFound") or str(thread.get("$type", "")).endswith("#notFoundPost"):
        return Fetched(dead="not found: the post was deleted")
    if thread.get("blocked"):
        return Fetched(dead="blocked by its author")
    post = thread.get("post")
    return Fetched(post_view_meta(post)) if isinstance(post, dict) else NOTHING


def post_view_meta(post: dict[str, Any]) -> PostMeta:
    """app.bsky.feed.defs#postView → PostMeta. Facet ranges are UTF-8 byte offsets; link targets come
    from the facets (the text may show them shortened)."""
    author = post.get("author") or {}
    record = post.get("record") or {}
    links: list[str] = []
    text = str(record.get("text") or "")
    raw = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if str(feature.get("$type", "")).endswith("#link") and feature.get("uri"):
                links.append(str(feature["uri"]))
                index = facet.get("index") or {}
                start, end = index.get("byteStart"), index.get("byteEnd")
                if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(raw):
                    spans.append((start, end, str(feature["uri"])))
    # The text may show a link shortened ("github.com/snarfed/brid..."); the facet says which bytes it spans.
    for start, end, uri in sorted(spans, reverse=True):
        raw = raw[:start] + uri.encode("utf-8") + raw[end:]
    text = raw.decode("utf-8", errors="replace")
    embed = post.get("embed") or {}
    media: list[Media] = []
    quoted = None
    for view in (embed, embed.get("media") or {}):
        kind = str(view.get("$type", ""))
        if kind.endswith("images#view"):
            media += [Media("photo", i["fullsize"]) for i in view.get("images") or [] if i.get("fullsize")]
        elif kind.endswith("video#view") and view.get("playlist"):
            media.append(Media("video", view["playlist"]))
        elif kind.endswith("external#view") and (view.get("external") or {}).get("uri"):
            external = view["external"]["uri"]
            if external not in links:
                links.append(external)
    quoted_view = embed.get("record") or {}
    if isinstance(quoted_view.get("record"), dict):  # recordWithMedia#view nests one level deeper
        quoted_view = quoted_view["record"]
    if quoted_view.get("uri"):
        quoted = at_to_web(str(quoted_view["uri"]))
    parent = (record.get("reply") or {}).get("parent") or {}
    uri = str(post.get("uri") or "")
    ref = match_at_uri(uri)
    langs = record.get("langs") or []
    return PostMeta(
        platform="bluesky",
        id=ref.post_id if ref else uri.rsplit("/", 1)[-1],
        url=at_to_web(uri) or uri,
        author_name=author.get("displayName") or None,
        author_handle=author.get("handle"),
        created_at=record.get("createdAt") or post.get("indexedAt"),
        text=text or None,
        lang=langs[0] if langs else None,
        media=tuple(media),
        links=tuple(links),
        quoted=quoted,
        reply_to=at_to_web(str(parent["uri"])) if parent.get("uri") else None,
        source="api",
    )


PLATFORM = Platform(
    name="bluesky",
    example_url="https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22",
    example_id="3kaheyt6vpc22",
    match_url=match_url,
    hosts=frozenset({"bsky.app", "staging.bsky.app", "embed.bsky.app"}),
    canonical_url=canonical_url,
    embed_forms=(
        EmbedForm("blockquote", "@data-bluesky-uri"),
        EmbedForm("blockquote", "contains(@class, 'bluesky-embed')"),
        EmbedForm("iframe", "contains(@src, 'embed.bsky.app/embed/')"),
    ),
    parse_embed=parse_embed,
    shortcodes={"bluesky": _shortcode, "bsky": _shortcode},
    fetch=fetch,
)
