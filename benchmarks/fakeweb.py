"""A fake web on loopback for the resolve benchmark: shorteners, chains, duplicates and faults.

Every "site" is its own loopback address (127.0.0.11 … 127.0.0.40, one port), so per-host politeness limits
(ours, minet's --domain-parallelism) see a realistic spread of hosts. Each response waits ``latency``.

Unique link u:  http://<shortener a>/s/u --301--> http://<shortener b>/t/u --301--> http://<site>/a/u (200)
  5 % answer 429 (Retry-After: 0) to their first request, then behave;
  5 % end in 404 at /a/u (dead);
  2 % reach /a/u as a 200 page whose <meta http-equiv=refresh> leads to /b/u (one more hop).

Run as a process: ``python fakeweb.py PORT LATENCY_MS N_UNIQUE``; it prints "ready" when listening.
GET /__stats on 127.0.0.11 returns {"requests": n, "connections": n, "peak": n} and resets the counters; "peak" is
the most requests that were being answered at once (what a client's concurrency limit allowed). GET /__times
returns each request answered since the last call as [arrived, answered] (wall-clock seconds) and forgets them;
requests are recorded only once it has been asked for (benchmarks/timeline.py does, to read a run's requests in
flight over time), so the other benchmarks' runs pay nothing for it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from aiohttp import web

SHORTENERS = [f"127.0.0.{i}" for i in range(11, 21)]
SITES = [f"127.0.0.{i}" for i in range(21, 41)]


def link_kind(u: int) -> str:
    if u % 20 == 7:
        return "429"
    if u % 20 == 13:
        return "dead"
    if u % 50 == 21:
        return "refresh"
    return "plain"


def first_url(u: int, port: int) -> str:
    return f"http://{SHORTENERS[u % len(SHORTENERS)]}:{port}/s/{u}"


def expected(u: int, port: int) -> tuple[str, str]:
    """(status, final URL) a correct resolver reports for unique link u."""
    site = f"http://{SITES[u % len(SITES)]}:{port}"
    kind = link_kind(u)
    if kind == "dead":
        return "dead", f"{site}/a/{u}"
    if kind == "refresh":
        return "ok", f"{site}/b/{u}"
    return "ok", f"{site}/a/{u}"


def make_app(port: int, latency: float) -> web.Application:
    stats = {"requests": 0, "transports": set(), "peak": 0}
    answering = [0]
    throttled: set[int] = set()
    times: list[tuple[float, float]] = []  # [arrived, answered] of each request since the last /__times
    recording = [False]  # from the first /__times on

    async def handle(request: web.Request) -> web.Response:
        path = request.path
        if path == "/__times":
            answered = list(times)
            times.clear()
            recording[0] = True
            return web.json_response(answered)
        if not recording[0]:
            return await answer(request, path)
        arrived = time.time()
        try:
            return await answer(request, path)
        finally:
            if path != "/__stats":
                times.append((arrived, time.time()))

    async def answer(request: web.Request, path: str) -> web.Response:
        stats["requests"] += 1  # type: ignore[operator]
        stats["transports"].add(id(request.transport))  # type: ignore[attr-defined]
        if path == "/__stats":
            body = {"requests": stats["requests"] - 1, "connections": len(stats["transports"]) - 1,  # type: ignore[arg-type, operator]
                    "peak": stats["peak"]}  # fmt: skip
            stats["requests"] = 0
            stats["transports"] = set()
            stats["peak"] = 0
            throttled.clear()
            return web.json_response(body)
        answering[0] += 1
        stats["peak"] = max(stats["peak"], answering[0])  # type: ignore[call-overload]
        try:
            await asyncio.sleep(latency)
        finally:
            answering[0] -= 1
        step, _, ident = path.strip("/").partition("/")
        u = int(ident) if ident.isdigit() else -1
        if step == "s":
            if link_kind(u) == "429" and u not in throttled:
                throttled.add(u)
                return web.Response(status=429, text="slow down", headers={"Retry-After": "0"})
            nxt = f"http://{SHORTENERS[(u + 3) % len(SHORTENERS)]}:{port}/t/{u}"
            return web.Response(status=301, headers={"Location": nxt})
        if step == "t":
            return web.Response(status=301, headers={"Location": f"http://{SITES[u % len(SITES)]}:{port}/a/{u}"})
        if step == "a":
            if link_kind(u) == "dead":
                return web.Response(status=404, text="<html><title>Not found</title></html>", content_type="text/html")
            if link_kind(u) == "refresh":
                html = (
                    f'<html><head><meta http-equiv="refresh" content="0;url=/b/{u}"><title>moved</title></head></html>'
                )
                return web.Response(text=html, content_type="text/html")
            return web.Response(
                text=f"<html><head><title>Article {u}</title></head><body>x</body></html>", content_type="text/html"
            )
        if step == "b":
            return web.Response(
                text=f"<html><head><title>Article {u} (b)</title></head></html>", content_type="text/html"
            )
        return web.Response(status=404)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    return app


async def main(port: int, latency_ms: float) -> None:
    runner = web.AppRunner(make_app(port, latency_ms / 1000), access_log=None, keepalive_timeout=75)
    await runner.setup()
    for host in SHORTENERS + SITES:
        await web.TCPSite(runner, host, port, backlog=1024).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
    print(json.dumps({}))
