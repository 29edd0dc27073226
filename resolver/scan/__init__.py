"""Scan: Document → findings, every embedded post and every link, in source order, with exact spans.

In: a decoded ``Document`` (HTML, Markdown or plain text); out: ``Post`` and ``Link`` findings. HTML goes
through ``html`` (the page: embeds, links, furniture), Markdown and text through ``text`` (copied-embed
signatures, Markdown links, bare URLs); both find embeds through ``embeds`` and URLs through ``links``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ..models import Document, Finding, Link, Post

LinkFilter = Literal["all", "short", "none"]


def scan(doc: Document, *, links: LinkFilter = "all", whole_page: bool = False) -> list[Finding]:
    """Scan one document. ``links`` keeps all links, only shortened ones, or none (posts only)."""
    return list(iter_scan(doc, links=links, whole_page=whole_page))


def iter_scan(doc: Document, *, links: LinkFilter = "all", whole_page: bool = False) -> Iterator[Finding]:
    """The same findings, in the same order, as they are found: a long HTML page is scanned piece by
    piece and its findings need not all be held at once."""
    # Imported here, not at the top: lxml's import is a tenth of a second a text-only run never needs.
    if doc.kind == "html":
        from .html import iter_scan_html

        findings: Iterator[Finding] = iter_scan_html(doc, whole_page=whole_page)
    else:
        from .text import scan_text

        findings = iter(scan_text(doc))
    if links == "all":
        return findings
    if links == "none":
        return (f for f in findings if isinstance(f, Post))
    return (f for f in findings if isinstance(f, Post) or (isinstance(f, Link) and f.shortener))
