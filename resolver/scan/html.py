"""Scanning HTML: embedded posts and the article's links, with exact character spans.

lxml (libxml2) builds the tree: it is the fast part, and XPath walks it in C. The tree keeps no offsets,
so every element reported is found in the source by ``htmlsource`` (an exact, linear reading of the
markup); long documents are parsed in bounded pieces (``htmlpieces``); page furniture is decided once per
subtree (``furniture``). BeautifulSoup reads only the small fragments of embeds.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import lxml.etree
import lxml.html

from ..models import Document, Finding, Post
from ..platforms import PLATFORMS, Embed, Platform
from .findings import Collector, LineIndex
from .furniture import Furniture
from .held import Decoded, base64_markup, unescape_html, unescape_js
from .links import find_urls
from .merge import merge_posts
from .pieces import Piece, html_parser, pieces
from .source import COMMENT, TAG, TEXT, CharacterData, SourceIndex, SourceMap
from .urls import absolute_url

__all__ = ["EmbedHit", "SourceMap", "embeds_in_markup", "iter_scan_html", "markup_embeds", "scan_html"]

_log = logging.getLogger(__name__)

_RAW_TEXT_CONTAINERS = ("textarea", "script")
_HREF = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_NS = {"re": "http://exslt.org/regular-expressions"}

# "Share this" links: the page's furniture whatever element holds them.
_SHARE_INTENTS = re.compile(
    r"^https?://(?:www\.|m\.)?(?:(?:twitter|x)\.com/(?:intent/|share)|facebook\.com/(?:sharer|share\.php|dialog/share)|"
    r"linkedin\.com/(?:shareArticle|sharing/|cws/share)|reddit\.com/submit|pinterest\.[a-z.]+/pin/create|"
    r"api\.whatsapp\.com/send|wa\.me/\?|t\.me/share|telegram\.me/share|getpocket\.com/(?:save|edit)|"
    r"news\.ycombinator\.com/submitlink|bsky\.app/intent/|mastodonshare\.com|(?:share\.)?flipboard\.com/bookmarklet|"
    r"plus\.google\.com/share|xing\.com/(?:spi/shares|app/user\?op=share|social/share)|vk\.com/share\.php|"
    r"(?:www\.)?tumblr\.com/(?:widgets/share|share)|addtoany\.com/add_to/|addthis\.com/bookmark|"
    r"(?:service\.)?weibo\.com/share|social-plugins\.line\.me/lineit/share|threads\.net/intent/)",
    re.IGNORECASE,
)


def _parse(text: str) -> Any:
    if m := _XML_DECL.match(text):
        text = " " * m.end() + text[m.end() :]  # lxml refuses str with an encoding declaration
    try:
        return lxml.html.document_fromstring(text, parser=html_parser())
    except (lxml.etree.ParserError, ValueError):
        return None


@lru_cache(maxsize=16)
def _close_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{re.escape(tag)}\s*>", re.IGNORECASE)


def _base_url(root: Any, doc_base: str | None) -> str | None:
    for xpath in ("//base[@href]/@href", "//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        found = root.xpath(xpath)
        if found and str(found[0]).startswith(("http://", "https://")):
            return doc_base or str(found[0])
    return doc_base


def _embed_elements(root: Any, text: str) -> list[tuple[Any, Platform]]:
    """Every embed root, outermost only per platform, in document order."""
    found: dict[Any, Platform] = {}
    platforms_hit = 0
    for platform in PLATFORMS:
        if not platform.embed_xpath or not any(marker in text for marker in platform.embed_markers):
            continue
        hits = root.xpath(platform.embed_xpath, namespaces=_NS)
        platforms_hit += bool(hits)
        for el in hits:
            found.setdefault(el, platform)
    # XPath returns document order per platform; only a mix of platforms needs a walk to interleave.
    ordered = list(found) if platforms_hit <= 1 else [el for el in root.iter() if el in found]
    chosen: list[tuple[Any, Platform]] = []
    chosen_set: set[Any] = set()
    for el in ordered:
        platform = found[el]
        if any(a in chosen_set and found[a] is platform for a in el.iterancestors()):
            continue
        chosen.append((el, platform))
        chosen_set.add(el)
    return chosen


# --- embed discovery ----------------------------------------------------------------------------------
# Displayed embeds come from the tree. Pages also hold embed markup as data: JSON strings in <script>,
# consent placeholders' <textarea>, lazy-load attributes (escaped markup, base64). Those copies are parsed
# too (heldmarkup decodes them with a map back to the source) and reported as held: resolver.merge keeps
# the displayed copy of a post when there is one, and a held copy when it is the only one.

RawLink = tuple[str, str, int, int]  # raw (the source's characters), url, start, end


@dataclass(frozen=True, slots=True)
class EmbedHit:
    """An embed found in a document: its span, what it says, and whether the page holds it as data."""

    start: int
    end: int
    embed: Embed
    element: Any  # its root element, in the tree it was found in
    held: bool = False
    # Links the main tree's link scan cannot see: inside held markup (a textarea's), or written as text
    # inside a link that wraps a whole card (a quoted tweet's t.co in a Substack card).
    links: tuple[RawLink, ...] = ()


_MAX_HELD_DEPTH = 3  # markup in a string in a script in a textarea… deeper than this is not an embed
# Held text holds embed markup only where a start tag (raw or escaped) is followed closely by an embed's
# class or iframe address (the second spelling of each: JSON-escaped). A regex with a literal first
# character finds the tags at C speed; only the short window after each is searched for the hints,
# which keeps a megabyte of page state that holds no embed cheap.
_HELD_TAG = re.compile(r"(?:<|\\u003[cC]|\\x3[cC]|&lt;|&#60;)(?:blockquote|iframe|amp-|div|lite-)")
_HELD_WINDOW = 600
_HELD_HINTS = (
    "twitter-tweet",
    "twitter-video",
    "data-tweet-id",
    "instagram-media",
    "tiktok-embed",
    "bluesky-embed",
    "mastodon-embed",
    "text-post-media",
    "reddit-embed",
    "reddit-card",
    "fb-post",
    "fb-video",
    "amp-twitter",
    "amp-instagram",
    "amp-youtube",
    "lite-youtube",
    "youtube.com/embed",
    "youtube.com\\/embed",
    "youtube-nocookie.com/embed",
    "youtube-nocookie.com\\/embed",
    "facebook.com/plugins/",
    "facebook.com\\/plugins\\/",
    "twitter.com/embed",
    "twitter.com\\/embed",
    "tiktok.com/embed",
    "tiktok.com\\/embed",
    "embed.bsky.app",
    "twitframe.com",
)


def _holds_embed(text: str) -> bool:
    for m in _HELD_TAG.finditer(text):
        window = text[m.start() : m.start() + _HELD_WINDOW]
        if any(hint in window for hint in _HELD_HINTS):
            return True
    return False


# Attribute values that hold markup: escaped in the source (&lt;iframe…), or base64 ("<" then a letter
# encodes as PG… or PH…). Literal-led regexes (C speed) spare the pages that cannot have them the walk
# over every attribute.
_ESCAPED_TAG = re.compile(r"&(?:lt;|#0*60;)(?:iframe|blockquote|div|amp-)")
_BASE64_TAG = re.compile(r"P[GH][A-Za-z0-9+/]{38}")
_ATTRS_WITH_MARKUP = lxml.etree.XPath("//@*[contains(., '<')]")
_ATTRS_IN_BASE64 = lxml.etree.XPath("//@*[string-length(.) > 40][starts-with(., 'PG') or starts-with(., 'PH')]")


def _base64_attribute_in(text: str) -> bool:
    return any(text[m.start() - 1 : m.start()] in ('"', "'") for m in _BASE64_TAG.finditer(text))


_JS_ESCAPES = ('\\"', "\\/", "\\u003c", "\\u003C", "\\x3c", "\\x3C")
_BLOCKS = ("div", "p", "section", "blockquote", "header", "footer")


def _embeds(text: str, root: Any, smap: SourceMap, base: str | None, depth: int = 0) -> Iterator[EmbedHit]:
    """Every embed of ``text`` (spans into it): displayed ones, then the copies it holds as data."""
    for el, platform in _embed_elements(root, text):
        assert platform.parse_embed is not None
        embed = platform.parse_embed(el, base)
        if embed is None:
            continue
        start = smap.start_of(el)
        if start is None:
            continue
        links = _card_text_links(el, smap, text)
        if links:
            extra = tuple(url for _, url, _, _ in links if url not in embed.links)
            embed = replace(embed, links=embed.links + extra)
        yield EmbedHit(start, smap.end_of(el, start), embed, el, links=links)
    if depth < _MAX_HELD_DEPTH:
        yield from _held_in_raw_text(text, root, smap, base, depth)
        yield from _held_in_attributes(text, root, smap, base, depth)


def _held_in_raw_text(text: str, root: Any, smap: SourceMap, base: str | None, depth: int) -> Iterator[EmbedHit]:
    """Embeds in <textarea> and <script> text. A textarea's embed is what its consent script will show:
    its links are the article's, reported with exact spans. A script's copy is data for the page's
    JavaScript: the post is reported (merge prefers a displayed copy), its links are not."""
    for container in root.iter(*_RAW_TEXT_CONTAINERS):
        if container.tag == "script" and (markup := base64_markup(container.text or "")) is not None:
            yield from _held_markup(markup, container, smap, base, depth)  # a consent tool's template
            continue
        if not _holds_embed(container.text or ""):
            continue
        start = smap.start_of(container)
        if start is None:
            continue
        inner_start = text.find(">", start) + 1
        close = _close_pattern(container.tag).search(text, inner_start)
        source = text[inner_start : close.start() if close else len(text)]
        if container.tag == "textarea":
            decoded = unescape_html(source)  # RCDATA: what the consent script inserts is the decoded text
        elif any(e in source for e in _JS_ESCAPES):
            decoded = unescape_js(source)
        else:
            decoded = Decoded(source, len(source))
        sub_root = _parse(decoded.text)
        if sub_root is None:
            continue
        sub_map = SourceMap(decoded.text, sub_root, LineIndex(decoded.text))
        at = _source_map(decoded, inner_start)
        for hit in _embeds(decoded.text, sub_root, sub_map, base, depth + 1):
            links: tuple[RawLink, ...] = ()
            if container.tag == "textarea":
                inside = hit.links if hit.held else hit.links + _anchor_links(hit.element, sub_map, decoded.text, base)
                links = tuple((text[at(s) : at(e)], url, at(s), at(e)) for _, url, s, e in inside)
            yield EmbedHit(at(hit.start), at(hit.end), hit.embed, hit.element, held=True, links=links)


def _source_map(decoded: Decoded, offset: int) -> Callable[[int], int]:
    """Offsets in a decoded container's text → offsets in the text that holds the container."""
    return lambda pos: offset + decoded.source_offset(pos)


