"""Resolve benchmark: resolver against its peers on one loopback fake web, as whole processes, in one run.

    python benchmarks/bench_resolve.py [--links 1000] [--dup 0.3] [--latency 20] [--concurrency 50]
                                       [--per-host 8] [--minet PATH] [--resolver NAME=PATH ...]

Contenders, each a process timed from outside (start-up included; CPU and peak RSS from the kernel):
`resolver resolve` (one or more executables, e.g. before/after a change), minet's CLI (when installed or
given), and a bare aiohttp loop (benchmarks/peers/aiohttp_loop.py). Every contender gets the same
concurrency and per-host limit. Prints the median wall time (min–max), CPU, peak RSS, links/s, the ratio to
the floor  unique × (hops + 1) × latency / concurrency, requests per link, and how many distinct links came
out wrong (status and final URL checked against the fake web's ground truth).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fakeweb  # noqa: E402
from harness import Sample, interleave, median, run_once, table  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.11", 0))
        return int(s.getsockname()[1])


def server_stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.11:{port}/__stats", timeout=10) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def build_links(n: int, dup: float, port: int, seed: int = 7) -> tuple[list[str], dict[str, tuple[str, str]]]:
    unique = round(n * (1 - dup))
    rng = random.Random(seed)
    ids = list(range(unique)) + [rng.randrange(unique) for _ in range(n - unique)]
    rng.shuffle(ids)
    links = [fakeweb.first_url(u, port) for u in ids]
    truth = {fakeweb.first_url(u, port): fakeweb.expected(u, port) for u in range(unique)}
    return links, truth


def check(results: dict[str, tuple[str, str]], truth: dict[str, tuple[str, str]]) -> int:
    """How many distinct links came out wrong (missing, wrong status, wrong final URL)."""
    return sum(1 for url, want in truth.items() if results.get(url) != want)


# --- contenders: each one a whole process ------------------------------------------------------------


def resolver_cmd(exe: str, source: Path, out: Path, concurrency: int, per_host: int) -> list[str]:
    return [exe, "resolve", str(source), "--allow-private", "--no-cache", "--concurrency", str(concurrency),
            "--per-host", str(per_host), "--quiet", "--format", "jsonl", "-o", str(out)]  # fmt: skip


def read_resolver(out: Path) -> dict[str, tuple[str, str]]:
    results: dict[str, tuple[str, str]] = {}
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            if r["kind"] == "link":
                results[r["url"]] = (r["status"], r["final_url"])
    return results


def minet_cmd(minet: str, source: Path, out: Path, concurrency: int, per_host: int) -> list[str]:
    return [minet, "resolve", "url", "-i", str(source), "-t", str(concurrency), "--domain-parallelism",
            str(per_host), "--follow-meta-refresh", "--retries", "3", "--silent", "-o", str(out)]  # fmt: skip


def read_minet(out: Path) -> dict[str, tuple[str, str]]:
    results: dict[str, tuple[str, str]] = {}
    if out.exists():
        with out.open(newline="") as fh:
            for row in csv.DictReader(fh):
                status = row.get("http_status") or ""
                final = row.get("resolved_url") or row.get("resolved") or ""
                ok = "dead" if status in ("404", "410") else ("ok" if status.startswith("2") else "error")
                results[row["url"]] = (ok, final)
    return results


def read_loop(out: Path) -> dict[str, tuple[str, str]]:
    results: dict[str, tuple[str, str]] = {}
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            results[r["url"]] = (r["status"], r["final_url"])
    return results


def figures(samples: dict[str, list[Sample]], *, floor: float, links: int, requests: dict[str, float],
            wrong: dict[str, int]) -> str:  # fmt: skip
    """Each resolver contender's figures, each beside its baseline or peer and the ratio (one row a figure):
    wall against the floor, links/s and CPU against the bare aiohttp loop, wall against minet's CLI."""
    wall = {name: median([s.wall for s in runs]) for name, runs in samples.items()}
    cpu = {name: median([s.cpu for s in runs]) for name, runs in samples.items()}
    loop, minet = "bare aiohttp loop", "minet CLI"
    rows = [f"{'figure':50} {'value':>9} {'baseline':>26} {'ratio':>8}"]
    for name in (n for n in samples if n.startswith("resolver")):
        rows.append(name)
        rows.append(f"  {'wall s / floor (lower is better)':48} {wall[name]:9.3f} {'floor ' + f'{floor:.3f}':>26} "
                    f"{wall[name] / floor:7.2f}x")  # fmt: skip
        if loop in wall:
            ours, theirs = links / wall[name], links / wall[loop]
            rows.append(f"  {'links/s / bare aiohttp loop (higher is better)':48} {ours:9.0f} "
                        f"{'aiohttp ' + f'{theirs:.0f}':>26} {ours / theirs:7.2f}x")  # fmt: skip
            rows.append(f"  {'cpu s / bare aiohttp loop (lower is better)':48} {cpu[name]:9.2f} "
                        f"{'aiohttp ' + f'{cpu[loop]:.2f}':>26} {cpu[name] / cpu[loop]:7.2f}x")  # fmt: skip
        if minet in wall:
            rows.append(f"  {'wall s / minet CLI (lower is better)':48} {wall[name]:9.3f} "
                        f"{'minet ' + f'{wall[minet]:.3f}':>26} {wall[name] / wall[minet]:7.2f}x")  # fmt: skip
        for other in (n for n in samples if n.startswith("resolver") and n != name):
            rows.append(f"  {'wall s / ' + other:48} {wall[name]:9.3f} {f'{wall[other]:.3f}':>26} "
                        f"{wall[name] / wall[other]:7.2f}x")  # fmt: skip
        rows.append(f"  {'requests per link':48} {requests[name]:9.2f} {'':>26} {'':>8}")
        rows.append(f"  {'distinct links wrong':48} {wrong[name]:9d} {'':>26} {'':>8}")
    return "\n".join(rows)


