"""Scanning plain text and Markdown: URLs, copied-embed traces, shortcodes and inline HTML embeds.

A copied tweet embed leaves this in text (the seed's case)::

    US Envoy Witkoff leaves Moscow … https://t.co/TNglrey7ZG pic.twitter.com/rwQlRFY8S1
    — New York Post (@nypost) March 14, 2025.

:mod:`resolver.signatures` reads that signature in every shape it comes in (on its own line or on the
text's line, wrapped, quoted, bulleted, other dashes, no name, no date, the status link as the date) and
says where the post's text begins; every URL between that start and the signature's end is a link of the
post (``in_post``), the status link included.

The steps, in order, each leaving alone what an earlier one took: hidden regions (HTML comments, scripts
and styles; in Markdown, fenced and inline code), embeds in inline HTML, copied-embed signatures, Hugo
shortcodes and Markdown links (Markdown only), then bare URLs. Every step is linear in the text: the
URL finder, the Markdown link reader and the signature reader say why; the remaining patterns here are
bounded (a lookahead pins what a quantifier may give back) or stop at a character they cannot cross.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Document, Finding
from ..platforms import PLATFORMS, Embed, match_post_url
from .findings import Collector
from .links import FoundURL, find_urls
from .markdown import MarkdownIndex, find_references, strip_links
from .signatures import TWEET_LENGTH, find_signatures, post_body, tweet_length
from .urls import absolute_url

_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)", re.DOTALL | re.IGNORECASE)
# {{< name args >}} / {{% name args %}}: the name may not give characters back to the arguments, and the
# arguments stop at a brace, so a shortcode that never closes costs only the text up to the next brace.
_SHORTCODE = re.compile(r"\{\{[<%][ \t]*(?P<name>[\w/.-]+)(?![\w/.-])(?P<args>[^{}]*)\}\}")
_SHORTCODE_ARG = re.compile(r"""(?:(?P<key>[\w-]+)=)?(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"']+))""")
_ATTRIBUTE_BEFORE = re.compile(r"""\b(?:src|srcset|data-[\w-]+|action|poster|cite|class|style)\s*=\s*["']?$""")
# Inline HTML worth parsing: an embed's element, or an element whose class names a Facebook embed. Every
# branch starts with "<" (the engine skips to it) and is bounded, so the search is one fast pass.
_HTML_EMBED_HINT = re.compile(
    r"<(?:blockquote|iframe|amp-|\w[^<>]{0,300}?\bclass\s*=\s*[\"'][^\"'<>]{0,200}\bfb-)", re.IGNORECASE
)


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
    embeds = _Embeds()

    if markdown or _HTML_EMBED_HINT.search(text):
        from .embeds import markup_embeds

        for hit in markup_embeds(doc, hidden):
            out.add_embed(hit.embed, hit.start, hit.end)
            embeds.add(hit.start, hit.end, hit.embed)
            taken.append((hit.start, hit.end))
            for raw, url, start, end in hit.links:  # links inside the embed are the embed's to report
                out.add_link(raw, url, start, end, in_post=True, embed=hit.embed)
    found = _Found(text)  # every bare URL, found once; the steps below take the ones they need
    links = MarkdownIndex(text)  # Markdown links, read on first use (text copies hold them too)
    _signatures(text, out, taken, found, links, embeds if markdown else None, markdown=markdown or "](" in text)
    if markdown:
        _shortcodes(text, out, taken)
        _markdown_links(doc, out, taken, links, embeds)
    _bare_urls(doc, out, taken, found)
    return out.sorted()


