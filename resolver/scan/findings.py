"""Turning what a scanner saw into Link and Post findings: shared by the HTML and text scanners."""

from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import InitVar, dataclass, field

from ..models import Document, Finding, Link, Post
from ..platforms import Embed, match_post_url
from .urls import shortener_host


class LineIndex:
    """Character offset → 1-based line number, in constant time and little memory.

    The text is cut in blocks of ``_BLOCK`` characters; the index keeps how many newlines precede each
    block (one ``str.count`` per block, in C) and counts the rest of the way inside one block. A list
    of every newline's offset would cost 36 bytes a line: 36 MB for a million lines.
    """

    _BLOCK = 2048

    def __init__(self, text: str) -> None:
        self._text = text
        counts = array("q", [0])
        total = 0
        block = self._BLOCK
        for start in range(0, len(text), block):
            total += text.count("\n", start, start + block)
            counts.append(total)
        self._counts = counts

    def line(self, offset: int) -> int:
        offset = max(0, min(offset, len(self._text)))
        block, rest = divmod(offset, self._BLOCK)
        start = offset - rest
        return self._counts[block] + self._text.count("\n", start, offset) + 1

    def line_start(self, line: int) -> int:
        """The offset where a 1-based line starts (the end of the text past the last line)."""
        if line <= 1:
            return 0
        counts, text = self._counts, self._text
        block = bisect.bisect_left(counts, line - 1) - 1  # the last block that starts before that newline
        pos = block * self._BLOCK - 1
        for _ in range(line - 1 - counts[block]):
            pos = text.find("\n", pos + 1)
            if pos == -1:
                return len(text)
        return pos + 1


_NETLOC = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")
_BY_NETLOC: dict[str, str | None] = {}


def _shortener(url: str) -> str | None:
    """``shortener_host(url)``, which reads only the URL's host: asked once per host (a page of a million
    links to one site parses a million URLs otherwise)."""
    m = _NETLOC.match(url)
    if m is None:
        return shortener_host(url)
    netloc = m.group(1)
    found = _BY_NETLOC.get(netloc, url)  # the URL itself: never a valid answer, so "not asked yet"
    if found is url:
        found = shortener_host(f"{url[: m.start(1)]}{netloc}/")
        if len(_BY_NETLOC) < 1 << 16:
            _BY_NETLOC[netloc] = found
    return found


@dataclass
class Collector:
    """Accumulates findings for one document (or one part of it), then returns them in source order.
    ``line_index`` shares one LineIndex between the parts of a long document."""

    doc: Document
    line_index: InitVar[LineIndex | None] = None
    findings: list[Finding] = field(default_factory=list)
    embeds: list[tuple[int, int, Embed]] = field(default_factory=list)
    lines: LineIndex = field(init=False)

    def __post_init__(self, line_index: LineIndex | None) -> None:
        self.lines = line_index if line_index is not None else LineIndex(self.doc.text)

    def add_link(
        self, raw: str, url: str, start: int, end: int, *, in_post: bool = False, embed: Embed | None = None
    ) -> None:
        """A link, and — when it points at a post other than its own embed — a linked post."""
        line = self.lines.line(start)
        if url == raw:
            url = raw  # one string, not two equal ones: a page of a million links is held in memory
        self.findings.append(Link(self.doc.source, raw, url, _shortener(url), in_post, (start, end), line))
        ref = match_post_url(url)
        if ref is None:
            return
        if embed is not None and (embed.post_id == ref.post_id or embed.post_id is None):
            return  # the embed's own permalink, not another post
        self.findings.append(
            Post(
                self.doc.source,
                ref.platform,
                url,
                ref.post_id,
                None,
                ref.handle if ref.platform in ("twitter", "tiktok", "threads") else None,
                None,
                None,
                (),
                False,
                (start, end),
                line,
            )
        )

    def add_embed(self, embed: Embed, start: int, end: int) -> None:
        self.embeds.append((start, end, embed))
        self.findings.append(
            Post(
                self.doc.source,
                embed.platform,
                embed.url,
                embed.post_id,
                embed.author_name,
                embed.author_handle,
                embed.published,
                embed.text,
                embed.links,
                True,
                (start, end),
                self.lines.line(start),
            )
        )

    def embed_at(self, start: int, end: int) -> Embed | None:
        for e_start, e_end, embed in self.embeds:
            if e_start <= start and end <= e_end:
                return embed
        return None

    def sorted(self) -> list[Finding]:
        # Source order; at one offset the post comes before the links inside it.
        return sorted(self.findings, key=lambda f: (f.span[0], 0 if isinstance(f, Post) else 1))
