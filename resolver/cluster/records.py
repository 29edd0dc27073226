"""A run's records as Parquet: one file per article partition, in order, beside the usual JSONL.

Each row is one record: ``record`` holds it exactly as ``resolve`` writes it (the JSON of one JSONL line),
and the columns beside it hold its most asked-for fields typed, for querying the dataset directly
(DuckDB, pandas, Spark: ``SELECT status, count(*) FROM 'records/*.parquet' GROUP BY status``).

Records still waiting for the Wayback lane (``--archive``) are *staged*: kept whole (finding, resolution,
post metadata) so the archive stage can finish them with the archive's own functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..archive.ledger import finding_from_dict
from ..models import PostMeta, Resolution, ResolvedRecord
from .answers import write_parquet

STRING_FIELDS = ("source", "kind", "status", "url", "final_url", "canonical_url", "error", "platform", "post_id")


def write_records(path: Path, records: Iterable[ResolvedRecord]) -> dict[str, int]:
    """Write one partition's records; how many ended in each status."""
    import pyarrow as pa

    rows = [r.to_dict() for r in records]
    columns: dict[str, Any] = {"record": pa.array([json.dumps(r, ensure_ascii=False) for r in rows], pa.string())}
    for name in STRING_FIELDS:
        columns[name] = pa.array([_text(r.get(name)) for r in rows], pa.string())
    columns["line"] = pa.array([r["line"] for r in rows], pa.int64())
    columns["span_start"] = pa.array([r["span"][0] for r in rows], pa.int64())
    columns["span_end"] = pa.array([r["span"][1] for r in rows], pa.int64())
    write_parquet(pa.table(columns), path)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def read_records(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """The records of these partition files, in order, as ``resolve`` writes them."""
    import pyarrow.parquet as pq

    for path in paths:
        if not path.exists():
            continue
        for line in pq.read_table(path, columns=["record"]).column("record").to_pylist():
            yield json.loads(line)


def write_staged(path: Path, records: Iterable[ResolvedRecord]) -> None:
    import pyarrow as pa

    rows = [
        json.dumps(
            {
                "finding": r.finding.to_dict(),
                "resolution": r.resolution.to_dict() if r.resolution else None,
                "post": r.post.to_dict() if r.post else None,
                "extra": r.extra,
            },
            ensure_ascii=False,
        )
        for r in records
    ]
    write_parquet(pa.table({"staged": pa.array(rows, pa.string())}), path)


def read_staged(path: Path) -> list[ResolvedRecord]:
    import pyarrow.parquet as pq

    records = []
    for line in pq.read_table(path, columns=["staged"]).column("staged").to_pylist():
        data = json.loads(line)
        resolution = Resolution.from_dict(data["resolution"]) if data["resolution"] else None
        post = PostMeta.from_dict(data["post"]) if data["post"] else None
        records.append(ResolvedRecord(finding_from_dict(data["finding"]), resolution, post, data["extra"]))
    return records
