"""Scanning plain text and Markdown: URLs, copied-embed traces, shortcodes and inline HTML embeds.

A copied tweet embed leaves this in text (the seed's case)::

    US Envoy Witkoff leaves Moscow … https://t.co/TNglrey7ZG pic.twitter.com/rwQlRFY8S1
    — New York Post (@nypost) March 14, 2025.

The signature line is recognised only when it is a whole line: a dash, a name, ``(@handle)`` and a date
with a four-digit year (in any language the embed uses). A dash inside the post's text is not one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .dates import parse_embed_date
from .findings import Collector
from .linkfinder import FoundURL, find_urls
from .models import Document, Finding
from .platforms import PLATFORMS, Embed, match_post_url
from .urls import absolute_url

_SIGNATURE = re.compile(
    r"(?P<prefix>[ \t]*(?:>[ \t]*)*)[—–―-]{1,2}[ \t]*(?P<name>[^\n]{0,80}?)[ \t]*\(@(?P<handle>\w{1,15})\)"
    r"[ \t]*(?P<date>[^\n]{4,120}?)[ \t]*$",
    re.MULTILINE,
)
_MD_DATE_LINK = re.compile(r"^\[(?P<text>[^\]]+)\]\((?P<url>[^)\s]+)\)\.?$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)", re.DOTALL | re.IGNORECASE)
_MD_LINK = re.compile(
    r"!?\[(?P<text>(?:[^\[\]\n]|\[[^\]\n]*\])*)\]\(\s*<?(?P<url>[^\s)<>]+(?:\([^\s)]*\)[^\s)<>]*)*)>?"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_MD_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?(?P<url>\S+?)>?(?:[ \t]+.*)?$", re.MULTILINE)
_SHORTCODE = re.compile(r"\{\{[<%][ \t]*(?P<name>[\w/.-]+)(?P<args>[^}]*?)[ \t]*[>%]\}\}")
_SHORTCODE_ARG = re.compile(r"""(?:(?P<key>[\w-]+)=)?(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"']+))""")
_ATTRIBUTE_BEFORE = re.compile(r"""\b(?:src|srcset|data-[\w-]+|action|poster|cite|class|style)\s*=\s*["']?$""")
_HTML_EMBED_HINT = re.compile(r"<(?:blockquote|iframe|amp-|div[^>]+class=[\"'][^\"']*fb-)", re.IGNORECASE)


@dataclass(frozen=True)
class _Region:
    start: int
    end: int


def scan_text(doc: Document) -> list[Finding]:
    """Every post and link of a plain-text or Markdown document."""
    text = doc.text
    out = Collector(doc)
    markdown = doc.kind == "markdown"
    hidden = _hidden_regions(text, markdown)
    taken = Spans((r.start, r.end) for r in hidden)

    if markdown or _HTML_EMBED_HINT.search(text):
        from .htmlscan import markup_embeds

        for hit in markup_embeds(doc, hidden):
            out.add_embed(hit.embed, hit.start, hit.end)
            taken.append((hit.start, hit.end))
            for raw, url, start, end in hit.links:  # links inside the embed are the embed's to report
                out.add_link(raw, url, start, end, in_post=True, embed=hit.embed)
    found = _Found(text)  # every bare URL, found once; the steps below take the ones they need
    _signatures(text, out, taken, found)
    if markdown:
        _shortcodes(text, out, taken)
        _markdown_links(doc, out, taken)
    _bare_urls(doc, out, taken, found)
    return out.sorted()


def _hidden_regions(text: str, markdown: bool) -> list[_Region]:
    regions = [_Region(m.start(), m.end()) for m in _COMMENT.finditer(text)]
    if markdown or "<script" in text or "<style" in text:
        regions += [_Region(m.start(), m.end()) for m in _SCRIPT.finditer(text)]
    if markdown:
        regions += [_Region(m.start(), m.end()) for m in _FENCE.finditer(text)]
        regions += [_Region(m.start(), m.end()) for m in _INLINE_CODE.finditer(text)]
    return regions


