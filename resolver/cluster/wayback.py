"""``--archive``: the Wayback Machine's lookups as one metered lane, then each partition's records finished.

The Wayback Machine is one host with a hard limit (CDX asks for about 30 requests a minute and answers a
burst with 429s), so its work is not spread over the workers: every distinct cited source not already
answered goes to one task, which asks CDX (and Save Page Now, with ``--save``) at the archive stage's own
spacing, every request also metered by the run's meter, its answers appended in chunks like the
resolver's. Then each staged partition gets its ``archive`` objects from those answers through the
archive stage's own ``archive_records``, and ``newly_dead`` as ``archive`` sets it for sources it has no
history of (a cluster run keeps no ledger of earlier runs: ``archive`` from cron does).
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..archive import ArchiveOptions, Archiver, archive_records, cited_url
from ..archive.ledger import NewlyDead
from ..models import ResolvedRecord
from ..net import Client
from ..store import MemoryStore
from .answers import AnswerLog, known_answers
from .layout import joined_path, records_path, staged_path
from .meter import open_meter
from .records import read_staged, write_records
from .resolving import summary_frame
from .settings import ArchiveSpec, ClusterSettings

if TYPE_CHECKING:
    import pandas as pd

LANE_CONCURRENCY = 4  # lookups waiting their turn; the CDX spacing decides the pace


def cited_keys(records: list[ResolvedRecord]) -> list[str]:
    """The distinct sources these records cite (what ``archive`` archives), in order."""
    return list(dict.fromkeys(u for r in records if (u := cited_url(r))))


def archive_options(spec: ArchiveSpec) -> ArchiveOptions:
    options = ArchiveOptions(lookup=spec.lookup, save=spec.save, max_age=spec.max_age)
    if spec.cdx_url is not None:
        options.cdx_url = spec.cdx_url
    if spec.cdx_interval is not None:
        options.cdx_interval = spec.cdx_interval
    return options


def lane_partition(frame: pd.DataFrame, settings: ClusterSettings) -> pd.DataFrame:
    """The lane: archive every source of ``frame`` (column ``key``); one summary row."""
    if frame.empty or settings.archive is None:
        return summary_frame()
    log = AnswerLog(settings.answers, f"{settings.run_id}-wayback", settings.answer_chunk)
    done = log.earlier_keys("archive")
    todo = [str(k) for k in frame["key"] if k not in done]
    try:
        asyncio.run(_lane(todo, settings, settings.archive, log))
    finally:
        log.flush()
    return summary_frame(fetched=len(todo), skipped=len(done))


async def _lane(urls: list[str], settings: ClusterSettings, spec: ArchiveSpec, log: AnswerLog) -> None:
    options = archive_options(spec)
    meter = open_meter(settings.meter)
    try:
        async with settings.client(meter.meter) as client:
            archiver = Archiver(client, MemoryStore(), options, allow_private=settings.allow_private)
            queue = iter(urls)

            async def worker() -> None:
                for url in queue:
                    result = await archiver.archive(url)
                    # A capture lasts as the archive stage keeps it; a failure only for this run.
                    ttl = 0.0 if result["error"] else options.lookup_ttl / (1 if result["wayback_url"] else 7)
                    log.add("archive", url, result, ttl)

            await asyncio.gather(*(worker() for _ in range(max(1, min(LANE_CONCURRENCY, len(urls))))))
    finally:
        await meter.aclose()


@dataclass
class _Answered(Archiver):
    """An archiver that hands out the lane's answers: ``archive_records`` then does what ``archive`` does."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def archive(self, url: str, target: Any = None) -> dict[str, Any]:
        found = self.answers.get(url)
        if found is None:  # the lane did not get to it (it failed): say so on the record
            from ..archive.wayback import NOTHING_YET

            return {**NOTHING_YET, "error": "the Wayback lane gave no answer for this source"}
        return copy.deepcopy(found)


def attach_part(index: int, settings: ClusterSettings) -> dict[str, Any]:
    """Finish partition ``index``'s staged records with their ``archive`` objects; its counts."""
    records = read_staged(staged_path(settings, index))
    known = known_answers([joined_path(settings, "archive", index)])
    answered = _Answered(cast(Client, None), MemoryStore(), answers={key: v for (kind, key), v in known.items()
                                                                     if kind == "archive"})  # fmt: skip
    archived = asyncio.run(archive_records(records, answered))
    flagger = NewlyDead(MemoryStore())
    finished = [flagger.flag(r) for r in archived]
    errors = sum(1 for r in finished if (r.extra.get("archive") or {}).get("error"))
    counts = write_records(records_path(settings, index), finished)
    return {"index": index, "records": len(finished), "by_status": counts, "archive_errors": errors}
