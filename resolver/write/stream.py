"""Records written as they come, one unit (a document's records, a row's) at a time, each unit in one write.

``RecordWriter`` streams jsonl, csv and json (an array, opened at the start and closed at the end, the same
bytes ``json.dump(records, indent=2)`` gives); a table is laid out from every record, so it is printed at
the end. One unit's records go out in a single ``write``: a kill lands between units (a SIGKILL that
arrives during the write itself may cut it short; ``resume`` finds and redoes such a unit).

CSV has a fixed header, decided before the first record (``csv_columns``): the record's columns for the
command, and for a URL list the row's other columns first, under their own names (a name the record uses
too is written as ``row.NAME``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from .formats import CSV_COLUMNS, Format, _flat, json_line, write_records

LINK_ONLY = frozenset({"platform", "post_id", "author_name", "author_handle", "published", "text", "links", "embedded"})


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...

    def isatty(self) -> bool: ...


def csv_columns(*, archive: bool, rows: bool, row_names: Sequence[str] = ()) -> list[str]:
    """The CSV header of a run: a URL list's other columns, then the record's columns for the command."""
    ours = [c for c in CSV_COLUMNS if (archive or c not in ("archive", "newly_dead")) and not (rows and c in LINK_ONLY)]
    return [f"row.{name}" if name in ours else name for name in row_names] + ours


class RecordWriter:
    """Records to a sink in one format, unit by unit (see the module docstring)."""

    def __init__(self, sink: Sink, fmt: Format, *, columns: Sequence[str] | None = None, header: bool = True,
                 row_names: Sequence[str] = ()) -> None:  # fmt: skip
        self.sink = sink
        self.fmt = fmt
        self.columns = list(columns or CSV_COLUMNS)
        self._row_at = len(row_names)  # the first len(row_names) CSV columns are the row's
        self._row_names = list(row_names)
        self._held: list[dict[str, Any]] = []  # a table's records
        self._count = 0
        self._started = False
        self._header = fmt == "csv" and header  # written with the first unit (or at close): nothing before

    @property
    def incremental(self) -> bool:
        """Whether each unit is out as soon as ``write`` returns (not a table, which waits for the end)."""
        return self.fmt != "table"

    @property
    def count(self) -> int:
        return self._count

    def write(self, records: Sequence[dict[str, Any]]) -> int:
        """Write one unit's records (one write); the bytes written (0 for a table, which holds them)."""
        data = self.preamble() + self.encode(records)
        if data:
            self.sink.write(data)
        return len(data)

    def preamble(self) -> bytes:
        """What comes before the first unit (a CSV header), once; b"" after that and for other formats."""
        return self._csv_header().encode("utf-8") if self.fmt == "csv" else b""

    def encode(self, records: Iterable[dict[str, Any]]) -> bytes:
        """One unit's records as bytes, to follow the ``preamble`` (call it once per unit, in order).
        ``records`` may be a generator: a large document's records are then never all dicts at once."""
        records = self._counted(records)
        if self.fmt == "table":
            self._held.extend(records)
            return b""
        if self.fmt == "jsonl":
            # Line by line into one buffer: orjson's results carry spare capacity (8 KB for a 700-byte record),
            # and b"".join would hold all of a large document's at once.
            data = bytearray()
            for record in records:
                data += json_line(record)
            return bytes(data)
        if self.fmt == "csv":
            text = self._csv_lines(self._flat(r) for r in records)
        else:
            parts = [_indented(r) for r in records]
            if not parts:
                return b""
            text = (",\n" if self._started else "[\n") + ",\n".join(parts)
            self._started = True
        return text.encode("utf-8", "surrogateescape")

    def _counted(self, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for record in records:
            self._count += 1
            yield record

    def close(self) -> None:
        """Finish the format (a CSV header if no row came, a JSON array's end, the table); make it final."""
        tail = ""
        if self.fmt == "csv":
            tail = self._csv_header()
        elif self.fmt == "json":
            tail = "\n]\n" if self._started else "[]\n"
        elif self.fmt == "table":
            text = io.StringIO()
            text.isatty = self.sink.isatty  # type: ignore[method-assign]
            write_records(self._held, "table", text)
            tail = text.getvalue()
        if tail:
            self.sink.write(tail.encode("utf-8", "surrogateescape"))
        self.sink.commit()

    def _csv_header(self) -> str:
        if not self._header:
            return ""
        self._header = False
        return self._csv_lines([self.columns])

    def _flat(self, record: dict[str, Any]) -> list[str]:
        row = record.get("row") or {}
        values = [str(row.get(name, "")) for name in self._row_names]
        return values + [_flat(record.get(c)) for c in self.columns[self._row_at :]]

    @staticmethod
    def _csv_lines(rows: Any) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()


def _indented(record: dict[str, Any]) -> str:
    """A record as ``json.dump([..], indent=2)`` writes an element of its array."""
    return "\n".join("  " + line for line in json.dumps(record, ensure_ascii=False, indent=2).split("\n"))
