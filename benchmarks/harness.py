"""Whole-process timing for the benchmarks: every contender is a process, timed from outside.

Each run is one ``subprocess`` whose wall time is taken around it and whose CPU time and peak RSS come from
the kernel's own accounting (``os.wait4``), so start-up, imports and output are all counted, for us and
for the peers alike. Contenders run interleaved (A B C A B C …) after a warm-up round, so a noisy moment
on a shared machine hurts every contender alike; the figure to quote is the median.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds
    peak_mib: float  # the process's peak resident set size
    returncode: int


def run_once(cmd: Sequence[str], *, stdin: Path | None = None, stdout: Path | None = None, cwd: Path | None = None,
             env: Mapping[str, str] | None = None) -> Sample:  # fmt: skip
    """Run ``cmd`` to its end: wall time around it, CPU and peak RSS from wait4."""
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    inp = stdin.open("rb") if stdin is not None else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdin=inp, stdout=out, stderr=subprocess.DEVNULL, cwd=cwd,
                                env=dict(env) if env is not None else None)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        for handle in (out, inp):
            if hasattr(handle, "close"):
                handle.close()  # type: ignore[union-attr]
    # ru_maxrss is in KiB on Linux
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


Contender = Callable[[], Sample]


def interleave(contenders: Mapping[str, Contender], repeat: int, warmup: int = 1) -> dict[str, list[Sample]]:
    """Every contender ``warmup`` times (not counted), then ``repeat`` counted rounds, interleaved."""
    for _ in range(warmup):
        for run in contenders.values():
            run()
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, run in contenders.items():
            samples[name].append(run())
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(samples: Mapping[str, list[Sample]], *, baseline: str, size: float | None = None,
          unit: str = "MB/s", higher_is_better: bool = True) -> str:  # fmt: skip
    """One row per contender: median wall (min–max), median CPU, median peak RSS, throughput, ratio to
    ``baseline`` (how many times faster than it: > 1 is faster)."""
    base = median([s.wall for s in samples[baseline]])
    lines = [f"{'contender':34} {'wall s':>7} {'min-max':>13} {'cpu s':>6} {'peak MiB':>9}"
             + (f" {unit:>9}" if size is not None else "") + f"  x {baseline}"]  # fmt: skip
    for name, runs in samples.items():
        walls = [s.wall for s in runs]
        wall = median(walls)
        cpu = median([s.cpu for s in runs])
        peak = median([s.peak_mib for s in runs])
        rate = f" {size / wall:9.2f}" if size is not None else ""
        ratio = base / wall if higher_is_better else wall / base
        codes = {s.returncode for s in runs}
        note = "" if codes <= {0, 1} else f"  (exit {sorted(codes)})"
        lines.append(f"{name:34} {wall:7.3f} {min(walls):6.3f}-{max(walls):6.3f} {cpu:6.2f} {peak:9.1f}{rate}"
                     f"  {ratio:5.2f}x{note}")  # fmt: skip
    return "\n".join(lines)
