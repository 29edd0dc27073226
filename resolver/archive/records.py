"""Records → records with an ``archive`` object: every distinct cited source archived once (Wayback, WARC)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from ..errors import FetchError
from ..models import ResolvedRecord
from ..net import Deadline, within
from .near import Target
from .warc import WarcError, WarcRecorder
from .wayback import DEADLINE_REACHED, NOTHING_YET, Archiver


def cited_url(record: ResolvedRecord) -> str | None:
    """The source a record cites: a resolved link's or a post's canonical URL."""
    res = record.resolution
    if res is None or res.status != "ok" or not res.canonical_url:
        return None
    return res.canonical_url


async def archive_records(
    records: list[ResolvedRecord],
    archiver: Archiver,
    warc: WarcRecorder | None = None,
    *,
    deadline: Deadline | None = None,
    target: Callable[[ResolvedRecord], Target | None] | None = None,
) -> list[ResolvedRecord]:
    """Each record gains an ``archive`` object; every distinct cited source is archived once (once per
    target moment with ``target``, which says for each record what its capture is chosen nearest to).

    ``deadline`` (the run's) bounds the whole phase: a source still being archived when it passes gets
    ``archive.error`` "the run's deadline was reached first", and no capture starts after it."""
    targets = {id(r): target(r) if target else None for r in records}

    def key(record: ResolvedRecord) -> tuple[str, str] | None:
        url, aim = cited_url(record), targets[id(record)]
        return (url, aim.moment.cdx if aim else "") if url else None

    jobs = {k: targets[id(r)] for r in records if (k := key(r))}
    results: dict[tuple[str, str], dict[str, Any]] = {}

    async def one(job: tuple[str, str]) -> None:
        results[job] = await archiver.archive(job[0], jobs[job])

    tasks = [asyncio.ensure_future(one(job)) for job in jobs]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=deadline.remaining() if deadline else None)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    for job in jobs:
        results.setdefault(job, {**NOTHING_YET, "error": DEADLINE_REACHED})
    if warc is not None:
        for record in records:
            wanted = key(record)
            if wanted is None or wanted not in results or results[wanted]["warc"] is not None:
                continue
            result = results[wanted]
            try:
                if deadline is not None and deadline.passed:
                    raise TimeoutError
                capture = warc.capture(record)
                result["warc"] = await (within(deadline.remaining(), capture) if deadline else capture)
            except (TimeoutError, asyncio.TimeoutError):  # only the run's deadline bounds this step
                note = f"warc: {DEADLINE_REACHED}"
                result["error"] = f"{result['error']}; {note}" if result["error"] else note
            except WarcError as exc:
                note = str(exc)
                result["error"] = f"{result['error']}; {note}" if result["error"] else note
            except (FetchError, httpx.HTTPError, OSError) as exc:
                note = f"warc: {type(exc).__name__}: {exc}"
                result["error"] = f"{result['error']}; {note}" if result["error"] else note
    return [replace(r, extra={**r.extra, "archive": results.get(k) if (k := key(r)) else None}) for r in records]
