"""Scanning HTML: embedded posts and the article's links, with exact character spans.

lxml (libxml2) builds the tree: it is the fast part. It reports only line numbers, so every element we
report is aligned with its start tag in the source: the k-th ``<a`` element of the tree is the k-th
``<a`` start tag outside comments and raw-text elements (script, style, textarea, title), checked
against lxml's line number. BeautifulSoup reads only the small fragments of embeds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import lxml.etree
import lxml.html

from .findings import Collector, LineIndex
from .heldmarkup import Decoded, base64_markup, unescape_html, unescape_js
from .linkfinder import find_urls
from .merge import merge_posts
from .models import Document, Finding
from .platforms import PLATFORMS, Embed, Platform
from .urls import absolute_url

_DEAD_START = re.compile(r"<(?:!--|(script|style|textarea|title|xmp)(?=[\s>/]))", re.IGNORECASE)


@lru_cache(maxsize=64)
def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(tag)}(?=[\s/>])", re.IGNORECASE)


@lru_cache(maxsize=16)
def _close_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{re.escape(tag)}\s*>", re.IGNORECASE)


def _dead_zones(text: str) -> list[tuple[int, int]]:
    """Spans of comments and raw-text elements: a "<a" in them is not a tag."""
    zones: list[tuple[int, int]] = []
    pos = 0
    while (m := _DEAD_START.search(text, pos)) is not None:
        if m.group(1) is None:
            close = text.find("-->", m.end())
            end = len(text) if close == -1 else close + 3
        else:
            found = _close_pattern(m.group(1).lower()).search(text, m.end())
            end = len(text) if found is None else found.end()
        zones.append((m.start(), end))
        pos = end
    return zones


_RAW_TEXT_CONTAINERS = ("textarea", "script")
_HREF = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_NS = {"re": "http://exslt.org/regular-expressions"}

FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "button", "menu", "select", "dialog"})
FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})
FURNITURE_WORDS = frozenset(
    [
        "nav",
        "navbar",
        "navigation",
        "menu",
        "menus",
        "footer",
        "masthead",
        "sidebar",
        "share",
        "sharing",
        "sharebar",
        "social",
        "socials",
        "breadcrumb",
        "breadcrumbs",
        "related",
        "recommended",
        "recirculation",
        "newsletter",
        "subscribe",
        "subscription",
        "promo",
        "advert",
        "advertisement",
        "ad",
        "ads",
        "cookie",
        "cookies",
        "consent",
        "popup",
        "modal",
        "comments",
        "comment",
        "pagination",
        "pager",
        "toolbar",
        "skip",
        "topbar",
        "bottombar",
    ]
)
_WORD_SPLIT = re.compile(r"[\s_-]+")
_SHARE_INTENTS = re.compile(
    r"^https?://(?:www\.)?(?:(?:twitter|x)\.com/(?:intent/|share)|facebook\.com/(?:sharer|dialog/share)|"
    r"linkedin\.com/(?:shareArticle|sharing/)|reddit\.com/submit|pinterest\.[a-z.]+/pin/create|"
    r"api\.whatsapp\.com/send|wa\.me/\?|t\.me/share|telegram\.me/share|getpocket\.com/save|"
    r"news\.ycombinator\.com/submitlink|bsky\.app/intent/|mastodonshare\.com|flipboard\.com/bookmarklet)",
    re.IGNORECASE,
)


def _parse(text: str) -> Any:
    if m := _XML_DECL.match(text):
        text = " " * m.end() + text[m.end() :]  # lxml refuses str with an encoding declaration
    parser = lxml.html.HTMLParser(recover=True, huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


class SourceMap:
    """Finds the source offset of any element's start tag (see module docstring)."""

    def __init__(self, text: str, root: Any, lines: LineIndex, offset: int = 0) -> None:
        self.text = text
        self.lines = lines
        self.offset = offset
        self.root = root
        self.dead = _dead_zones(text)
        self._dead_starts = [s for s, _ in self.dead]
        self._aligned: dict[str, dict[Any, int]] = {}

    def _positions(self, tag: str) -> list[int]:
        """Start-tag offsets of one tag name, outside comments and raw-text elements."""
        dead, starts = self.dead, self._dead_starts
        out = []
        for m in _tag_pattern(tag).finditer(self.text):
            pos = m.start()
            i = bisect.bisect_right(starts, pos) - 1
            if i >= 0 and pos < dead[i][1] and pos != dead[i][0]:
                continue
            out.append(pos)
        return out

    def start_of(self, el: Any) -> int | None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag not in self._aligned:
            self._aligned[tag] = self._align(el.tag, tag)
        return self._aligned[tag].get(el)

    def _align(self, lxml_tag: str, tag: str) -> dict[Any, int]:
        """Pair the tree's elements of one tag with that tag's start tags, in order, checked by line.

        A start tag spans lines [its "<", its ">"]; libxml2 reports a line inside that range. A source
        occurrence whose lines lie before the element's line is not an element (e.g. "<a" inside an
        attribute value) and is skipped.
        """
        positions = self._positions(tag)
        text, lines, offset = self.text, self.lines, self.offset
        aligned: dict[Any, int] = {}
        p = 0
        for el in self.root.iter(lxml_tag):
            line = el.sourceline
            while p < len(positions):
                pos = positions[p]
                first = lines.line(pos + offset)
                if line is None or first > line:
                    break
                close = text.find(">", pos)
                last = lines.line((close if close != -1 else pos) + offset)
                if last >= line:
                    aligned[el] = pos
                    p += 1
                    break
                p += 1
        return aligned

    def end_of(self, el: Any, start: int) -> int:
        """The offset just past the element's end tag (depth-counted), or past its start tag."""
        tag = el.tag.lower()
        text = self.text
        start_end = text.find(">", start)
        if start_end == -1:
            return len(text)
        if tag in ("area", "img", "br", "hr", "input", "meta", "link") or text[start_end - 1] == "/":
            return start_end + 1
        pattern = re.compile(rf"<(/?){re.escape(tag)}(?=[\s/>])", re.IGNORECASE)
        depth = 1
        for m in pattern.finditer(text, start_end + 1):
            depth += -1 if m.group(1) else 1
            if depth == 0:
                close = text.find(">", m.end())
                return close + 1 if close != -1 else len(text)
        return start_end + 1


