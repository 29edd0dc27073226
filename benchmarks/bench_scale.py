"""Scale benchmark: peak memory and time of a whole `resolver resolve` run as the input grows 10×, 10×, 10×.

    python benchmarks/bench_scale.py [--links 10000,100000,1000000] [--per-article 50] [--latency 0]
                                     [--concurrency 100] [--resolver NAME=PATH ...]

The input is a directory of plain-text articles, ``--per-article`` distinct links each, every link distinct
across the run (the worst case for a run-wide dedupe: nothing is ever answered twice). The links point at
the loopback fake web of ``fakeweb.py`` (two redirects each, 5 % 429 then fine, 5 % dead, 2 % meta refresh).
Each size is one whole process per contender, timed from outside (wall, CPU, peak RSS from ``wait4``), the
output written as jsonl to a file and checked: every distinct link must come out once with the right
status and final URL. A bare aiohttp loop over the same links with the same limits runs beside it
(``peers/aiohttp_loop.py``: no dedupe, no meta refresh — its 2 % meta-refresh links come out wrong by
design; it keeps its answers in a dict, as such a script does). Memory that stays flat while the links
grow 100× is what the streaming pipeline is for; the old pipeline's figure grows by about 4 KB a link.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fakeweb  # noqa: E402
from bench_resolve import free_port  # noqa: E402
from harness import run_once  # noqa: E402


def write_articles(root: Path, links: int, per_article: int, port: int) -> int:
    """``links`` distinct fake-web links in articles of ``per_article`` links; the number of articles."""
    articles = 0
    for first in range(0, links, per_article):
        last = min(links, first + per_article)
        lines = [f"Paragraph {u - first}: see {fakeweb.first_url(u, port)} for more." for u in range(first, last)]
        sub = root / f"{articles // 1000:04d}"  # a thousand files a folder
        sub.mkdir(exist_ok=True)
        (sub / f"article-{articles:07d}.txt").write_text(f"Article {articles}\n\n" + "\n\n".join(lines) + "\n")
        articles += 1
    return articles


def wrong_answers(out: Path, links: int, port: int) -> int:
    """Distinct links missing, doubled or wrong: every link u must be there once with its expected answer."""
    seen: set[int] = set()
    wrong = 0
    with out.open() as fh:
        for line in fh:
            record = json.loads(line)
            u = int(record["url"].rsplit("/", 1)[1])
            if u in seen or (record["status"], record["final_url"]) != fakeweb.expected(u, port):
                wrong += 1
            seen.add(u)
    return wrong + (links - len(seen))


def loop_wrong(out: Path, links: int, port: int) -> int:
    """The bare aiohttp loop's answers: distinct links missing or wrong (it follows no meta refresh, so the 2 %
    of links that end with one come out wrong by design)."""
    seen = 0
    wrong = 0
    with out.open() as fh:
        for line in fh:
            record = json.loads(line)
            seen += 1
            u = int(record["url"].rsplit("/", 1)[1])
            wrong += (record["status"], record["final_url"]) != fakeweb.expected(u, port)
    return wrong + (links - seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", default="10000,100000,1000000", help="comma-separated sizes (distinct links)")
    parser.add_argument("--per-article", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.0, help="milliseconds per response")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--per-host", type=int, default=16)
    parser.add_argument("--resolver", action="append", default=[], metavar="NAME=PATH",
                        help="resolver executables, side by side (default: `resolver` on PATH)")  # fmt: skip
    parser.add_argument("--no-loop", action="store_true", help="leave out the bare aiohttp loop")
    args = parser.parse_args()
    sizes = [int(s) for s in args.links.split(",") if s.strip()]
    executables = dict(spec.partition("=")[::2] for spec in args.resolver) or {"resolver": shutil.which("resolver")}

    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "fakeweb.py"), str(port), str(args.latency)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        print(f"fake web: every link distinct, 2 hops, {args.latency:g} ms, concurrency {args.concurrency}, per host "
              f"{args.per_host}, {args.per_article} links an article; whole processes, one run per size")  # fmt: skip
        print(f"{'contender':<24} {'links':>9} {'articles':>8} {'wall s':>8} {'CPU s':>8} {'links/s':>8} "
              f"{'peak MiB':>9} {'KiB/link':>9} {'wrong':>6}")  # fmt: skip
        for size in sizes:
            work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
            try:
                (work / "articles").mkdir()
                articles = write_articles(work / "articles", size, args.per_article, port)
                for name, exe in executables.items():
                    out = work / "out.jsonl"
                    cmd = [str(exe), "resolve", str(work / "articles"), "--allow-private", "--no-cache",
                           "--concurrency", str(args.concurrency), "--per-host", str(args.per_host), "--quiet",
                           "--links", "all", "-o", str(out)]  # fmt: skip
                    sample = run_once(cmd)
                    wrong = wrong_answers(out, size, port) if out.exists() else size
                    print(f"{name:<24} {size:>9} {articles:>8} {sample.wall:>8.1f} {sample.cpu:>8.1f} "
                          f"{size / sample.wall:>8.0f} {sample.peak_mib:>9.0f} {sample.peak_mib * 1024 / size:>9.2f} "
                          f"{wrong:>6}" + (f"  (exit {sample.returncode})" if sample.returncode else ""),
                          flush=True)  # fmt: skip
                    out.unlink(missing_ok=True)
                if not args.no_loop:  # the peer: a bare aiohttp loop over the same links, same limits
                    listing = work / "links.txt"
                    with listing.open("w") as fh:
                        fh.writelines(fakeweb.first_url(u, port) + "\n" for u in range(size))
                    out = work / "loop.jsonl"
                    sample = run_once([sys.executable, str(HERE / "peers" / "aiohttp_loop.py"), str(listing), str(out),
                                       str(args.concurrency), str(args.per_host)])  # fmt: skip
                    wrong = loop_wrong(out, size, port) if out.exists() else size
                    print(f"{'bare aiohttp loop':<24} {size:>9} {'-':>8} {sample.wall:>8.1f} {sample.cpu:>8.1f} "
                          f"{size / sample.wall:>8.0f} {sample.peak_mib:>9.0f} {sample.peak_mib * 1024 / size:>9.2f} "
                          f"{wrong:>6}", flush=True)  # fmt: skip
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
