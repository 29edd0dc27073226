"""Where things stand in HTML source: an exact, linear reading of what libxml2's tree does not keep.

lxml (libxml2) builds the tree fast but keeps only line numbers, and they stop at 65,535. The scanner
reports character offsets, so it reads the markup itself the way the HTML standard's tokenizer does (and
libxml2 2.14's, which follows it): comments (``<!-->`` and ``--!>`` too), doctypes and bogus comments,
quoted attribute values (a ``>`` or an ``<a`` inside one is not markup), raw-text elements (``script``
with its ``<!--`` escape states, ``style``, ``textarea``, ``title``, ``xmp``, ``iframe``, ``noembed``,
``noframes``) and ``plaintext`` (the rest of the file is text).

One regular expression walks the markup in C. It uses possessive quantifiers only, so no input makes it
backtrack; it consumes whole tokens and stops at the first one that is cut off (by the end of the text or
of the window it was given). Construction walks the text once and leaves a checkpoint (an offset known to
lie between tokens) at least every ``_STRIDE`` characters, so "is this offset markup or text?" costs a
walk of one stride at most. Everything here is linear in the text.
"""

from __future__ import annotations

import bisect
import html
import re
from array import array
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Protocol

_S = r"[\t\n\f\r ]"
_RAW_TEXT = ("style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
_NOT_GENERIC = "script|plaintext|" + "|".join(_RAW_TEXT)

# A tag's attributes up to its ">": a quote opens a value only right after "=", as in the tokenizer.
_TAG_BODY = rf"""[^>"'=]*+(?:(?:=(?:{_S}*+"[^"]*+"|{_S}*+'[^']*+'|(?!{_S}*+["']))|["'])[^>"'=]*+)*+>"""


def _raw_text(name: str) -> str:
    """A raw-text element's start tag and text, up to (not including) its end tag."""
    end = rf"/(?i:{name})[\t\n\f\r />]"
    return rf"(?i:{name})(?=[\t\n\f\r />]){_TAG_BODY}[^<]*+(?:<(?!{end})[^<]*+)*+(?=<{end})"


# A script whose text holds "<!--" is left to _script_end (the escape states); so is any token the
# window cuts off. A "<" that starts no token is text.
_SCRIPT = rf"(?i:script)(?=[\t\n\f\r />]){_TAG_BODY}[^<]*+(?:<(?!/(?i:script)[\t\n\f\r />]|!--)[^<]*+)*+(?=</)"
_MARKUP = (
    "<(?:"
    + "|".join([_SCRIPT, *(_raw_text(n) for n in _RAW_TEXT)])
    + rf"|(?!(?i:{_NOT_GENERIC})[\t\n\f\r />])[A-Za-z][^\t\n\f\r />]*+{_TAG_BODY}"
    + rf"|/[A-Za-z][^\t\n\f\r />]*+{_TAG_BODY}"
    + r"|!--(?:-?>|[^-]*+(?:-(?!-!?>)[^-]*+)*+--!?>)"
    + r"|!(?!--)[^>]*+>|\?[^>]*+>|/[^A-Za-z>][^>]*+>|/>"
    + r"|(?=[^A-Za-z!?/]))"
)
_WALK = re.compile(rf"(?:[^<]++|{_MARKUP})*+")  # matches everywhere (possibly nothing)
_ONE = re.compile(rf"[^<]++|{_MARKUP}")
_TAG_END = re.compile(_TAG_BODY)
_TAG_NAME = re.compile(r"</?[^\t\n\f\r />]*+")
_ATTRIBUTE = re.compile(
    rf"""(?:{_S}|/)*+([^\t\n\f\r />][^\t\n\f\r />=]*+)"""
    rf"""(?:{_S}*+=(?:{_S}*+"([^"]*+)"|{_S}*+'([^']*+)'|{_S}*+([^\t\n\f\r >]*+)))?+"""
)
_SCRIPT_START = re.compile(r"<(?i:script)[\t\n\f\r />]")
_TAG_START = re.compile(r"</?[A-Za-z]")
_STRIDE = 4096
# Comments and raw-text elements found the quick way (a first guess, checked by its callers)
_QUICK_DEAD = re.compile(r"<(?:!--|((?i:script|style|textarea|title|xmp|iframe|noembed|noframes))(?=[\t\n\f\r />]))")
# <a href="…">, the common case, read at once (any other shape goes through the attribute walk)
_FIRST_HREF = re.compile(r'<(?i:a|area)[\t\n\f\r ]+(?i:href)[\t\n\f\r ]*=[\t\n\f\r ]*"([^"]*+)"')

TEXT, COMMENT, TAG = 0, 1, 2


@lru_cache(maxsize=128)
def start_tag_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"<(?i:{re.escape(name)})(?=[\t\n\f\r />])")