_NOT_FURNITURE_NAMES = re.compile(r"has-|with-|no-|is-|layout|content|article|entry|story|body|main|post|embed")


def _furniture_names(node: Any) -> bool:
    """Whether a class or id names page furniture ("site-footer", "share-bar"; not "has-sidebar")."""
    for name in f"{node.get('class') or ''} {node.get('id') or ''}".lower().split():
        if _NOT_FURNITURE_NAMES.search(name):
            continue
        if FURNITURE_WORDS.intersection(_WORD_SPLIT.split(name)):
            return True
    return False


def _is_furniture(el: Any, cache: dict[Any, bool]) -> bool:
    chain = []
    node = el
    verdict = False
    while node is not None:
        if node in cache:
            verdict = cache[node]
            break
        chain.append(node)
        tag = node.tag if isinstance(node.tag, str) else ""  # lxml's HTML parser lower-cases tag names
        if tag in ("body", "html"):
            break  # page-wide classes (themes, layouts) say nothing about one link
        role = node.get("role")
        if tag in FURNITURE_TAGS or (role and role.lower() in FURNITURE_ROLES):
            verdict = True
            break
        if _furniture_names(node):
            verdict = True
            break
        node = node.getparent()
    for n in chain:
        cache[n] = verdict
    return verdict


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
    """Every embedded post and every http(s) link of the article's content."""
    text = doc.text
    out = Collector(doc)
    root = _parse(text)
    if root is None:
        return []
    smap = SourceMap(text, root, out.lines)
    base = _base_url(root, doc.base_url)

    embed_elements: dict[Any, Embed] = {}
    held: list[tuple[int, int]] = []
    for hit in _embeds(text, root, smap, base):
        out.add_embed(hit.embed, hit.start, hit.end)
        if hit.held:
            held.append((hit.start, hit.end))
        else:
            embed_elements[hit.element] = hit.embed
        for raw, link_url, link_start, link_end in hit.links:
            out.add_link(raw, link_url, link_start, link_end, in_post=True, embed=hit.embed)

    furniture: dict[Any, bool] = {}
    for a in root.iter("a", "area"):
        href = a.get("href")
        if not href:
            continue
        url = absolute_url(href, base) if base or href.startswith(("http:", "https:", "//")) else None
        if url is None or not url.startswith(("http://", "https://")):
            continue
        in_embed = _enclosing_embed(a, embed_elements)
        if in_embed is None and not whole_page and (_SHARE_INTENTS.match(url) or _is_furniture(a, furniture)):
            continue
        a_start = smap.start_of(a)
        if a_start is None:
            continue
        tag_end = text.find(">", a_start)
        m = _HREF.search(text, a_start, tag_end + 1 if tag_end != -1 else len(text))
        if m is None:
            continue
        group = 1 if m.group(1) is not None else 2 if m.group(2) is not None else 3
        out.add_link(m.group(group), url, m.start(group), m.end(group), in_post=in_embed is not None, embed=in_embed)

    _text_urls(text, root, smap, out, embed_elements, furniture, whole_page)
    return merge_posts(out.sorted(), held=held, text=text)


