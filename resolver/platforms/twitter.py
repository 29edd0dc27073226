"""Twitter / X: status URLs on every host and path form, and every shape a tweet embed takes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import SplitResult

from ..errors import FetchError
from ..models import Media, PostMeta
from .base import (
    Embed,
    EmbedForm,
    HtmlElement,
    Platform,
    PostRef,
    absolute,
    anchors,
    by_class,
    clean_text,
    first,
    host_of,
    html_text,
    query_value,
    split,
    text_of,
    text_without,
)
from .dates import parse_embed_date
from .http import NOTHING, FetchContext, Fetched, Source, tries

HOSTS = frozenset(
    {
        "twitter.com",
        "x.com",
        "mobile.twitter.com",
        "m.twitter.com",
        "mobile.x.com",
        "fxtwitter.com",
        "vxtwitter.com",
        "fixupx.com",
        "fixvx.com",
        "twittpr.com",
        "nitter.net",
    }
)
_NOT_USERS = frozenset({"i", "intent", "share", "search", "hashtag", "home", "explore", "settings"})
# The id ends at the first non-digit: "/photo/1", "/likes", or junk a CMS left behind ("…/123)").
_STATUS = re.compile(r"/(?P<user>\w{1,15})/status(?:es)?/(?P<id>\d{1,20})(?!\d)")
_I_STATUS = re.compile(r"/i/(?:web/)?status(?:es)?/(?P<id>\d{1,20})(?!\d)")
_STATUSES = re.compile(r"/statuses/(?P<id>\d{1,20})(?!\d)")
SIGNATURE = re.compile(r"[—–-]{1,2}\s*(?P<name>[^\n—–]*?)\s*\(@(?P<handle>\w{1,15})\)")


def match_url(parts: SplitResult) -> PostRef | None:
    if host_of(parts) not in HOSTS:
        return None
    path = parts.path
    if path in ("", "/") and parts.fragment.startswith("!/"):
        path = parts.fragment[1:]  # old hash-bang URLs: twitter.com/#!/user/status/123
    if m := _STATUS.match(path):
        user = m.group("user")
        if user.lower() in _NOT_USERS:
            return PostRef("twitter", m.group("id"))
        return PostRef("twitter", m.group("id"), user)
    if m := _I_STATUS.match(path) or _STATUSES.match(path):
        return PostRef("twitter", m.group("id"))
    return None


def canonical_url(ref: PostRef) -> str:
    if ref.handle:
        return f"https://x.com/{ref.handle}/status/{ref.post_id}"
    return f"https://x.com/i/status/{ref.post_id}"


def _ref(href: str | None, base_url: str | None) -> PostRef | None:
    url = absolute(href, base_url)
    parts = split(url) if url else None
    return match_url(parts) if parts else None


def parse_embed(el: HtmlElement, base_url: str | None) -> Embed | None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "amp-twitter":
        return _from_id_attribute(el.get("data-tweetid") or el.get("data-tweet-id"), base_url)
    if tag == "iframe":
        return _from_iframe(el, base_url)
    classes = set((el.get("class") or "").split())
    if "tweet" in classes and _is_static_card(el):
        return _from_static_card(el, base_url)
    embed = _from_blockquote(el, base_url)
    if embed.post_id is None:
        value = el.get("data-tweet-id")
        inner = el.xpath(".//*[@data-tweet-id]")
        iframe = first(el, "iframe")
        if value is None and inner:
            value = inner[0].get("data-tweet-id")
        from_id = _from_id_attribute(value, base_url)
        if from_id is None and iframe is not None and (tweet_id := _iframe_id(iframe.get("src"))):
            from_id = Embed("twitter", post_id=tweet_id)
        if from_id is not None:
            embed = replace(
                embed,
                post_id=from_id.post_id,
                url=embed.url or from_id.url,
                author_handle=embed.author_handle or from_id.author_handle,
            )
    if embed.post_id is None and embed.author_handle is None:
        return None
    return embed


def _from_id_attribute(value: str | None, base_url: str | None) -> Embed | None:
    """A tweet named by an id attribute (``data-tweetid``, ``data-tweet-id``). CMSs write the status URL
    there as often as the id (``data-tweetid="https://twitter.com/user/status/123"``): the URL gives the
    id and the handle."""
    value = (value or "").strip()
    if value.isdigit():
        return Embed("twitter", post_id=value)
    ref = _ref(value, base_url) if value else None
    if ref is None:
        return None
    return Embed("twitter", url=absolute(value, base_url), post_id=ref.post_id, author_handle=ref.handle)


def _iframe_id(src: str | None) -> str | None:
    parts = split(absolute(src, None) or "") if src else None
    if parts is None:
        return None
    if "twitter" in (parts.hostname or "") and parts.path.endswith(("/embed/Tweet.html", "/embed/index.html")):
        tweet_id = query_value(parts, "id")
        return tweet_id if tweet_id and tweet_id.isdigit() else None
    if host_of(parts) == "twitframe.com":
        inner = query_value(parts, "url")
        ref = _ref(inner, None) if inner else None
        return ref.post_id if ref else None
    return None


def _from_iframe(el: HtmlElement, base_url: str | None) -> Embed | None:
    # creatorScreenName in the iframe URL is the *article's* author, not the tweet's: never use it.
    from_id = _from_id_attribute(el.get("data-tweet-id"), base_url)
    if from_id is not None:
        return from_id
    tweet_id = _iframe_id(el.get("src"))
    return Embed("twitter", post_id=tweet_id) if tweet_id else None


def _from_blockquote(root: HtmlElement, base_url: str | None) -> Embed:
    status = None
    status_anchor = None
    for a, href in anchors(root):
        ref = _ref(href, base_url)
        if ref is not None:
            status, status_anchor = ref, a
    paragraph = first(root, "p")
    body = paragraph if paragraph is not None else root
    # Without a <p>, the text is the blockquote's own, less its status link: that link shows a date or a
    # placeholder ("Tweet may have been deleted"), or the bare status URL, never the post's words.
    text = clean_text(text_of(paragraph) if paragraph is not None else text_without(root, status_anchor)) or None
    links = tuple(
        url
        for a, href in anchors(body)
        if a is not status_anchor and (url := absolute(href, base_url)) and url.startswith("http")
    )
    full = text_of(root, " ") if paragraph is not None else text_without(root, status_anchor, " ")
    # The signature follows the post's paragraph; a dash inside the post's text is not one.
    after = full
    if paragraph is not None:
        paragraph_text = text_of(paragraph, " ")
        cut = full.find(paragraph_text)
        after = full[cut + len(paragraph_text) :] if cut != -1 else full
    # the last signature-shaped line is the embed's own (a quoted one comes earlier)
    signature = next(reversed(list(SIGNATURE.finditer(after))), None)
    name = clean_text(signature.group("name")) if signature else None
    handle = signature.group("handle") if signature else (status.handle if status else None)
    published = parse_embed_date(text_of(status_anchor)) if status_anchor is not None else None
    if paragraph is None and text and signature:
        text = clean_text(after[: signature.start()].rstrip(" —–-")) or None
    url = absolute(status_anchor.get("href"), base_url) if status_anchor is not None else None
    return Embed(
        "twitter",
        url=url,
        post_id=status.post_id if status else None,
        author_name=name or None,
        author_handle=handle,
        published=published,
        text=text,
        links=links,
    )


# Static tweet cards: Substack's (web: div.tweet[data-attrs] around one <a>; e-mail: "tweet static" with
# span.likes / span.retweets hrefs as the only place the id is kept) and look-alikes that draw a tweet
# with tweet-* classes. A quoted tweet nests inside (quote-tweet / quoted-tweet): its fields are not ours.
_CARD_PARTS = ("tweet-text", "tweet-author-name", "tweet-author-handle", "tweet-author", "tweet-header")
_QUOTE_PARTS = ("quote-tweet", "quoted-tweet")


def _is_static_card(el: HtmlElement) -> bool:
    return bool(el.get("data-attrs")) or any(by_class(el, part) is not None for part in _CARD_PARTS)


def _card_attrs(root: HtmlElement) -> dict[str, Any]:
    """Substack's data-attrs JSON (url, username, name, date, full_text), when the card carries it."""
    import json

    raw = root.get("data-attrs")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _in_quote(el: HtmlElement, root: HtmlElement) -> bool:
    for node in el.iterancestors():
        if node is root:
            return False
        if set((node.get("class") or "").split()) & set(_QUOTE_PARTS):
            return True
    return False


