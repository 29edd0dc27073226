"""The signature a copied embed leaves in text, ``— Name (@handle) Date``, in every shape it comes in.

An embedded tweet copied as text (reader views, text extractors, e-mail, Markdown converters) keeps its
text, then ``&mdash; Name (@handle) <a href=status>Date</a>``. What becomes of that line varies:

* on a line of its own below the text (the seed), or on the text's own line (``text — Name (@handle)
  Date``: textContent, newspaper3k-style extraction, e-mail), with more prose after it on that line;
* wrapped onto two lines anywhere between the dash and the date;
* with ``>`` quote marks or a bullet before it; with ``―``, ``–``, ``--`` or a spaced ``-`` as the dash;
* with the handle alone (``— @handle Date`` or ``— (@handle) Date``), a Bluesky domain handle, or
  full-width ``（@handle）``;
* with the status link as the date (Markdown ``[March 14, 2025](https://twitter.com/…/status/…)``, a
  reference link, ``<https://…>``, or a bare status URL after the date or instead of it);
* with no date at all.

What makes it a signature and not prose: a dash, then at most a name's length (64 characters, one line
break), then the handle, then a date that *starts* right there (a day number, a month name or a year,
read by :func:`resolver.dates.parse_embed_date`) or a status link. "He said — and I quote (@nobody)
— nothing." has no date after the handle; "— John Smith, CEO" has no handle; a date further on ("— Jane
(@jane) said on March 3, 2020") does not start at the handle. Without a date or status link only the
strictest shape counts: a true dash (``—``, ``–``, ``―``) opening its line, a name, ``(@handle)`` closing
the line, and a tweet-sized text above it (an e-mail signature ``-- Jane (@jane)`` uses no true dash).

Where the post's text begins (:func:`post_body`):

* signature on a line of its own: the text is the line just above; when a blank line separates them, the
  paragraph above the blank (at most four lines; a longer block is prose, and only its last line is
  taken). Quoted (``>``) posts: every quoted line above, blank quoted lines inside included.
* signature on the text's own line: the text runs from the start of that line (after quote marks or a
  bullet) to the dash, if that is tweet-sized (280 characters, each URL counted as 23, Twitter's rule);
  otherwise from the earliest sentence start (after ``.``, ``!``, ``?``, ``…``, ``:`` or CJK full stops)
  that leaves a tweet-sized text, or from the last sentence start when even the last sentence is longer.
* never before the end of the previous signature, nor inside a region the caller has already taken.

Every search here is bounded by a constant window around an ``@``, or runs over text no other signature
reads, so finding all signatures is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import NamedTuple

from ..platforms import match_post_url
from ..platforms.dates import parse_embed_date
from .links import find_urls
from .markdown import MarkdownIndex

TWEET_LENGTH = 280
_URL_WEIGHT = 23  # Twitter counts every URL as 23 characters, whatever its length
_NAME_MAX = 64  # display names are at most 50 characters; emoji flags count twice here
_TRUE_DASHES = "—–―"
_DASHES = _TRUE_DASHES + "‒−⸺⸻﹘－"
_PREFIX_CHARS = frozenset(" \t>*+-•◦‣·▪●")
_HANDLE = re.compile(
    r"(?P<domain>[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![\w@.-])"
    r"|(?P<twitter>[A-Za-z0-9_]{1,15})(?![\w@])"
)
_TIME_PREFIX = re.compile(r"\d{1,2}:\d{2}(?:\s*[AaPp]\.?\s?[Mm]\.?)?\s*[·∙•|,-]?\s*")
_DATE_END = re.compile(
    r"\d{4}\s*[年년]\s*\d{1,2}\s*[月월]\s*\d{1,2}\s*[日일]?"  # 2025年3月14日, 2025년 3월 14일
    r"|\d{4}-\d{2}-\d{2}"
    r"|(?<!\d)(?:19[89]\d|20\d\d)(?!\d)(?:\s?г\.)?"  # the year that ends most dates (14 марта 2025 г.)
)
_SEPARATOR = re.compile(r"[ \t]*[·∙•|,]?[ \t]*")
_REF_LINK = re.compile(r"\[([^\]\n]{1,80})\]\[([^\]\n]{0,80})\]")
_SENTENCE_END = re.compile(r"[.!?…:;](?:[\"'”’»)\]]*)[ \t]+|[。！？](?:[」』”’）]*)")
_WORD = re.compile(r"[^\W\d_]+")
_NOT_A_NAME = ("by ", "via ", "from ")
_AT = re.compile("[@＠]")
# Searched in the reversed text before a handle: a handle (stop), a line break, a dash; a run of hyphens
# with spaces around it (reversed: after a space, before a space, a quote mark or bullet, or the start).
_REVERSED_STOP = re.compile(rf"[@＠\n]|[{_DASHES}]+|(?<=[ \t\n])-+(?=[ \t\n>*+•]|$)")
_CONTINUATION = re.compile(r"\n[ \t>]*")  # a line break inside a wrapped signature, its quote marks

# Where the URLs of a range stand: tweet length counts each as 23 characters.
UrlSpans = Callable[[int, int], list[tuple[int, int]]]


class Signature(NamedTuple):
    """Where a signature stands and what it says."""

    start: int  # the dash
    end: int  # after the date, the status link, or the handle when there is neither
    line_start: int  # the start of the line that holds the dash
    whole_line: bool  # nothing but quote marks, a bullet or spaces before the dash on its line
    quoted: bool  # ">" before the dash on its line
    name: str | None
    handle: str
    platform: str
    published: str | None
    status_url: str | None
    status_span: tuple[int, int] | None = None  # where the status URL stands, when a reference defines it


def find_signatures(text: str, markdown: MarkdownIndex, start: int = 0, end: int | None = None) -> Iterator[Signature]:
    """Every signature in ``text[start:end]``, in order, none overlapping another."""
    end = len(text) if end is None else end
    floor = start
    for at in _at_signs(text, start, end):
        if at < floor:
            continue
        sig = _signature_at(text, at, floor, end, markdown)
        if sig is not None:
            yield sig
            floor = sig.end


def _at_signs(text: str, start: int, end: int) -> Iterator[int]:
    if text.find("＠", start, end) != -1:  # full-width at signs too: the slower search
        yield from (m.start() for m in _AT.finditer(text, start, end))
        return
    at = text.find("@", start, end)
    while at != -1:
        yield at
        at = text.find("@", at + 1, end)


def _signature_at(text: str, at: int, floor: int, end: int, markdown: MarkdownIndex) -> Signature | None:
    handle_m = _HANDLE.match(text, at + 1, end)
    if handle_m is None:
        return None
    handle = handle_m.group()
    platform = "bluesky" if handle_m.group("domain") else "twitter"
    before = text[at - 1] if at > floor else "\n"
    if before in "(（":
        if handle_m.end() >= end or text[handle_m.end()] not in ")）":
            return None
        name_end, after = at - 1, handle_m.end() + 1
        parenthesised = True
    elif before.isspace() or before in _DASHES:
        name_end, after = at, handle_m.end()
        parenthesised = False
    else:
        return None
    # What follows the handle first: most handles in running text are followed by neither a date nor a
    # status link nor the end of their line, and need no look back at all.
    published, status_url, sig_end, status_span = _date_or_link(text, after, end, markdown)
    if status_url is not None:
        ref = match_post_url(status_url)
        if ref is None:
            status_url = status_span = None
            if published is None:
                sig_end = after
        else:
            platform = ref.platform
    dated = published is not None or status_url is not None
    if not dated and not (parenthesised and _blank_to_line_end(text, after, end)):
        return None
    # A bare handle stands right after its dash (a mention in running text costs nothing more); a name
    # in front of "(@handle)" is at most a name's length.
    reach = _NAME_MAX + 4 if parenthesised else 4
    dash = _dash_before(text, name_end, max(floor, name_end - reach))
    if dash is None:
        return None
    dash_start, dash_end, true_dash = dash
    raw_name = text[dash_end:name_end]
    if "\n" in raw_name:
        raw_name = _CONTINUATION.sub(" ", raw_name)
    name = " ".join(raw_name.split())
    if not parenthesised and name:
        return None  # "— @handle": a handle written bare stands right after the dash
    if len(name) > _NAME_MAX or name[:5].lower().startswith(_NOT_A_NAME):
        return None
    prefix_start = dash_start
    while prefix_start > floor and text[prefix_start - 1] in _PREFIX_CHARS:
        prefix_start -= 1
    whole_line = prefix_start == 0 or text[prefix_start - 1] == "\n"
    quoted = whole_line and ">" in text[prefix_start:dash_start]
    if not dated:
        # No date, no status link: only "— Name (@handle)" alone on its line, with a true dash.
        if not (whole_line and true_dash and name):
            return None
        sig_end = after
    return Signature(
        dash_start,
        sig_end,
        prefix_start,
        whole_line,
        quoted,
        name or None,
        handle,
        platform,
        published,
        status_url,
        status_span,
    )


def _dash_before(text: str, name_end: int, limit: int) -> tuple[int, int, bool] | None:
    """The dash nearest before a name: (start, end, whether it is a true dash).

    Not across another handle, nor across more than one line break. A run of hyphens is a dash when
    spaces stand around it ("--", " - "), not inside a word ("Jean-Luc"). The window is searched
    reversed, so that one regular-expression search finds the nearest token.
    """
    context = max(limit - 1, 0)  # one character more: what stands before a run of hyphens
    window = text[context:name_end][::-1]
    newlines = 0
    pos = 0
    while (m := _REVERSED_STOP.search(window, pos)) is not None:
        token = m.group()
        if token == "\n":
            newlines += 1
            if newlines > 1:
                return None
            pos = m.end()
            continue
        if token in "@＠":
            return None
        start, end = name_end - m.end(), name_end - m.start()
        if start < limit:
            return None
        return start, end, token[0] in _TRUE_DASHES
    return None


def _blank_to_line_end(text: str, pos: int, end: int) -> bool:
    """Whether nothing but spaces (or a full stop) stands between ``pos`` and the end of its line."""
    while pos < end and text[pos] in " \t\r.":
        pos += 1
    return pos >= end or text[pos] == "\n"


def _date_or_link(
    text: str, pos: int, end: int, markdown: MarkdownIndex
) -> tuple[str | None, str | None, int, tuple[int, int] | None]:
    """What follows a handle: (published, status URL, end of the signature, span of a referenced URL)."""
    start = _SEPARATOR.match(text, pos, end)
    i = start.end() if start else pos
    if i < end and text[i] in "\r\n":
        # a signature wrapped onto the next line (its quote marks repeated there)
        j = i + (2 if text.startswith("\r\n", i) else 1)
        while j < end and text[j] in " \t>":
            j += 1
        i = j
    if i >= end:
        return None, None, pos, None
    ch = text[i]
    if ch == "[":
        return _date_link(text, i, end, markdown)
    if ch == "<":
        url = _autolink(text, i, end)
        return (None, url[0], url[1], None) if url else (None, None, pos, None)
    if ch in "hH" and text.startswith(("http://", "https://"), i):
        url = _bare_url(text, i, end)
        return (None, url[0], url[1], None) if url else (None, None, pos, None)
    date = _read_date(text, i, end)
    if date is None:
        return None, None, pos, None
    published, date_end = date
    status = _status_after(text, date_end, end)
    if status is not None:
        return published, status[0], status[1], None
    return published, None, date_end, None


def _date_link(
    text: str, i: int, end: int, markdown: MarkdownIndex
) -> tuple[str | None, str | None, int, tuple[int, int] | None]:
    """``[March 14, 2025](https://…/status/…)``, or ``[March 14, 2025][1]`` with ``[1]: https://…``."""
    link = markdown.link_at(i)
    span = None
    if link is not None:
        label, url, link_end = text[link.text_start : link.text_end], text[link.url_start : link.url_end], link.end
    elif (ref := _REF_LINK.match(text, i, end)) is not None:
        target = markdown.reference(ref.group(2) or ref.group(1))
        if target is None:
            return None, None, i, None
        label, url, link_end, span = ref.group(1), target.url, ref.end(), (target.url_start, target.url_end)
    else:
        return None, None, i, None
    published = parse_embed_date(label) if _starts_like_date(label.strip()) else None
    return published, url, link_end, span


def _autolink(text: str, i: int, end: int) -> tuple[str, int] | None:
    close = text.find(">", i + 1, min(end, i + 2050))
    if close == -1:
        return None
    url = text[i + 1 : close]
    return (url, close + 1) if url.startswith(("http://", "https://")) and " " not in url else None


def _bare_url(text: str, i: int, end: int) -> tuple[str, int] | None:
    found = next(find_urls(text, i, min(end, i + 2048)), None)
    return (found.raw, found.end) if found is not None and found.start == i else None


def _status_after(text: str, pos: int, end: int) -> tuple[str, int] | None:
    """A status link right after the date: ``March 14, 2025 https://…/status/…`` or ``<https://…>``."""
    i = pos
    while i < end and text[i] in " \t":
        i += 1
    if i >= end or i == pos:
        return None
    found = _autolink(text, i, end) if text[i] == "<" else _bare_url(text, i, end) if text[i] in "hH" else None
    if found is not None and match_post_url(found[0]) is not None:
        return found
    return None


def _read_date(text: str, i: int, end: int) -> tuple[str, int] | None:
    """A date that starts at ``i`` (a time of day may come first): (ISO date, where it ends)."""
    stop = min(end, i + 64)
    if text.find("\n", i, stop) == -1:
        window, base = text, i  # the usual case: read in place
    else:  # one line break may wrap a date; its quote marks become spaces, offsets stay
        window, base, stop = _unwrapped(text[i:stop]), 0, stop - i
    offset = base
    if window[base].isdigit() and (time := _TIME_PREFIX.match(window, base, stop)) and time.end() < stop:
        offset = time.end()  # "8:44 AM · Mar 15, 2023": the date is after the time
    m = _DATE_END.search(window, offset, stop)  # only the first year can end a date that starts here
    if m is None or m.end() - offset > 40:
        return None
    candidate = window[offset : m.end()]
    if not _starts_like_date(candidate):
        return None
    published = parse_embed_date(candidate.replace("\u00a0", " ") if "\u00a0" in candidate else candidate)
    return (published, i + m.end() - base) if published is not None else None


def _unwrapped(window: str) -> str:
    """The window with its first line break and the next line's quote marks as spaces (same length)."""
    newline = window.find("\n")
    rest = window[newline + 1 :]
    indent = len(rest) - len(rest.lstrip(" \t>"))
    second = rest.find("\n")
    rest = rest[:second] if second != -1 else rest
    return window[:newline] + " " * (1 + indent) + rest[indent:]


def _starts_like_date(text: str) -> bool:
    """Whether a date could start here: a digit, or a month name in one of the embed's languages."""
    if not text:
        return False
    if text[0].isdigit():
        return True
    word = _WORD.match(text)
    return word is not None and _is_month(word.group())


@lru_cache(maxsize=1024)
def _is_month(word: str) -> bool:
    return parse_embed_date(f"{word} 1 2000") is not None


# --- the post's text ------------------------------------------------------------------------------------


class Body(NamedTuple):
    start: int  # where the post starts: its text's first character (a quote: its first line)
    lines: tuple[tuple[int, int], ...]  # each line's text span, quote marks and bullets skipped


def post_body(text: str, sig: Signature, floor: int, url_spans: UrlSpans) -> Body:
    """Where the copied post's text stands (see the module docstring for the rule)."""
    if not sig.whole_line:
        return _same_line_body(text, sig, floor, url_spans)
    if sig.quoted:
        return _quoted_body(text, sig.line_start, floor)
    return _body_above(text, sig.line_start, floor)


def tweet_length(text: str, start: int, end: int, url_spans: UrlSpans) -> int:
    length = end - start
    for url_start, url_end in url_spans(start, end):
        length += _URL_WEIGHT - (url_end - url_start)
    return length


def _skip_prefix(text: str, start: int, end: int) -> int:
    while start < end and text[start] in _PREFIX_CHARS:
        if text[start] in "-*+" and start + 1 < end and text[start + 1] not in " \t":
            break  # "-5 degrees", "*emphasis*": not a bullet
        start += 1
    return start


def _same_line_body(text: str, sig: Signature, floor: int, url_spans: UrlSpans) -> Body:
    end = sig.start
    while end > floor and text[end - 1] in " \t\r\n":
        end -= 1
    window = max(floor, end - 4 * TWEET_LENGTH)
    newline = text.rfind("\n", window, end)
    line_start = newline + 1 if newline != -1 else window
    start = _skip_prefix(text, line_start, end)
    truncated = line_start == window and window > floor  # the line goes on before the window
    if truncated or tweet_length(text, start, end, url_spans) > TWEET_LENGTH:
        starts = [m.end() for m in _SENTENCE_END.finditer(text, start, end) if m.end() < end]
        fitting = [s for s in starts if tweet_length(text, s, end, url_spans) <= TWEET_LENGTH]
        if fitting:
            start = fitting[0]
        elif starts:
            start = starts[-1]
        elif truncated:
            space = text.find(" ", max(start, end - TWEET_LENGTH), end)
            start = space + 1 if space != -1 else start
    return Body(start, ((start, end),) if start < end else ())


def _lines_up(text: str, line_start: int, floor: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each line above the one that starts at ``line_start``, nearest first, not below floor."""
    end = line_start - 1
    while end >= floor and end >= 0:
        start = max(text.rfind("\n", floor, end) + 1, floor)
        yield start, end
        end = start - 1


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    start = _skip_prefix(text, start, end)
    while end > start and text[end - 1] in " \t\r":
        end -= 1
    return start, end


def _quoted_body(text: str, line_start: int, floor: int) -> Body:
    lines: list[tuple[int, int, int]] = []  # (line start, text start, text end)
    for start, end in _lines_up(text, line_start, floor):
        stripped = text[start:end].lstrip(" \t")
        if not stripped.startswith(">") or len(lines) > 40:
            break
        lines.append((start, *_strip_span(text, start, end)))
    while lines and lines[0][1] == lines[0][2]:
        lines.pop(0)  # the blank quoted line converters put between the text and the signature
    while lines and lines[-1][1] == lines[-1][2]:
        lines.pop()
    lines.reverse()
    # The post spans the quote from its first line's start, quote marks included.
    return Body(lines[0][0], tuple((s, e) for _, s, e in lines)) if lines else Body(line_start, ())


def _body_above(text: str, line_start: int, floor: int) -> Body:
    above = _lines_up(text, line_start, floor)
    first = next(above, None)
    if first is None:
        return Body(line_start, ())
    span = _strip_span(text, *first)
    if span[0] < span[1]:
        return Body(span[0], (span,))  # no gap: one line, one paragraph (text copies of articles)
    block: list[tuple[int, int]] = []
    for start, end in above:
        span = _strip_span(text, start, end)
        if span[0] == span[1]:
            if block:
                break
            continue
        block.append(span)
        if len(block) > 4:
            break
    if not block:
        return Body(line_start, ())
    if len(block) > 4:
        block = block[:1]  # a long block is prose: only its last line
    block.reverse()
    return Body(block[0][0], tuple(block))
