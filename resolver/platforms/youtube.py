"""YouTube: watch, shorts, live and youtu.be links; embed iframes, amp-youtube and lite-youtube."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlencode

from .base import Embed, EmbedForm, HtmlElement, Platform, PostRef, absolute, host_of, query_value, split
from .http import FetchContext, Fetched, oembed, tries

_HOSTS = frozenset({"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"})
_ID = re.compile(r"^[\w-]{11}$")
_PATH = re.compile(r"^/(?:embed|shorts|live|v|e)/(?P<id>[\w-]{11})(?:[/?]|$)")
# Eleven-character path words that are not video ids: /embed/videoseries?list=… (a playlist),
# /embed/live_stream?channel=… (a channel's current stream).
_NOT_IDS = frozenset({"videoseries", "live_stream"})


def match_url(parts: SplitResult) -> PostRef | None:
    host = host_of(parts)
    if host == "youtu.be":
        video = parts.path.strip("/").split("/")[0]
        return PostRef("youtube", video) if _ID.match(video) else None
    if host not in _HOSTS:
        return None
    if parts.path in ("/watch", "/watch/"):
        video = query_value(parts, "v") or ""
        return PostRef("youtube", video) if _ID.match(video) else None
    if (m := _PATH.match(parts.path)) and m.group("id") not in _NOT_IDS:
        return PostRef("youtube", m.group("id"))
    return None


def canonical_url(ref: PostRef) -> str:
    return f"https://www.youtube.com/watch?v={ref.post_id}"


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    video = (el.get("data-videoid") or el.get("videoid") or "").strip()
    if "/" in video:  # the video's URL where the id belongs
        parts = split(absolute(video, base_url) or "")
        ref = match_url(parts) if parts else None
        video = ref.post_id if ref else ""
    if not video:
        # src, or the attribute a lazy loader or consent tool keeps it in until it loads (data-src, data-lazy-src…)
        sources = [el.get("src"), *(v for k, v in el.items() if k != "src" and "youtu" in v)]
        for src in sources:
            url = absolute(src, base_url) if src else None
            parts = split(url) if url else None
            if (ref := match_url(parts) if parts else None) is not None:
                video = ref.post_id
                break
    if not video or not _ID.match(video) or video in _NOT_IDS:
        return None
    return Embed("youtube", url=f"https://www.youtube.com/watch?v={video}", post_id=video)


def _shortcode(attrs: dict[str, str]) -> Embed | None:
    video = attrs.get("id") or attrs.get("0") or ""
    if not _ID.match(video):
        return None
    return Embed("youtube", url=f"https://www.youtube.com/watch?v={video}", post_id=video)


@tries("oembed")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    # The form the recorded answers were given for (ruby-oembed, 2024): /oembed/ with scheme=https.
    query = urlencode({"format": "json", "scheme": "https", "url": f"https://www.youtube.com/watch?v={ref.post_id}"})
    return await oembed(ctx, f"https://www.youtube.com/oembed/?{query}", ref, "youtube", canonical_url(ref))


PLATFORM = Platform(
    name="youtube",
    example_url="https://www.youtube.com/watch?v=pO5L6vXtxsI",
    example_id="pO5L6vXtxsI",
    match_url=match_url,
    hosts=_HOSTS | {"youtu.be"},
    canonical_url=canonical_url,
    fetch=fetch,
    # iframes by any attribute (src, or data-src… of a lazy loader), and placeholders that keep the embed URL
    # in a data-* attribute until clicked (WP Rocket's div.rll-youtube-player and its kin)
    embed_forms=(
        EmbedForm("iframe", "@*[contains(., 'youtube.com/embed/') or contains(., 'youtube-nocookie.com/embed/')]"),
        EmbedForm(
            "*",
            "not(self::a)"
            " and @data-src[contains(., 'youtube.com/embed/') or contains(., 'youtube-nocookie.com/embed/')]",
            "data-src",
            ("youtube.com/embed/", "youtube-nocookie.com/embed/"),
        ),
        EmbedForm("amp-youtube"),
        EmbedForm("lite-youtube"),
    ),
    parse_embed=parse_embed,
    shortcodes={"youtube": _shortcode},
)
