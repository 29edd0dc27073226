"""Markdown inline links and images, ``[text](href "title")``, found in time linear in the text.

A regular expression for this nests quantifiers (brackets inside the text, parentheses inside the href)
and backtracks without bound on hostile input such as ``[a]([a]([a](…``. Here one pass pairs brackets
and one pairs parentheses, and each link is then read with jumps over the pairs:

* the text is what lies between a ``[`` and the ``]`` that closes it (brackets nest; a blank line or a
  backslash-escaped bracket breaks nothing but the pair it is in), directly followed by ``(``;
* the href is ``<…>`` (no space, ``<`` or line break inside) or a run without spaces, controls, ``<`` or
  ``>`` whose parentheses are balanced (CommonMark's rule); an optional ``"title"`` or ``'title'``, then
  ``)``. A link inside another link's text is not reported apart from it (the outer one is, as a regular
  expression scanning from left to right would).

Reading a link never scans past the pair that closes its ``(``, or, when that ``(`` is never closed, past
the next unclosed ``(``: the reads of all links together touch each character a bounded number of times.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

_HREF_STOP = frozenset(" \t\n\r\f\v<>")
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# What the bracket pass looks at: escapes, brackets and blank lines (prose between them is skipped in C).
_BRACKET_TOKENS = re.compile(r"\\[!-/:-@\[-`{-~]|\[|\]|\n[ \t\r]*\n")
_PAREN_TOKENS = re.compile(r"\\[!-/:-@\[-`{-~]|[()]")
_RUN_END = re.compile(r"[ \t\n\r\f\v<>]")
_HREF_SPECIAL = re.compile(r"[\x00-\x20<>()\\\x7f]")


class MarkdownLink(NamedTuple):
    """One ``[text](href)`` (or ``![alt](src)``): its span, its text's span and its href's span."""

    start: int
    end: int
    text_start: int
    text_end: int
    url_start: int
    url_end: int


def _bracket_pairs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Every ``[`` with the ``]`` that closes it, by opener position. No pair spans a blank line."""
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for m in _BRACKET_TOKENS.finditer(text, start, end):
        token = m.group()
        if token == "[":
            stack.append(m.start())
        elif token == "]":
            if stack:
                pairs.append((stack.pop(), m.start()))
        elif token[0] == "\n":
            stack.clear()
    pairs.sort()
    return pairs


def _paren_pairs(text: str, start: int, end: int) -> dict[int, int]:
    """Every ``(`` that an href could hold, with the ``)`` that closes it. No pair spans a space.

    Only parentheses and escapes are looked at in Python; whether a space lies between two of them is
    asked of the regular expression engine, and only while a ``(`` is open.
    """
    pairs: dict[int, int] = {}
    stack: list[int] = []
    previous = start
    for m in _PAREN_TOKENS.finditer(text, start, end):
        pos = m.start()
        if stack and _RUN_END.search(text, previous, pos):
            stack.clear()
        previous = pos
        token = m.group()
        if token == "(":
            stack.append(pos)
        elif token == ")" and stack:
            pairs[stack.pop()] = pos
    return pairs


def _skip_space(text: str, i: int, end: int) -> int:
    """Past spaces and tabs and at most one line break."""
    newline = False
    while i < end:
        ch = text[i]
        if ch == "\n":
            if newline:
                break
            newline = True
        elif ch not in " \t\r":
            break
        i += 1
    return i


def find_markdown_links(text: str, start: int = 0, end: int | None = None) -> list[MarkdownLink]:
    """Every inline link and image in ``text[start:end]``, in source order, none inside another."""
    end = len(text) if end is None else end
    if text.find("](", start, end) == -1:
        return []
    parens = _paren_pairs(text, start, end)
    found: list[MarkdownLink] = []
    for open_bracket, close_bracket in _bracket_pairs(text, start, end):
        if close_bracket + 1 >= end or text[close_bracket + 1] != "(":
            continue
        if found and open_bracket < found[-1].end:
            continue  # inside the link before it (pairs sort by opener: the outer link came first)
        link = _read_link(text, open_bracket, close_bracket, end, parens)
        if link is not None and not (found and link.start < found[-1].end):
            found.append(link)
    return found