def _created_at(value: str) -> str | None:
    """Twitter's created_at ("Thu Oct 08 04:49:34 +0000 2020") as ISO 8601, else the embed-date reading."""
    import datetime as dt

    try:
        stamp = dt.datetime.strptime(value.strip(), "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return parse_embed_date(value)
    return stamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_static_card(root: HtmlElement, base_url: str | None) -> Embed:
    def text_by_class(cls: str) -> str | None:
        node = by_class(root, cls)
        if node is None or _in_quote(node, root):
            return None
        return clean_text(text_of(node, " ")) or None

    attrs = _card_attrs(root)
    status = _ref(str(attrs.get("url") or ""), base_url) if attrs.get("url") else None
    status_url = None
    # Any element's href: the e-mail cards keep the status URL only on <span class="likes" href=…>.
    for node in root.xpath(".//*[@href]"):
        if status is not None:
            break
        if not _in_quote(node, root) and (status := _ref(node.get("href"), base_url)) is not None:
            href = absolute(node.get("href"), base_url) or ""
            # …/status/<id>/likes is where the status URL hides, not the post's URL: keep only a plain one
            status_url = href if href.split("?")[0].rstrip("/").endswith(status.post_id) else None
    handle = text_by_class("tweet-author-handle") or text_by_class("tweet-author") or attrs.get("username")
    handle = str(handle).strip().lstrip("@") or None if handle else None
    body = by_class(root, "tweet-text")
    if body is not None and not _in_quote(body, root):
        text = clean_text(text_of(body, "")) or None
        links = tuple(url for _, href in anchors(body) if (url := absolute(href, base_url)))
    else:
        text = _card_own_text(root) or (html_text(str(attrs["full_text"]))[0] if attrs.get("full_text") else None)
        links = ()
    date_text = text_by_class("tweet-date")
    published = parse_embed_date(date_text) if date_text else None
    if published is None and attrs.get("date"):
        published = _created_at(str(attrs["date"]))
    return Embed(
        "twitter",
        url=status_url or (canonical_url(status) if status else None),
        post_id=status.post_id if status else None,
        author_name=text_by_class("tweet-author-name") or (str(attrs["name"]).strip() if attrs.get("name") else None),
        author_handle=handle or (status.handle if status else None),
        published=published,
        text=text,
        links=links,
    )


def _card_own_text(root: HtmlElement) -> str | None:
    """A card without tweet-text: the text that stands outside its header, footer and quoted tweet."""
    skipped = ("tweet-header", "tweet-footer", *_QUOTE_PARTS)
    parts: list[str] = []
    for node in root.xpath(".//text()"):
        owner = node.getparent()
        if node.is_tail:
            owner = owner.getparent() if owner is not None else None
        chain = [owner, *owner.iterancestors()] if owner is not None else []
        if any(set((n.get("class") or "").split()) & set(skipped) for n in chain if n is not None):
            continue
        if owner is not None and owner.tag in ("script", "style"):
            continue
        parts.append(str(node))
    return clean_text("".join(parts)) or None


def _shortcode(attrs: dict[str, str]) -> Embed | None:
    tweet_id = attrs.get("id") or attrs.get("0")
    if not tweet_id or not tweet_id.isdigit():
        return None
    user = attrs.get("user") or attrs.get("1") or None
    url = f"https://x.com/{user}/status/{tweet_id}" if user else None
    return Embed("twitter", url=url, post_id=tweet_id, author_handle=user)


# --- metadata over the network -----------------------------------------------------------------------
# Order (issue #4): the syndication endpoint Twitter's own embed uses (richest: expanded links, media),
# then publish.twitter.com oEmbed (author, date, text with t.co links), then FxTwitter's API.

SYNDICATION = "https://cdn.syndication.twimg.com/tweet-result?id={id}&lang=en&token={token}"
OEMBED = "https://publish.twitter.com/oembed?format=json&url={url}"
FXTWITTER = "https://api.fxtwitter.com/{handle}/status/{id}"


@tries("syndication", "oembed", "fxtwitter")
async def fetch(ref: PostRef, ctx: FetchContext) -> Fetched:
    """Each source in turn; a source that fails (network, 5xx, an unreadable answer) is skipped and noted in
    ``ctx``. Only when every source says "not found" is the tweet dead; a tombstone or a private account says
    so at once."""
    import httpx  # here, not at the top: `resolver scan` loads the registry without the HTTP stack

    from .jsnumber import syndication_token

    sources: tuple[tuple[Source, str, Callable[[Any, PostRef, int], Fetched]], ...] = (
        ("syndication", SYNDICATION.format(id=ref.post_id, token=syndication_token(ref.post_id)), from_syndication),
        ("oembed", OEMBED.format(url=f"https://twitter.com/{ref.handle or 'i'}/status/{ref.post_id}"), from_oembed),
        ("fxtwitter", FXTWITTER.format(handle=ref.handle or "i", id=ref.post_id), from_fxtwitter),
    )
    missing: list[str] = []
    for name, url, parse in sources:
        try:
            status, data = await ctx.get_json(url)
        except (httpx.HTTPError, FetchError):
            continue  # noted in ctx: a later source may still answer
        try:
            result = parse(data, ref, status)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a shape no parser expected
            ctx.note_unreadable(exc)
            continue
        if result.meta or result.dead:
            return result
        if result.missing:
            missing.append(f"{_LABELS[name]} {status}{' {}' if status == 200 else ''}")
    if len(missing) == len(sources):
        return Fetched(dead=f"not found: deleted, suspended or never existed ({', '.join(missing)})")
    return NOTHING


_LABELS = {"syndication": "syndication", "oembed": "oEmbed", "fxtwitter": "FxTwitter"}


def _post_url(user: dict[str, Any] | None, tweet_id: str) -> str:
    handle = (user or {}).get("screen_name")
    return f"https://x.com/{handle}/status/{tweet_id}" if handle else f"https://x.com/i/status/{tweet_id}"


def from_syndication(data: Any, ref: PostRef, status: int = 200) -> Fetched:
    """The tweet-result JSON: a Tweet, a TweetTombstone, or ``{}`` (not found, or a bad token)."""
    if status != 200:
        return Fetched(missing=status == 404)
    if not isinstance(data, dict) or not data:
        return Fetched(missing=True)
    if data.get("__typename") == "TweetTombstone":
        tombstone = (data.get("tombstone") or {}).get("text") or {}
        reason = clean_text(tombstone.get("text") or "").removesuffix("Learn more").strip() or "unavailable"
        return Fetched(dead=f"tombstone: {reason}")
    tweet_id = str(data.get("id_str") or ref.post_id)
    user = data.get("user")
    if not isinstance(user, dict) or not user.get("screen_name"):
        # Suspended accounts' tweets reportedly come back without their author: not viewable any more.
        return Fetched(dead="the author's account is suspended (the answer has no author)")
    entities = data.get("entities") or {}
    text = str(data.get("text") or "")
    links: list[str] = []
    for url in entities.get("urls") or []:
        expanded = url.get("expanded_url") or url.get("url")
        if url.get("url") and expanded:
            text = text.replace(url["url"], expanded)
            links.append(expanded)
    for media_link in entities.get("media") or []:  # the tweet's own media link: not part of its text
        if media_link.get("url"):
            text = text.replace(media_link["url"], "")
    media = tuple(_syndication_media(item) for item in data.get("mediaDetails") or [])
    quoted = data.get("quoted_tweet")
    reply_id = data.get("in_reply_to_status_id_str")
    reply_to = None
    if reply_id:
        reply_to = _post_url({"screen_name": data.get("in_reply_to_screen_name")}, str(reply_id))
    return Fetched(
        PostMeta(
            platform="twitter",
            id=tweet_id,
            url=_post_url(user, tweet_id),
            author_name=(user or {}).get("name"),
            author_handle=(user or {}).get("screen_name"),
            created_at=data.get("created_at"),
            text=clean_text(text) or None,
            lang=data.get("lang"),
            media=tuple(m for m in media if m is not None),
            links=tuple(links),
            quoted=_post_url(quoted.get("user"), str(quoted.get("id_str"))) if isinstance(quoted, dict) else None,
            reply_to=reply_to,
            source="syndication",
        )
    )


def _syndication_media(item: dict[str, Any]) -> Media | None:
    kind = item.get("type") or "photo"
    if kind in ("video", "animated_gif"):
        variants = [
            v for v in (item.get("video_info") or {}).get("variants") or [] if v.get("content_type") == "video/mp4"
        ]
        if variants:
            best = max(variants, key=lambda v: v.get("bitrate") or 0)
            return Media(kind, best["url"])
    url = item.get("media_url_https")
    return Media(kind, url) if url else None


def from_oembed(data: Any, ref: PostRef, status: int = 200) -> Fetched:
    """publish.twitter.com oEmbed: author, the date (no time) and the text, with t.co links only."""
    if status != 200:
        return Fetched(missing=status == 404)
    if not isinstance(data, dict) or not data.get("html"):
        return Fetched(missing=True)
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(data["html"], create_parent="div")
    except (ValueError, TypeError):
        return Fetched(missing=True)
    paragraph = first(root, "p")
    anchors_in_post = [href for _, href in anchors(paragraph)] if paragraph is not None else []
    date_anchor = [a for a, _ in anchors(root)][-1:] if anchors(root) else []
    author_url = str(data.get("author_url") or "")
    handle = author_url.rstrip("/").rsplit("/", 1)[-1] if author_url else ref.handle
    return Fetched(
        PostMeta(
            platform="twitter",
            id=ref.post_id,
            url=f"https://x.com/{handle}/status/{ref.post_id}" if handle else f"https://x.com/i/status/{ref.post_id}",
            author_name=data.get("author_name"),
            author_handle=handle,
            created_at=parse_embed_date(text_of(date_anchor[0])) if date_anchor else None,
            text=clean_text(text_of(paragraph)) if paragraph is not None else None,
            lang=paragraph.get("lang") if paragraph is not None else None,
            links=tuple(anchors_in_post),
            source="oembed",
        )
    )


def from_fxtwitter(data: Any, ref: PostRef, status: int = 200) -> Fetched:
    """FxTwitter: {"code", "message", "tweet"} with the HTTP status equal to code."""
    if status == 401:
        return Fetched(dead="the post is private (protected account)")
    if status == 404:
        return Fetched(missing=True)
    tweet = data.get("tweet") if isinstance(data, dict) else None
    if status != 200 or not isinstance(tweet, dict):
        return NOTHING
    import datetime as dt

    author = tweet.get("author") or {}
    stamp = tweet.get("created_timestamp")
    created = (
        dt.datetime.fromtimestamp(int(stamp), tz=dt.timezone.utc).isoformat().replace("+00:00", "Z") if stamp else None
    )
    media_block = tweet.get("media") or {}
    media = [Media("photo", p["url"]) for p in media_block.get("photos") or [] if p.get("url")]
    media += [Media("video", v["url"]) for v in media_block.get("videos") or [] if v.get("url")]
    quote = tweet.get("quote")
    replying = tweet.get("replying_to_status")
    return Fetched(
        PostMeta(
            platform="twitter",
            id=str(tweet.get("id") or ref.post_id),
            url=_post_url(author, str(tweet.get("id") or ref.post_id)),
            author_name=author.get("name"),
            author_handle=author.get("screen_name"),
            created_at=created,
            text=tweet.get("text"),
            lang=tweet.get("lang"),
            media=tuple(media),
            quoted=str(quote.get("url")) if isinstance(quote, dict) and quote.get("url") else None,
            reply_to=_post_url({"screen_name": tweet.get("replying_to")}, str(replying)) if replying else None,
            source="fxtwitter",
        )
    )


_TWEET_CLASS = "contains(@class, '{0}')"
PLATFORM = Platform(
    name="twitter",
    example_url="https://twitter.com/RailsGirlsSoC/status/702136612822634496",
    example_id="702136612822634496",
    match_url=match_url,
    hosts=HOSTS,
    canonical_url=canonical_url,
    embed_forms=(
        EmbedForm("*", _TWEET_CLASS.format("twitter-tweet"), "class", ("twitter-tweet",)),
        EmbedForm("*", _TWEET_CLASS.format("twitter-video"), "class", ("twitter-video",)),
        EmbedForm("amp-twitter"),
        EmbedForm("*", "@data-tweet-id", "data-tweet-id"),
        EmbedForm(
            "iframe",
            "contains(@src, 'twitter.com/embed/Tweet.html') or contains(@src, 'twitter.com/embed/index.html')"
            " or contains(@src, 'twitframe.com/show')",
        ),
        # a div classed "tweet" is common; one that holds a tweet's parts is not
        EmbedForm(
            "div",
            f"{_TWEET_CLASS.format('tweet')} and contains(concat(' ', normalize-space(@class), ' '), ' tweet ')"
            f" and (@data-attrs or .//*[{_TWEET_CLASS.format('tweet-text')} or {_TWEET_CLASS.format('tweet-author')}])",
            "class",
            ("tweet",),
        ),
        EmbedForm("blockquote", "not(@class) and .//a[contains(@href, '/status/')] and contains(., '(@')"),
    ),
    parse_embed=parse_embed,
    shortcodes={"tweet": _shortcode, "x": _shortcode, "twitter": _shortcode},
    fetch=fetch,
)