def _markup_embed_links(doc: Document, out: Collector, start: int, end: int, embed: Embed) -> None:
    """The links of an embed held in inline HTML (its hrefs as the HTML scanner read them, and its own
    status link), as in_post link records at the place each is written inside the embed."""
    text = doc.text
    recorded = Spans()
    for raw in dict.fromkeys((*embed.links, *((embed.url,) if embed.url else ()))):
        if not raw.startswith(("http://", "https://", "//")):
            continue
        pos = text.find(raw, start, end)
        while pos != -1 and (recorded.overlaps(pos, pos + len(raw)) or _resource_attribute(text, pos)):
            pos = text.find(raw, pos + 1, end)
        if pos == -1:
            continue  # written only as a resource (an iframe's src), or not as the HTML scanner gave it
        url = absolute_url(raw, doc.base_url, decode_entities=True)
        out.add_link(raw, url, pos, pos + len(raw), in_post=True, embed=embed)
        recorded.append((pos, pos + len(raw)))


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

    def end_before(self, pos: int) -> int:
        """The end of the last interval that ends at or before ``pos`` (0 if none)."""
        i = bisect.bisect_right(self._ends, pos)
        return self._ends[i - 1] if i else 0


def _overlaps(start: int, end: int, taken: Spans) -> bool:
    return taken.overlaps(start, end)


def _inside(start: int, end: int, taken: Spans) -> bool:
    return taken.covers(start, end)


