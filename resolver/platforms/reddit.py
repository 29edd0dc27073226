"""Reddit: /r/<sub>/comments/<id36>/ permalinks; reddit-embed-bq blockquotes and the older reddit-card."""

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
from .http import FetchContext, Fetched, oembed, tries

_HOSTS = frozenset({"reddit.com", "old.reddit.com", "new.reddit.com", "np.reddit.com", "m.reddit.com"})
_POST = re.compile(r"^/r/(?P<sub>\w+)/comments/(?P<id>[a-z0-9]{2,12})(?:/(?P<slug>[^/]*))?")


def match_url(parts: SplitResult) -> PostRef | None:
    if host_of(parts) not in _HOSTS:
        return None
    m = _POST.match(parts.path)
    if m is None:
        return None
    return PostRef("reddit", m.group("id"), None, (("subreddit", m.group("sub")), ("slug", m.group("slug") or "")))


def canonical_url(ref: PostRef) -> str:
    extra = dict(ref.extra)
    slug = f"{extra['slug']}/" if extra.get("slug") else ""
    return f"https://www.reddit.com/r/{extra.get('subreddit', 'all')}/comments/{ref.post_id}/{slug}"


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    candidates = [el.get("src"), el.get("cite"), el.get("data-src")]
    if el.tag != "iframe":
        candidates += [href for _, href in anchors(el)]
    for href in candidates:
        url = absolute(href, base_url) if href else None
        if url and "embed.reddit.com" in url:
            url = url.replace("embed.reddit.com", "www.reddit.com")
        parts = split(url) if url else None
        ref = match_url(parts) if parts else None
        if ref is not None:
            text = clean_text(text_of(el, " ")) if el.tag != "iframe" else None
            return Embed("reddit", url=canonical_url(ref), post_id=ref.post_id, text=text or None)
    return None


@tries("oembed")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    query = urlencode({"url": canonical_url(ref)})
    return await oembed(ctx, f"https://www.reddit.com/oembed?{query}", ref, "reddit", canonical_url(ref))


PLATFORM = Platform(
    name="reddit",
    example_url="https://www.reddit.com/r/Python/comments/1b2c3d/example/",
    example_id="1b2c3d",
    match_url=match_url,
    hosts=_HOSTS,
    canonical_url=canonical_url,
    fetch=fetch,
    embed_forms=(
        EmbedForm("blockquote", "contains(@class, 'reddit-embed-bq') or contains(@class, 'reddit-card')"),
        EmbedForm("iframe", "contains(@src, 'embed.reddit.com/r/') or contains(@src, 'redditmedia.com/r/')"),
        EmbedForm("amp-reddit"),
    ),
    parse_embed=parse_embed,
)