def _read_link(
    text: str, open_bracket: int, close_bracket: int, end: int, parens: dict[int, int]
) -> MarkdownLink | None:
    start = open_bracket - 1 if open_bracket > 0 and text[open_bracket - 1] == "!" else open_bracket
    i = _skip_space(text, close_bracket + 2, end)
    if i < end and text[i] == "<":
        url_start = i + 1
        stop = _RUN_END.search(text, url_start, end)
        j = stop.start() if stop else end
        if j >= end or text[j] != ">" or j == url_start:
            return None
        url_end, i = j, j + 1
    else:
        url_start = j = i
        while (special := _HREF_SPECIAL.search(text, j, end)) is not None:
            j = special.start()  # the plain characters before it are skipped by the engine
            ch = text[j]
            if ch == "(":
                close = parens.get(j)
                if close is None:
                    return None  # an unbalanced "(": not a destination
                j = close + 1
            elif ch == "\\":
                j += 2 if j + 1 < end and text[j + 1] in _ESCAPABLE else 1
            else:
                break  # a space, a control character, "<", ">" or ")" ends the destination
        else:
            j = end
        j = min(j, end)
        if j == url_start:
            return None
        url_end, i = j, j
    after = _skip_space(text, i, end)
    if i < after < end and text[after] in "\"'":
        title_end = text.find(text[after], after + 1, end)
        if title_end == -1:
            return None
        i = _skip_space(text, title_end + 1, end)
    else:
        i = after
    if i >= end or text[i] != ")":
        return None
    return MarkdownLink(start, i + 1, open_bracket + 1, close_bracket, url_start, url_end)


def strip_links(text: str, links: list[MarkdownLink], start: int, end: int) -> str:
    """``text[start:end]`` with each link (taken from ``links``, spans into ``text``) replaced by its text."""
    out: list[str] = []
    pos = start
    for link in links:
        if link.start < pos or link.end > end:
            continue
        out.append(text[pos : link.start])
        out.append(text[link.text_start : link.text_end])
        pos = link.end
    out.append(text[pos:end])
    return "".join(out)


# A reference definition, ``[label]: url "title"`` (the label on one line: no scan past a line break).
_REF_DEF = re.compile(r"^[ \t]{0,3}\[(?P<label>[^\]\n]+)\]:[ \t]*<?(?P<url>[^\s<>]+)>?(?:[ \t]+.*)?$", re.MULTILINE)


class Reference(NamedTuple):
    label: str
    url: str
    url_start: int
    url_end: int


def find_references(text: str) -> list[Reference]:
    """Every reference definition, in source order."""
    if "]:" not in text:
        return []
    return [Reference(m.group("label"), m.group("url"), m.start("url"), m.end("url")) for m in _REF_DEF.finditer(text)]


class MarkdownIndex:
    """A document's Markdown links and reference definitions, found once (on first use) and looked up."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._links: list[MarkdownLink] | None = None
        self._starts: list[int] = []
        self._refs: dict[str, Reference] | None = None

    @property
    def links(self) -> list[MarkdownLink]:
        if self._links is None:
            self._links = find_markdown_links(self._text)
            self._starts = [link.start for link in self._links]
        return self._links

    def link_at(self, pos: int) -> MarkdownLink | None:
        """The link that starts at ``pos`` (at its ``[``, or its ``!`` for an image)."""
        links = self.links
        i = bisect.bisect_left(self._starts, pos)
        return links[i] if i < len(links) and links[i].start == pos else None

    def between(self, start: int, end: int) -> list[MarkdownLink]:
        """The links that lie wholly inside ``[start, end)``."""
        links = self.links
        i = bisect.bisect_left(self._starts, start)
        out = []
        while i < len(links) and links[i].start < end:
            if links[i].end <= end:
                out.append(links[i])
            i += 1
        return out

    def reference(self, label: str) -> Reference | None:
        """The definition a reference label stands for (labels match case-insensitively, spaces collapsed)."""
        if self._refs is None:
            self._refs = {}
            for ref in find_references(self._text):
                self._refs.setdefault(_label_key(ref.label), ref)
        return self._refs.get(_label_key(label))


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()
