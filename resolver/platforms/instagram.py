"""Instagram: /p/, /reel/, /tv/ URLs; blockquote.instagram-media, amp-instagram and embed iframes."""

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


# The attribution line under an embed, in the languages Instagram's embed code is generated in (read from
# saved pages): "A post shared by Name (@handle)" and its translations. Where the language puts the name first
# ("Name (@handle)がシェアした投稿"), the phrase is a suffix. Matched case-insensitively, spaces folded.
_SHARED_BY_PREFIXES = (
    "a post shared by",
    "ein beitrag geteilt von",
    "une publication partagée par",
    "una publicación compartida por",
    "una publicación compartida de",
    "un post condiviso da",
    "uma publicação compartilhada por",
    "uma publicação partilhada por",
    "een bericht gedeeld door",
    "post udostępniony przez",
    "публикация от",
)
_SHARED_BY_SUFFIXES = ("がシェアした投稿", "分享的帖子")
_HANDLE = r"[A-Za-z0-9._]{1,30}"
_PAREN_HANDLE = re.compile(rf"\(\s*@(?P<handle>{_HANDLE})\s*\)")
_BARE_HANDLE = re.compile(rf"^@(?P<handle>{_HANDLE})\b")
_PROFILE = re.compile(rf"^/(?P<user>{_HANDLE})/?$")
_NOT_USERS = frozenset({"p", "reel", "reels", "tv", "explore", "stories", "accounts"})


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    if el.tag == "amp-instagram":
        code = (el.get("data-shortcode") or "").strip()
        if "/" in code:  # the post's URL where the shortcode belongs: it says the kind (reel, tv) too
            parts = split(absolute(code, base_url) or "")
            ref = match_url(parts) if parts else None
            if ref is None:
                return None
            return Embed("instagram", url=canonical_url(ref), post_id=ref.post_id, author_handle=ref.handle)
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
        if el.tag == "iframe":
            return Embed("instagram", url=canonical_url(ref), post_id=ref.post_id)
        return _from_blockquote(el, ref, base_url)
    return None


def _from_blockquote(el: HtmlElement, ref: PostRef, base_url: str | None) -> Embed:
    """The caption is the first paragraph that is not the attribution; the attribution gives the author
    and, in older embed code, the date (``<time datetime>``)."""
    paragraphs = list(el.iter("p"))
    attribution = next((p for p in reversed(paragraphs) if _is_attribution(p, base_url)), None)
    name, handle = _author(attribution, base_url) if attribution is not None else (None, None)
    captions = (clean_text(text_of(p, " ")) for p in paragraphs if p is not attribution)
    text = next((c for c in captions if c), None)
    time = first(attribution, "time") if attribution is not None else None
    published = (time.get("datetime") or None) if time is not None else None
    return Embed(
        "instagram",
        url=canonical_url(ref),
        post_id=ref.post_id,
        author_name=name,
        author_handle=handle or ref.handle,
        published=published,
        text=text or None,
    )


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _is_attribution(p: HtmlElement, base_url: str | None) -> bool:
    text = _fold(text_of(p, " "))
    if _PAREN_HANDLE.search(text) or first(p, "time") is not None:
        return True
    if text.startswith(_SHARED_BY_PREFIXES) or text.endswith(_SHARED_BY_SUFFIXES):
        return True
    return any(_profile(href, base_url) for _, href in anchors(p))


def _profile(href: str | None, base_url: str | None) -> str | None:
    parts = split(absolute(href, base_url) or "") if href else None
    if parts is None or host_of(parts) not in _HOSTS:
        return None
    m = _PROFILE.match(parts.path)
    return m.group("user") if m and m.group("user").lower() not in _NOT_USERS else None


def _author(p: HtmlElement, base_url: str | None) -> tuple[str | None, str | None]:
    """(name, handle) from an attribution paragraph, in any of its shapes:

    * ``A post shared by <a href="…/handle/">Name</a> (@handle) on <time>`` — the profile link names both;
    * ``<a href="…/p/CODE/">Ein Beitrag geteilt von Name (@handle)</a>`` — the phrase is cut off;
    * ``<a>Name(@handle)がシェアした投稿</a>`` — the phrase follows; ``… compartilhada por @handle`` — no name.
    """
    for a, href in anchors(p):
        user = _profile(href, base_url)
        if user:
            shown = clean_text(text_of(a, " ")).lstrip("@")
            return (shown if shown and shown.lower() != user.lower() else None), user
    text = " ".join(text_of(p, " ").split())
    m = _PAREN_HANDLE.search(text)
    if m is None:
        lowered = text.casefold()
        for prefix in _SHARED_BY_PREFIXES:
            if lowered.startswith(prefix) and (bare := _BARE_HANDLE.match(text[len(prefix) :].lstrip())):
                return None, bare.group("handle")
        return None, None
    before, after = text[: m.start()].strip(), text[m.end() :].strip()
    name = None
    folded = before.casefold()
    for prefix in _SHARED_BY_PREFIXES:
        if folded.startswith(prefix):
            name = before[len(prefix) :].strip()
            break
    else:
        if after.startswith(_SHARED_BY_SUFFIXES):
            name = before.removesuffix("さん").strip()
    return name or None, m.group("handle")


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
    embed_forms=(
        EmbedForm("blockquote", "contains(@class, 'instagram-media')"),
        EmbedForm("amp-instagram"),
        EmbedForm(
            "iframe",
            "contains(@src, 'instagram.com/p/') or contains(@src, 'instagram.com/reel/')"
            " or contains(@src, 'instagram.com/tv/')",
        ),
    ),
    parse_embed=parse_embed,
    shortcodes={"instagram": _shortcode},
)
