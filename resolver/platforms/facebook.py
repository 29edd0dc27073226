"""Facebook: post, video, photo and reel URLs; div.fb-post / div.fb-video and the plugin iframes."""

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
    first,
    host_of,
    query_value,
    split,
    text_of,
)
from .dates import parse_embed_date
from .http import META_GRAPH, FetchContext, Fetched, meta_oembed, tries

_HOSTS = frozenset({"facebook.com", "m.facebook.com", "web.facebook.com", "mbasic.facebook.com"})
_PATHS = [
    re.compile(r"^/(?P<page>[\w.-]+)/(?:posts|videos|photos/[^/]+)/(?:[\w.-]+/)?(?P<id>pfbid\w+|\d{5,25})"),
    re.compile(r"^/(?:reel|watch/live)/(?P<id>\d{5,25})"),
    re.compile(r"^/share/[prv]/(?P<id>\w{5,25})"),
    re.compile(r"^/groups/(?P<page>[\w.-]+)/(?:posts|permalink)/(?P<id>\d{5,25})"),
]
_QUERY_IDS = {
    "/permalink.php": "story_fbid",
    "/story.php": "story_fbid",
    "/watch": "v",
    "/watch/": "v",
    "/photo.php": "fbid",
    "/photo": "fbid",
    "/photo/": "fbid",
    "/video.php": "v",
}


def match_url(parts: SplitResult) -> PostRef | None:
    if host_of(parts) not in _HOSTS:
        return None
    if parts.path in _QUERY_IDS:
        post_id = query_value(parts, _QUERY_IDS[parts.path])
        return PostRef("facebook", post_id, query_value(parts, "id")) if post_id else None
    for pattern in _PATHS:
        if m := pattern.match(parts.path):
            page = m.groupdict().get("page")
            return PostRef("facebook", m.group("id"), page, (("path", parts.path),))
    return None


def canonical_url(ref: PostRef) -> str:
    path = dict(ref.extra).get("path")
    if path:
        return f"https://www.facebook.com{path.rstrip('/')}"
    return f"https://www.facebook.com/{ref.post_id}"


def _plugin_target(src: str | None, base_url: str | None) -> str | None:
    parts = split(absolute(src, base_url) or "") if src else None
    if parts and host_of(parts) in _HOSTS and parts.path.startswith("/plugins/"):
        return query_value(parts, "href")
    return None


def _iframe_target(el: HtmlElement, base_url: str | None) -> str | None:
    """The plugin URL of an iframe, from src or from the attribute a lazy loader keeps it in (data-src…)."""
    for name, value in el.items():
        if (name == "src" or "facebook.com/plugins/" in value) and (target := _plugin_target(value, base_url)):
            return target
    return None


_PAGE = re.compile(r"^/(?P<page>[\w.-]+)/?$")


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    target = el.get("data-href") or (_iframe_target(el, base_url) if el.tag == "iframe" else None) or el.get("cite")
    if not target:
        return None
    url = absolute(target, base_url) or target
    parts = split(url)
    if parts is None or host_of(parts) not in _HOSTS:
        return None  # amp-facebook-comments and like buttons point at the article, not at a post
    ref = match_url(parts)
    # The SDK's fallback markup: <blockquote cite=…><p>text</p>Posted by <a href=page>Name</a> on <a>date</a>
    quote = first(el, "blockquote") if el.tag != "blockquote" else el
    name = published = text = None
    if quote is not None:
        paragraph = first(quote, "p")
        text = clean_text(text_of(paragraph, " ")) if paragraph is not None else None
        links = anchors(quote)
        for a, href in links:
            page = split(absolute(href, base_url) or "")
            if page and host_of(page) in _HOSTS and _PAGE.match(page.path) and not _in_paragraph(paragraph, a):
                name = clean_text(text_of(a, " ")) or None
                break
        if links and not _in_paragraph(paragraph, links[-1][0]):
            published = parse_embed_date(text_of(links[-1][0], " "))
    return Embed(
        "facebook",
        url=url,
        post_id=ref.post_id if ref else None,
        author_name=name,
        author_handle=ref.handle if ref else None,
        published=published,
        text=text or None,
    )


def _in_paragraph(paragraph: HtmlElement | None, el: HtmlElement) -> bool:
    return paragraph is not None and any(a is paragraph for a in el.iterancestors())


@tries("oembed", "opengraph")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    url = canonical_url(ref)
    endpoint = "oembed_video" if "/videos/" in url or "/reel/" in url or "/watch" in url else "oembed_post"
    query = urlencode({"format": "json", "omitscript": "true", "url": url})
    return await meta_oembed(ctx, f"{META_GRAPH}/{endpoint}?{query}", ref, "facebook", url)


PLATFORM = Platform(
    name="facebook",
    example_url="https://www.facebook.com/rubyonrailstogo/posts/3610333842332884",
    example_id="3610333842332884",
    match_url=match_url,
    hosts=_HOSTS,
    canonical_url=canonical_url,
    fetch=fetch,
    embed_forms=(
        EmbedForm(
            "*",
            "(contains(@class, 'fb-post') or contains(@class, 'fb-video')) and @data-href",
            "class",
            ("fb-post", "fb-video"),
        ),
        EmbedForm("amp-facebook", "@data-href"),
        EmbedForm(
            "iframe",
            "@*[contains(., 'facebook.com/plugins/post.php') or contains(., 'facebook.com/plugins/video.php')]",
        ),
    ),
    parse_embed=parse_embed,
)