def _held_in_attributes(text: str, root: Any, smap: SourceMap, base: str | None, depth: int) -> Iterator[EmbedHit]:
    """Embed markup in an attribute a lazy loader or consent tool reads (``data-iframe="&lt;iframe…"``,
    base64 in ``data-html``). The span is the element that carries it: the placeholder the embed replaces."""
    values: list[Any] = []
    if _ESCAPED_TAG.search(text):
        values += _ATTRS_WITH_MARKUP(root)
    if _base64_attribute_in(text):
        values += _ATTRS_IN_BASE64(root)
    for value in values:
        markup = str(value) if "<" in value else base64_markup(str(value))
        if markup is not None and (carrier := value.getparent()) is not None:
            yield from _held_markup(markup, carrier, smap, base, depth)


def _held_markup(markup: str, carrier: Any, smap: SourceMap, base: str | None, depth: int) -> Iterator[EmbedHit]:
    """Embeds in markup decoded out of an element (an attribute's value, a base64 template): they are
    reported at that element, the placeholder the embed replaces."""
    start = smap.start_of(carrier) if _holds_embed(markup) else None
    sub_root = _parse(markup) if start is not None else None
    if start is None or sub_root is None:
        return
    end = smap.end_of(carrier, start)
    sub_map = SourceMap(markup, sub_root, LineIndex(markup))
    for hit in _embeds(markup, sub_root, sub_map, base, depth + 1):
        yield EmbedHit(start, end, hit.embed, hit.element, held=True)