class Spans:
    """A union of character ranges, kept as sorted disjoint intervals: O(log n) questions, not O(n)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in spans:
            self.append((start, end))

    def append(self, span: tuple[int, int]) -> None:
        start, end = span
        i = bisect.bisect_left(self._ends, start)  # first interval that ends at or after our start
        j = bisect.bisect_right(self._starts, end)  # intervals before j start at or before our end
        if i < j:
            start = min(start, self._starts[i])
            end = max(end, self._ends[j - 1])
        self._starts[i:j] = [start]
        self._ends[i:j] = [end]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._ends, start)  # first interval ending after our start
        return i < len(self._starts) and self._starts[i] < end

    def covers(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start) - 1
        return i >= 0 and self._ends[i] >= end


def _overlaps(start: int, end: int, taken: Spans) -> bool:
    return taken.overlaps(start, end)


def _inside(start: int, end: int, taken: Spans) -> bool:
    return taken.covers(start, end)


def _signature_lines(text: str) -> Iterator[re.Match[str]]:
    """Signature-line matches, trying the pattern only on lines that hold "(@"."""
    pos = text.find("(@")
    while pos != -1:
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end == -1 else line_end
        m = _SIGNATURE.match(text, line_start, line_end)
        if m is not None:
            yield m
        pos = text.find("(@", line_end)


class _Found:
    """The URLs of a text, found once, answerable by range."""

    def __init__(self, text: str) -> None:
        self.urls = list(find_urls(text))
        self._starts = [f.start for f in self.urls]

    def between(self, start: int, end: int) -> list[FoundURL]:
        i = bisect.bisect_left(self._starts, start)
        out = []
        while i < len(self.urls) and self.urls[i].end <= end:
            out.append(self.urls[i])
            i += 1
        return out


def _signatures(text: str, out: Collector, taken: Spans, found: _Found) -> None:
    for m in _signature_lines(text):
        if _overlaps(m.start(), m.end(), taken):
            continue
        date_text = m.group("date").strip()
        status_url = None
        if link := _MD_DATE_LINK.match(date_text):
            date_text, status_url = link.group("text"), link.group("url")
        published = parse_embed_date(date_text)
        if published is None or len(date_text) > 40:
            continue
        prefix = m.group("prefix")
        body_start, body_text = _post_body(text, m.start(), quoted=">" in prefix)
        if ">" in prefix or "](" in body_text:
            body_text = _MD_LINK.sub(lambda link: link.group("text"), body_text)
        ref = match_post_url(status_url) if status_url else None
        inside = _urls_in(
            text, body_start, m.end(), found, markdown=">" in prefix or "](" in text[body_start : m.end()]
        )
        embed = Embed(
            ref.platform if ref else "twitter",
            url=status_url,
            post_id=ref.post_id if ref else None,
            author_name=m.group("name").strip() or None,
            author_handle=m.group("handle"),
            published=published,
            text=body_text or None,
            links=tuple(raw for raw, start, _ in inside if start < m.start()),
        )
        out.add_embed(embed, body_start, m.end())
        # Links inside the copied post are still links: record them here, marked in_post.
        for raw, start, end in inside:
            if not _inside(start, end, taken):
                out.add_link(raw, absolute_url(raw), start, end, in_post=True, embed=embed)
                taken.append((start, end))
        taken.append((body_start, m.end()))


def _urls_in(text: str, start: int, end: int, found_urls: _Found, *, markdown: bool) -> list[tuple[str, int, int]]:
    """URLs in ``text[start:end]``: in Markdown a ``[label](href)`` is one link, its href."""
    found: list[tuple[str, int, int]] = []
    spans = Spans()
    if markdown:
        for m in _MD_LINK.finditer(text, start, end):
            if m.group("url").startswith(("http://", "https://", "//")):
                found.append((m.group("url"), m.start("url"), m.end("url")))
            spans.append((m.start(), m.end()))
    for f in found_urls.between(start, end) if not markdown else find_urls(text, start, end):
        if not _overlaps(f.start, f.end, spans):
            found.append((f.raw, f.start, f.end))
    return sorted(found, key=lambda item: item[1])


def _post_body(text: str, sig_start: int, *, quoted: bool) -> tuple[int, str]:
    """Where the copied post's text starts above its signature line, and that text.

    Quoted (Markdown ``>``) posts: every quoted line above. Otherwise the line just above, or — when a blank
    line separates them — the paragraph above that blank (at most four lines; a longer block is prose, and
    only its last line is taken).
    """

    def lines_up(end: int) -> Iterator[tuple[int, str]]:
        while end > 0:
            start = text.rfind("\n", 0, end - 1) + 1
            yield start, text[start : end - 1]
            end = start

    above = lines_up(sig_start)
    if quoted:
        body = []
        for start, line in above:
            stripped = line.lstrip()
            if not stripped.startswith(">") or not stripped.lstrip(" >\t"):
                break
            body.append((start, stripped.lstrip(">").strip()))
            if len(body) > 40:
                break
        body.reverse()
        return (body[0][0], "\n".join(t for _, t in body)) if body else (sig_start, "")
    first = next(above, None)
    if first is None:
        return sig_start, ""
    if first[1].strip():
        start, line = first  # no gap: one line, one paragraph (text copies of articles)
        return start + len(line) - len(line.lstrip()), line.strip()
    block: list[tuple[int, str]] = []
    for start, line in above:
        if not line.strip():
            if block:
                break
            continue
        block.append((start, line))
        if len(block) > 4:
            break
    if not block:
        return sig_start, ""
    if len(block) > 4:
        block = block[:1]
    block.reverse()
    first_start, first_line = block[0]
    return first_start + len(first_line) - len(first_line.lstrip()), "\n".join(t.strip() for _, t in block)


def _shortcodes(text: str, out: Collector, taken: Spans) -> None:
    handlers = {name: fn for p in PLATFORMS for name, fn in p.shortcodes.items()}
    for m in _SHORTCODE.finditer(text):
        name = m.group("name").rsplit("/", 1)[-1].lower()
        handler = handlers.get(name)
        if handler is None or _overlaps(m.start(), m.end(), taken):
            continue
        attrs: dict[str, str] = {}
        position = 0
        for arg in _SHORTCODE_ARG.finditer(m.group("args")):
            value = arg.group("dq") if arg.group("dq") is not None else arg.group("sq") or arg.group("bare")
            if arg.group("key"):
                attrs[arg.group("key").lower()] = value or ""
            else:
                attrs[str(position)] = value or ""
                position += 1
        embed = handler(attrs)
        if embed is not None:
            out.add_embed(embed, m.start(), m.end())
            taken.append((m.start(), m.end()))


def _markdown_links(doc: Document, out: Collector, taken: Spans) -> None:
    text = doc.text
    for m in _MD_LINK.finditer(text):
        if _overlaps(m.start(), m.end(), taken) and not out.embed_at(m.start(), m.end()):
            continue
        raw = m.group("url")
        start, end = m.start("url"), m.end("url")
        relative = not raw.startswith(("http://", "https://", "//"))
        if raw.startswith("mailto:") or (relative and not doc.base_url):
            taken.append((m.start(), m.end()))
            continue
        embed = out.embed_at(m.start(), m.end())
        if not _inside(start, end, taken):
            out.add_link(raw, absolute_url(raw, doc.base_url), start, end, in_post=embed is not None, embed=embed)
        taken.append((m.start(), m.end()))
    for m in _MD_REF_DEF.finditer(text):
        raw = m.group("url")
        if raw.startswith(("http://", "https://")) and not _overlaps(m.start("url"), m.end("url"), taken):
            out.add_link(raw, raw, m.start("url"), m.end("url"))
            taken.append((m.start("url"), m.end("url")))


def _bare_urls(doc: Document, out: Collector, taken: Spans, found_urls: _Found) -> None:
    text = doc.text
    for found in found_urls.urls:
        if _overlaps(found.start, found.end, taken):
            continue
        before = max(0, found.start - 40)
        if "=" in text[before : found.start] and _ATTRIBUTE_BEFORE.search(text, before, found.start):
            continue  # a src=/data-*= value of inline HTML: a resource, not a cited link
        out.add_link(found.raw, absolute_url(found.raw, None), found.start, found.end)
