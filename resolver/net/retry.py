"""Retrying one hop (the tenacity way): transport errors, 408, 425, 429 and 5xx, with backoff and jitter.

``Retry-After`` is honoured up to a cap; a longer one ends the item at once (RetryLater, for a later run).
Every request and every wait is paid from the item's :class:`~resolver.net.timing.Budget`, and no wait is
started that the budget cannot pay for. ``sleep`` is injected, so tests never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from .. import defaults
from ..errors import FetchError, NetworkError, RetryLater
from .client import Client, guard_of, meter_of, metered_start
from .hop import HopResponse, fetch_judged
from .timing import Budget

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
Sleep = Callable[[float], Awaitable[None]]


class RetryableStatus(Exception):
    """An answer worth asking again (408, 429, 5xx); carries the response for the final report."""

    def __init__(self, response: HopResponse) -> None:
        super().__init__(f"HTTP {response.status}")
        self.response = response


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date), or Mastodon's ISO ``x-ratelimit-reset``, in seconds."""
    value = headers.get("retry-after")
    now = time.time() if now is None else now
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-ratelimit-reset")
    if reset:
        import datetime as dt

        with contextlib.suppress(ValueError, OverflowError):
            when = dt.datetime.fromisoformat(reset.replace("Z", "+00:00"))
            return max(0.0, when.timestamp() - now)
    return None


@dataclass
class RetryPolicy:
    """How hard to try one hop. Data, so the CLI, tests and the benchmark can each set it.

    A ``Retry-After`` longer than ``max_retry_after`` (or than the time the item has left) is not slept
    through: the hop ends at once with RetryLater, for a later run."""

    attempts: int = defaults.RETRIES + 1
    initial_wait: float = 0.5
    max_wait: float = 8.0
    max_retry_after: float = 30.0
    deadline: float | None = None  # seconds for one hop including its retries
    sleep: Sleep = asyncio.sleep

    def wait_seconds(self, exc: BaseException | None, attempt_number: int) -> float:
        """How long to wait after failed attempt ``attempt_number`` (1-based)."""
        if isinstance(exc, RetryableStatus):
            hinted = retry_after_seconds(exc.response.headers)
            if hinted is not None:
                return min(hinted, self.max_retry_after)
        exponential = self.initial_wait * 2.0 ** max(0, attempt_number - 1)
        return min(self.max_wait, exponential + random.uniform(0, self.initial_wait))

    def retrying(
        self, *, already_tried: int = 0, budget: Budget | None = None, sleep: Sleep | None = None
    ) -> AsyncRetrying:
        """The tenacity loop for the attempts left after ``already_tried`` ones; no wait is started that
        ``budget`` cannot pay for (the loop gives up with the last failure instead)."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            seconds = self.wait_seconds(exc, state.attempt_number + already_tried)
            if budget is not None and seconds >= budget.remaining():
                raise _OutOfTime(exc)
            return seconds

        return AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            wait=wait,
            stop=stop_after_attempt(max(1, self.attempts - already_tried)),
            sleep=sleep or self.sleep,
            reraise=True,
        )

    def check_retry_after(self, response: HopResponse, budget: Budget | None) -> None:
        """RetryLater when the server asks for a longer pause than this policy (or the item) can wait."""
        hinted = retry_after_seconds(response.headers)
        if hinted is None or hinted <= 0:
            return
        if hinted > self.max_retry_after or (budget is not None and hinted >= budget.remaining()):
            raise RetryLater(
                f"HTTP {response.status}: the server asks to retry after {_duration(hinted)}; left for a later run",
                hinted,
                response.status,
            )


class _OutOfTime(Exception):
    """Raised from the wait strategy: the next wait would end after the deadline."""

    def __init__(self, failure: BaseException | None) -> None:
        super().__init__("out of time")
        self.failure = failure


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, NetworkError):
        return exc.retryable
    if isinstance(exc, FetchError):
        return False
    return isinstance(exc, (RetryableStatus, httpx.TransportError))


async def fetch_with_retry(
    client: Client,
    url: str,
    *,
    policy: RetryPolicy,
    budget: Budget | None = None,
    **kwargs: Any,
) -> HopResponse:
    """``fetch_once`` under the retry policy. After the last try a retryable status is returned as is.
    The URL is judged by the client's guard once, before the first attempt (BlockedError), and every
    attempt goes to what was judged.

    ``budget`` is the item's time: each request gets at most what is left of it, each wait is paid from
    it, and no wait is started that it cannot pay for (ItemTimeUp when it is spent). The first attempt
    runs outside tenacity: almost every hop succeeds at once, and tenacity's per-attempt machinery is
    measurable at thousands of hops a second. Failures go on in tenacity's loop.
    """
    if budget is None and policy.deadline is not None:
        budget = Budget(policy.deadline, "one hop")

    target = guard_of(client, allow_private=kwargs.pop("allow_private", False)).judge(url)
    meter = meter_of(client)

    async def attempt() -> HopResponse:
        await metered_start(client, url)  # every attempt is metered; waiting for it is not the item's time
        if budget is None:
            return await fetch_judged(client, url, target, **kwargs)
        left = budget.remaining()
        if left <= 0:
            raise budget.used_up()
        started = time.monotonic()
        try:
            return await fetch_judged(client, url, target, limit=left, **kwargs)
        except NetworkError as exc:
            budget.spent += time.monotonic() - started
            started = time.monotonic()
            if exc.timeout and budget.remaining() <= 0:
                raise budget.used_up() from None
            raise
        finally:
            budget.spent += time.monotonic() - started

    async def sleep(seconds: float) -> None:
        started = time.monotonic()
        try:
            await policy.sleep(seconds)
        finally:
            if budget is not None:
                budget.spent += time.monotonic() - started

    def told_to_wait(response: HopResponse) -> None:
        """A 429 or 503 pauses the site for every task of the run: the Retry-After asked (as far as this
        run waits), or the backoff a 429 without one gets."""
        if response.status in (429, 503):
            hinted = retry_after_seconds(response.headers)
            if hinted is None and response.status == 429:
                hinted = policy.wait_seconds(None, 1)
            if hinted:
                meter.pause(url, min(hinted, policy.max_retry_after))

    try:
        response = await attempt()
        if response.status not in RETRY_STATUSES:
            return response
        told_to_wait(response)
        policy.check_retry_after(response, budget)
        failure: BaseException = RetryableStatus(response)
    except Exception as exc:
        if not _is_retryable(exc):
            raise
        failure = exc
    if policy.attempts <= 1:
        return _give_up(failure)
    first_wait = policy.wait_seconds(failure, 1)
    if budget is not None and first_wait >= budget.remaining():
        return _give_up(failure)
    await sleep(first_wait)
    try:
        async for try_again in policy.retrying(already_tried=1, budget=budget, sleep=sleep):
            with try_again:
                response = await attempt()
                if response.status in RETRY_STATUSES:
                    told_to_wait(response)
                    policy.check_retry_after(response, budget)
                    raise RetryableStatus(response)
                return response
    except RetryableStatus as exc:
        return exc.response
    except _OutOfTime as exc:
        return _give_up(exc.failure)
    raise AssertionError("unreachable")  # pragma: no cover


def _give_up(failure: BaseException | None) -> HopResponse:
    if isinstance(failure, RetryableStatus):
        return failure.response
    if failure is None:  # pragma: no cover
        raise AssertionError("a failure to report")
    raise failure