def _anchor_links(el: Any, smap: SourceMap, text: str, base: str | None) -> tuple[RawLink, ...]:
    """The http(s) links of an element found outside the main tree, with the spans of their href values."""
    out: list[RawLink] = []
    for a in el.iter("a"):
        href = a.get("href")
        url = absolute_url(href, base) if href else None
        a_start = smap.start_of(a)
        if url is None or not url.startswith(("http://", "https://")) or a_start is None:
            continue
        tag_end = text.find(">", a_start)
        m = _HREF.search(text, a_start, tag_end + 1 if tag_end != -1 else len(text))
        if m is not None:
            group = 1 if m.group(1) is not None else 2 if m.group(2) is not None else 3
            out.append((m.group(group), url, m.start(group), m.end(group)))
    return tuple(out)


def _card_text_links(el: Any, smap: SourceMap, text: str) -> tuple[RawLink, ...]:
    """URLs written as text inside a link that wraps a whole card (a Substack tweet's <a> around header,
    text, quoted tweet and footer). The page's text-URL scan skips text inside links, since a link's text
    usually shows its own href; a card's text is the post's, and a short URL in it is a link of its own."""
    out: list[RawLink] = []
    for a in el.iter("a"):
        if next((b for b in a.iter(*_BLOCKS) if b is not a), None) is None or not _MAYBE_URL.search(a.text_content()):
            continue
        a_start = smap.start_of(a)
        if a_start is None:
            continue
        content = text.find(">", a_start) + 1
        # the link's own target, however it is shown (its href, or the expanded URL a t.co link displays)
        own = {absolute_url(a.get(name) or "").rstrip("/") for name in ("href", "title", "data-expanded-url")}
        for found in find_urls(text, content, smap.end_of(a, a_start)):
            if text.rfind("<", 0, found.start) > text.rfind(">", 0, found.start):
                continue  # inside a tag: an attribute value, not text
            url = absolute_url(found.raw)
            if url.rstrip("/") not in own:
                out.append((found.raw, url, found.start, found.end))
    return tuple(out)


