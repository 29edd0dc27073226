"""Where a streaming command's records go — stdout, a file written atomically, or a file continued — and
what is counted of them on the way (records by status: the summary line and the exit code).

``open_out`` chooses: with ``--resume`` (``resolve``), or for ``archive``'s jsonl and csv, a regular file (or a
new path) is *continued*: what it holds is read (``write.resume``), the job decides what to keep, and the
rest is appended unit by unit. Otherwise a regular file is written atomically (records stream into the
temporary file; it is renamed into place at the end), and stdout, a device or a FIFO is written directly.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OutputError
from ..write import ByteSink, Format
from ..write.resume import RESUMABLE, AppendSink, Key, Output, read_output
from ..write.stream import RecordWriter, csv_columns

if TYPE_CHECKING:
    from ..models import ResolvedRecord
    from ..pipeline.jobs import Placed, Tally


class RecordsOut:
    """The command line's ``pipeline.jobs.Out``: records as dicts through a ``RecordWriter``, counted."""

    def __init__(self, writer: RecordWriter, sink: ByteSink | AppendSink, *, path: str | None,
                 resumed: Output | None) -> None:  # fmt: skip
        from ..pipeline.jobs import Tally

        self.writer = writer
        self.sink = sink
        self.path = path
        self._resumed = resumed
        self.tally: Tally = Tally()

    @property
    def incremental(self) -> bool:
        atomic = isinstance(self.sink, ByteSink) and self.sink.atomic
        return self.writer.fmt != "table" and not atomic

    @property
    def resumed(self) -> Output | None:
        return self._resumed

    def keep(self, offset: int) -> None:
        if isinstance(self.sink, AppendSink):
            self.sink.keep = offset
            self.sink.position = offset

    def write(self, records: Sequence[ResolvedRecord], before: Callable[[Placed], None] | None = None) -> None:
        self.tally.add(records)
        head = self.writer.preamble() if records else b""
        if head:
            self.sink.write(head)
        data = self.writer.encode(r.to_dict() for r in records)  # one dict at a time, not the document's all
        if not data:
            return
        if before is not None and isinstance(self.sink, AppendSink) and self.path is not None:
            from ..pipeline.jobs import Placed

            start = self.sink.position
            before(Placed(self.path, self.writer.fmt, start, start + len(data)))
        self.sink.write(data)

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        self.sink.abort()


def continuable(output: Path | None, fmt: Format) -> bool:
    """Whether ``output`` can be continued in place: jsonl or csv, to a regular file or a new path."""
    if output is None or fmt not in RESUMABLE or str(output) == "-":
        return False
    try:
        return stat.S_ISREG(os.stat(output).st_mode)
    except FileNotFoundError:
        return not str(output).startswith(("/dev/", "/proc/"))
    except OSError:
        return False


def open_out(
    output: Path | None,
    fmt: Format,
    *,
    resume: bool,
    key: Key,
    archive: bool = False,
    rows: bool = False,
    row_names: Sequence[str] = (),
) -> RecordsOut:
    """The run's output (see the module docstring). Raises ``OutputError`` (one line): a file that cannot be
    continued (``--resume`` with json or a table, columns that differ, something that is not a record)."""
    columns = csv_columns(archive=archive, rows=rows, row_names=row_names)
    if resume and output is None:
        raise OutputError("stdout", "--resume continues a file: give it with -o FILE")
    if resume or (archive and continuable(output, fmt)):
        assert output is not None
        resumed = read_output(output, fmt, key, columns)  # raises for json/table and for files it cannot continue
        if resumed is not None and not stat.S_ISREG(os.stat(output).st_mode):
            raise OutputError(str(output), "--resume continues a regular file only")
        header = not (resumed is not None and resumed.header_end > 0)
        target = Path(os.path.realpath(output))  # through a symbolic link: the file it names
        sink = AppendSink(target, None if resumed is None else resumed.whole)
        writer = RecordWriter(sink, fmt, columns=columns, header=header, row_names=row_names)
        return RecordsOut(writer, sink, path=str(target), resumed=resumed)
    sink_ = ByteSink(str(output) if output else None)
    writer = RecordWriter(sink_, fmt, columns=columns, row_names=row_names)
    return RecordsOut(writer, sink_, path=None, resumed=None)
