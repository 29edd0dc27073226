"""The body-region measure of the furniture filter (issue 9): of an article's own links, how many does the
default scan keep, and how much does it keep around the article?

For each corpus page that embeds a post:

* the **region** is the article around its embeds: the innermost element that holds the first and the
  last embed, widened up the tree until it holds 1,500 characters of text (scripts and styles left out).
  Embed copies a page keeps as data inside a ``<script>`` do not count: they are not where the reader
  sees the post;
* its **body links** are the whole-page scan's http(s) links inside the region, except the links inside
  embeds (kept whatever the filter says) and "share this" intents (dropped by their URL, never the
  article's own);
* **kept** is how many of those the default scan keeps; **kept outside** counts the default scan's links
  (outside embeds) elsewhere on the page.

The scans come from the code under test, or from JSON lines written by any checkout (``--whole`` and
``--default``), so one definition measures the baseline too::

    python tests/body_region.py                                    # this checkout
    python tests/body_region.py --whole w.jsonl --default d.jsonl  # scans written by another one

The region is found with this checkout's parser and source map, the same for every scan measured.
"""

from __future__ import annotations

import argparse
import json
import sys
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html

from resolver import read_source, scan
from resolver.scan.findings import LineIndex
from resolver.scan.html import _SHARE_INTENTS
from resolver.scan.pieces import html_parser
from resolver.scan.source import SourceMap

PAGES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pages"
WIDEN_TO = 1500  # characters of text the region holds at least
_TEXT = lxml.etree.XPath("string-length(normalize-space(.))")


@dataclass(frozen=True)
class PageFigures:
    name: str
    body_links: int
    kept: int
    kept_outside: int

    @property
    def share(self) -> float:
        return self.kept / self.body_links if self.body_links else 1.0


@dataclass(frozen=True)
class Scanned:
    """What a scan reported on one page: embed spans, and link spans with whether each is in an embed."""

    embeds: list[tuple[int, int]]
    links: dict[tuple[int, int], tuple[str, bool]]  # span -> (url, in_post)


def scanned(findings: list[Any]) -> Scanned:
    embeds = [tuple(f["span"]) for f in findings if f["kind"] == "post" and f["embedded"]]
    links = {tuple(f["span"]): (f["url"], f["in_post"]) for f in findings if f["kind"] == "link"}
    return Scanned(embeds, links)  # type: ignore[arg-type]


def _text_size(el: Any) -> float:
    size = float(_TEXT(el))
    for hidden in el.iter("script", "style"):
        size -= len((hidden.text or "").strip())
    return size


def region(text: str, embeds: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The article region around the embeds (see the module docstring), as a source span."""
    root = lxml.html.document_fromstring(text, parser=html_parser())
    smap = SourceMap(text, root, LineIndex(text))
    starts = sorted(
        (pos, el) for el in root.iter() if isinstance(el.tag, str) and (pos := smap.start_of(el)) is not None
    )
    offsets = [pos for pos, _ in starts]

    def element_at(pos: int) -> Any:
        i = bisect_right(offsets, pos) - 1
        return starts[i][1] if i >= 0 else root

    def in_script(pos: int) -> bool:
        el = element_at(pos)
        return el.tag == "script" or next(el.iterancestors("script"), None) is not None

    shown = [e for e in embeds if not in_script(e[0])]
    if not shown:
        return None
    first, last = element_at(min(s for s, _ in shown)), element_at(max(s for s, _ in shown))
    around_last = {last, *last.iterancestors()}
    el = next(a for a in (first, *first.iterancestors()) if a in around_last)
    while _text_size(el) < WIDEN_TO and el.getparent() is not None:
        el = el.getparent()
    start = smap.start_of(el)
    if start is None or el.tag in ("html", "body"):
        return 0, len(text)
    return start, smap.end_of(el, start)


def measure_page(name: str, text: str, whole: Scanned, default: Scanned) -> PageFigures | None:
    span = region(text, whole.embeds) if whole.embeds else None
    if span is None:
        return None
    start, end = span

    def counted(s: Scanned) -> set[tuple[int, int]]:
        return {
            at
            for at, (url, in_post) in s.links.items()
            if url.startswith(("http://", "https://")) and not in_post and not _SHARE_INTENTS.match(url)
        }

    body = {at for at in counted(whole) if start <= at[0] < end}
    if not body:
        return None
    kept_default = counted(default)
    return PageFigures(name, len(body), len(body & kept_default), len(kept_default - body))


def measure(
    pages: Path = PAGES, whole_scans: Path | None = None, default_scans: Path | None = None
) -> list[PageFigures]:
    """The figures of every measurable page, from this checkout's scans or from the given JSON lines."""
    recorded = {}
    if whole_scans is not None and default_scans is not None:
        recorded = {"whole": _by_source(whole_scans), "default": _by_source(default_scans)}
    out = []
    for path in sorted(pages.iterdir()):
        if path.suffix not in (".html", ".htm"):
            continue
        doc = read_source(str(path))
        if recorded:
            whole = scanned(recorded["whole"].get(path.name, []))
            default = scanned(recorded["default"].get(path.name, []))
        else:
            whole = scanned([f.to_dict() for f in scan(doc, whole_page=True)])
            default = scanned([f.to_dict() for f in scan(doc)])
        figures = measure_page(path.name, doc.text, whole, default)
        if figures is not None:
            out.append(figures)
    return out


def _by_source(path: Path) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for line in path.read_text("utf-8").splitlines():
        record = json.loads(line)
        out.setdefault(Path(record["source"]).name, []).append(record)
    return out


def report(figures: list[PageFigures]) -> str:
    lines = [f"{'page':36} {'body':>5} {'kept':>5} {'share':>6} {'outside':>7}"]
    lines += [f"{f.name:36} {f.body_links:5} {f.kept:5} {f.share:6.0%} {f.kept_outside:7}" for f in figures]
    lines.append(summary(figures))
    return "\n".join(lines)


def summary(figures: list[PageFigures]) -> str:
    body = sum(f.body_links for f in figures)
    kept = sum(f.kept for f in figures)
    return (
        f"body links kept: {kept}/{body} ({kept / body:.1%}) on {len(figures)} pages; "
        f"below 50 %: {sum(f.share < 0.5 for f in figures)}; at 0: {sum(f.kept == 0 for f in figures)}; "
        f"kept outside the body: {sum(f.kept_outside for f in figures)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--whole", type=Path, help="JSON lines of `resolver scan --whole-page` over --pages")
    parser.add_argument("--default", type=Path, help="JSON lines of `resolver scan` over --pages")
    args = parser.parse_args()
    print(report(measure(args.pages, args.whole, args.default)))
    sys.exit(0)