def embeds_in_markup(doc: Document, hidden: Iterable[Any] = ()) -> list[tuple[int, int, Embed]]:
    """Embeds in a document that is not HTML as a whole (raw HTML blocks in Markdown)."""
    return [(hit.start, hit.end, hit.embed) for hit in markup_embeds(doc, hidden)]


def markup_embeds(doc: Document, hidden: Iterable[Any] = ()) -> list[EmbedHit]:
    """Embeds in the inline HTML of a Markdown or text document, each with the links inside it: the text
    scanner leaves what stands inside an embed to the embed, so these links are reported from here."""
    root = _parse(doc.text)
    if root is None:
        return []
    smap = SourceMap(doc.text, root, LineIndex(doc.text))
    hidden_spans = [(h.start, h.end) for h in hidden]
    out = []
    for hit in _embeds(doc.text, root, smap, doc.base_url):
        if any(hs <= hit.start < he for hs, he in hidden_spans):
            continue
        if not hit.held:
            hit = replace(hit, links=hit.links + _anchor_links(hit.element, smap, doc.text, doc.base_url))
        out.append(hit)
    return out


def scan_html(doc: Document, *, whole_page: bool = False) -> list[Finding]:
    """Every embedded post and every http(s) link of the article's content, in source order."""
    return list(iter_scan_html(doc, whole_page=whole_page))


