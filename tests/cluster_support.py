"""For the cluster tests: a loopback Redis, and a fake web whose redirect chains cross sites.

``redis_server()`` starts Debian's ``redis-server`` on 127.0.0.1 on a free port, keeping nothing on disk;
``dask_scheduler()`` a Dask scheduler and its worker processes as a real cluster's are started (``dask
scheduler``, ``dask worker``), on 127.0.0.1, for ``resolver cluster --scheduler ADDRESS``.

The fake web's sites are loopback addresses (one port): four first hops ("shorteners" 127.0.0.11–14), one
hub every chain passes through second (127.0.0.20, a later-hop site like bit.ly behind t.co), and four
article sites (127.0.0.21–24). Link ``u``:

    http://127.0.0.{11 + u % 4}:PORT/s/u
      --301--> http://127.0.0.20:PORT/h/u
      --301--> http://127.0.0.{21 + u % 4}:PORT/a/u

``u % 10 == 3`` ends in 404 (dead). Each response waits ``latency``. Every request's arrival is recorded
(monotonic time, site address, path), so a test can count the starts any site got in any second.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

FIRST = [f"127.0.0.{i}" for i in range(11, 15)]
HUB = "127.0.0.20"
ARTICLE_SITES = [f"127.0.0.{i}" for i in range(21, 25)]
WAYBACK = "127.0.0.30"  # answers /cdx like the Wayback Machine's CDX API (a capture of every even article)


@dataclass
class Arrivals:
    log: list[tuple[float, str, str]] = field(default_factory=list)  # (time, site, path)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, site: str, path: str) -> None:
        with self.lock:
            self.log.append((time.monotonic(), site, path))

    def take(self) -> list[tuple[float, str, str]]:
        with self.lock:
            taken, self.log = self.log, []
        return taken


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_missing() -> str | None:
    """Why the cluster tests cannot run here (the extra or redis-server missing), or None."""
    from resolver.cluster import missing_extra

    if (module := missing_extra()) is not None:
        return f"the cluster extra is not installed ({module}): pip install -e '.[cluster]'"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (Debian: apt-get install -y redis-server)"
    return None


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server of our own on 127.0.0.1 (a free port, nothing saved to disk); its URL."""
    import redis

    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(200):  # up within a few seconds, or the test says so
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {process.returncode}") from None
                time.sleep(0.02)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _stopped(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextmanager
def dask_scheduler(folder: Path, workers: int) -> Iterator[str]:
    """A Dask scheduler on 127.0.0.1 and ``workers`` worker processes (one thread each), started the way a
    cluster's are (the ``dask scheduler`` / ``dask worker`` commands, a scheduler file between them); the
    scheduler's address, once every worker has joined."""
    from distributed import Client

    scheduler_file = folder / "scheduler.json"
    quiet: dict[str, object] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    cli = [sys.executable, "-m"]
    with ExitStack() as stack:
        scheduler = subprocess.Popen([*cli, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                      "--no-dashboard", "--scheduler-file", str(scheduler_file)], **quiet)  # type: ignore[call-overload]  # fmt: skip
        stack.callback(_stopped, scheduler)
        for _ in range(600):  # the scheduler writes its file once it listens
            if scheduler_file.is_file() and scheduler_file.stat().st_size:
                break
            if scheduler.poll() is not None:
                raise RuntimeError(f"dask scheduler exited with {scheduler.returncode}")
            time.sleep(0.05)
        address = str(json.loads(scheduler_file.read_text("utf-8"))["address"])
        worker = subprocess.Popen([*cli, "distributed.cli.dask_worker", "--scheduler-file", str(scheduler_file),
                                   "--nworkers", str(workers), "--nthreads", "1", "--host", "127.0.0.1",
                                   "--no-dashboard"], **quiet)  # type: ignore[call-overload]  # fmt: skip
        stack.callback(_stopped, worker)
        with Client(address) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address


def first_url(u: int, port: int) -> str:
    return f"http://{FIRST[u % len(FIRST)]}:{port}/s/{u}"


def most_in_one_second(starts: list[float]) -> int:
    """The most starts in any one-second window."""
    starts = sorted(starts)
    best, j = 0, 0
    for i, t in enumerate(starts):
        while starts[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def per_site_peak(log: list[tuple[float, str, str]]) -> dict[str, int]:
    sites: dict[str, list[float]] = {}
    for t, site, _ in log:
        sites.setdefault(site, []).append(t)
    return {site: most_in_one_second(times) for site, times in sites.items()}


def _app(port: int, latency: float, arrivals: Arrivals) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        site = request.host.rsplit(":", 1)[0]
        arrivals.add(site, request.path)
        await asyncio.sleep(latency)
        if request.path == "/cdx":
            target = request.query.get("url", "")
            u = int(target.rsplit("/", 1)[-1]) if target.rsplit("/", 1)[-1].isdigit() else 1
            line = f"key 2024010{u % 9 + 1}120000 {target} text/html 200 DIGEST{u} 100\n"
            return web.Response(text=line if u % 2 == 0 else "", content_type="text/plain")
        step, _, ident = request.path.strip("/").partition("/")
        u = int(ident) if ident.isdigit() else -1
        if step == "s":
            return web.Response(status=301, headers={"Location": f"http://{HUB}:{port}/h/{u}"})
        if step == "h":
            article = ARTICLE_SITES[u % len(ARTICLE_SITES)]
            return web.Response(status=301, headers={"Location": f"http://{article}:{port}/a/{u}"})
        if step == "a" and u % 10 != 3:
            return web.Response(text=f"<html><head><title>Article {u}</title></head></html>", content_type="text/html")
        return web.Response(status=404, text="<html><title>Not found</title></html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    return app


@contextmanager
def fake_web(port: int, latency: float = 0.02) -> Iterator[Arrivals]:
    """Serve the fake web on every site address at ``port`` (in a thread) while the block runs."""
    arrivals = Arrivals()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner = web.AppRunner(_app(port, latency, arrivals), access_log=None)

    async def start() -> None:
        await runner.setup()
        for host in [*FIRST, HUB, *ARTICLE_SITES, WAYBACK]:
            await web.TCPSite(runner, host, port).start()
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield arrivals
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
