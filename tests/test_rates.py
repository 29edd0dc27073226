"""The per-site rate meter: every attempt of every hop asks it first; a Retry-After pauses the site for all.

Timing assertions here are bounds a slow machine cannot break: "at most rate + 1 starts in any one-second
window" (slowness only lowers the count) and "did wait at least this long" (the meter's own pacing).
"""

from __future__ import annotations

import asyncio
import time

import httpx

from resolver import defaults
from resolver.net import LocalRateMeter, RetryPolicy, make_client
from resolver.net.rates import rate_for, site_key
from resolver.resolve.hops import ResolveOptions, resolve_url


def most_in_one_second(starts: list[float]) -> int:
    starts = sorted(starts)
    best, j = 0, 0
    for i, t in enumerate(starts):
        while starts[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_sites_are_registrable_domains() -> None:
    assert site_key("https://news.bbc.co.uk/a") == site_key("http://www.bbc.co.uk/b") == "bbc.co.uk"
    assert site_key("https://alice.github.io/") != site_key("https://bob.github.io/")
    assert site_key("http://127.0.0.1:8080/x") == "127.0.0.1"


def test_default_rates_and_the_option() -> None:
    assert rate_for("example.com", None) == defaults.RATE
    assert rate_for("t.co", None) == defaults.SITE_RATES["t.co"]
    assert rate_for("127.0.0.1", None) is None  # the user's own machine: no default rate
    assert rate_for("10.1.2.3", None) is None
    assert rate_for("127.0.0.1", 3.0) == 3.0  # --rate applies everywhere, t.co and loopback too
    assert rate_for("t.co", 3.0) == 3.0
    assert rate_for("example.com", 0) is None  # --rate 0: no limit


def test_a_pause_holds_every_other_task_for_the_site() -> None:
    now = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    meter = LocalRateMeter(0, clock=lambda: now[0], sleep=fake_sleep)

    async def told() -> None:
        meter.pause("https://a.example.com/x", 7.5)  # one task got a 429 with Retry-After: 7.5

    async def go() -> None:
        await asyncio.create_task(told())
        await meter.acquire("https://b.example.com/y")  # the same site, another task: waits
        await meter.acquire("https://other.example.org/")  # another site: does not

    asyncio.run(go())
    assert slept == [7.5]


def test_the_task_told_to_wait_is_not_held_twice() -> None:
    """It sleeps through its own retry wait (the policy's); only the others wait on the pause."""
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    meter = LocalRateMeter(0, clock=lambda: now[0], sleep=fake_sleep)

    async def told() -> None:
        meter.pause("https://example.com/", 5)
        await meter.acquire("https://example.com/")

    asyncio.run(told())
    assert slept == []


def test_starts_are_spaced_never_a_burst() -> None:
    meter = LocalRateMeter(20)
    starts: list[float] = []

    async def one(i: int) -> None:
        await meter.acquire(f"https://host{i % 3}.example.com/{i}")  # three hosts, one site
        starts.append(time.monotonic())

    async def go() -> None:
        await asyncio.gather(*(one(i) for i in range(25)))

    asyncio.run(go())
    assert most_in_one_second(starts) <= 21
    assert max(starts) - min(starts) >= 24 / 20 * 0.95  # it did pace: 24 gaps of 1/20 s


def test_every_attempt_of_every_hop_is_metered_across_the_site() -> None:
    """t.example → s.example.org → page.example.org: the later hops' site is metered too, and a 503's retry
    counts as a start like any other."""
    starts: dict[str, list[float]] = {}
    served: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        site = site_key(str(request.url))
        starts.setdefault(site, []).append(time.monotonic())
        served[str(request.url)] = served.get(str(request.url), 0) + 1
        n = request.url.path.rsplit("/", 1)[-1]
        if host == "t.example":
            return httpx.Response(301, headers={"Location": f"https://s.example.org/s/{n}"})
        if host == "s.example.org":
            if served[str(request.url)] == 1 and int(n) % 4 == 0:
                return httpx.Response(503)  # retried: one more start at the site
            return httpx.Response(301, headers={"Location": f"https://page.example.org/a/{n}"})
        return httpx.Response(200, html=f"<title>{n}</title>")

    async def no_wait(seconds: float) -> None:
        return None

    async def go() -> None:
        options = ResolveOptions(policy=RetryPolicy(attempts=3, sleep=no_wait))
        async with make_client(transport=httpx.MockTransport(handler), rate=10) as client:
            results = await asyncio.gather(*(resolve_url(f"https://t.example/{n}", client, options) for n in range(12)))
        assert all(r.status == "ok" for r in results)

    asyncio.run(go())
    assert len(starts["example.org"]) == 12 * 2 + 3  # two hops each, three 503 retries
    assert most_in_one_second(starts["example.org"]) <= 11
    assert most_in_one_second(starts["t.example"]) <= 11
