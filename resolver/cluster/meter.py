"""The cluster run's rate meter: one GCRA per site in Redis, shared by every worker of the run.

GCRA (the generic cell rate algorithm, as redis-cell and most API gateways use it) keeps, per site, one
number in Redis: the theoretical arrival time ``tat`` of the next start. A start asked for at server time
``now`` may go at ``max(tat, now)``; ``tat`` then moves on by the emission interval ``T = 1 / rate``. With
no burst tolerance, starts to one site are at least ``T`` apart whichever worker makes them, so any
one-second window holds at most ``rate + 1`` of them — the promise :class:`~resolver.net.LocalRateMeter`
keeps in one process.

The Lua scripts run atomically on the server and read its clock (``TIME``), so the workers' clocks need
not agree. A slot is reserved only when it is at most ``T`` away: the caller sleeps until it and starts.
One further off is not reserved; the caller sleeps until it comes within reach and asks again, so a pause
set meanwhile (a ``Retry-After``) holds back every start that has not been given its slot yet. A pause
lives in Redis too, so it holds for every worker; the task that was told sleeps through it on its own
(its retry wait), as with the local meter.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ResolverError
from ..net.rates import rate_for, site_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

PREFIX = "resolver:rate:"

# The server's clock, unless the caller gives one (tests do: their clock is their own).
_NOW = """
local now
if ARGV[3] then
  now = tonumber(ARGV[3])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""

# KEYS: tat, pause. ARGV: interval (s), caller's token[, now]. Returns {reserved 0|1, seconds to sleep}
# (as text: Redis turns Lua numbers into integers).
_ACQUIRE = (
    _NOW
    + """
local paused = redis.call('GET', KEYS[2])
if paused then
  local bar = string.find(paused, '|', 1, true)
  local till = tonumber(string.sub(paused, 1, bar - 1))
  if till > now and string.sub(paused, bar + 1) ~= ARGV[2] then
    return {0, string.format('%.6f', till - now)}
  end
end
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
local wait = start - now
if wait > interval + 0.000001 then  -- (a microsecond of slack: the times are kept to the microsecond)
  return {0, string.format('%.6f', wait - interval)}
end
redis.call('SET', KEYS[1], string.format('%.6f', start + interval), 'PX', math.ceil((wait + interval) * 1000) + 1000)
return {1, string.format('%.6f', wait)}
"""
)

# KEYS: pause. ARGV: seconds, caller's token[, now]. A pause only ever grows.
_PAUSE = (
    _NOW
    + """
local till = now + tonumber(ARGV[1])
local current = redis.call('GET', KEYS[1])
if current then
  local bar = string.find(current, '|', 1, true)
  if tonumber(string.sub(current, 1, bar - 1)) >= till then
    return 0
  end
end
local ms = math.ceil(tonumber(ARGV[1]) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', till) .. '|' .. ARGV[2], 'PX', ms)
return 1
"""
)


class SharedMeterError(ResolverError):
    """The shared meter (Redis) could not be asked: no request may start unmetered, so the task fails."""


@dataclass(frozen=True)
class MeterSpec:
    """How a task makes its meter (a meter holds connections, so it is made in the task's own event loop).

    ``redis``: the URL of the Redis every worker shares; None: each task meters on its own (one worker only:
    with several, a site may get several times its rate). ``rate``: ``--rate`` (None: each site's default)."""

    redis: str | None
    rate: float | None = None
    overrides: Mapping[str, float] | None = None
    prefix: str = PREFIX


class RedisRateMeter:
    """A :class:`~resolver.net.RateMeter` whose state is in Redis: every worker's starts are counted together.

    ``rate`` (``--rate``) applies to every site; without it each site gets its default (``rate_for``). A
    site with no rate still asks, for a pause. ``aclose`` waits for the pauses still being sent. ``clock``,
    ``sleep`` and ``jitter`` are for tests: by default time is the Redis server's."""

    def __init__(
        self,
        redis: Redis,
        rate: float | None = None,
        *,
        overrides: Mapping[str, float] | None = None,
        prefix: str = PREFIX,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[float], float] = lambda interval: random.uniform(0, interval / 4),
    ) -> None:
        self.redis = redis
        self.rate = rate
        self.overrides = overrides
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._pause = redis.register_script(_PAUSE)
        self._me = uuid.uuid4().hex  # this meter; a task's token adds the task
        self._sending: set[asyncio.Task[Any]] = set()
        self._intervals: dict[str, float | None] = {}
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter

    @classmethod
    def from_url(cls, url: str, rate: float | None = None, **kwargs: Any) -> RedisRateMeter:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url), rate, **kwargs)

    def _interval(self, site: str) -> float | None:
        if site not in self._intervals:
            per_second = rate_for(site, self.rate, self.overrides)
            self._intervals[site] = 1.0 / per_second if per_second else None
        return self._intervals[site]

    def _args(self, *values: object) -> list[object]:
        return [*values, self._clock()] if self._clock is not None else list(values)

    def _token(self) -> str:
        task = asyncio.current_task()
        return f"{self._me}:{id(task) if task is not None else 0}"

    async def acquire(self, url: str) -> None:
        site = site_key(url)
        interval = self._interval(site)
        await self.settled()  # a pause this meter was told must be in Redis before it meters again
        keys = [f"{self.prefix}{site}:tat", f"{self.prefix}{site}:pause"]
        token = self._token()
        while True:
            try:
                reserved, seconds = await self._acquire(keys=keys, args=self._args(interval or 0.0, token))
            except Exception as exc:  # redis.RedisError, OSError: never start a request unmetered
                raise SharedMeterError(f"the shared rate meter (Redis) could not be asked: {exc}") from exc
            wait = float(seconds)
            if int(reserved):
                if wait > 0:
                    await self._sleep(wait)  # the slot is ours: start when it comes
                return
            # Not yet within reach (or paused): sleep until it may be, with a little jitter so that the
            # workers waiting for one site do not all ask in the same millisecond.
            await self._sleep(wait + self._jitter(interval or 0.05))

    def pause(self, url: str, seconds: float) -> None:
        if seconds <= 0:
            return
        site = site_key(url)
        keys = [f"{self.prefix}{site}:pause"]
        task = asyncio.ensure_future(self._pause(keys=keys, args=self._args(seconds, self._token())))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def settled(self) -> None:
        """Wait until the pauses this meter was told are in Redis (``pause`` sends them in the background)."""
        if self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    async def aclose(self) -> None:
        await self.settled()
        await self.redis.aclose()


@dataclass
class OpenMeter:
    """A task's meter, and what to close when the task is done."""

    meter: Any  # resolver.net.RateMeter
    closing: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        for thing in self.closing:
            await thing.aclose()


def open_meter(spec: MeterSpec) -> OpenMeter:
    """The meter a task's client asks before every request start: the shared one, or the process's own."""
    if spec.redis is None:
        from ..net import LocalRateMeter

        return OpenMeter(LocalRateMeter(spec.rate, overrides=spec.overrides))
    meter = RedisRateMeter.from_url(spec.redis, spec.rate, overrides=spec.overrides, prefix=spec.prefix)
    return OpenMeter(meter, [meter])
