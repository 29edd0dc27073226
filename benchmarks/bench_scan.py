"""Scan benchmark: resolver's scanner against a bare parse, side by side in one run.

    python benchmarks/bench_scan.py [--corpus ../shared/corpus] [--repeat 5]

HTML: the corpus pages through `resolver.scan` versus a bare `BeautifulSoup(html, "lxml")` parse and a bare
`lxml.html.document_fromstring` of the same decoded pages (the floor). Text: the corpus text copies, the
seed and a synthetic text of copied embeds through `resolver.scan` versus urlextract's `find_urls` (if
installed: `pip install -e '.[bench]'`). Prints MB/s and ratios; each figure is the best of --repeat runs
(the machine is shared: the best run is the least disturbed one), contenders interleaved.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resolver.models import Document
from resolver.read import decode
from resolver.scan import scan

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeat: int, fns: dict[str, Callable[[], None]]) -> dict[str, float]:
    from resolver.dates import parse_embed_date

    times = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            parse_embed_date.cache_clear()  # no run may profit from an earlier run's memo
            start = time.perf_counter()
            fn()
            times[name] = min(times[name], time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    pages = sorted((args.corpus / "pages").glob("*.html"))
    if not pages:
        raise SystemExit(f"no pages under {args.corpus}/pages (give --corpus)")
    raw = [p.read_bytes() for p in pages]
    html_mb = sum(map(len, raw)) / 1e6
    texts = [decode(b) for b in raw]
    docs = [Document(str(p), t, "html") for p, t in zip(pages, texts, strict=True)]

    import lxml.html
    from bs4 import BeautifulSoup

    scan(docs[0])  # warm: one-time regex compilation and the TLD list
    html_times = best_of(
        args.repeat,
        {
            "resolver scan": lambda: [scan(d) for d in docs],
            "bs4 + lxml parse": lambda: [BeautifulSoup(t, "lxml") for t in texts],
            "lxml parse": lambda: [lxml.html.document_fromstring(t) for t in texts],
        },
    )
    print(f"HTML: {len(pages)} pages, {html_mb:.1f} MB")
    base = html_times["bs4 + lxml parse"]
    for name, secs in html_times.items():
        print(f"  {name:18} {html_mb / secs:7.1f} MB/s   {base / secs:5.2f}x bs4+lxml")

    text_files = sorted((args.corpus / "text").glob("*"))
    seed = ROOT.parent / "shared" / "seed"
    text_files += sorted(seed.glob("*.txt")) if seed.is_dir() else []
    corpus_texts = [Document(str(p), decode(p.read_bytes()), "text") for p in text_files]
    dense = (ROOT / "tests" / "fixtures" / "copied.txt").read_text() * 400
    suites = {
        "corpus text copies + seed": corpus_texts,
        "synthetic, a copied post every 160 chars": [Document("synthetic", dense, "text")],
    }
    try:
        from urlextract import URLExtract

        extractor: Any = URLExtract()
        extractor.find_urls("warm up https://example.com")
    except ImportError:
        extractor = None
        print("(urlextract not installed: pip install -e '.[bench]')")
    for title, text_docs in suites.items():
        text_mb = sum(len(d.text.encode()) for d in text_docs) / 1e6
        fns: dict[str, Callable[[], None]] = {"resolver scan": lambda docs=text_docs: [scan(d) for d in docs]}
        if extractor is not None:
            fns["urlextract"] = lambda docs=text_docs: [extractor.find_urls(d.text) for d in docs]
        text_times = best_of(args.repeat * 4, fns)
        print(f"text, {title}: {len(text_docs)} documents, {text_mb:.2f} MB")
        for name, secs in text_times.items():
            ratio = f"   {text_times['urlextract'] / secs:5.1f}x urlextract" if "urlextract" in text_times else ""
            print(f"  {name:18} {text_mb / secs:7.2f} MB/s{ratio}")


if __name__ == "__main__":
    main()
