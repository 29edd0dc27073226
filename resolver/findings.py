"""Turning what a scanner saw into Link and Post findings: shared by the HTML and text scanners."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .models import Document, Finding, Link, Post
from .platforms import Embed, match_post_url
from .urls import shortener_host

_NEWLINE = re.compile("\n")


class LineIndex:
    """Character offset → 1-based line number, by binary search over the newline offsets."""

    def __init__(self, text: str) -> None:
        self._newlines = [m.start() for m in _NEWLINE.finditer(text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1


@dataclass
class Collector:
    """Accumulates findings for one document, then returns them in source order."""

    doc: Document
    lines: LineIndex = field(init=False)
    findings: list[Finding] = field(default_factory=list)
    embeds: list[tuple[int, int, Embed]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.doc.text)

    def add_link(
        self, raw: str, url: str, start: int, end: int, *, in_post: bool = False, embed: Embed | None = None
    ) -> None:
        """A link, and — when it points at a post other than its own embed — a linked post."""
        line = self.lines.line(start)
        self.findings.append(Link(self.doc.source, raw, url, shortener_host(url), in_post, (start, end), line))
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