def _enclosing_embed(el: Any, embeds: dict[Any, Embed]) -> Embed | None:
    if not embeds:
        return None
    for node in el.iterancestors():
        if node in embeds:
            return embeds[node]
    return None


_TEXT_NODES = lxml.etree.XPath(
    "//text()[contains(., '.')][not(ancestor::a or ancestor::script or ancestor::style or ancestor::textarea"
    " or ancestor::title or ancestor::noscript or ancestor::code or ancestor::pre or ancestor::head)]"
)
_MAYBE_URL = re.compile(r"[^\s.]\.[^\s.]")


def _text_urls(
    text: str,
    root: Any,
    smap: SourceMap,
    out: Collector,
    embeds: dict[Any, Embed],
    furniture: dict[Any, bool],
    whole_page: bool,
) -> None:
    """URLs written as visible text outside any link (a pasted address, a copied tweet's t.co)."""
    cursor = 0
    for chunk in _TEXT_NODES(root):
        if not _MAYBE_URL.search(chunk):
            continue
        found_any = list(find_urls(chunk))
        if not found_any:
            continue
        el = chunk.getparent()  # the element whose .text or .tail this is
        owner = el if chunk.is_text else el.getparent()
        if owner is None:
            continue
        embed = embeds.get(owner) or _enclosing_embed(owner, embeds)
        if embed is None and not whole_page and _is_furniture(owner, furniture):
            continue
        anchor = smap.start_of(el)
        cursor = max(cursor, anchor or 0)
        for found in found_any:
            pos = _find_in_text(text, found.raw, cursor)
            if pos is None:
                continue
            cursor = pos + len(found.raw)
            out.add_link(
                found.raw, absolute_url(found.raw), pos, pos + len(found.raw), in_post=embed is not None, embed=embed
            )


def _find_in_text(text: str, raw: str, cursor: int) -> int | None:
    """The next occurrence of ``raw`` in character data (not inside a tag) at or after ``cursor``."""
    for needle in (raw, raw.replace("&", "&amp;")):
        pos = text.find(needle, cursor)
        while pos != -1:
            if text.rfind("<", 0, pos) <= text.rfind(">", 0, pos):
                return pos
            pos = text.find(needle, pos + 1)
    return None