def iter_scan_html(doc: Document, *, whole_page: bool = False) -> Iterator[Finding]:
    """The same, piece by piece: a long document is never held as one tree (see ``htmlpieces``). Posts
    are merged within a piece (``resolver.merge``); a post a later piece shows again is not repeated."""
    lines = LineIndex(doc.text)
    base: str | None = None
    reported: set[tuple[str, str]] = set()
    for n, piece in enumerate(pieces(doc.text, lines)):
        if n == 0:
            base = _base_url(piece.root, doc.base_url)
        found = _scan_piece(doc, piece, base, lines, whole_page)
        del piece  # the tree goes before the next piece is parsed
        for finding in found:
            if isinstance(finding, Post) and finding.post_id:
                key = (finding.platform, finding.post_id)
                if key in reported and n > 0:
                    continue
                reported.add(key)
            yield finding


def _scan_piece(doc: Document, piece: Piece, base: str | None, lines: LineIndex, whole_page: bool) -> list[Finding]:
    out = Collector(doc, lines)
    root, smap, offset = piece.root, piece.smap, piece.offset
    shown: list[tuple[int, int, Embed]] = []
    held: list[tuple[int, int]] = []
    holders: set[Any] = set()
    containers = _Containers(root, smap)
    for hit in _embeds(piece.text, root, smap, base):
        start, end = hit.start + offset, hit.end + offset
        if not piece.start <= start < piece.stop:
            continue  # reopened in the prefix, or beyond the cut: another piece's
        out.add_embed(hit.embed, start, end)
        if hit.held:
            held.append((start, end))
        else:
            shown.append((start, end, hit.embed))
        holders.update(_holders(hit, root, smap, containers))
        for raw, url, link_start, link_end in hit.links:
            out.add_link(raw, url, link_start + offset, link_end + offset, in_post=True, embed=hit.embed)
    embeds = _EmbedSpans(shown)
    furniture = Furniture(root, holders, off=whole_page)
    _links(out, piece, base, embeds, furniture, whole_page)
    _text_urls(out, piece, embeds, furniture)
    return merge_posts(out.sorted(), held=held, text=doc.text)


def _holders(hit: EmbedHit, root: Any, smap: SourceMap, containers: _Containers) -> Iterator[Any]:
    """The elements of this tree that hold an embed where the reader sees it (never furniture): the
    embed's root, or the element whose markup holds it (a consent <textarea>, a lazy-load placeholder),
    and their ancestors. A copy kept in a <script> is data, not something shown."""
    el = hit.element
    if hit.held:
        el = _element_at(root, smap, hit.start)
        if el is None:
            el = containers.at(hit.start)
    if el is None or el.tag == "script" or el.getroottree().getroot() is not root:
        return
    yield el
    yield from el.iterancestors()


def _element_at(root: Any, smap: SourceMap, pos: int) -> Any:
    """The element whose start tag is at ``pos``, if one is."""
    name = re.match(r"<([A-Za-z][^\t\n\f\r />]*)", smap.text[pos : pos + 64])
    if name is None:
        return None
    return smap.element_at(name.group(1).lower(), pos)


class _Containers:
    """The raw-text element (a <textarea>, a <script>) whose text holds an offset, by bisection."""

    def __init__(self, root: Any, smap: SourceMap) -> None:
        self._root, self._smap = root, smap
        self._starts: list[int] | None = None
        self._elements: list[Any] = []

    def at(self, pos: int) -> Any:
        if self._starts is None:
            found = sorted(
                (start, i, el)
                for i, el in enumerate(self._root.iter(*_RAW_TEXT_CONTAINERS))
                if (start := self._smap.start_of(el)) is not None
            )
            self._starts = [start for start, _, _ in found]
            self._elements = [el for _, _, el in found]
        i = bisect.bisect_right(self._starts, pos) - 1
        return self._elements[i] if i >= 0 else None


