"""The assemble task: one article partition's findings + the answers they need → its records, in order.

The answers the partition's URLs have (joined to it by the run) pre-fill a store, and the pipeline's own
``resolve_findings`` turns the findings into records with it — so the records are those ``resolve``
makes, by the same code. It sends no resolve request for the partition's URLs (all are answered); what it
still fetches is post metadata, and the short links inside it, metered like every request. What it
learns is kept (the run's answer chunks) and shared with the other workers (Redis), so a post cited in
many partitions is fetched once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..models import ResolvedRecord
from ..pipeline import resolve_findings
from .answers import AnswerLog, known_answers
from .articles import read_findings, write_needs
from .layout import joined_path, needs_dir, records_path, staged_path
from .meter import open_meter
from .records import write_records, write_staged
from .settings import ClusterSettings
from .taskstore import TaskStore
from .wayback import cited_keys


def assemble_part(index: int, settings: ClusterSettings) -> dict[str, Any]:
    """Write partition ``index``'s records (staged for the Wayback lane with ``--archive``); its counts."""
    findings = read_findings(settings, index)
    log = AnswerLog(settings.answers, f"{settings.run_id}-assemble-{index:06d}", settings.answer_chunk)
    known = known_answers([joined_path(settings, "scan", index), *log.earlier()])
    shared = None
    if settings.shared_cache and settings.meter.redis is not None:
        from redis import Redis

        shared = Redis.from_url(settings.meter.redis)
    store = TaskStore(known, log, shared)
    try:
        records = asyncio.run(_assemble(findings, settings, store))
    finally:
        store.close()
        if shared is not None:
            shared.close()
    if settings.archive is not None:
        write_staged(staged_path(settings, index), records)
        write_needs(needs_dir(settings, "archive"), index, cited_keys(records), kind="archive")
        return {"index": index, "records": len(records), "by_status": {}}
    return {"index": index, "records": len(records), "by_status": write_records(records_path(settings, index), records)}


async def _assemble(findings: list[Any], settings: ClusterSettings, store: TaskStore) -> list[ResolvedRecord]:
    meter = open_meter(settings.meter)
    try:
        async with settings.client(meter.meter) as client:
            return await resolve_findings(findings, client=client, store=store, options=settings.run_options())
    finally:
        await meter.aclose()
