"""Mastodon (and compatible servers): status URLs on any instance, embed iframes and blockquotes."""

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
    host_of,
    html_text,
    split,
    text_of,
)
from .http import NOTHING, FetchContext, Fetched, tries

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
    # Only paragraphs hold the post's words: the embed code's own text is "Post by @user@server" and
    # "View on Mastodon" (a placeholder the script replaces).
    text = clean_text("\n\n".join(text_of(p, " ") for p in el.iter("p"))) or None if el.tag != "iframe" else None
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


@tries("api", "oembed")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    """The status on the server that issued its id (ids are per server); that server's oEmbed when the API
    refuses (limited-federation servers answer 401 to anonymous calls) or fails (noted in ``ctx``)."""
    from ..errors import BlockedError, FetchError

    instance = dict(ref.extra).get("instance")
    if not instance:
        return NOTHING
    try:
        status, data = await ctx.get_json(f"https://{instance}/api/v1/statuses/{ref.post_id}")
    except FetchError as exc:
        if isinstance(exc, BlockedError):
            raise  # the same server's oEmbed would be refused too
        status, data = 0, None
    if status == 200 and isinstance(data, dict) and data.get("id"):
        return Fetched(status_meta(data, instance))
    if status == 404:
        return Fetched(dead="not found: deleted, private, or not on this server")
    query = urlencode({"url": canonical_url(ref)})
    status, data = await ctx.get_json(f"https://{instance}/api/oembed?{query}")
    if status == 200 and isinstance(data, dict) and data.get("html"):
        text, _ = html_text(str(data["html"]))
        return Fetched(
            PostMeta(
                "mastodon",
                ref.post_id,
                canonical_url(ref),
                data.get("author_name"),
                ref.handle,
                text=text or None,
                source="oembed",
            )
        )
    return NOTHING


def status_meta(data: dict[str, Any], instance: str) -> PostMeta:
    """GET /api/v1/statuses/:id → PostMeta: HTML content to text, real link targets (Mastodon does not
    shorten), media, quote and the replied-to status."""
    account = data.get("account") or {}
    acct = str(account.get("acct") or account.get("username") or "")
    handle = acct if "@" in acct else f"{acct}@{instance}"
    text, hrefs = html_text(str(data.get("content") or ""))
    mention_urls = {m.get("url") for m in data.get("mentions") or []}
    tag_urls = {t.get("url") for t in data.get("tags") or []}
    links = [h for h in hrefs if h not in mention_urls and h not in tag_urls and "/tags/" not in h]
    media = tuple(
        Media(str(m.get("type") or "image"), str(m.get("url") or m.get("remote_url")))
        for m in data.get("media_attachments") or []
        if m.get("url") or m.get("remote_url")
    )
    reply_to = None
    if data.get("in_reply_to_id"):
        mention = next(
            (m for m in data.get("mentions") or [] if m.get("id") == data.get("in_reply_to_account_id")), None
        )
        base = mention.get("url") if mention else None
        reply_to = f"{base}/{data['in_reply_to_id']}" if base else None
    quote = data.get("quote") or {}
    quoted = (quote.get("quoted_status") or {}).get("url") if isinstance(quote, dict) else None
    return PostMeta(
        platform="mastodon",
        id=str(data["id"]),
        url=str(data.get("url") or data.get("uri") or ""),
        author_name=account.get("display_name") or account.get("username"),
        author_handle=handle,
        created_at=data.get("created_at"),
        text=text or None,
        lang=data.get("language"),
        media=media,
        links=tuple(links),
        quoted=quoted,
        reply_to=reply_to,
        source="api",
    )


PLATFORM = Platform(
    name="mastodon",
    example_url="https://mastodon.example/@mastodonpy_test/117020583223442465",
    example_id="117020583223442465",
    match_url=match_url,
    hosts=None,
    canonical_url=canonical_url,
    fetch=fetch,
    embed_forms=(
        EmbedForm("*", "contains(@class, 'mastodon-embed')", "class", ("mastodon-embed",)),
        EmbedForm("iframe", "re:test(@src, '/@[^/]+/[0-9]+/embed')"),
    ),
    parse_embed=parse_embed,
    shortcodes={"mastodon": _shortcode, "stoot": _shortcode, "toot": _shortcode},
)
