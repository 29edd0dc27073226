"""The run's set operations, as Dask dataframes: distinct URLs, the anti-join with what is known, the host
shuffle, and the join that hands each article partition the answers it needs.

These run on the cluster (the dataframes read the run folder's Parquet files on the workers); the client
only builds the graphs and reads back one summary row per task.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .answers import COLUMNS, chunk_files, latest, schema, write_parquet
from .layout import joined_dir, needs_dir, part_name
from .resolving import resolve_partition, summary_frame
from .settings import ClusterSettings
from .wayback import lane_partition

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd


@dataclass
class Round:
    """What one resolve round (or the Wayback lane) found and did."""

    distinct: int = 0  # distinct keys the partitions need
    known: int = 0  # of those, answered (fresh) before this round sent a request
    fetched: int = 0  # answered by this round
    tasks: int = 0


def _paths(paths: Sequence[Path]) -> list[str]:
    return [str(p) for p in paths]


def distinct_needs(paths: Sequence[Path], kind: str) -> dd.DataFrame:
    import dask.dataframe as dd

    frame = dd.read_parquet(_paths(paths), columns=["kind", "key", "site"])
    return frame[frame["kind"] == kind][["key", "site"]].drop_duplicates(subset=["key"])


def fresh_keys(paths: Sequence[Path], kind: str, now: float) -> dd.DataFrame | None:
    """The keys of ``kind`` with an answer still fresh at ``now``."""
    if not paths:
        return None
    import dask.dataframe as dd

    answers = dd.read_parquet(_paths(paths), columns=["kind", "key", "stored_at", "ttl"])
    fresh = answers[(answers["kind"] == kind) & (answers["stored_at"] + answers["ttl"] >= now)]
    return fresh[["key"]].drop_duplicates()


def anti_join(wanted: dd.DataFrame, known: dd.DataFrame | None) -> dd.DataFrame:
    """The rows of ``wanted`` whose key ``known`` lacks: what must be asked for."""
    if known is None:
        return wanted
    merged = wanted.merge(known, on="key", how="left", indicator=True)
    return merged[merged["_merge"] == "left_only"][["key", "site"]]


def _todo(settings: ClusterSettings, stage: str, kind: str) -> tuple[dd.DataFrame, Round] | None:
    import dask

    needs = chunk_files(needs_dir(settings, stage))
    if not needs:
        return None
    wanted = distinct_needs(needs, kind)
    todo = anti_join(wanted, fresh_keys(chunk_files(settings.answers), kind, time.time()))
    distinct, left = dask.compute(wanted.shape[0], todo.shape[0])
    return todo, Round(distinct=int(distinct), known=int(distinct) - int(left))


def resolve_round(settings: ClusterSettings, stage: str, partitions: int) -> Round:
    """Resolve the URLs the ``stage`` needs that no fresh answer has: shuffled by site, ``partitions`` tasks."""
    found = _todo(settings, stage, "resolution")
    if found is None:
        return Round()
    todo, result = found
    if result.distinct - result.known == 0:
        return result
    shuffled = todo.shuffle(on="site", npartitions=max(1, partitions))
    summary = shuffled.map_partitions(resolve_partition, settings, stage, meta=summary_frame().iloc[:0]).compute()
    result.fetched = int(summary["fetched"].sum())
    result.tasks = partitions
    return result


def wayback_lane(settings: ClusterSettings) -> Round:
    """Archive the cited sources no fresh answer has, in one task: the Wayback Machine's one lane."""
    found = _todo(settings, "archive", "archive")
    if found is None:
        return Round()
    todo, result = found
    if result.distinct - result.known == 0:
        return result
    lane = todo.repartition(npartitions=1)
    summary = lane.map_partitions(lane_partition, settings, meta=summary_frame().iloc[:0]).compute()
    result.fetched = int(summary["fetched"].sum())
    result.tasks = 1
    return result


def join_answers(settings: ClusterSettings, stage: str, kinds: Sequence[str], partitions: int) -> None:
    """Hand each article partition the answers its ``stage`` needs: ``joined-<stage>/part-N`` (a partition
    that needs none gets no file)."""
    needs = chunk_files(needs_dir(settings, stage))
    answers = chunk_files(settings.answers)
    if not needs or not answers:
        return
    import dask.dataframe as dd

    wanted = dd.read_parquet(_paths(needs), columns=["part", "kind", "key"])
    known = dd.read_parquet(_paths(answers), columns=list(COLUMNS))
    known = known[known["kind"].isin(list(kinds))]
    joined = wanted.merge(known, on=["kind", "key"], how="inner")
    by_part = joined.shuffle(on="part", npartitions=max(1, partitions))
    meta = summary_frame().iloc[:0]
    by_part.map_partitions(_write_joined, str(joined_dir(settings, stage)), meta=meta).compute()


def _write_joined(frame: pd.DataFrame, directory: str) -> pd.DataFrame:
    import pyarrow as pa

    written = 0
    for part, rows in frame.groupby("part"):
        table = pa.Table.from_pandas(latest(rows)[list(COLUMNS)], schema=schema(), preserve_index=False)
        write_parquet(table, Path(directory) / part_name(int(part)))
        written += 1
    return summary_frame(fetched=written)
