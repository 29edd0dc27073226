"""Resolve benchmark: resolver against its peers on one loopback fake web, side by side in one run.

    python benchmarks/bench_resolve.py [--links 1000] [--dup 0.3] [--latency 20] [--concurrency 50]
                                       [--minet PATH_TO_MINET]

Prints, for each contender: wall time (start-up included for CLIs), requests per link, connections
opened, the ratio to the floor  unique × (hops + 1) × latency / concurrency, the ratio to minet's CLI, and
whether every link came out right (status and final URL checked against the fake web's ground truth).
Contenders: `resolver resolve` (CLI), resolver as a library, minet's CLI (when installed), a plain
httpx.AsyncClient loop and a bare aiohttp loop (both follow HTTP redirects only: the floor's peers).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fakeweb  # noqa: E402


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


# --- contenders ---------------------------------------------------------------------------------------


def run_resolver_cli(links: list[str], workdir: Path, concurrency: int) -> dict[str, tuple[str, str]]:
    source = workdir / "links.txt"
    source.write_text("\n".join(links) + "\n")
    out = workdir / "resolver.jsonl"
    exe = shutil.which("resolver") or sys.executable
    cmd = [exe] if exe != sys.executable else [sys.executable, "-m", "resolver"]
    cmd += [
        "resolve",
        str(source),
        "--allow-private",
        "--no-cache",
        "--concurrency",
        str(concurrency),
        "--quiet",
        "--format",
        "jsonl",
        "-o",
        str(out),
    ]
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    results: dict[str, tuple[str, str]] = {}
    for line in out.read_text().splitlines():
        r = json.loads(line)
        if r["kind"] == "link":
            results[r["url"]] = (r["status"], r["final_url"])
    return results


def run_resolver_library(links: list[str], concurrency: int) -> dict[str, tuple[str, str]]:
    from resolver.net import HostLimiter, make_client
    from resolver.pipeline import RunOptions, resolve_all
    from resolver.resolve import ResolveOptions
    from resolver.store import MemoryStore

    async def go() -> dict[str, tuple[str, str]]:
        options = RunOptions(
            concurrency=concurrency, resolve=ResolveOptions(allow_private=True, limiter=HostLimiter(8))
        )
        async with make_client(allow_private=True, concurrency=concurrency) as client:
            res = await resolve_all(links, client=client, store=MemoryStore(), options=options)
        return {u: (r.status, r.final_url or "") for u, r in res.items()}

    return asyncio.run(go())


def run_minet_cli(minet: str, links: list[str], workdir: Path, concurrency: int) -> dict[str, tuple[str, str]]:
    source = workdir / "links.csv"
    with source.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["url"])
        writer.writerows([u] for u in links)
    out = workdir / "minet.csv"
    subprocess.run(
        [
            minet,
            "resolve",
            "url",
            "-i",
            str(source),
            "-t",
            str(concurrency),
            "--domain-parallelism",
            "8",
            "--follow-meta-refresh",
            "--retries",
            "3",
            "--silent",
            "-o",
            str(out),
        ],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, tuple[str, str]] = {}
    with out.open(newline="") as fh:
        for row in csv.DictReader(fh):
            status = row.get("http_status") or ""
            final = row.get("resolved_url") or row.get("resolved") or ""
            ok = "dead" if status in ("404", "410") else ("ok" if status.startswith("2") else "error")
            results[row["url"]] = (ok, final)
    return results


def run_httpx_loop(links: list[str], concurrency: int) -> dict[str, tuple[str, str]]:
    import httpx

    async def go() -> dict[str, tuple[str, str]]:
        sem = asyncio.Semaphore(concurrency)
        out: dict[str, tuple[str, str]] = {}
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(follow_redirects=True, limits=limits, timeout=15) as client:

            async def one(url: str) -> None:
                async with sem:
                    for _ in range(4):
                        r = await client.get(url)
                        if r.status_code != 429:
                            break
                    out[url] = ("dead" if r.status_code == 404 else "ok", str(r.url))

            await asyncio.gather(*(one(u) for u in links))
        return out

    return asyncio.run(go())


def run_aiohttp_loop(links: list[str], concurrency: int) -> dict[str, tuple[str, str]]:
    import aiohttp

    async def go() -> dict[str, tuple[str, str]]:
        sem = asyncio.Semaphore(concurrency)
        out: dict[str, tuple[str, str]] = {}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

            async def one(url: str) -> None:
                async with sem:
                    for _ in range(4):
                        async with session.get(url) as r:
                            await r.read()
                            if r.status != 429:
                                break
                    out[url] = ("dead" if r.status == 404 else "ok", str(r.url))

            await asyncio.gather(*(one(u) for u in links))
        return out

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--dup", type=float, default=0.3)
    parser.add_argument("--latency", type=float, default=20.0, help="milliseconds per response")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--minet", default=shutil.which("minet"), help="path to the minet command")
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
            f"{args.concurrency}; 5 % 429, 5 % dead, 2 % meta-refresh; floor {floor:.2f} s"
        )
        contenders = {
            "resolver CLI": lambda wd: run_resolver_cli(links, wd, args.concurrency),
            "resolver library": lambda wd: run_resolver_library(links, args.concurrency),
            "minet CLI": (lambda wd: run_minet_cli(args.minet, links, wd, args.concurrency)) if args.minet else None,
            "httpx loop": lambda wd: run_httpx_loop(links, args.concurrency),
            "aiohttp loop": lambda wd: run_aiohttp_loop(links, args.concurrency),
        }
        only = {c.strip() for c in args.only.split(",") if c.strip()}
        chosen = {n: f for n, f in contenders.items() if f is not None and (not only or n in only)}
        runs: dict[str, list[tuple[float, float, int, int]]] = {n: [] for n in chosen}
        for _ in range(args.repeat):  # interleaved, so a noisy moment hurts every contender alike
            for name, fn in chosen.items():
                server_stats(port)  # reset counters
                with tempfile.TemporaryDirectory() as wd:
                    start = time.perf_counter()
                    results = fn(Path(wd))
                    wall = time.perf_counter() - start
                stats = server_stats(port)
                runs[name].append((wall, stats["requests"] / args.links, stats["connections"], check(results, truth)))
        rows = []
        for name, samples in runs.items():
            walls = sorted(s[0] for s in samples)
            median = walls[len(walls) // 2]
            rpl, conns, wrong = samples[-1][1], samples[-1][2], max(s[3] for s in samples)
            rows.append((name, median, rpl, conns, wrong, walls[0], walls[-1]))
        minet_wall = next((r[1] for r in rows if r[0] == "minet CLI"), None)
        print(f"median of {args.repeat} interleaved runs")
        print(
            f"{'contender':18} {'wall s':>7} {'min-max':>11} {'req/link':>8} {'conns':>6} "
            f"{'x floor':>8} {'x minet':>8}  wrong"
        )
        for name, wall, rpl, conns, wrong, lo, hi in rows:
            vs_minet = f"{wall / minet_wall:8.2f}" if minet_wall else "       -"
            spread = f"{lo:.2f}-{hi:.2f}"
            print(f"{name:18} {wall:7.2f} {spread:>11} {rpl:8.2f} {conns:6d} {wall / floor:8.2f} {vs_minet}  {wrong}")
        print("(httpx/aiohttp loops follow HTTP redirects only: they are expected to get the 2 % meta-refresh wrong)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
