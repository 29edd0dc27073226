"""Scanning HTML: embedded posts and the article's links, with exact character spans.

lxml (libxml2) builds the tree: it is the fast part, and XPath walks it in C. The tree keeps no offsets,
so every element reported is found in the source by ``htmlsource`` (an exact, linear reading of the
markup); long documents are parsed in bounded pieces (``htmlpieces``); page furniture is decided once per
subtree (``furniture``).
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterator
from typing import Any

import lxml.etree

from ..models import Document, Finding, Post
from ..platforms import Embed
from .embeds import MAYBE_URL, RAW_TEXT_CONTAINERS, EmbedHit, base_url, find_embeds, page_copies
from .findings import Collector, LineIndex
from .furniture import Furniture
from .links import find_urls
from .merge import merge_posts
from .pieces import Piece, pieces
from .source import COMMENT, TAG, TEXT, CharacterData, SourceIndex, SourceMap
from .urls import absolute_url

__all__ = ["iter_scan_html", "scan_html"]

_log = logging.getLogger(__name__)


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
            base = base_url(piece.root, doc.base_url)
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
    hits = list(find_embeds(piece.text, root, smap, base))
    if piece.start == 0 and piece.stop >= len(doc.text):
        # Whose story a data copy is, is judged against the whole page's text: a piece of a longer
        # document shows only part of it, so there every copy stays (as it did before that judgement).
        hits = page_copies(hits, root)
    for hit in hits:
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
                for i, el in enumerate(self._root.iter(*RAW_TEXT_CONTAINERS))
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
# ``/descendant::`` rather than ``//`` (``/descendant-or-self::node()/child::``): the same nodes in the same
# order, without a node-set of every node first (9 % faster on the corpus).
_TEXT_NODES = lxml.etree.XPath(f"/descendant::text()[contains(., '.')][not({_TEXT_EXCLUDED})]")


def _text_urls(out: Collector, piece: Piece, embeds: _EmbedSpans, furniture: Furniture) -> None:
    """URLs written as visible text outside any link (a pasted address, a copied tweet's t.co): found in
    the text as the parser decoded it, reported with the source's own characters (``&amp;`` and all)."""
    offset = piece.offset
    following = _Following()
    cursor = 0  # where the last text node located ends: the next one starts after it (document order)
    for chunk in _TEXT_NODES(piece.root):
        if not MAYBE_URL.search(chunk):
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
