"""The inputs of a run as units of work, made in the reader's thread (see ``stream``): documents, scanned
there; or the rows of a URL list, one unit each.

A run's input is ``Documents`` (the SOURCEs, read by a ``SourceReader``) or ``Rows`` (``--urls``). Each
says how its units are keyed in an output file (``key``: a document by its source, a row by its line), so
that a resumed output can tell which are done, and makes its units given the run's URL fetch (through
the run's own client) and a test of which keys are done already.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import SourceError
from ..models import Document, Link, Resolution, ResolvedRecord
from ..read.sources import UrlFetch
from ..read.urllist import Row, UrlList
from ..scan import LinkFilter, scan
from ..scan.urls import shortener_host
from ..write.resume import Key, line_key, source_key
from .stream import Unit

Done = Callable[[str], bool] | None
ScanFailed = Callable[[Document, Exception], None]


class Reader(Protocol):
    """What reads a run's documents (a ``SourceReader``, or ``Listed`` documents a library caller holds)."""

    fetch: Any
    skip: Callable[[str], bool] | None
    failed: int
    skipped: int

    def __iter__(self) -> Iterator[Document]: ...


class Listed:
    """Documents already read, as a reader of them (a library caller's list)."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self._documents = documents
        self.fetch: Any = None
        self.skip: Callable[[str], bool] | None = None
        self.failed = 0
        self.skipped = 0

    def __iter__(self) -> Iterator[Document]:
        for doc in self._documents:
            if self.skip is not None and self.skip(doc.source):
                self.skipped += 1
                continue
            yield doc


@dataclass
class Documents:
    """The SOURCEs of a command, read by ``reader``; a document's unit is keyed by its source."""

    reader: Reader
    key: Key = source_key

    @property
    def failed(self) -> int:
        return self.reader.failed

    @property
    def skipped(self) -> int:
        return self.reader.skipped

    def bind(self, client: Any, loop: asyncio.AbstractEventLoop, done: Done) -> None:
        """URL sources fetched by the run's client in the run's loop; sources an output holds already skipped."""
        if isinstance(self.reader.fetch, UrlFetch):
            self.reader.fetch = self.reader.fetch.through(client, loop)
        self.reader.skip = done

    def units(self, links: LinkFilter, whole_page: bool, scan_failed: ScanFailed | None) -> Iterator[Unit]:
        return document_units(self.reader, links, whole_page, scan_failed)


def document_units(
    documents: Iterable[Document], links: LinkFilter, whole_page: bool, scan_failed: ScanFailed | None
) -> Iterator[Unit]:
    """One unit per document, its findings in source order; a document the scanner fails on goes to
    ``scan_failed`` (a bug: the other documents go on) and gives no unit."""
    for doc in documents:
        try:
            findings = scan(doc, links=links, whole_page=whole_page)
        except Exception as exc:
            if scan_failed is None:
                raise
            scan_failed(doc, exc)
            continue
        yield Unit(doc.source, findings)


@dataclass
class Rows:
    """A URL list (``--urls``), opened (its header read): one unit per row, keyed by its line; the row's other
    columns kept under ``row``."""

    urls: UrlList
    on_error: Callable[[SourceError], None] | None = None  # the list cannot be read on (default: raise)
    key: Key = line_key
    failed: int = 0
    skipped: int = 0  # rows a resumed output holds already
    _done: Done = field(default=None, repr=False)

    @property
    def path(self) -> str:
        return self.urls.source

    def bind(self, client: Any, loop: asyncio.AbstractEventLoop, done: Done) -> None:
        self._done = done

    def rows(self) -> Iterator[Row]:
        try:
            for row in self.urls:
                if self._done is not None and self._done(str(row.line)):
                    self.skipped += 1
                    continue
                yield row
        except SourceError as exc:
            if self.on_error is None:
                raise
            self.failed += 1
            self.on_error(exc)

    def units(self, links: LinkFilter, whole_page: bool, scan_failed: ScanFailed | None) -> Iterator[Unit]:
        return (row_unit(row) for row in self.rows())


def row_unit(row: Row) -> Unit:
    """A row's unit: its URL as a link to resolve, or, for a row with no http(s) URL, its record at once
    (``status: error`` and why)."""
    extra = {"row": row.columns}
    link = Link(row.source, row.raw, row.raw, None if row.problem else shortener_host(row.raw), False, row.span,
                row.line)  # fmt: skip
    if row.problem is not None:
        failed = Resolution(row.raw, "error", None, None, (), row.problem)
        return Unit(str(row.line), [], ready=[ResolvedRecord(link, failed)], extra=extra)
    return Unit(str(row.line), [link], extra=extra)


Input = Documents | Rows
