"""Many documents → their findings, streamed: a scanner failure on one document does not lose the others."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..models import Document, Finding
from . import LinkFilter, iter_scan


def scan_each(
    documents: Iterable[Document],
    *,
    links: LinkFilter = "all",
    whole_page: bool = False,
    on_error: Callable[[Document, Exception], None],
) -> Iterator[Finding]:
    """Each document's findings in turn, as they are found (a long page is never held whole); a document
    the scanner fails on goes to ``on_error`` with the exception, and the next one is scanned."""
    for doc in documents:
        try:
            yield from iter_scan(doc, links=links, whole_page=whole_page)
        except Exception as exc:  # a scanner bug on one page is that page's failure, reported by on_error
            on_error(doc, exc)
