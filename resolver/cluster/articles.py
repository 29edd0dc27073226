"""Articles in partitions, and the scan task: a partition's sources → its findings and the URLs they name.

The client lists the sources (directories walked, as ``resolve`` walks them) and cuts the list into
partitions of ``size`` articles, in order; standard input is read by the client itself. Each scan task
reads its partition's sources (files on storage every worker sees, article URLs fetched the run's way, a
feed's or sitemap's articles after the others of its partition), scans them, and writes two files: the
findings, in order, and the distinct URLs to resolve — keyed as the pipeline keys them
(``first_url``: pic.twitter.com/CODE is t.co/CODE), each with its site for the host shuffle.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..archive.ledger import finding_from_dict
from ..errors import SourceError
from ..models import Document, Finding, Post
from ..net.rates import site_key
from ..read.files import expand_sources
from ..read.sources import SourceReader
from ..resolve.hops import first_url
from ..scan import scan
from ..scan.urls import absolute_url
from .answers import write_parquet
from .layout import findings_path, needs_dir, part_name
from .settings import ClusterSettings

Item = str | Document  # a source a worker reads, or a document the client read (standard input)


@dataclass(frozen=True)
class ArticlePart:
    index: int
    items: tuple[Item, ...]


@dataclass
class PartScan:
    """What a scan task reports back: counts, and the sources it could not read or scan (one line each)."""

    index: int
    documents: int = 0
    findings: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (source, message)
    unscannable: list[str] = field(default_factory=list)


def article_parts(
    sources: Iterable[str], size: int, read_here: Callable[[str], Document | None]
) -> Iterator[ArticlePart]:
    """The sources, directories expanded, in partitions of ``size``; ``-`` is read here by ``read_here``."""
    items: list[Item] = []
    index = 0
    for source in expand_sources(sources):
        if source == "-":
            doc = read_here(source)
            if doc is None:
                continue
            items.append(doc)
        else:
            items.append(source)
        if len(items) >= size:
            yield ArticlePart(index, tuple(items))
            index, items = index + 1, []
    if items:
        yield ArticlePart(index, tuple(items))


def url_keys(findings: Iterable[Finding]) -> list[str]:
    """The distinct URLs ``resolve_findings`` asks the store for, keyed as it keys them, in order."""
    keys: dict[str, None] = {}
    for f in findings:
        if f.url:
            keys.setdefault(first_url(f.url))
        if isinstance(f, Post):
            for u in f.links:  # a copied post's own links may name the post (pic.twitter.com → /status/…)
                keys.setdefault(first_url(absolute_url(u)))
    return list(keys)


def scan_part(part: ArticlePart, settings: ClusterSettings) -> PartScan:
    """Read and scan one partition; write its findings and the URLs they name. Run again, it writes the
    same files again (each written whole), so a task repeated after a lost worker does no harm."""
    import pyarrow as pa

    report = PartScan(part.index)

    def unreadable(exc: SourceError) -> None:
        report.unreadable.append((exc.source, str(exc)))

    def unscannable(doc: Document, exc: Exception) -> None:
        report.unscannable.append(f"{doc.source}: could not scan: {type(exc).__name__}: {exc}")

    def documents() -> Iterator[Document]:
        for item in part.items:
            if isinstance(item, Document):
                yield item
                continue
            yield from SourceReader([item], kind=settings.kind, max_bytes=settings.max_bytes,
                                    fetch=settings.url_fetch(), on_error=unreadable)  # fmt: skip

    def counted() -> Iterator[Document]:
        for doc in documents():
            report.documents += 1
            yield doc

    findings: list[Finding] = []
    for doc in counted():
        try:
            findings.extend(scan(doc, links=settings.links, whole_page=settings.whole_page))
        except Exception as exc:  # a scanner bug on one page is reported; the other pages go on
            unscannable(doc, exc)
    report.findings = len(findings)
    rows = [json.dumps(f.to_dict(), ensure_ascii=False) for f in findings]
    write_parquet(pa.table({"finding": pa.array(rows, pa.string())}), findings_path(settings, part.index))
    write_needs(needs_dir(settings, "scan"), part.index, url_keys(findings))
    return report


def write_needs(directory: Path, index: int, keys: list[str], kind: str = "resolution") -> None:
    """The answers partition ``index`` needs: (part, kind, key, site) rows."""
    import pyarrow as pa

    table = pa.table(
        {
            "part": pa.array([index] * len(keys), pa.int64()),
            "kind": pa.array([kind] * len(keys), pa.string()),
            "key": pa.array(keys, pa.string()),
            "site": pa.array([site_key(k) for k in keys], pa.string()),
        }
    )
    write_parquet(table, directory / part_name(index))


def read_findings(settings: ClusterSettings, index: int) -> list[Finding]:
    import pyarrow.parquet as pq

    table = pq.read_table(findings_path(settings, index), columns=["finding"])
    return [finding_from_dict(json.loads(row)) for row in table.column("finding").to_pylist()]