class _Embeds:
    """The embeds found so far, by span: which one holds a range, by binary search."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._items: list[tuple[int, int, Embed]] = []

    def add(self, start: int, end: int, embed: Embed) -> None:
        i = bisect.bisect_right(self._starts, start)
        self._starts.insert(i, start)
        self._items.insert(i, (start, end, embed))

    def at(self, start: int, end: int) -> Embed | None:
        # The nearest embed starting at or before ``start``; a few earlier ones too, for an embed that
        # holds another (a quoted post inside a post).
        i = bisect.bisect_right(self._starts, start) - 1
        for e_start, e_end, embed in reversed(self._items[max(0, i - 7) : i + 1]):
            if e_start <= start and end <= e_end:
                return embed
        return None


class _Found:
    """The URLs of a text, found once, answerable by range."""

    def __init__(self, text: str) -> None:
        self.urls = list(find_urls(text))
        self._starts = [f.start for f in self.urls]

    def between(self, start: int, end: int) -> list[FoundURL]:
        i = bisect.bisect_left(self._starts, start)
        out = []
        while i < len(self.urls) and self.urls[i].start < end:
            if self.urls[i].end <= end:
                out.append(self.urls[i])
            i += 1
        return out

    def spans(self, start: int, end: int) -> list[tuple[int, int]]:
        return [(f.start, f.end) for f in self.between(start, end)]


def _signatures(
    text: str,
    out: Collector,
    taken: Spans,
    found: _Found,
    links: MarkdownIndex,
    embeds: _Embeds | None,  # kept only where later steps ask which embed holds a link (Markdown)
    *,
    markdown: bool,
) -> None:
    for sig in find_signatures(text, links):
        if _overlaps(sig.start, sig.end, taken):
            continue
        body = post_body(text, sig, taken.end_before(sig.start), found.spans)
        dated = sig.published is not None or sig.status_url is not None
        if not dated and (
            not body.lines or tweet_length(text, body.start, body.lines[-1][1], found.spans) > TWEET_LENGTH
        ):
            continue  # "— Name (@handle)" with neither date nor link: only below a tweet-sized text
        start = body.start if body.lines else sig.start
        lines = [strip_links(text, links.between(s, e), s, e) if markdown else text[s:e] for s, e in body.lines]
        inside = _urls_in(text, start, sig.end, found, links if markdown else None)
        if inside and _overlaps(start, sig.end, taken):  # in code, a comment, or already another post's
            inside = [url for url in inside if not _inside(url[1], url[2], taken)]
        ref = match_post_url(sig.status_url) if sig.status_url else None
        embed = Embed(
            sig.platform,
            url=sig.status_url,
            post_id=ref.post_id if ref else None,
            author_name=sig.name,
            author_handle=sig.handle,
            published=sig.published,
            text="\n".join(lines) or None,
            links=tuple(raw for raw, link_start, _ in inside if link_start < sig.start),
        )
        out.add_embed(embed, start, sig.end)
        if embeds is not None:
            embeds.add(start, sig.end, embed)
        # Links inside the copied post are still links: record them here, marked in_post.
        for raw, link_start, link_end in inside:
            out.add_link(raw, absolute_url(raw), link_start, link_end, in_post=True, embed=embed)
        taken.append((start, sig.end))  # the post, and so every link inside it
        if sig.status_url is not None and sig.status_span is not None:  # a reference definition elsewhere
            out.add_link(sig.status_url, sig.status_url, *sig.status_span, in_post=True, embed=embed)
            taken.append(sig.status_span)


def _urls_in(text: str, start: int, end: int, found: _Found, links: MarkdownIndex | None) -> list[tuple[str, int, int]]:
    """URLs in ``text[start:end]``: in Markdown a ``[label](href)`` is one link, its href."""
    if links is None:
        return [(f.raw, f.start, f.end) for f in found.between(start, end)]
    urls: list[tuple[str, int, int]] = []
    spans = Spans()
    for link in links.between(start, end):
        href = text[link.url_start : link.url_end]
        if href.startswith(("http://", "https://", "//")):
            urls.append((href, link.url_start, link.url_end))
        spans.append((link.start, link.end))
    for f in found.between(start, end):
        if not _overlaps(f.start, f.end, spans):
            urls.append((f.raw, f.start, f.end))
    return sorted(urls, key=lambda item: item[1])


def _shortcodes(text: str, out: Collector, taken: Spans) -> None:
    handlers = {name: fn for p in PLATFORMS for name, fn in p.shortcodes.items()}
    for m in _SHORTCODE.finditer(text):
        name = m.group("name").rsplit("/", 1)[-1].lower()
        handler = handlers.get(name)
        args = m.group("args").rstrip(" \t")
        if handler is None or not args.endswith((">", "%")) or _overlaps(m.start(), m.end(), taken):
            continue
        attrs: dict[str, str] = {}
        position = 0
        for arg in _SHORTCODE_ARG.finditer(args[:-1]):
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


def _markdown_links(doc: Document, out: Collector, taken: Spans, links: MarkdownIndex, embeds: _Embeds) -> None:
    text = doc.text
    for link in links.links:
        embed = embeds.at(link.start, link.end)
        if _overlaps(link.start, link.end, taken) and embed is None:
            continue
        raw = text[link.url_start : link.url_end]
        start, end = link.url_start, link.url_end
        relative = not raw.startswith(("http://", "https://", "//"))
        if raw.startswith("mailto:") or (relative and not doc.base_url):
            taken.append((link.start, link.end))
            continue
        if not _inside(start, end, taken):
            out.add_link(raw, absolute_url(raw, doc.base_url), start, end, in_post=embed is not None, embed=embed)
        taken.append((link.start, link.end))
    for ref in find_references(text):
        raw = ref.url
        if raw.startswith(("http://", "https://")) and not _overlaps(ref.url_start, ref.url_end, taken):
            out.add_link(raw, raw, ref.url_start, ref.url_end)
            taken.append((ref.url_start, ref.url_end))


def _resource_attribute(text: str, pos: int) -> bool:
    """Whether ``pos`` starts the value of a src=/data-*= attribute of inline HTML: a resource, not a link."""
    before = max(0, pos - 40)
    return "=" in text[before:pos] and _ATTRIBUTE_BEFORE.search(text, before, pos) is not None


def _bare_urls(doc: Document, out: Collector, taken: Spans, found_urls: _Found) -> None:
    text = doc.text
    for found in found_urls.urls:
        if _overlaps(found.start, found.end, taken) or _resource_attribute(text, found.start):
            continue
        out.add_link(found.raw, absolute_url(found.raw, None), found.start, found.end)