class _EmbedSpans:
    """The innermost embed around an offset, by bisection over the embeds' spans."""

    def __init__(self, spans: list[tuple[int, int, Embed]]) -> None:
        self._spans = sorted(spans, key=lambda s: s[0])
        self._starts = [s[0] for s in self._spans]
        self._reach: list[int] = []  # the furthest end among the spans up to each one
        furthest = -1
        for _, end, _ in self._spans:
            furthest = max(furthest, end)
            self._reach.append(furthest)

    def __bool__(self) -> bool:
        return bool(self._spans)

    def at(self, pos: int) -> Embed | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        while i >= 0 and self._reach[i] > pos:
            _, end, embed = self._spans[i]
            if pos < end:
                return embed
            i -= 1
        return None


def _links(
    out: Collector, piece: Piece, base: str | None, embeds: _EmbedSpans, furniture: Furniture, whole_page: bool
) -> None:
    """Every ``a``/``area`` with an http(s) ``href``; its span is the href's value as written."""
    text, offset = piece.text, piece.offset
    for tag in ("a", "area"):
        for el, pos, span in _anchors(piece, tag):
            href = el.get("href")
            if not href or span is None or not piece.start <= pos + offset < piece.stop:
                continue
            url = absolute_url(href, base) if base or href.startswith(("http:", "https:", "//")) else None
            if url is None or not url.startswith(("http://", "https://")):
                continue
            embed = embeds.at(pos + offset)
            if embed is None and not whole_page and (_SHARE_INTENTS.match(url) or furniture.inside(el)):
                continue
            raw = text[span[0] : span[1]]
            out.add_link(raw, url, span[0] + offset, span[1] + offset, in_post=embed is not None, embed=embed)


def _anchors(piece: Piece, tag: str) -> Iterator[tuple[Any, int, tuple[int, int] | None]]:
    """The tree's elements of one tag, with their start tags and the spans of their href values. The
    tokenizer and libxml2 find the same start tags, so the k-th element is the k-th tag; where an href
    says otherwise (a bug on either side), the line-checked alignment decides."""
    index, text = piece.smap.index, piece.text
    elements = list(piece.root.iter(tag))
    if not elements:
        return
    positions = index.start_tags_for(tag, len(elements))
    if len(positions) == len(elements):
        spans = [index.href(pos) for pos in positions]
        for el, span in zip(elements, spans, strict=True):
            href = el.get("href")
            raw = None if span is None else text[span[0] : span[1]]
            if href is not None and raw is not None and "&" not in raw and "\r" not in raw and raw != href:
                break
        else:
            yield from zip(elements, positions, spans, strict=True)
            return
    _log.debug("%s: %d <%s> elements, %d start tags: aligning by line", piece.start, len(elements), tag, len(positions))
    for el, pos in piece.smap.elements(tag).items():
        yield el, pos, index.href(pos)


_TEXT_EXCLUDED = (
    "ancestor::a or ancestor::script or ancestor::style or ancestor::textarea or ancestor::title"
    " or ancestor::noscript or ancestor::code or ancestor::pre or ancestor::head"
)
_TEXT_NODES = lxml.etree.XPath(f"//text()[contains(., '.')][not({_TEXT_EXCLUDED})]")
_MAYBE_URL = re.compile(r"[^\s.]\.[^\s.]")