@lru_cache(maxsize=128)
def end_tag_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"</(?i:{re.escape(name)})(?=[\t\n\f\r />])")


_SCRIPT_DATA = re.compile(r"<!--|</(?i:script)[\t\n\f\r />]")
_SCRIPT_ESCAPED = re.compile(r"-->|</(?i:script)[\t\n\f\r />]|<(?i:script)[\t\n\f\r />]")
_SCRIPT_DOUBLE = re.compile(r"-->|</(?i:script)[\t\n\f\r />]")


def _script_end(text: str, pos: int) -> int:
    """Where a script's text ends (at its "</script"), through the standard's escape states."""
    state = "data"
    while True:
        pattern = _SCRIPT_DATA if state == "data" else _SCRIPT_ESCAPED if state == "escaped" else _SCRIPT_DOUBLE
        m = pattern.search(text, pos)
        if m is None:
            return len(text)
        found = m.group()
        if state == "data":
            if found.startswith("</"):
                return m.start()
            pos, state = m.end(), "escaped"
            if text.startswith((">", "->"), pos):  # "<!-->" and "<!--->" end where they start
                state = "data"
        elif found == "-->":
            pos, state = m.end(), "data"
        elif state == "escaped" and found.startswith("</"):
            return m.start()
        else:  # "<script" enters the double-escaped state, "</script" leaves it
            pos, state = m.end() - 1, "double" if state == "escaped" else "escaped"


def token_end(text: str, pos: int) -> int:
    """The end of the token at ``pos``. A token cut off by the end of the text runs to the end of the
    text, as in the standard's tokenizer (an unterminated tag, comment, raw-text element; plaintext)."""
    m = _ONE.match(text, pos)
    if m is not None:
        return m.end()
    if _SCRIPT_START.match(text, pos):
        tag = _TAG_END.match(text, pos + 7)
        return len(text) if tag is None else _script_end(text, tag.end())
    return len(text)


