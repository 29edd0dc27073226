"""Continuing an output file that an interrupted run left (``--resume``; ``archive`` always continues its ``-o``).

``read_output`` reads the file once, record by record — JSON lines, or CSV rows whose header must be this
run's — and groups consecutive records with the same key (a document's source, a URL list's line) into
units, the way they were written: one unit per write. What a kill or a full disk leaves at the end, a line
without its newline (or a CSV row whose quote never closes), is *torn*: it is cut off before anything is
appended. Which complete units are kept is the caller's rule (``resolve`` redoes the last one as well,
``archive`` asks its ledger); ``AppendSink`` then cuts the file there and appends.

Only jsonl and csv can be continued: a JSON array is closed at its end and a table is laid out whole.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError
from .formats import Format

Key = Callable[[dict[str, Any]], str]
RESUMABLE: tuple[Format, ...] = ("jsonl", "csv")
_JSON_COLUMNS = frozenset({"span", "links", "hops", "post", "archive", "page", "row"})
_BOOL_COLUMNS = frozenset({"in_post", "embedded", "newly_dead"})


def source_key(record: dict[str, Any]) -> str:
    """A document's unit: all the records of one source."""
    return str(record.get("source"))


def line_key(record: dict[str, Any]) -> str:
    """A URL list's unit: one row, by the line it starts on."""
    return str(record.get("line"))


@dataclass(frozen=True)
class Piece:
    """One unit in the file: its key and where its records stand (bytes ``start`` to ``end``)."""

    key: str
    start: int
    end: int


@dataclass(frozen=True)
class Output:
    """What an output file holds: its units (the last one named), and whether a torn piece ends it."""

    path: Path
    fmt: Format
    size: int  # bytes in the file
    whole: int  # bytes up to the end of the last whole record
    header_end: int  # csv: where the header ends (0: no header yet)
    units: int
    records: int
    last: Piece | None  # the last whole unit
    key: Key

    @property
    def torn(self) -> bool:
        return self.size > self.whole

    def keys(self, until: int) -> Iterator[str]:
        """The key of every unit that ends at or before byte ``until``, read from the file again (streamed)."""
        previous = None
        for piece_key, _, end, _ in _records(self.path, self.fmt, self.key, self.header_end, until):
            if end > until:
                break
            if piece_key != previous:
                previous = piece_key
                yield piece_key

    def records_of(self, piece: Piece) -> list[dict[str, Any]]:
        return records_between(self.path, self.fmt, self.key, piece.start, piece.end)


def read_output(path: Path, fmt: Format, key: Key, columns: Sequence[str] | None = None) -> Output | None:
    """What ``path`` holds, or None when it does not exist (or is empty). Raises ``OutputError`` (one line)
    when it cannot be continued: the format cannot be, it is not a regular file, a record in its middle
    is not one, or (csv) its header is not ``columns``."""
    label = str(path)
    if fmt not in RESUMABLE:
        raise OutputError(label, f"--resume continues jsonl or csv output, not {fmt} (a JSON array is closed "
                          "at its end, a table is laid out whole): write jsonl or csv, or leave out --resume")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(label, exc.strerror or type(exc).__name__) from None
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(label, "--resume continues a regular file only")
    if st.st_size == 0:
        return None
    header_end = 0
    if fmt == "csv":
        header_end = _check_header(path, columns or [])
        if header_end == 0:  # only a torn header: start again
            return Output(path, fmt, st.st_size, 0, 0, 0, 0, None, key)
    units = records = 0
    whole = header_end
    last: Piece | None = None
    for piece_key, start, end, _ in _records(path, fmt, key, header_end, st.st_size):
        records += 1
        whole = end
        if last is not None and last.key == piece_key and last.end == start:
            last = Piece(piece_key, last.start, end)
        else:
            units += 1
            last = Piece(piece_key, start, end)
    return Output(path, fmt, st.st_size, whole, header_end, units, records, last, key)


def records_between(path: Path, fmt: Format, key: Key, start: int, end: int) -> list[dict[str, Any]]:
    """The whole records between bytes ``start`` and ``end`` of ``path`` ([] when the file is shorter, or
    the bytes there are not records: it was replaced or cut since)."""
    try:
        found = [record for _, _, stop, record in _records(path, fmt, key, start, end) if stop <= end]
    except (OutputError, OSError):
        return []
    return found


def _check_header(path: Path, columns: Sequence[str]) -> int:
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.endswith(b"\n"):
        return 0
    names = next(csv.reader([first.decode("utf-8", "surrogateescape")]), [])
    if list(names) != list(columns):
        raise OutputError(str(path), "its CSV columns are not this run's, so it cannot be continued; write a new file")
    return len(first)