def workload_options(parser: argparse.ArgumentParser) -> None:
    """The fake web's workload and the limits every contender gets (also benchmarks/timeline.py's)."""
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--dup", type=float, default=0.3)
    parser.add_argument("--latency", type=float, default=20.0, help="milliseconds per response")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=8, help="requests in flight to one host, for every contender")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workload_options(parser)
    parser.add_argument("--minet", default=shutil.which("minet"), help="path to the minet command")
    parser.add_argument("--resolver", action="append", default=[], metavar="NAME=PATH",
                        help="resolver executables to time side by side (default: `resolver` on PATH)")  # fmt: skip
    parser.add_argument("--only", default="", help="comma-separated contenders to run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender, interleaved; medians reported")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "fakeweb.py"), str(port), str(args.latency)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        links, truth = build_links(args.links, args.dup, port)
        unique = len(truth)
        floor = unique * 3 * (args.latency / 1000) / args.concurrency
        print(
            f"fake web: {args.links} links, {unique} unique, 2 hops, {args.latency:g} ms, concurrency "
            f"{args.concurrency}, per host {args.per_host} for every contender; 5 % 429, 5 % dead, 2 % meta-refresh;"
            f" floor {floor:.2f} s"
        )
        work = Path(tempfile.mkdtemp(prefix="bench-resolve-"))
        txt = work / "links.txt"
        txt.write_text("\n".join(links) + "\n")
        csv_source = work / "links.csv"
        with csv_source.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["url"])
            writer.writerows([u] for u in links)

        executables = {}
        for spec in args.resolver or [shutil.which("resolver") or "resolver"]:
            name, _, path = spec.partition("=")
            executables[f"resolver CLI ({name})" if path else "resolver CLI"] = path or name
        contenders: dict[str, tuple[list[str], Path, Callable[[Path], dict[str, tuple[str, str]]]]] = {}
        for i, (name, exe) in enumerate(executables.items()):
            out = work / f"resolver{i}.jsonl"
            contenders[name] = (resolver_cmd(exe, txt, out, args.concurrency, args.per_host), out, read_resolver)
        if args.minet:
            out = work / "minet.csv"
            contenders["minet CLI"] = (minet_cmd(args.minet, csv_source, out, args.concurrency, args.per_host), out,
                                       read_minet)  # fmt: skip
        out = work / "aiohttp.jsonl"
        loop_cmd = [sys.executable, str(HERE / "peers" / "aiohttp_loop.py"), str(txt), str(out),
                    str(args.concurrency), str(args.per_host)]  # fmt: skip
        contenders["bare aiohttp loop"] = (loop_cmd, out, read_loop)
        only = {c.strip() for c in args.only.split(",") if c.strip()}
        chosen = {n: c for n, c in contenders.items() if not only or n in only}

        requests: dict[str, float] = {}
        wrong: dict[str, int] = {}
        peak: dict[str, int] = {}  # the most requests the fake web answered at once: each kept the limit?

        def runner(name: str) -> Callable[[], Sample]:
            cmd, out, read = chosen[name]

            def run() -> Sample:
                server_stats(port)  # reset the counters
                out.unlink(missing_ok=True)
                sample = run_once(cmd)
                stats = server_stats(port)
                requests[name] = stats["requests"] / args.links
                peak[name] = max(peak.get(name, 0), stats["peak"])
                wrong[name] = max(wrong.get(name, 0), check(read(out), truth))
                return sample

            return run

        samples = interleave({name: runner(name) for name in chosen}, args.repeat)
        print(f"whole processes, median of {args.repeat} interleaved runs after a warm-up")
        print(table(samples, baseline=next(iter(chosen))))
        print(f"{'contender':34} {'links/s':>8} {'x floor':>8} {'req/link':>8} {'peak':>5}  wrong")
        for name, runs in samples.items():
            wall = median([s.wall for s in runs])
            print(f"{name:34} {args.links / wall:8.0f} {wall / floor:8.2f} {requests[name]:8.2f} {peak[name]:5d}  "
                  f"{wrong[name]}")  # fmt: skip
        print(f"(peak: the most requests in flight at once, as the fake web saw them; the limit is {args.concurrency})")
        print("(the aiohttp loop follows HTTP redirects only: it is expected to get the 2 % meta-refresh wrong)")
        print()
        print(figures(samples, floor=floor, links=args.links, requests=requests, wrong=wrong))
        shutil.rmtree(work, ignore_errors=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
