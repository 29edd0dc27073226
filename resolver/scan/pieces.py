"""A long HTML document, parsed one bounded piece at a time.

libxml2's tree costs fifteen to twenty times the size of a page dense with links, stops for good at
2,048 levels of nesting (the rest of the document is lost), and numbers lines only up to 65,535. So a
document is parsed in pieces of at most ``PIECE_CHARS`` characters and ``PIECE_LINES`` lines. A piece
ends at the outermost element still open that started in its second half (so an embed shorter than half
a piece is never cut); when the parser gave up early (too deep), at the last element it built. The next
piece starts there, behind a prefix of synthetic start tags that reopens the open elements that say
what the rest stands in (furniture, a link, code): each piece is read in its context, and deep nesting
starts again from a shallow one. A document within the bounds is one piece: itself, no prefix.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.etree

from .findings import LineIndex
from .furniture import CONTENT_TAGS, FURNITURE_TAGS
from .source import SourceIndex, SourceMap

PIECE_CHARS = 1 << 20  # the tree of a piece dense with links: some 20 MB
PIECE_LINES = 60_000  # well inside libxml2's 16-bit line numbers
_PREFIX_KEEP = 128  # open elements reopened at most from each end of the chain
_CONTEXT_TAGS = FURNITURE_TAGS | CONTENT_TAGS | {"html", "head", "body", "a", "code", "pre", "noscript"}
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_NON_SPACE = re.compile(r"\S")
_HTML_END = re.compile(r"</(?i:html)(?=[\t\n\f\r />])")


@dataclass
class Piece:
    """One parsed piece. Offsets in ``text`` are document offsets minus ``offset``; findings of this
    piece are those that start in [``start``, ``stop``) (document offsets)."""

    text: str
    offset: int
    start: int
    stop: int
    root: Any
    smap: SourceMap


class _PieceLines:
    """Line numbers as libxml2 counts them in a piece: 1 on the prefix and on the piece's first line."""

    def __init__(self, lines: LineIndex, start: int) -> None:
        self._lines = lines
        self._start = start
        self._first = lines.line(start)

    def line(self, offset: int) -> int:
        return 1 if offset < self._start else self._lines.line(offset) - self._first + 1


def html_parser() -> Any:
    """lxml's HTML parser, giving lxml's own elements: lxml.html's element classes are Python subclasses,
    and every element a walk meets would get one of those made for it (a walk over every element costs
    40 % more); the scanner uses none of their methods."""
    parser = lxml.etree.HTMLParser(recover=True, huge_tree=True, remove_comments=True, remove_pis=True)
    parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup())
    return parser


def parse_html(text: str, parser: Any) -> Any:
    """The document's tree (what ``lxml.html.document_fromstring`` gives, without importing lxml.html)."""
    root = lxml.etree.fromstring(text, parser)
    if root is None:
        raise lxml.etree.ParserError("Document is empty")
    return root


def _parse(text: str) -> tuple[Any, bool]:
    """The tree and whether libxml2 stopped before the end (a resource limit such as the depth)."""
    parser = html_parser()
    try:
        root = parse_html(text, parser)
    except (lxml.etree.ParserError, ValueError):
        return None, False
    halted = len(parser.error_log.filter_from_fatals()) > 0  # filtered in C: pages log many errors
    return root, halted


def pieces(text: str, lines: LineIndex) -> Iterator[Piece]:
    start, prefix = 0, ""
    n = len(text)
    whole = SourceIndex(text)  # walked only as far as the pieces reach: once over the text in all
    while start < n:
        end = min(start + PIECE_CHARS, lines.line_start(lines.line(start) + PIECE_LINES), n)
        if end < n:
            end = whole.boundary_after(end)  # a piece never ends inside a token (a script, a comment, a tag)
        source = prefix + text[start:end]
        if start == 0 and (m := _XML_DECL.match(source)):
            source = " " * m.end() + source[m.end() :]  # lxml refuses a str that declares an encoding
        index = SourceIndex(source)
        source = _open_html_end(source, index)
        offset = start - len(prefix)
        root, halted = _parse(source)
        if root is None:
            return
        smap = SourceMap(source, root, _PieceLines(lines, start), offset, index=index)
        if end == n and not halted:
            yield Piece(source, offset, start, n, root, smap)
            return
        cut, reopen = _cut(root, smap, source, offset, start, end, halted)
        if cut <= start:  # no way to end earlier: take the piece whole and start over behind it
            cut, reopen = end, []
        next_prefix = _prefix(reopen)
        piece = Piece(source, offset, start, cut, root, smap)
        del root, smap, index, reopen  # only the piece holds the tree: it goes before the next is parsed
        yield piece
        del piece
        start, prefix = cut, next_prefix


def _open_html_end(source: str, index: SourceIndex) -> str:
    """libxml2 drops everything after ``</html>``; browsers keep it in the body. Blank such end tags
    (spaces of the same length: every offset stays where it was, and so do all other tokens)."""
    parts: list[str] = []
    pos = 0
    for end_tag in (m.start() for m in _HTML_END.finditer(source)):
        after = index.tag_end(end_tag)
        if _NON_SPACE.search(source, after) and index.is_between_tokens(end_tag):
            parts += [source[pos:end_tag], " " * (after - end_tag)]
            pos = after
    if not parts:
        return source
    parts.append(source[pos:])
    index.text = "".join(parts)
    return index.text


def _cut(
    root: Any, smap: SourceMap, source: str, offset: int, start: int, end: int, halted: bool
) -> tuple[int, list[Any]]:
    """Where this piece's findings stop, and the elements the next piece must reopen."""
    deepest = root
    while True:
        children = [c for c in deepest if isinstance(c.tag, str)]
        if not children:
            break
        deepest = children[-1]
    chain = [*reversed(list(deepest.iterancestors())), deepest]
    if not halted:
        middle = start + (end - start) // 2
        for i, el in enumerate(chain):
            pos = smap.start_of(el)
            if pos is not None and pos + offset >= max(middle, start + 1):
                return pos + offset, chain[:i]
    pos = smap.start_of(deepest)
    if pos is not None and pos + offset > start:
        return pos + offset, chain[:-1]
    # One element holds the whole piece as text: cut that text at a space, and reopen the element
    # unless the text there is its tail.
    cut = _space_before(source, smap.index, end - offset, max(0, start - offset)) + offset
    inside = chain if not (deepest.tail or "").strip() else chain[:-1]
    return cut, inside


def _space_before(source: str, index: SourceIndex, end: int, floor: int) -> int:
    pos = end
    for _ in range(64):
        pos = max(source.rfind(" ", floor, pos), source.rfind("\n", floor, pos))
        if pos <= floor:
            break
        if index.is_between_tokens(pos):
            return pos
    return end


def _prefix(reopen: list[Any]) -> str:
    """Synthetic start tags for the open elements that give context; the rest (bare spans, divs
    without names) say nothing and would only add depth."""
    kept = [el for el in reopen if el.tag in _CONTEXT_TAGS or el.get("class") or el.get("id") or el.get("role")]
    if len(kept) > 2 * _PREFIX_KEEP:
        kept = kept[:_PREFIX_KEEP] + kept[-_PREFIX_KEEP:]
    out = []
    for el in kept:
        attrs = "".join(
            f' {name}="{html.escape(value, quote=True)}"'
            for name in ("class", "id", "role", "href")
            if (value := el.get(name)) is not None
        )
        out.append(f"<{el.tag}{attrs}>")
    return "".join(out)