class SourceIndex:
    """Answers "is this offset between tokens (in text, or at a tag's start)?" for one text.

    Checkpoints are laid lazily, as far as the questions reach: a page whose start tags match its tree
    one for one (the usual case, see ``SourceMap``) is never walked at all.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._checkpoints = array("q", [0])
        self._walked = 0  # checkpoints cover the text up to here
        self._dead_from = len(text) + 1  # past an unterminated token every offset is inside it
        self._candidates: dict[str, list[int]] = {}
        self._real_start_tags: dict[str, list[int]] = {}
        self._zones: list[tuple[int, int]] | None = None

    def _walk_to(self, pos: int) -> None:
        text, n = self.text, len(self.text)
        walk, checkpoints = _WALK.match, self._checkpoints
        at = self._walked
        while at <= pos and at < n and self._dead_from > n:
            end = walk(text, at, min(at + _STRIDE, n)).end()  # type: ignore[union-attr]
            if end == at:  # a token longer than the stride, or cut off by the end of the text
                end = token_end(text, at)
                if end >= n and _ONE.match(text, at) is None:
                    self._dead_from = at + 1
                    break
            checkpoints.append(end)
            at = end
        self._walked = max(self._walked, at)

    def _checkpoint(self, pos: int) -> int:
        if pos >= self._walked:
            self._walk_to(pos)
        checkpoints = self._checkpoints
        return checkpoints[bisect.bisect_right(checkpoints, pos) - 1]

    def boundary_after(self, pos: int) -> int:
        """``pos`` if it lies between tokens, else the end of the token it lies in."""
        start = self._checkpoint(pos)
        text = self.text
        while True:
            stop = _WALK.match(text, start, pos).end()  # type: ignore[union-attr]
            if stop == pos:
                return pos
            end = token_end(text, stop)
            if end >= pos:
                return end
            start = end

    def is_between_tokens(self, pos: int) -> bool:
        start = self._checkpoint(pos)
        return pos < self._dead_from and self.reaches(start, pos)

    def reaches(self, start: int, pos: int) -> bool:
        """Whether the walk from ``start`` (between tokens) ends exactly at ``pos``: whether ``pos``
        is between tokens too."""
        text = self.text
        while True:
            stop = _WALK.match(text, start, pos).end()  # type: ignore[union-attr]
            if stop == pos:
                return True
            end = token_end(text, stop)  # the walk stopped at a token longer than the window
            if end > pos:
                return False
            start = end

    def candidates(self, name: str) -> list[int]:
        """Offsets of every ``<name`` followed by a tag-name end, real start tags or not."""
        found = self._candidates.get(name)
        if found is None:
            found = self._candidates[name] = [m.start() for m in start_tag_pattern(name).finditer(self.text)]
        return found

    def start_tags_for(self, name: str, count: int) -> list[int]:
        """The ``<name`` start tags of a text whose tree has ``count`` such elements: the plain
        candidates when there are that many; else those outside comments and raw-text elements found
        the quick way, when there are that many; else the exact reading. Callers check the pairing."""
        found = self.candidates(name)
        if len(found) == count:
            return found
        zones = self._quick_dead_zones()
        starts = [z for z, _ in zones]
        quick = [p for p in found if (i := bisect.bisect_right(starts, p) - 1) < 0 or p >= zones[i][1]]
        return quick if len(quick) == count else self.start_tags(name)

    def _quick_dead_zones(self) -> list[tuple[int, int]]:
        if self._zones is None:
            zones: list[tuple[int, int]] = []
            text, pos = self.text, 0
            while (m := _QUICK_DEAD.search(text, pos)) is not None:
                if m.group(1) is None:
                    close = text.find("-->", m.end())
                    end = len(text) if close == -1 else close + 3
                else:
                    found = end_tag_pattern(m.group(1).lower()).search(text, m.end())
                    end = len(text) if found is None else found.start()
                zones.append((m.start(), end))
                pos = max(end, m.end())
            self._zones = zones
        return self._zones

    def start_tags(self, name: str, start: int = 0, end: int | None = None) -> list[int]:
        """Offsets of the real ``<name`` start tags in ``text[start:end]``, in order; ``start`` must
        lie between tokens (an element's start, say)."""
        if start == 0 and end is None:
            found = self._real_start_tags.get(name)
            if found is None:
                found = self._real_start_tags[name] = self._real(start_tag_pattern(name), 0, None)
            return found
        return self._real(start_tag_pattern(name), start, end)

    def end_tags(self, name: str, start: int = 0, end: int | None = None) -> list[int]:
        return self._real(end_tag_pattern(name), start, end)

    def _real(self, pattern: re.Pattern[str], start: int, end: int | None) -> list[int]:
        # Candidates come in order, so each walk starts where the last one ended: one pass in all.
        # From offset 0 the checkpoints are used (and laid); from elsewhere ``start`` is the known start.
        text, walk = self.text, _WALK.match
        stop = min(len(text) if end is None else end, self._dead_from)
        out: list[int] = []
        cursor = start
        # The pattern looks a character past the name: the scan may run a little past ``stop``.
        for m in pattern.finditer(text, start, min(len(text), stop + 64)):
            pos = m.start()
            if pos >= stop:
                break
            if pos < cursor:
                continue  # inside the token that ended the last walk
            begin = max(cursor, self._checkpoint(pos)) if start == 0 else cursor
            while True:
                reached = walk(text, begin, pos).end()  # type: ignore[union-attr]
                if reached == pos:
                    out.append(pos)
                    cursor = pos
                    break
                after = token_end(text, reached)
                if after > pos:
                    cursor = after
                    break
                begin = after
            if pos >= self._dead_from:
                break
        # A tag cut off by the end of the text is no element: the parser drops it (as the standard says).
        return [p for p in out if p < self._dead_from - 1]

    def tag_end(self, pos: int) -> int:
        """The offset just past the ``>`` of the tag at ``pos`` (the end of the text if it has none)."""
        name = _TAG_NAME.match(self.text, pos)
        m = _TAG_END.match(self.text, name.end() if name else pos + 1)
        return m.end() if m is not None else len(self.text)

    def href(self, pos: int) -> tuple[int, int] | None:
        """The span of the ``href`` value of the tag at ``pos`` (most often its first attribute)."""
        m = _FIRST_HREF.match(self.text, pos)
        if m is not None:
            return m.start(1), m.end(1)
        return self.attribute(pos, "href")

    def attribute(self, pos: int, name: str) -> tuple[int, int] | None:
        """The value span of the first ``name`` attribute of the tag at ``pos``, or None if it has none."""
        text = self.text
        tag_name = _TAG_NAME.match(text, pos)
        start = tag_name.end() if tag_name else pos + 1
        end = self.tag_end(pos) - 1
        for attr in _ATTRIBUTE.finditer(text, start, end):
            if attr.group(1).lower() == name:
                for group in (2, 3, 4):
                    if attr.group(group) is not None:
                        return attr.start(group), attr.end(group)
                return attr.end(1), attr.end(1)  # present without a value: the empty string
        return None

    def tokens(self, start: int, end: int) -> Iterator[tuple[int, int, int]]:
        """(kind, start, end) of each token from ``start`` (between tokens) until ``end``: TEXT runs,
        TAGs (start and end tags, a raw-text element's text with its start tag) and COMMENTs (comments,
        doctypes, bogus comments: nothing the tree keeps)."""
        text = self.text
        pos = start
        while pos < end:
            m = _ONE.match(text, pos)
            stop = m.end() if m is not None else token_end(text, pos)
            if text[pos] != "<" or stop == pos + 1:
                yield TEXT, pos, min(stop, end)
            elif _TAG_START.match(text, pos):
                yield TAG, pos, stop
            else:  # comments, bogus comments, doctypes, "</>": the tree keeps nothing of them
                yield COMMENT, pos, stop
            pos = stop


# Character references, CR LF and NUL: what the parser rewrites in character data.
_REWRITTEN = re.compile(r"&(?:#[xX][0-9a-fA-F]++;?|#[0-9]++;?|[A-Za-z][A-Za-z0-9]*+;?)|\r\n?|\x00")


class CharacterData:
    """Character data as the parser gives it (references decoded, CR LF and CR as LF, NUL as U+FFFD),
    with the way back from an offset in it to the source."""

    __slots__ = ("_d_ends", "_d_starts", "_stretches", "end", "text")

    def __init__(self, source: str, spans: list[tuple[int, int]]) -> None:
        parts: list[str] = []
        stretches: list[tuple[int, int, int, int]] = []  # (decoded start, decoded end, source start, source end)
        length = 0
        for start, end in spans:
            pos = start
            for m in _REWRITTEN.finditer(source, start, end):
                if m.start() > pos:
                    parts.append(source[pos : m.start()])
                    stretches.append((length, length + m.start() - pos, pos, m.start()))
                    length += m.start() - pos
                found = m.group()
                new = "\n" if found[0] == "\r" else "\ufffd" if found == "\x00" else html.unescape(found)
                parts.append(new)
                stretches.append((length, length + len(new), m.start(), m.end()))
                length += len(new)
                pos = m.end()
            if end > pos:
                parts.append(source[pos:end])
                stretches.append((length, length + end - pos, pos, end))
                length += end - pos
        self.text = "".join(parts)
        self.end = spans[-1][1] if spans else 0  # where the character data ends in the source
        self._stretches = stretches
        self._d_starts = [s[0] for s in stretches]
        self._d_ends = [s[1] for s in stretches]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span that decodes to ``text[start:end]``, widened to whole references."""
        if not self._stretches:
            return start, end
        i = max(0, bisect.bisect_right(self._d_starts, start) - 1)
        d_start, d_end, s_start, s_end = self._stretches[i]
        literal = s_end - s_start == d_end - d_start
        src_start = s_start + (start - d_start) if literal else s_start
        j = min(len(self._stretches) - 1, bisect.bisect_left(self._d_ends, end))
        d_start, d_end, s_start, s_end = self._stretches[j]
        literal = s_end - s_start == d_end - d_start
        src_end = s_start + (end - d_start) if literal else s_end
        return src_start, src_end


class Lines(Protocol):
    """Offset → 1-based line number."""

    def line(self, offset: int) -> int: ...


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_SATURATED = 65535  # libxml2 stores a node's line in 16 bits: from here on the line says nothing


_QUICK_END_WINDOW = 1 << 16


@lru_cache(maxsize=64)
def _open_or_close(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<(/?)(?i:{re.escape(tag)})(?=[\t\n\f\r />])")


def _depth_close(tag: str, text: str, start: int, end: int) -> int | None:
    """Where the end tag that closes an element opened before ``start`` stands, counting every "<tag"
    and "</tag" in ``text[start:end]`` as markup."""
    depth = 1
    for m in _open_or_close(tag).finditer(text, start, end):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.start()
    return None


class SourceMap:
    """Where an element of a tree parsed from ``text`` starts in ``text``: the k-th element of a tag in
    the tree is the k-th real start tag of that name in the source (the tokenizer above, the same as
    libxml2's), checked against the element's line where libxml2 still counts lines. When the tree has
    as many elements as the source has ``<tag`` at all, none of them can be fake: no walk is needed. Elements the
    parser made up (an implied ``body``) or merged (a second ``<body>``) fail the check and stay
    unmapped. ``lines.line(offset + pos)`` gives the 1-based line of ``text[pos]`` as lxml counts it."""

    def __init__(self, text: str, root: Any, lines: Lines, offset: int = 0, *, index: SourceIndex | None = None):
        self.text = text
        self.root = root
        self.lines = lines
        self.offset = offset
        self.index = index if index is not None else SourceIndex(text)
        self._aligned: dict[str, dict[Any, int]] = {}
        self._at: dict[str, dict[int, Any]] = {}

    def start_of(self, el: Any) -> int | None:
        tag = el.tag if isinstance(el.tag, str) else ""
        aligned = self._aligned.get(tag)
        if aligned is None:
            aligned = self._aligned[tag] = self._align(tag)
        return aligned.get(el)

    def elements(self, tag: str) -> dict[Any, int]:
        """Every element of one tag that has a start tag in the source, with its offset (in order)."""
        aligned = self._aligned.get(tag)
        if aligned is None:
            aligned = self._aligned[tag] = self._align(tag)
        return aligned

    def element_at(self, tag: str, pos: int) -> Any:
        """The element of ``tag`` whose start tag is at ``pos``, if one is."""
        at = self._at.get(tag)
        if at is None:
            at = self._at[tag] = {start: el for el, start in self.elements(tag).items()}
        return at.get(pos)

    def _align(self, tag: str) -> dict[Any, int]:
        if not tag:
            return {}
        elements = list(self.root.iter(tag))
        if not elements:
            return {}
        positions = self.index.start_tags_for(tag, len(elements))
        same = len(elements) == len(positions) and tag not in ("html", "head", "body")
        # The same start tags on both sides (the parser invents and merges only html, head and body):
        # pair them in order, the lines of the first and the last confirming it.
        if same and (
            not elements
            or (self._line_fits(elements[0], positions[0]) and self._line_fits(elements[-1], positions[-1]))
        ):
            return dict(zip(elements, positions, strict=True))
        aligned: dict[Any, int] = {}
        p = 0
        for el in elements:
            while p < len(positions):
                pos = positions[p]
                line = el.sourceline
                if line is None or line >= _SATURATED:
                    aligned[el] = pos
                    p += 1
                    break
                if self.lines.line(pos + self.offset) > line:
                    break  # no start tag for this element (made up by the parser)
                if self._line_fits(el, pos):
                    aligned[el] = pos
                    p += 1
                    break
                p += 1  # a start tag the tree merged away (a second <body>)
        return aligned

    def _line_fits(self, el: Any, pos: int) -> bool:
        """A start tag spans lines [its "<", its ">"]; libxml2 gives a line inside that range."""
        line: int | None = el.sourceline
        if line is None or line >= _SATURATED:
            return True
        close = self.text.find(">", pos)
        first = self.lines.line(pos + self.offset)
        return first <= line <= self.lines.line((close if close != -1 else pos) + self.offset)

    def end_of(self, el: Any, start: int) -> int:
        """The offset just past the element's end tag (counting nested ones of its name), or, where the
        end is implied, where the next element after it starts (or just past its start tag)."""
        index, text = self.index, self.text
        start_end = index.tag_end(start)
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _VOID or text[start_end - 2 : start_end] == "/>":
            return start_end
        # First the plain count of "<tag" and "</tag" (C speed), over a window that holds any real
        # embed; its answer stands when the walk from the start tag confirms the end tag is markup.
        window = min(len(text), start_end + _QUICK_END_WINDOW)
        close = _depth_close(tag, text, start_end, window)
        if close is not None and index.reaches(start, close):
            return index.tag_end(close)
        limit = self._next_start(el)
        stop = len(text) if limit is None else limit
        opens = index.start_tags(tag, start_end, stop)
        closes = index.end_tags(tag, start_end, stop)
        depth, i = 1, 0
        for close in closes:
            while i < len(opens) and opens[i] < close:
                depth += 1
                i += 1
            depth -= 1
            if depth == 0:
                return index.tag_end(close)
        return start_end if limit is None else limit

    def _next_start(self, el: Any) -> int | None:
        """Where the first element after ``el`` and its descendants starts in the source, if known."""
        node = el
        while node is not None:
            after = node.getnext()
            while after is not None and not isinstance(after.tag, str):
                after = after.getnext()
            if after is not None:
                return self.start_of(after)
            node = node.getparent()
        return None
