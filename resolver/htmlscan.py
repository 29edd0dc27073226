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
from collections.abc import Iterable, Iterator
from typing import Any

import lxml.etree
import lxml.html

from .findings import Collector, LineIndex
from .furniture import MARK, furniture_roots
from .htmlpieces import Piece, pieces
from .htmlsource import COMMENT, TAG, TEXT, Decoded, Lines, SourceIndex, SourceMap
from .linkfinder import find_urls
from .models import Document, Finding
from .platforms import PLATFORMS, Embed, Platform
from .urls import absolute_url

__all__ = ["SourceMap", "embeds_in_markup", "iter_scan_html", "scan_html"]

_log = logging.getLogger(__name__)

_RAW_TEXT_CONTAINERS = ("textarea", "script")
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
    parser = lxml.html.HTMLParser(recover=True, huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


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
        sub_map = SourceMap(sub_text, sub_root, sub_lines, offset + inner_start)
        yield from _embeds(doc, sub_text, sub_root, sub_map, base, offset + inner_start)


class _OffsetLines:
    """Line numbers of a sub-text, as lxml counts them inside it (1-based from the sub-text's start)."""

    def __init__(self, lines: Lines, offset: int) -> None:
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
    """Every embedded post and every http(s) link of the article's content, in source order."""
    return list(iter_scan_html(doc, whole_page=whole_page))


def iter_scan_html(doc: Document, *, whole_page: bool = False) -> Iterator[Finding]:
    """The same, piece by piece: a long document is never held as one tree (see ``htmlpieces``)."""
    lines = LineIndex(doc.text)
    base: str | None = None
    for n, piece in enumerate(pieces(doc.text, lines)):
        if n == 0:
            base = _base_url(piece.root, doc.base_url)
        yield from _scan_piece(doc, piece, base, lines, whole_page)


def _scan_piece(doc: Document, piece: Piece, base: str | None, lines: LineIndex, whole_page: bool) -> list[Finding]:
    out = Collector(doc, lines)
    root, smap, offset = piece.root, piece.smap, piece.offset
    spans: list[tuple[int, int, Embed]] = []
    holders: set[Any] = set()
    for start, end, embed, elements in _merge_repeats(doc.text, _embeds(doc, piece.text, root, smap, base, offset)):
        if not piece.start <= start < piece.stop:
            continue  # reopened in the prefix, or beyond the cut: another piece's
        out.add_embed(embed, start, end)
        spans.append((start, end, embed))
        holders.update(_holders(elements, root, smap, start - offset))
    embeds = _EmbedSpans(spans)
    roots = [] if whole_page else furniture_roots(root, holders)
    _links(out, piece, base, embeds, roots, whole_page)
    _text_urls(out, piece, embeds, whole_page)
    return out.sorted()


def _holders(elements: Iterable[Any], root: Any, smap: SourceMap, pos: int) -> Iterator[Any]:
    """The elements of this tree that hold an embed: its root and their ancestors. An embed read from
    the text of a raw-text container (a consent <textarea>) is held by that container."""
    for el in elements:
        if el.getroottree().getroot() is not root:
            el = _container_at(root, smap, pos)
            if el is None:
                continue
        yield el
        yield from el.iterancestors()


def _container_at(root: Any, smap: SourceMap, pos: int) -> Any:
    best, best_start = None, -1
    for container in root.iter(*_RAW_TEXT_CONTAINERS):
        start = smap.start_of(container)
        if start is not None and best_start < start <= pos:
            best, best_start = container, start
    return best


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

    def at(self, pos: int) -> Embed | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        while i >= 0 and self._reach[i] > pos:
            _, end, embed = self._spans[i]
            if pos < end:
                return embed
            i -= 1
        return None


def _links(
    out: Collector, piece: Piece, base: str | None, embeds: _EmbedSpans, roots: list[Any], whole_page: bool
) -> None:
    """Every ``a``/``area`` with an http(s) ``href``; its span is the href's value as written."""
    excluded: set[Any] = set()
    for furniture in roots:
        excluded.update(furniture.iter("a", "area"))
    text, offset, index = piece.text, piece.offset, piece.smap.index
    for tag in ("a", "area"):
        for el, pos in _anchors(piece, tag):
            href = el.get("href")
            if not href or not piece.start <= pos + offset < piece.stop:
                continue
            url = absolute_url(href, base) if base or href.startswith(("http:", "https:", "//")) else None
            if url is None or not url.startswith(("http://", "https://")):
                continue
            embed = embeds.at(pos + offset)
            if embed is None and not whole_page and (el in excluded or _SHARE_INTENTS.match(url)):
                continue
            span = index.attribute(pos, "href")
            if span is None:
                continue
            raw = text[span[0] : span[1]]
            out.add_link(raw, url, span[0] + offset, span[1] + offset, in_post=embed is not None, embed=embed)


def _anchors(piece: Piece, tag: str) -> Iterator[tuple[Any, int]]:
    """The tree's elements of one tag with their start tags. The tokenizer and libxml2 find the same
    start tags, so the k-th element is the k-th tag; where an href says otherwise (a bug on either
    side), the line-checked alignment decides."""
    index, text = piece.smap.index, piece.text
    positions = index.start_tags(tag)
    elements = list(piece.root.iter(tag))
    if len(positions) == len(elements):
        for el, pos in zip(elements, positions, strict=True):
            href = el.get("href")
            span = index.attribute(pos, "href")
            raw = None if span is None else text[span[0] : span[1]]
            if href is not None and raw is not None and "&" not in raw and "\r" not in raw and raw != href:
                break
        else:
            yield from zip(elements, positions, strict=True)
            return
    _log.debug("%s: %d <%s> elements, %d start tags: aligning by line", piece.start, len(elements), tag, len(positions))
    yield from piece.smap.elements(tag).items()


_TEXT_EXCLUDED = (
    "ancestor::a or ancestor::script or ancestor::style or ancestor::textarea or ancestor::title"
    " or ancestor::noscript or ancestor::code or ancestor::pre or ancestor::head"
)
_TEXT_NODES = lxml.etree.XPath(f"//text()[contains(., '.')][not({_TEXT_EXCLUDED})]")
_CONTENT_TEXT_NODES = lxml.etree.XPath(f"//text()[contains(., '.')][not({_TEXT_EXCLUDED} or ancestor::*[@{MARK}])]")
_MAYBE_URL = re.compile(r"[^\s.]\.[^\s.]")


def _text_urls(out: Collector, piece: Piece, embeds: _EmbedSpans, whole_page: bool) -> None:
    """URLs written as visible text outside any link (a pasted address, a copied tweet's t.co): found in
    the text as the parser decoded it, reported with the source's own characters (``&amp;`` and all)."""
    offset = piece.offset
    for chunk in (_TEXT_NODES if whole_page else _CONTENT_TEXT_NODES)(piece.root):
        if not _MAYBE_URL.search(chunk):
            continue
        found = list(find_urls(chunk))
        if not found:
            continue
        decoded = _locate(piece, chunk)
        for url in found:
            value = chunk[url.start : url.end]
            if decoded is not None:
                start, end = decoded.source_span(url.start, url.end)
            else:
                located = _search(piece, chunk, value)
                if located is None:
                    _log.debug("%s: text URL %r not found in the source", piece.start, value)
                    continue
                start, end = located
            if not piece.start <= start + offset < piece.stop:
                continue
            embed = embeds.at(start + offset)
            raw = piece.text[start:end]
            out.add_link(raw, absolute_url(value), start + offset, end + offset, in_post=embed is not None, embed=embed)


def _locate(piece: Piece, chunk: Any) -> Decoded | None:
    """The source of one text node, decoded with its way back to source offsets.

    The node lies between the element before it in document order (its owner for ``.text``, the
    owner's last descendant for ``.tail``) and the element after it; between those two start tags
    the source holds only end tags, comments and character data. The node is the run of character
    data there that decodes to it (the same-ranked one, if several do).
    """
    el = chunk.getparent()
    smap = piece.smap
    if chunk.is_tail:
        before = _last_descendant(el)
        after = _following(el)
        sequence = _texts_between(before, el)
    else:
        before = el
        after = next((c for c in el if isinstance(c.tag, str)), None)
        if after is None:
            after = _following(el)
        sequence = []
    lo = smap.start_of(before)
    if lo is None:
        return None
    hi = smap.start_of(after) if after is not None else None
    text = str(chunk)
    rank = sum(1 for t in sequence if t == text)
    for run in _runs(smap.index, lo, len(piece.text) if hi is None else hi):
        decoded = Decoded(piece.text, run)
        if decoded.text == text:
            if rank == 0:
                return decoded
            rank -= 1
    return None


def _texts_between(deepest: Any, el: Any) -> list[str]:
    """The text nodes from ``deepest`` (a last descendant of ``el``) up to ``el``'s tail, excluded."""
    out = [deepest.text or ""] if deepest is not el else []
    node = deepest
    while node is not el:
        out.append(node.tail or "")
        node = node.getparent()
    return out


def _last_descendant(el: Any) -> Any:
    while True:
        children = [c for c in el if isinstance(c.tag, str)]
        if not children:
            return el
        el = children[-1]


def _following(el: Any) -> Any:
    """The first element after ``el`` and its descendants, in document order."""
    while el is not None:
        after = el.getnext()
        while after is not None and not isinstance(after.tag, str):
            after = after.getnext()
        if after is not None:
            return after
        el = el.getparent()
    return None


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


def _search(piece: Piece, chunk: Any, value: str) -> tuple[int, int] | None:
    """Last resort, when the node's run was not found: the URL's own characters, in text, after the
    element before the node."""
    el = chunk.getparent()
    lo = piece.smap.start_of(_last_descendant(el) if chunk.is_tail else el) or 0
    text, index = piece.text, piece.smap.index
    for needle in (value, value.replace("&", "&amp;")):
        pos = text.find(needle, lo)
        while pos != -1:
            if index.is_between_tokens(pos):
                return pos, pos + len(needle)
            pos = text.find(needle, pos + 1)
    return None


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
