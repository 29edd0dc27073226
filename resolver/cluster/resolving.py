"""The resolve task: one partition of the host shuffle → the answers of its URLs, appended in chunks.

A partition holds every URL of the sites the shuffle gave it (keyed by ``first_url``, as the pipeline
keys them). It is resolved with one event loop and one client, ``--concurrency`` at a time, every request
start metered by the run's meter — the shared one in Redis, since a redirect chain leaves the partition's
sites (t.co → bit.ly → the article's site) and another partition may be hitting that later site too.
The URLs are taken round-robin over the partition's sites, so one slow site does not hold every slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..models import Resolution
from ..resolve.hops import resolve_url
from .answers import AnswerLog
from .meter import SharedMeterError, open_meter
from .settings import ClusterSettings

if TYPE_CHECKING:
    import pandas as pd

SUMMARY = {"fetched": "int64", "skipped": "int64"}


def summary_frame(fetched: int = 0, skipped: int = 0) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({"fetched": [fetched], "skipped": [skipped]}).astype(SUMMARY)


def round_robin(frame: pd.DataFrame) -> list[str]:
    """The partition's URLs, one site after another: the first of each site, then the second of each, …"""
    ordered = frame.assign(_rank=frame.groupby("site", sort=False).cumcount()).sort_values(
        ["_rank", "site"], kind="stable"
    )
    return [str(k) for k in ordered["key"]]


def resolve_partition(frame: pd.DataFrame, settings: ClusterSettings, stage: str,
                      partition_info: dict[str, Any] | None = None) -> pd.DataFrame:  # fmt: skip
    """Resolve every URL of ``frame`` (columns ``key``, ``site``); one summary row: fetched, skipped."""
    if frame.empty:
        return summary_frame()
    number = partition_info["number"] if partition_info else 0
    log = AnswerLog(settings.answers, f"{settings.run_id}-{stage}-{number:05d}", settings.answer_chunk)
    done = log.earlier_keys("resolution")  # what an earlier attempt of this task answered
    todo = [k for k in round_robin(frame) if k not in done]
    try:
        asyncio.run(_resolve(todo, settings, log))
    finally:
        log.flush()
    return summary_frame(fetched=len(todo), skipped=len(done))


async def _resolve(urls: list[str], settings: ClusterSettings, log: AnswerLog) -> None:
    options = settings.run_options()
    meter = open_meter(settings.meter)
    try:
        async with settings.client(meter.meter) as client:
            queue: Iterator[str] = iter(urls)

            async def worker() -> None:
                for url in queue:  # the workers share one iterator: each URL is taken once, in order
                    try:
                        resolution = await resolve_url(url, client, options.resolve)
                    except SharedMeterError:
                        raise  # no request may start unmetered: the task fails and is run again
                    except Exception as exc:  # a bug on one link is reported on that link (as the pipeline does)
                        resolution = Resolution(url, "error", None, None, (),
                                                f"internal error: {type(exc).__name__}: {exc}")  # fmt: skip
                    ttl = options.freshness.for_status(resolution.status)
                    log.add("resolution", url, resolution.to_dict(), ttl, resolution.status)

            await asyncio.gather(*(worker() for _ in range(max(1, min(options.concurrency, len(urls))))))
    finally:
        await meter.aclose()
