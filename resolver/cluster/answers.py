"""The answers a cluster run knows: appended in Parquet chunks, read back as the freshest per key.

Every answer a task learns (a URL's resolution, a post's metadata, a source's Wayback capture) is one
row — ``kind``, ``key``, ``value`` (the JSON the store would keep), ``status``, ``stored_at``, ``ttl`` —
appended to that task's current chunk. A chunk is written whole (a temporary file, fsync, rename) once it
holds ``chunk`` answers, so a worker killed at any moment loses only the answers of the chunk it had not
written yet. Chunks are named after the task that wrote them: a task run again (its worker died) reads
its own earlier chunks first and does not ask for those answers again.

Rows are only ever appended. A key answered again (its answer had grown stale) has several rows; the one
stored last is the answer.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store import STORED_AT

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

COLUMNS = ("kind", "key", "value", "status", "stored_at", "ttl")


def schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("kind", pa.string()),
            ("key", pa.string()),
            ("value", pa.string()),
            ("status", pa.string()),
            ("stored_at", pa.float64()),
            ("ttl", pa.float64()),
        ]
    )


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` whole or not at all: a temporary file beside it, fsync, rename."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as out:
        pq.write_table(table, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def chunk_files(directory: Path, prefix: str = "") -> list[Path]:
    """The chunks written so far (temporary files of writes in progress left out), in name order."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"{prefix}*.parquet") if not p.name.startswith("."))


class AnswerLog:
    """One task's answers, appended in chunks named ``<name>-<n>.parquet`` in ``directory``."""

    def __init__(self, directory: Path, name: str, chunk: int) -> None:
        self.directory = directory
        self.name = name
        self.chunk = max(1, chunk)
        self._rows: list[dict[str, Any]] = []
        self._next = 0
        self.written = 0

    def earlier(self) -> list[Path]:
        """The chunks an earlier attempt of this task wrote (numbering carries on after them)."""
        files = chunk_files(self.directory, f"{self.name}-")
        for path in files:
            self._next = max(self._next, int(path.stem.rsplit("-", 1)[1]) + 1)
        return files

    def earlier_keys(self, kind: str) -> set[str]:
        """The keys of ``kind`` an earlier attempt of this task answered."""
        import pyarrow.parquet as pq

        found: set[str] = set()
        for path in self.earlier():
            table = pq.read_table(path, columns=["kind", "key"])
            found.update(k for t, k in zip(table.column("kind").to_pylist(), table.column("key").to_pylist(),
                                           strict=True) if t == kind)  # fmt: skip
        return found

    def add(self, kind: str, key: str, value: dict[str, Any], ttl: float, status: str | None = None) -> None:
        clean = {k: v for k, v in value.items() if k != STORED_AT}
        row = {"kind": kind, "key": key, "value": json.dumps(clean, ensure_ascii=False), "status": status,
               "stored_at": time.time(), "ttl": float(ttl)}  # fmt: skip
        self._rows.append(row)
        if len(self._rows) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        import pyarrow as pa

        table = pa.Table.from_pylist(self._rows, schema=schema())
        write_parquet(table, self.directory / f"{self.name}-{self._next:06d}.parquet")
        self._next += 1
        self.written += len(self._rows)
        self._rows = []


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (kind, key): the one stored last."""
    if frame.empty:
        return frame
    return frame.sort_values("stored_at", kind="stable").drop_duplicates(subset=["kind", "key"], keep="last")


def values(frame: pd.DataFrame) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, key, value) of each row, the value as the store would hand it out."""
    for kind, key, value in zip(frame["kind"], frame["key"], frame["value"], strict=True):
        yield str(kind), str(key), json.loads(value)


def read_answers(paths: Iterable[Path]) -> pd.DataFrame:
    """The rows of these chunk files, as one frame (empty, with the columns, when there are none)."""
    import pandas as pd
    import pyarrow.parquet as pq

    frames = [pq.read_table(p).to_pandas() for p in paths]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype="float64" if c in ("stored_at", "ttl") else "object")
                             for c in COLUMNS})  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def known_answers(paths: Iterable[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    """The answers in these files (those that exist), the last stored per key."""
    frame = latest(read_answers(p for p in paths if p.exists()))
    return {(kind, key): value for kind, key, value in values(frame)}
