"""Document → findings: every embedded post and every link, in source order, with exact spans."""

from __future__ import annotations

from typing import Literal

from .htmlscan import scan_html
from .models import Document, Finding, Link, Post
from .textscan import scan_text

LinkFilter = Literal["all", "short", "none"]


def scan(doc: Document, *, links: LinkFilter = "all", whole_page: bool = False) -> list[Finding]:
    """Scan one document. ``links`` keeps all links, only shortened ones, or none (posts only)."""
    findings = scan_html(doc, whole_page=whole_page) if doc.kind == "html" else scan_text(doc)
    if links == "all":
        return findings
    if links == "none":
        return [f for f in findings if isinstance(f, Post)]
    return [f for f in findings if isinstance(f, Post) or (isinstance(f, Link) and f.shortener)]
