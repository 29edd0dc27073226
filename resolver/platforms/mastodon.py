"""Mastodon (and compatible servers): status URLs on any instance, embed iframes and blockquotes."""

from __future__ import annotations

import re
from urllib.parse import SplitResult

from .base import (
    Embed,
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

# Hosts whose /@user/<digits> paths are not Mastodon statuses.
_OTHER_SITES = frozenset(
    {"medium.com", "tiktok.com", "youtube.com", "m.youtube.com", "threads.net", "threads.com", "substack.com"}
)
_WEB = re.compile(r"^/@(?P<user>[\w.-]+(?:@[\w.-]+)?)/(?P<id>\d{1,20})(?:/embed)?/?$")
_AP = re.compile(r"^/users/(?P<user>[\w.-]+)/statuses/(?P<id>\d{1,20})(?:/embed)?/?$")


def match_url(parts: SplitResult) -> PostRef | None:
    if not parts.path.startswith(("/@", "/users/")):
        return None
    host = host_of(parts)
    if host in _OTHER_SITES or host.endswith(".medium.com"):
        return None
    m = _WEB.match(parts.path) or _AP.match(parts.path)
    if m is None:
        return None
    user = m.group("user")
    instance = (parts.hostname or host).lower()
    if "@" in user:  # @user@origin on another server: the id is that server's, keep both
        return PostRef("mastodon", m.group("id"), user, (("instance", instance),))
    return PostRef("mastodon", m.group("id"), f"{user}@{instance}", (("instance", instance),))


def canonical_url(ref: PostRef) -> str:
    instance = dict(ref.extra).get("instance", "")
    user = (ref.handle or "").split("@")
    if len(user) == 2 and user[1] == instance:
        return f"https://{instance}/@{user[0]}/{ref.post_id}"
    if ref.handle:
        return f"https://{instance}/@{ref.handle}/{ref.post_id}"
    return f"https://{instance}/statuses/{ref.post_id}"


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    src = el.get("src") if el.tag == "iframe" else (el.get("data-embed-url") or None)
    url = absolute(src, base_url) if src else None
    ref = None
    if url:
        parts = split(url)
        ref = match_url(parts) if parts else None
    if ref is None and el.tag != "iframe":
        for _, href in anchors(el):
            parts = split(absolute(href, base_url) or "")
            ref = ref or (match_url(parts) if parts else None)
    if ref is None:
        return None
    text = clean_text(text_of(el, " ")) or None if el.tag != "iframe" else None
    return Embed(
        "mastodon",
        url=canonical_url(ref),
        post_id=ref.post_id,
        author_handle=ref.handle,
        text=text,
    )


def _shortcode(attrs: dict[str, str]) -> Embed | None:
    status_id = attrs.get("id") or attrs.get("status")
    instance = attrs.get("instance") or attrs.get("server") or attrs.get("host")
    if not status_id or not status_id.isdigit():
        return None
    user = attrs.get("user") or attrs.get("username")
    url = f"https://{instance}/@{user}/{status_id}" if instance and user else None
    handle = f"{user}@{instance}" if user and instance else None
    return Embed("mastodon", url=url, post_id=status_id, author_handle=handle)


PLATFORM = Platform(
    name="mastodon",
    example_url="https://mastodon.example/@mastodonpy_test/117020583223442465",
    example_id="117020583223442465",
    match_url=match_url,
    hosts=None,
    canonical_url=canonical_url,
    embed_xpath="//*[contains(@class, 'mastodon-embed')] | //iframe[re:test(@src, '/@[^/]+/[0-9]+/embed')]",
    parse_embed=parse_embed,
    embed_markers=("/embed",),
    shortcodes={"mastodon": _shortcode, "stoot": _shortcode, "toot": _shortcode},
)
