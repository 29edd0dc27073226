"""``resolver cluster`` on a local Dask cluster (2 worker processes), a loopback redis-server and a fake web
on 127.0.0.x whose redirect chains cross sites (tests/cluster_support.py).

(a) the cluster's records are the single-process ``resolve`` run's, line for line; (b) no site gets more
than ``--rate`` + 1 request starts in any one-second window, summed over the workers (the hub every chain
passes through second is reached from every host partition); (c) a worker SIGKILLed mid-run, or the whole
run killed, and the command run again: every URL answered exactly once in the run folder, none asked for
again once answered, and the records complete.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster_support import (
    ARTICLE_SITES,
    HUB,
    WAYBACK,
    dask_scheduler,
    fake_web,
    first_url,
    free_port,
    per_site_peak,
    redis_missing,
    redis_server,
)

RATE = 5
ARTICLES = 12
LINKS_EACH = 5
DISTINCT = 40  # link u = (4a + k) mod 40: neighbouring articles share a link, the last ones wrap around

needs_cluster = pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing()))


def write_articles(directory: Path, port: int) -> None:
    directory.mkdir()
    for a in range(ARTICLES):
        links = [first_url((4 * a + k) % DISTINCT, port) for k in range(LINKS_EACH)]
        body = "\n".join(f"Item {k}: see {url} for more." for k, url in enumerate(links))
        (directory / f"article-{a:02d}.txt").write_text(f"Article {a}\n\n{body}\n", "utf-8")


def resolver(*args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "resolver", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)  # type: ignore[call-overload]  # fmt: skip


def finish(process: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


class World:
    def __init__(self, root: Path, port: int, redis: str, arrivals: object) -> None:
        self.root = root
        self.port = port
        self.redis = redis
        self.arrivals = arrivals
        self.articles = root / "articles"
        self.reference: list[str] = []

    def cluster(self, run_dir: Path, out: Path, *more: str, where: tuple[str, ...] = ("--local", "2"),
                **popen: object) -> subprocess.Popen[str]:  # fmt: skip
        return resolver(
            "cluster", str(self.articles), *where, "--redis", self.redis, "--rate", str(RATE),
            "--allow-host", "127.0.0.0/8", "--run-dir", str(run_dir), "--partition-size", "3", "--chunk", "4",
            "-o", str(out), "--format", "jsonl", *more, **popen,
        )  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if (why := redis_missing()) is not None:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("cluster")
    port = free_port()
    with redis_server() as redis, fake_web(port) as arrivals:
        w = World(root, port, redis, arrivals)
        write_articles(w.articles, port)
        ref = root / "reference.jsonl"
        code, err = finish(resolver("resolve", str(w.articles), "--no-cache", "--allow-host", "127.0.0.0/8",
                                    "-q", "-o", str(ref), "--format", "jsonl"))  # fmt: skip
        assert code == 0, err
        w.reference = ref.read_text("utf-8").splitlines()
        arrivals.take()  # type: ignore[attr-defined]
        yield w


def answers(run_dir: Path) -> list[dict[str, object]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, object]] = []
    for path in sorted((run_dir / "answers").glob("*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def resolutions_by_key(run_dir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in answers(run_dir):
        if row["kind"] == "resolution":
            counts[str(row["key"])] = counts.get(str(row["key"]), 0) + 1
    return counts


def expected_keys(port: int) -> set[str]:
    return {first_url(u, port) for u in range(DISTINCT)}


def requests_per_chain(log: list[tuple[float, str, str]]) -> dict[str, int]:
    """How often each hop of the fake web's chains was asked for (/s/u, /h/u, /a/u)."""
    return dict(Counter(f"{site}{path}" for _, site, path in log))


def one_request_per_hop(port: int) -> dict[str, int]:
    hops = [first_url(u, port).removeprefix("http://").replace(f":{port}", "") for u in range(DISTINCT)]
    hops += [f"{HUB}/h/{u}" for u in range(DISTINCT)]
    hops += [f"{ARTICLE_SITES[u % len(ARTICLE_SITES)]}/a/{u}" for u in range(DISTINCT)]
    return dict.fromkeys(hops, 1)


def resolve_tasks(run_dir: Path) -> set[str]:
    """The host-shuffle partitions (resolve tasks) that wrote answer chunks."""
    return {m.group(1) for p in (run_dir / "answers").glob("*.parquet") if (m := re.search(r"-scan-(\d+)-", p.name))}


