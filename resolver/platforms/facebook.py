"""Facebook: post, video, photo and reel URLs; div.fb-post / div.fb-video and the plugin iframes."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlencode

from .base import Embed, HtmlElement, Platform, PostRef, absolute, host_of, query_value, split
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


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    target = el.get("data-href") or _plugin_target(el.get("src"), base_url) or el.get("cite")
    if not target:
        return None
    url = absolute(target, base_url) or target
    parts = split(url)
    ref = match_url(parts) if parts else None
    return Embed("facebook", url=url, post_id=ref.post_id if ref else None, author_handle=ref.handle if ref else None)


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
    embed_xpath="//*[contains(@class, 'fb-post') or "
    "contains(@class, 'fb-video')][@data-href] | "
    "//iframe[contains(@src, 'facebook.com/plugins/post.php') or contains(@src, 'facebook.com/plugins/video.php')]",
    parse_embed=parse_embed,
    embed_markers=("fb-post", "fb-video", "facebook.com/plugins"),
)