Found = Iterator[tuple[str, int, int, dict[str, Any]]]  # (key, start, end, record)


def _records(path: Path, fmt: Format, key: Key, start: int, stop: int) -> Found:
    """(key, start, end, record) of each whole record from byte ``start`` up to the file's end or ``stop``."""
    with path.open("rb") as handle:
        handle.seek(start)
        lines = _ByteLines(handle, start, stop)
        if fmt == "jsonl":
            yield from _json_lines(lines, key, path)
        else:
            yield from _csv_rows(lines, key, path)


class _ByteLines:
    """A binary file's lines from ``offset`` up to ``stop``, as text, with the bytes each one took."""

    def __init__(self, handle: io.BufferedReader, offset: int, stop: int) -> None:
        self._handle = handle
        self.offset = offset
        self.stop = stop
        self.taken = 0  # bytes of the lines handed out since the last ``mark``
        self.last_whole = True  # the last line handed out ended with its newline

    def __iter__(self) -> _ByteLines:
        return self

    def __next__(self) -> str:
        if self.offset + self.taken >= self.stop:
            raise StopIteration
        line = self._handle.readline()
        if not line:
            raise StopIteration
        self.taken += len(line)
        self.last_whole = line.endswith(b"\n")
        return line.decode("utf-8", "surrogateescape")

    def mark(self) -> tuple[int, int]:
        start, self.offset, self.taken = self.offset, self.offset + self.taken, 0
        return start, self.offset


def _json_lines(lines: _ByteLines, key: Key, path: Path) -> Found:
    for text in lines:
        if not lines.last_whole:
            return  # torn: cut off
        start, end = lines.mark()
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if not isinstance(record, dict) or "source" not in record:
            if end >= lines.stop or _at_end(lines):
                return  # a last line that is not a record is what a torn write left: cut off
            raise OutputError(str(path), f"holds something other than a record at byte {start}; cannot continue it")
        yield key(record), start, end, record


def _at_end(lines: _ByteLines) -> bool:
    with contextlib.suppress(OSError):
        return not lines._handle.peek(1)
    return False


def _csv_rows(lines: _ByteLines, key: Key, path: Path) -> Found:
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))  # a record's text or hops may be long
    with path.open("rb") as handle:
        header = next(csv.reader([handle.readline().decode("utf-8", "surrogateescape")]), [])
    reader = csv.reader(lines, strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            return  # a quote never closed: the last row is torn
        if not lines.last_whole:
            return  # its last line lacks the newline: torn
        start, end = lines.mark()
        if not cells:
            continue
        record = _unflatten(dict(zip(header, cells, strict=False)))
        yield key(record), start, end, record


def _unflatten(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row back in the record's shape, as far as the ledger needs it (JSON columns, booleans, line)."""
    out: dict[str, Any] = {}
    for name, text in row.items():
        value: Any = text if text != "" else None
        if value is not None and name in _JSON_COLUMNS:
            with contextlib.suppress(ValueError):
                value = json.loads(text)
        elif name in _BOOL_COLUMNS:
            value = text == "true"
        elif name == "line" and text.isdigit():
            value = int(text)
        out[name] = value
    return out


class AppendSink:
    """Appends to a regular file, first cutting it at ``keep`` bytes (what ``read_output`` found whole and the
    caller keeps). The file is opened (created with the umask's mode) at the first write or at ``commit``,
    so a run killed before its first unit changes nothing. ``position`` is where the next write lands.
    A failed write cuts the file back to where that write began, so no half unit stays: ``OutputError``."""

    def __init__(self, path: Path, keep: int | None = None) -> None:
        self.path = path
        self.label = str(path)
        self.keep = keep
        self.position = keep or 0
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
                try:
                    if self.keep is not None:
                        os.ftruncate(fd, self.keep)
                    self.position = os.lseek(fd, 0, os.SEEK_END)
                except OSError:
                    os.close(fd)
                    raise
            except OSError as exc:
                raise OutputError(self.label, exc.strerror or type(exc).__name__) from None
            self._fd = fd
        return self._fd

    def write(self, data: bytes) -> None:
        fd = self._open()
        begun = self.position
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, begun)  # a full disk leaves no half unit behind
            self.abort()
            raise OutputError(self.label, exc.strerror or type(exc).__name__) from None
        self.position = begun + len(data)

    def flush(self) -> None:
        """Make what was appended durable (a crash of the machine, not only of the process, keeps it)."""
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise OutputError(self.label, exc.strerror or type(exc).__name__) from None

    def commit(self) -> None:
        self._open()
        self.flush()
        self.abort()

    def abort(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def isatty(self) -> bool:
        return False
