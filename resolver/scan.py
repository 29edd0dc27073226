"""Document → findings: every embedded post and every link, in source order, with exact spans."""

from __future__ import annotations

from typing import Literal

from .models import Document, Finding, Link, Post

LinkFilter = Literal["all", "short", "none"]


def scan(doc: Document, *, links: LinkFilter = "all", whole_page: bool = False) -> list[Finding]:
    """Scan one document. ``links`` keeps all links, only shortened ones, or none (posts only)."""
    # Imported here, not at the top: lxml's import is a tenth of a second a text-only run never needs.
    if doc.kind == "html":
        from .htmlscan import scan_html

        findings = scan_html(doc, whole_page=whole_page)
    else:
        from .textscan import scan_text

        findings = scan_text(doc)
    if links == "all":
        return findings
    if links == "none":
        return [f for f in findings if isinstance(f, Post)]
    return [f for f in findings if isinstance(f, Post) or (isinstance(f, Link) and f.shortener)]
