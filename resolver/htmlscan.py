"""Scanning HTML: embedded posts and the article's links, with exact character spans.

lxml (libxml2) builds the tree: it is the fast part. It reports only line numbers, so every element we
report is aligned with its start tag in the source: the k-th ``<a`` element of the tree is the k-th
``<a`` start tag outside comments and raw-text elements (script, style, textarea, title), checked
against lxml's line number. BeautifulSoup reads only the small fragments of embeds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import lxml.etree
import lxml.html

from .findings import Collector, LineIndex
from .linkfinder import find_urls
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


def _embeds(
    doc: Document, text: str, root: Any, smap: SourceMap, base: str | None, offset: int = 0
) -> Iterator[tuple[int, int, Embed, Any]]:
    for el, platform in _embed_elements(root, text):
        assert platform.parse_embed is not None
        embed = platform.parse_embed(el, base)
        if embed is None:
            continue
        start = smap.start_of(el)
        if start is None:
            continue
        yield start + offset, smap.end_of(el, start) + offset, embed, el
    # Embed markup kept as raw text (consent placeholders keep it in a hidden <textarea>).
    for container in root.iter(*_RAW_TEXT_CONTAINERS):
        inner = container.text or ""
        if "<" not in inner or not any(k in inner for k in ("twitter-tweet", "instagram-media", "embed")):
            continue
        start = smap.start_of(container)
        if start is None:
            continue
        inner_start = text.find(">", start) + 1
        inner_end = text.lower().find(f"</{container.tag}", inner_start)
        inner_end = inner_end if inner_end != -1 else len(text)
        sub_text = text[inner_start:inner_end]
        sub_root = _parse(sub_text)
        if sub_root is None:
            continue
        sub_lines = _OffsetLines(smap.lines, offset + inner_start)
        sub_map = SourceMap(sub_text, sub_root, sub_lines, offset + inner_start)  # type: ignore[arg-type]
        yield from _embeds(doc, sub_text, sub_root, sub_map, base, offset + inner_start)


class _OffsetLines:
    """Line numbers of a sub-text, as lxml counts them inside it (1-based from the sub-text's start)."""

    def __init__(self, lines: LineIndex, offset: int) -> None:
        self._lines = lines
        self._first = lines.line(offset)

    def line(self, offset: int) -> int:
        return self._lines.line(offset) - self._first + 1


def embeds_in_markup(doc: Document, hidden: Iterable[Any] = ()) -> list[tuple[int, int, Embed]]:
    """Embeds in a document that is not HTML as a whole (raw HTML blocks in Markdown)."""
    root = _parse(doc.text)
    if root is None:
        return []
    smap = SourceMap(doc.text, root, LineIndex(doc.text))
    hidden_spans = [(h.start, h.end) for h in hidden]
    return [
        (s, e, embed)
        for s, e, embed, _ in _embeds(doc, doc.text, root, smap, doc.base_url)
        if not any(hs <= s < he for hs, he in hidden_spans)
    ]


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
    for start, end, embed, elements in _merge_repeats(text, _embeds(doc, text, root, smap, base)):
        out.add_embed(embed, start, end)
        for el in elements:
            embed_elements[el] = embed

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
    return out.sorted()


_TAGS_AND_SPACE = re.compile(r"<script\b.*?</script\s*>|<[^>]*>|\s+", re.DOTALL | re.IGNORECASE)


def _merge_repeats(text: str, embeds: Iterable[tuple[int, int, Embed, Any]]) -> list[tuple[int, int, Embed, list[Any]]]:
    """One post rendered twice in a row (the widget's iframe beside the blockquote it replaced) is one
    embed: merge neighbours with the same post id and nothing visible between them."""
    merged: list[tuple[int, int, Embed, list[Any]]] = []
    for start, end, embed, el in sorted(embeds, key=lambda item: item[0]):
        if merged:
            p_start, p_end, prev, els = merged[-1]
            same = prev.platform == embed.platform and prev.post_id and prev.post_id == embed.post_id
            if same and start >= p_end and not _TAGS_AND_SPACE.sub("", text[p_end:start]):
                fields = {f: getattr(prev, f) or getattr(embed, f) for f in Embed.__slots__}
                merged[-1] = (p_start, max(p_end, end), Embed(**fields), [*els, el])
                continue
        merged.append((start, end, embed, [el]))
    return merged


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
