"""The cluster's shared rate meter: one GCRA per site in a real (loopback) Redis, shared by several meters.

The arithmetic is checked on a clock of the test's own (passed to the scripts, so Redis's clock plays no
part): exact reservation times, pauses, sites apart. Then several meters in several threads, each with its
own event loop, on the real clock: bounds a slow machine cannot break ("at most rate + 1 starts in any
one-second window": slowness only lowers the count; "it did wait at least this long": the meter's pacing).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from tests.cluster_support import most_in_one_second, redis_missing, redis_server

pytestmark = pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing()))


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return f"test:{request.node.name}:"  # each test's keys apart from the others'


class FakeTime:
    """A clock that moves only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def meters(url: str, prefix: str, time_: FakeTime, n: int, rate: float | None = 5.0) -> list:
    from resolver.cluster import RedisRateMeter

    return [
        RedisRateMeter.from_url(url, rate, prefix=prefix, clock=time_.clock, sleep=time_.sleep, jitter=lambda _: 0.0)
        for _ in range(n)
    ]


async def close(*ms: object) -> None:
    for m in ms:
        await m.aclose()  # type: ignore[attr-defined]


def test_starts_are_spaced_by_the_interval_whichever_meter_asks(redis_url: str, prefix: str) -> None:
    fake = FakeTime()

    async def go() -> list[float]:
        a, b = meters(redis_url, prefix, fake, 2)
        starts = []
        for i in range(6):  # two workers taking turns at one site (two hosts of it)
            await (a if i % 2 else b).acquire(f"https://h{i % 2}.example.com/{i}")
            starts.append(round(fake.now - 1_000.0, 6))
        await close(a, b)
        return starts

    assert asyncio.run(go()) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # 1/5 s apart: 6 in the closed second [0, 1]


def test_a_slot_further_off_than_one_interval_is_not_reserved(redis_url: str, prefix: str) -> None:
    """Two concurrent askers at one instant: the first goes now, the second holds the next slot, the third
    is told to come back (so that a pause set meanwhile can still hold it)."""
    from redis.asyncio import Redis

    from resolver.cluster.meter import _ACQUIRE

    async def go() -> list[list[str]]:
        redis = Redis.from_url(redis_url, decode_responses=True)
        script = redis.register_script(_ACQUIRE)
        keys = [f"{prefix}s:tat", f"{prefix}s:pause"]
        answers = [await script(keys=keys, args=[0.25, "me", 50.0]) for _ in range(3)]
        later = await script(keys=keys, args=[0.25, "me", 50.3])
        await redis.aclose()
        return [*answers, later]

    first, second, third, later = asyncio.run(go())
    assert first == [1, "0.000000"]
    assert second == [1, "0.250000"]
    assert third == [0, "0.250000"]  # its slot (0.5) is 0.5 away: come back in 0.25 s
    assert later == [1, "0.200000"]  # at 50.3 the slot at 50.5 is within reach: reserved, 0.2 s to wait


def test_sites_are_metered_apart(redis_url: str, prefix: str) -> None:
    fake = FakeTime()

    async def go() -> None:
        (a,) = meters(redis_url, prefix, fake, 1)
        for _ in range(3):
            await a.acquire("https://busy.example.com/")
        await a.acquire("https://quiet.example.org/")  # its own bucket: no wait
        await close(a)

    asyncio.run(go())
    assert fake.slept == [0.2, 0.2]  # the busy site's second and third starts only


def test_a_pause_holds_every_worker_but_the_task_that_was_told(redis_url: str, prefix: str) -> None:
    fake = FakeTime()

    async def go() -> None:
        told, other = meters(redis_url, prefix, fake, 2, rate=0)

        async def told_task() -> None:
            told.pause("https://a.example.com/x", 7.5)  # a 429 with Retry-After: 7.5
            await told.acquire("https://a.example.com/x")  # its own retry wait covers it: not held twice

        await asyncio.create_task(told_task())
        assert fake.slept == []
        await other.acquire("https://b.example.com/y")  # another worker, the same site: held
        await other.acquire("https://other.example.org/")  # another site: not held
        await close(told, other)

    asyncio.run(go())
    assert fake.slept == [7.5]


def test_a_pause_only_grows(redis_url: str, prefix: str) -> None:
    fake = FakeTime()

    async def go() -> None:
        a, b = meters(redis_url, prefix, fake, 2, rate=0)
        a.pause("https://example.com/", 10)
        await a.settled()  # in Redis (``pause`` sends in the background; another worker sees it only then)
        a.pause("https://example.com/", 2)  # a shorter Retry-After, later, does not shorten the pause
        await a.settled()
        await b.acquire("https://example.com/")
        await close(a, b)

    asyncio.run(go())
    assert fake.slept == [10.0]


def test_keys_expire_so_redis_keeps_no_site_for_ever(redis_url: str, prefix: str) -> None:
    import redis

    async def go() -> None:
        from resolver.cluster import RedisRateMeter

        meter = RedisRateMeter.from_url(redis_url, 5.0, prefix=prefix)
        await meter.acquire("https://example.com/")
        meter.pause("https://example.com/", 3)
        await meter.aclose()

    asyncio.run(go())
    client = redis.Redis.from_url(redis_url)
    ttls = [client.pttl(key) for key in client.keys(f"{prefix}*")]
    client.close()
    assert len(ttls) == 2
    assert all(0 < ttl <= 4_000 for ttl in ttls)


def test_a_meter_that_cannot_reach_redis_fails_rather_than_start_unmetered() -> None:
    from resolver.cluster import RedisRateMeter, SharedMeterError
    from tests.cluster_support import free_port

    async def go() -> None:
        meter = RedisRateMeter.from_url(f"redis://127.0.0.1:{free_port()}/0", 5.0)
        try:
            await meter.acquire("https://example.com/")
        finally:
            await meter.aclose()

    with pytest.raises(SharedMeterError, match="shared rate meter"):
        asyncio.run(go())


def test_workers_in_their_own_event_loops_keep_the_rate_together(redis_url: str, prefix: str) -> None:
    """Three "workers" (threads, each with its own loop and its own meter), 8 concurrent acquires each,
    one site: at most rate + 1 starts in any one-second window, summed; and they did pace."""
    from resolver.cluster import RedisRateMeter

    rate = 10.0
    starts: list[float] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        async def go() -> None:
            meter = RedisRateMeter.from_url(redis_url, rate, prefix=prefix)

            async def one(i: int) -> None:
                await meter.acquire(f"https://w{n}.example.net/{i}")
                with lock:
                    starts.append(time.monotonic())

            await asyncio.gather(*(one(i) for i in range(8)))
            await meter.aclose()

        asyncio.run(go())

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(starts) == 24
    assert most_in_one_second(starts) <= rate + 1
    assert max(starts) - min(starts) >= 23 / rate * 0.95  # 23 gaps of 1/rate s