@needs_cluster
def test_the_cluster_makes_resolves_records_and_keeps_every_site_within_its_rate(world: World) -> None:
    out = world.root / "cluster.jsonl"
    run_dir = world.root / "run-ab"
    code, err = finish(world.cluster(run_dir, out))
    log = world.arrivals.take()  # type: ignore[attr-defined]
    assert code == 0, err
    # (a) the same records, in the same order
    assert out.read_text("utf-8").splitlines() == world.reference
    assert len(world.reference) == ARTICLES * LINKS_EACH
    # one request chain per distinct URL, all workers together: every hop of every chain asked for once
    assert requests_per_chain(log) == one_request_per_hop(world.port)
    assert len(resolve_tasks(run_dir)) >= 2  # the URLs were shuffled to more than one resolve task
    # the rate had to bind: the hub alone got one request per distinct link (8 s of them at 5 a second),
    # from every resolve task, since every chain passes through it
    # (b) no site above rate + 1 starts in any one-second window, all workers together
    peaks = per_site_peak(log)
    assert max(peaks.values()) <= RATE + 1, peaks
    # the records are also Parquet, in order, one file per article partition
    import pyarrow.parquet as pq

    parquet = sorted(run_dir.glob("runs/*/records/part-*.parquet"))
    assert len(parquet) == ARTICLES // 3
    rows = [json.loads(r) for p in parquet for r in pq.read_table(p, columns=["record"]).column("record").to_pylist()]
    assert rows == [json.loads(line) for line in world.reference]
    assert resolutions_by_key(run_dir) == dict.fromkeys(expected_keys(world.port), 1)


@needs_cluster
def test_on_a_scheduler_and_again_the_second_run_sends_no_request_for_what_is_answered(world: World) -> None:
    """The first run on a cluster started as a real one is (``dask scheduler``, ``dask worker``: --scheduler
    ADDRESS), the second on --local workers, on the same run folder: the anti-join leaves it nothing to ask."""
    run_dir = world.root / "run-again"
    with dask_scheduler(world.root, workers=2) as address:
        out = world.root / "again-0.jsonl"
        code, err = finish(world.cluster(run_dir, out, "-q", where=("--scheduler", address)))
    log = world.arrivals.take()  # type: ignore[attr-defined]
    assert code == 0, err
    assert out.read_text("utf-8").splitlines() == world.reference
    assert requests_per_chain(log) == one_request_per_hop(world.port)

    out = world.root / "again-1.jsonl"
    code, err = finish(world.cluster(run_dir, out))
    log = world.arrivals.take()  # type: ignore[attr-defined]
    assert code == 0, err
    assert out.read_text("utf-8").splitlines() == world.reference
    assert log == []  # every URL answered in the run folder: nothing asked again
    assert f"{DISTINCT} distinct URLs: {DISTINCT} known, 0 resolved" in err  # what the anti-join left
    assert resolutions_by_key(run_dir) == dict.fromkeys(expected_keys(world.port), 1)


@needs_cluster
def test_the_control_without_the_shared_meter_a_later_hop_site_gets_its_rate_once_per_worker(world: World) -> None:
    """What the shared meter is for, and proof that the bound above can fail: the same run with each task
    metering on its own (no Redis) keeps every first-hop site (one task each) within its rate, but the hub
    behind them, reached from the tasks of both workers at once, gets about twice it."""
    from resolver.cluster import ClusterSettings, MeterSpec, connect, run_cluster

    settings = ClusterSettings(run_dir=world.root / "run-control", run_id="control", meter=MeterSpec(None, RATE),
                               allow_hosts=("127.0.0.0/8",), answer_chunk=4)  # fmt: skip
    with connect(None, 2) as client:
        run_cluster([str(world.articles)], settings, client, partition_size=3)
    log = world.arrivals.take()  # type: ignore[attr-defined]
    assert requests_per_chain(log) == one_request_per_hop(world.port)
    assert per_site_peak(log)[HUB] > RATE + 1  # measured: 11 (two workers at 5 a second each)


def _workers(pid: int) -> list[object]:
    import psutil

    return [c for c in psutil.Process(pid).children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]


def _wait_for_hub_requests(world: World, n: int, process: subprocess.Popen[str]) -> list[tuple[float, str, str]]:
    seen: list[tuple[float, str, str]] = []
    for _ in range(1200):  # at most a minute
        seen.extend(world.arrivals.take())  # type: ignore[attr-defined]
        if sum(1 for _, site, _ in seen if site == HUB) >= n or process.poll() is not None:
            break
        time.sleep(0.05)
    return seen