def _text_urls(out: Collector, piece: Piece, embeds: _EmbedSpans, furniture: Furniture) -> None:
    """URLs written as visible text outside any link (a pasted address, a copied tweet's t.co): found in
    the text as the parser decoded it, reported with the source's own characters (``&amp;`` and all)."""
    offset = piece.offset
    following = _Following()
    cursor = 0  # where the last text node located ends: the next one starts after it (document order)
    for chunk in _TEXT_NODES(piece.root):
        if not _MAYBE_URL.search(chunk):
            continue
        owner = chunk.getparent() if chunk.is_text else chunk.getparent().getparent()
        in_furniture = owner is not None and furniture.inside(owner)
        if in_furniture and not embeds:
            continue  # furniture, and no embed it could stand in
        found = list(find_urls(chunk))
        if not found:
            continue
        decoded = _locate(piece, chunk, cursor, following)
        for url in found:
            value = chunk[url.start : url.end]
            if decoded is not None:
                start, end = decoded.source_span(url.start, url.end)
            else:
                located = _search(piece, chunk, value, cursor)
                if located is None:
                    _log.debug("%s: text URL %r not found in the source", piece.start, value)
                    continue
                start, end = located
            cursor = max(cursor, end)
            if not piece.start <= start + offset < piece.stop:
                continue
            embed = embeds.at(start + offset)
            if embed is None and in_furniture:
                continue
            raw = piece.text[start:end]
            out.add_link(raw, absolute_url(value), start + offset, end + offset, in_post=embed is not None, embed=embed)
        if decoded is not None:
            cursor = max(cursor, decoded.end)


def _locate(piece: Piece, chunk: Any, cursor: int, following: _Following) -> CharacterData | None:
    """The source of one text node, decoded with its way back to source offsets.

    Between the start of the node's owner (or, for a tail, the end of the text node located before it,
    if that is later) and the start of the element after the node, the source holds end tags, comments
    and character data: the node is the run of character data there that decodes to it. A ``.text`` is
    the first such run after its owner's start tag; a tail followed by a sibling is the last one before
    that sibling's start tag; another tail, the first one that matches.
    """
    el = chunk.getparent()
    smap = piece.smap
    if chunk.is_tail:
        sibling = _next_element(el)
        after = sibling if sibling is not None else following(el.getparent())
        owner_start = smap.start_of(el)
        lo = max(cursor, owner_start if owner_start is not None else 0)
        take_last = sibling is not None
    else:
        after = next((c for c in el if isinstance(c.tag, str)), None)
        if after is None:
            after = following(el)
        start = smap.start_of(el)
        if start is None:
            return None
        lo, take_last = start, False
    hi = smap.start_of(after) if after is not None else None
    text = str(chunk)
    chosen = None
    for run in _runs(smap.index, lo, len(piece.text) if hi is None else hi):
        decoded = CharacterData(piece.text, run)
        if decoded.text == text:
            chosen = decoded
            if not take_last:
                break
    return chosen


def _next_element(el: Any) -> Any:
    after = el.getnext()
    while after is not None and not isinstance(after.tag, str):
        after = after.getnext()
    return after


class _Following:
    """The first element after an element and its descendants, in document order; remembered for every
    element passed on the way up, so that nested tails cost one walk in all."""

    def __init__(self) -> None:
        self._known: dict[Any, Any] = {}

    def __call__(self, el: Any) -> Any:
        chain = []
        found = None
        while el is not None:
            if el in self._known:
                found = self._known[el]
                break
            chain.append(el)
            found = _next_element(el)
            if found is not None:
                break
            el = el.getparent()
        for node in chain:
            self._known[node] = found
        return found


def _runs(index: SourceIndex, lo: int, hi: int) -> Iterator[list[tuple[int, int]]]:
    """Runs of character data between two offsets: comments join a run (the tree drops them and joins
    the text around them), tags end it."""
    run: list[tuple[int, int]] = []
    for kind, start, end in index.tokens(lo, hi):
        if kind == TEXT:
            run.append((start, end))
        elif kind == TAG and run:
            yield run
            run = []
        elif kind == COMMENT:
            continue
    if run:
        yield run


def _search(piece: Piece, chunk: Any, value: str, cursor: int) -> tuple[int, int] | None:
    """Last resort, when the node's run was not found: the URL's own characters, in text, after the text
    located before it and its owner's start."""
    el = chunk.getparent()
    lo = max(cursor, piece.smap.start_of(el) or 0)
    text, index = piece.text, piece.smap.index
    for needle in (value, value.replace("&", "&amp;")):
        pos = text.find(needle, lo)
        while pos != -1:
            if index.is_between_tokens(pos):
                return pos, pos + len(needle)
            pos = text.find(needle, pos + 1)
    return None
