"""Scan benchmark: `resolver scan` against a bare parse, as whole processes, side by side in one run.

    python benchmarks/bench_scan.py [--corpus ../shared/corpus] [--repeat 5]
                                    [--resolver NAME=PATH ...] [--big-mb 40]

HTML: the corpus pages through `resolver scan DIR --format jsonl -q` versus a process that does a bare
`BeautifulSoup(html, "lxml")` parse of the same files (the peer) and one that does only lxml's parse (the
floor). Text: the corpus text copies, the seed and a synthetic text of copied embeds through `resolver scan`
versus urlextract's `find_urls` in a process of its own (if installed: `pip install -e '.[bench]'`). With
--big-mb, one synthetic page of that size (article text, embeds and links) shows time and peak memory for
a large page. Every figure is the median of --repeat interleaved runs after a warm-up round, timed from
outside the process (start-up and imports included); peak RSS from the kernel. Several --resolver
executables (e.g. before=/path/to/old/.venv/bin/resolver) are measured side by side in the same run; a
spec may carry scan options after the path ("one job=/path/to/resolver -j 1").

Peak RSS is what the kernel reports for the process tree (wait4): the largest single process, so a scan
with worker processes (``--jobs``, one per CPU by default) can hold up to that many times more in all —
run it beside "-j 1" to see one process's figures.

Every process runs with compiled bytecode kept (in a temporary PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE
unset), as an installed package has it: a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise
compile the project's own modules on every start and only those, a cost no user pays. After each table,
each resolver's ratios to the peer and to the floor, by wall time and by CPU time (on a shared machine
the CPU ratio moves least).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from harness import Sample, interleave, median, run_once, table  # noqa: E402


def ratios(samples: dict[str, list[Sample]], names: list[str], against: list[str]) -> str:
    """One line per resolver: how many times faster than each of ``against``, by median wall and CPU."""
    lines = []
    for name in names:
        parts = []
        for other in against:
            if other not in samples:
                continue
            wall = median([s.wall for s in samples[other]]) / median([s.wall for s in samples[name]])
            cpu = median([s.cpu for s in samples[other]]) / median([s.cpu for s in samples[name]])
            parts.append(f"{wall:.2f}x {other} (cpu {cpu:.2f}x)")
        peak = median([s.peak_mib for s in samples[name]])
        lines.append(f"  {name}: " + ", ".join(parts) + f"; peak {peak:.0f} MiB")
    return "\n".join(lines)


def resolver_executables(specs: list[str]) -> dict[str, str]:
    found = shutil.which("resolver")
    if not specs:
        if found is None:
            raise SystemExit("no `resolver` on PATH: pip install -e . (or give --resolver NAME=PATH)")
        return {"resolver scan": found}
    out = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        out[f"resolver scan ({name})" if path else "resolver scan"] = path or name
    return out


def big_page(megabytes: float) -> str:
    """An article-shaped page: paragraphs with links, a tweet embed every 40 paragraphs, until the size."""
    head = "<!doctype html><html><head><title>big</title></head><body><nav><a href='/'>home</a></nav><article>"
    parts = [head]
    size, i = len(head), 0
    while size < megabytes * 1e6:
        if i % 40 == 0:
            block = (
                f'<blockquote class="twitter-tweet"><p lang="en">Post number {i} https://t.co/abc{i} '
                f'pic.twitter.com/p{i}</p>&mdash; Someone (@someone) <a href="https://twitter.com/someone/'
                f'status/{1900000000000000000 + i}">March 14, 2025</a></blockquote>'
            )
        else:
            block = (
                f"<p>Paragraph {i} of the article says something at length, with a "
                f'<a href="https://example.org/story/{i}?utm_source=x">link</a> and a bare '
                f"https://bit.ly/b{i} in its text, then goes on for a while longer.</p>\n"
            )
        parts.append(block)
        size += len(block)
        i += 1
    parts.append("</article><footer><a href='/about'>about</a></footer></body></html>")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--resolver", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--big-mb", type=float, default=0.0, help="also scan one synthetic page of this size")
    args = parser.parse_args()

    pages = sorted((args.corpus / "pages").glob("*.html"))
    if not pages:
        raise SystemExit(f"no pages under {args.corpus}/pages (give --corpus)")
    executables = resolver_executables(args.resolver)
    py = sys.executable
    html_mb = sum(p.stat().st_size for p in pages) / 1e6

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # bytecode kept, as an install has it (see above)
        pages_dir = work / "pages"
        pages_dir.mkdir()
        for p in pages:
            shutil.copy(p, pages_dir / p.name)
        copies = sorted(str(p) for p in pages_dir.iterdir())
        out = work / "out"

        def scan_cmd(spec: str, *sources: str) -> list[str]:
            exe, *options = shlex.split(spec)  # "PATH -j 1": options go after the command's own
            return [exe, "scan", *sources, "--format", "jsonl", "-q", *options]

        contenders = {
            name: (lambda exe=exe: run_once(scan_cmd(exe, str(pages_dir)), stdout=out, env=env))
            for name, exe in executables.items()
        }
        contenders["bs4 + lxml parse"] = lambda: run_once([py, str(HERE / "peers" / "bs4_parse.py"), *copies], env=env)
        contenders["lxml parse (floor)"] = lambda: run_once(
            [py, str(HERE / "peers" / "lxml_parse.py"), *copies], env=env
        )
        samples = interleave(contenders, args.repeat)
        print(f"HTML: {len(pages)} corpus pages, {html_mb:.1f} MB; whole processes, median of {args.repeat}")
        print(table(samples, baseline="bs4 + lxml parse", size=html_mb))
        print(ratios(samples, list(executables), ["bs4 + lxml parse", "lxml parse (floor)"]))

        text_files = sorted((args.corpus / "text").glob("*"))
        seed_dir = ROOT.parent / "shared" / "seed"
        text_files += sorted(seed_dir.glob("*.txt")) if seed_dir.is_dir() else []
        text_dir = work / "text"
        text_dir.mkdir()
        for p in text_files:
            shutil.copy(p, text_dir / p.name)
        synthetic = work / "synthetic.txt"
        synthetic.write_text((ROOT / "tests" / "fixtures" / "copied.txt").read_text() * 4000)
        try:
            import urlextract  # noqa: F401

            have_urlextract = True
        except ImportError:
            have_urlextract = False
            print("(urlextract not installed: pip install -e '.[bench]')")
        for title, files in (
            ("corpus text copies + seed", sorted(str(p) for p in text_dir.iterdir())),
            ("synthetic, a copied post every 160 chars", [str(synthetic)]),
        ):
            mb = sum(Path(f).stat().st_size for f in files) / 1e6
            text_contenders = {
                name: (lambda exe=exe, files=files: run_once(scan_cmd(exe, *files), stdout=out, env=env))
                for name, exe in executables.items()
            }
            if have_urlextract:
                text_contenders["urlextract"] = lambda files=files: run_once(
                    [py, str(HERE / "peers" / "urlextract_find.py"), *files], stdout=out, env=env
                )
            text_samples = interleave(text_contenders, args.repeat)
            print(f"\ntext, {title}: {len(files)} files, {mb:.2f} MB")
            base = "urlextract" if have_urlextract else next(iter(text_contenders))
            print(table(text_samples, baseline=base, size=mb))
            print(ratios(text_samples, list(executables), [base] if have_urlextract else []))

        if args.big_mb:
            page = work / "big.html"
            page.write_text(big_page(args.big_mb))
            mb = page.stat().st_size / 1e6
            big: dict[str, Callable[[], Sample]] = {}
            for name, exe in executables.items():
                big[name] = lambda exe=exe: run_once(scan_cmd(exe, str(page)), stdout=out, env=env)
            big["bs4 + lxml parse"] = lambda: run_once([py, str(HERE / "peers" / "bs4_parse.py"), str(page)], env=env)
            big_samples = interleave(big, max(1, args.repeat // 2))
            print(f"\none synthetic page of {mb:.1f} MB")
            print(table(big_samples, baseline="bs4 + lxml parse", size=mb))
            print(ratios(big_samples, list(executables), ["bs4 + lxml parse"]))


if __name__ == "__main__":
    main()
