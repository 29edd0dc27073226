"""Where a resolve run's time goes, as the fake web sees it, whole processes, medians of interleaved runs.

    python benchmarks/timeline.py [--links 1000] [--concurrency 50] [--per-host 8] [--latency 20]
                                  [--repeat 5] [--resolver NAME=PATH ...] [--series] [--marks]

For each `resolver resolve` (the workload and command of benchmarks/bench_resolve.py), from the fake web's
record of every request (arrived, answered; see benchmarks/fakeweb.py):
  first request  seconds from the process's start to the first request's arrival (start-up, imports,
                 reading the input, making the HTTP session)
  span           first arrival to last answer, beside the ideal span: requests × latency / concurrency
  in flight      the mean number of requests being answered over the span (the limit is --concurrency)
  tail           last answer to the process's end (closing, writing, the interpreter's teardown)
--series prints the requests in flight in 50 ms steps for each run; --marks runs each resolver through
benchmarks/resolver_marks.py (in its own venv's Python) and prints the medians of its start-up and exit
marks, in seconds from the process's start. A diagnostic, not a figure of the speed table: the table's
figures come from bench_resolve.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_resolve import build_links, free_port, resolver_cmd, workload_options  # noqa: E402

STEP = 0.05  # seconds per step of --series


def fetch(port: int, path: str) -> object:
    with urllib.request.urlopen(f"http://127.0.0.11:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def in_flight_series(times: list[tuple[float, float]], start: float) -> list[float]:
    """Mean requests being answered in each STEP from ``start``."""
    steps: list[float] = []
    for arrived, answered in times:
        k = int((arrived - start) / STEP)  # each request's share of every step it overlaps, step by step
        while start + k * STEP < answered:
            lo, hi = max(arrived, start + k * STEP), min(answered, start + (k + 1) * STEP)
            steps.extend([0.0] * (k + 1 - len(steps)))
            steps[k] += max(0.0, hi - lo) / STEP
            k += 1
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workload_options(parser)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--resolver", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--series", action="store_true", help="print each run's requests in flight in 50 ms steps")
    parser.add_argument("--marks", action="store_true", help="run through resolver_marks.py; print its marks")
    args = parser.parse_args()

    executables = dict(spec.partition("=")[::2] for spec in args.resolver) or {"resolver": "resolver"}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "fakeweb.py"), str(port), str(args.latency)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        work = Path(tempfile.mkdtemp(prefix="timeline-"))
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # bytecode kept, as an install has it
        links, _ = build_links(args.links, args.dup, port)
        source = work / "links.txt"
        source.write_text("\n".join(links) + "\n")
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in executables}
        for round_ in range(args.repeat + 1):  # a warm-up round first, not counted
            for name, exe in executables.items():
                cmd = resolver_cmd(exe, source, work / "out.jsonl", args.concurrency, args.per_host)
                marks_file = work / "marks.txt"
                marks_file.unlink(missing_ok=True)
                if args.marks:
                    cmd = [str(Path(exe).parent / "python"), str(HERE / "resolver_marks.py"), *cmd[1:]]
                    env["RESOLVER_MARKS"] = str(marks_file)
                fetch(port, "/__stats")  # reset the counters (and the links that answer 429 once)
                fetch(port, "/__times")  # forget what came before
                began = time.time()
                subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
                ended = time.time()
                times = [(float(a), float(b)) for a, b in fetch(port, "/__times")]  # type: ignore[attr-defined]
                first, last = min(a for a, _ in times), max(b for _, b in times)
                row = {
                    "first request": first - began,
                    "span": last - first,
                    "ideal span": len(times) * args.latency / 1000 / args.concurrency,
                    "in flight": sum(b - a for a, b in times) / (last - first),
                    "tail": ended - last,
                    "wall": ended - began,
                    "requests": len(times),
                }
                if args.marks:  # after the figures, in the order they happened
                    for item in marks_file.read_text().split():
                        mark, _, at = item.partition("=")
                        row["mark: " + mark.replace("_", " ")] = float(at) - began
                if round_:
                    rows[name].append(row)
                    if args.series:
                        series = in_flight_series(times, first)
                        print(f"{name} run {round_}: " + " ".join(f"{n:.0f}" for n in series))
        print(
            f"{args.links} links, concurrency {args.concurrency}, per host {args.per_host}, {args.latency:g} ms; "
            f"medians of {args.repeat} (min-max), seconds from the process's start where not said"
        )
        for name, runs in rows.items():
            print(name)
            for key in runs[0]:
                values = [r[key] for r in runs]
                print(f"  {key:34} {statistics.median(values):8.3f}  ({min(values):.3f}-{max(values):.3f})")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