@needs_cluster
@pytest.mark.parametrize("kill", ["a worker", "the whole run"])
def test_a_run_killed_midway_and_run_again_loses_no_answer_and_doubles_none(world: World, kill: str) -> None:
    run_dir = world.root / f"run-killed-{kill.replace(' ', '-')}"
    first = world.cluster(run_dir, world.root / "killed.jsonl", "-q", start_new_session=True)
    seen = _wait_for_hub_requests(world, DISTINCT // 3, first)
    assert first.poll() is None, "the run ended before it could be killed"
    if kill == "a worker":
        victim = _workers(first.pid)[0]
        os.kill(victim.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        code, err = finish(first)
        assert code == 0, err  # Dask ran the lost worker's tasks again on a worker that lives
        assert (world.root / "killed.jsonl").read_text("utf-8").splitlines() == world.reference
    else:
        os.killpg(first.pid, signal.SIGKILL)  # the command and its workers, at once
        finish(first, timeout=30)
    time.sleep(0.5)
    seen.extend(world.arrivals.take())  # type: ignore[attr-defined]
    answered_first = set(resolutions_by_key(run_dir))

    out = world.root / "after.jsonl"
    code, err = finish(world.cluster(run_dir, out, "-q"))
    again = world.arrivals.take()  # type: ignore[attr-defined]
    assert code == 0, err
    assert out.read_text("utf-8").splitlines() == world.reference  # nothing lost
    counts = resolutions_by_key(run_dir)
    assert set(counts) == expected_keys(world.port)  # every URL answered…
    assert set(counts.values()) == {1}  # …exactly once
    asked_again = {f"http://{site}:{world.port}{path}" for _, site, path in again if path.startswith("/s/")}
    assert asked_again.isdisjoint(answered_first)  # what was kept was not asked for again
    if kill == "the whole run":
        assert answered_first, "the kill came before any chunk was written: nothing was tested"


def test_the_command_says_how_to_get_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import resolver.cluster
    from resolver.cli import app

    monkeypatch.setattr(resolver.cluster, "missing_extra", lambda: "distributed")
    (tmp_path / "a.txt").write_text("https://example.com/\n", "utf-8")
    result = CliRunner().invoke(app, ["cluster", str(tmp_path / "a.txt"), "--local", "1"])
    assert result.exit_code == 2
    assert "pip install -e '.[cluster]'" in result.output
    assert "distributed" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "--scheduler ADDRESS or --local N"),
        (["--local", "2", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler ADDRESS or --local N"),
        (["--local", "2"], "--redis URL is needed"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--redis URL is needed"),
        (["--local", "1", "--save"], "--save goes with --archive"),
    ],
)
def test_usage_errors(args: list[str], says: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from resolver.cli import app

    (tmp_path / "a.txt").write_text("https://example.com/\n", "utf-8")
    result = CliRunner().invoke(app, ["cluster", str(tmp_path / "a.txt"), *args])
    assert result.exit_code == 2
    assert says in " ".join(result.output.split())


@needs_cluster
def test_with_archive_the_records_are_archives_and_the_wayback_lane_is_one_task(world: World) -> None:
    """--archive: the records ``archive`` makes of fresh articles (each cited source's capture, or none),
    the Wayback lookups made by one task at the archive stage's spacing (here a CDX on the fake web)."""
    import asyncio

    from resolver.archive import Archiver, archive_records
    from resolver.archive.ledger import NewlyDead
    from resolver.cluster import ArchiveSpec, ClusterSettings, MeterSpec, connect, run_cluster
    from resolver.cluster.records import read_records
    from resolver.cluster.wayback import archive_options
    from resolver.net import make_client
    from resolver.pipeline import resolve_findings
    from resolver.read import read_source
    from resolver.scan import scan
    from resolver.store import MemoryStore

    spec = ArchiveSpec(cdx_url=f"http://{WAYBACK}:{world.port}/cdx", cdx_interval=0.05)
    settings = ClusterSettings(run_dir=world.root / "run-archive", run_id="archive", meter=MeterSpec(world.redis),
                               allow_hosts=("127.0.0.0/8",), archive=spec, answer_chunk=4)  # fmt: skip
    with connect(None, 2) as client:
        outcome = run_cluster([str(world.articles)], settings, client, partition_size=3)
    log = world.arrivals.take()  # type: ignore[attr-defined]
    got = list(read_records(outcome.record_files()))

    async def single_process() -> list[dict[str, object]]:
        findings = [f for p in sorted(world.articles.iterdir()) for f in scan(read_source(str(p)))]
        async with make_client(allow_hosts=("127.0.0.0/8",)) as http:
            records = await resolve_findings(findings, client=http, store=MemoryStore())
            archiver = Archiver(http, MemoryStore(), archive_options(spec), allow_private=False)
            archived = await archive_records(records, archiver)
        flagger = NewlyDead(MemoryStore())
        return [flagger.flag(r).to_dict() for r in archived]

    expected = asyncio.run(single_process())
    world.arrivals.take()  # type: ignore[attr-defined]
    assert got == expected
    cited = {r["canonical_url"] for r in expected if r["status"] == "ok"}
    assert any(r["archive"] and r["archive"]["wayback_url"] for r in got)  # type: ignore[index]
    assert not any(r["archive"] and r["archive"]["error"] for r in got)  # type: ignore[index]
    assert sum(1 for _, _, path in log if path == "/cdx") == len(cited)  # each cited source asked once
    assert outcome.archived is not None and outcome.archived.tasks == 1
