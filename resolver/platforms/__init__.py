"""The platform registry: an explicit, ordered tuple. Adding a platform = one module + one line here.

Order matters where URL patterns could overlap: specific hosts first, Mastodon (any host) last.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import SplitResult

from . import bluesky, facebook, instagram, mastodon, reddit, threads, tiktok, twitter, youtube
from .base import Embed, EmbedForm, Platform, PostRef, split

PLATFORMS: tuple[Platform, ...] = (
    twitter.PLATFORM,
    bluesky.PLATFORM,
    instagram.PLATFORM,
    tiktok.PLATFORM,
    threads.PLATFORM,
    youtube.PLATFORM,
    reddit.PLATFORM,
    facebook.PLATFORM,
    mastodon.PLATFORM,
)
BY_NAME: dict[str, Platform] = {p.name: p for p in PLATFORMS}


@lru_cache(maxsize=65536)
def match_post_url(url: str) -> PostRef | None:
    """The post a URL points at, on any registered platform, or None."""
    parts = split(url)
    return match_parts(parts) if parts else None


_BY_HOST: dict[str, tuple[Platform, ...]] = {}
for _platform in PLATFORMS:
    for _host in _platform.hosts or ():
        _BY_HOST[_host] = (*_BY_HOST.get(_host, ()), _platform)
_ANY_HOST = tuple(p for p in PLATFORMS if p.hosts is None)


def match_parts(parts: SplitResult) -> PostRef | None:
    """Only the platforms that claim the URL's host are asked, then those that accept any host."""
    host = (parts.hostname or "").rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    for platform in (*_BY_HOST.get(host, ()), *_ANY_HOST):
        ref = platform.match_url(parts)
        if ref is not None:
            return ref
    return None


def canonical_post_url(ref: PostRef) -> str:
    return BY_NAME[ref.platform].canonical_url(ref)


__all__ = ["BY_NAME", "PLATFORMS", "Embed", "EmbedForm", "Platform", "PostRef", "canonical_post_url", "match_post_url"]
