"""A list of URLs → rows, streamed: a CSV column (``--urls FILE.csv --column url``) or one URL a line.

Each row is read as it comes (a file of 10⁶ rows is never held whole), with where its URL stands in the
file: the physical ``line`` the row starts on (1-based, the header is line 1) and the ``span`` of the URL
cell in the decoded text (inside its quotes, when it is quoted). CSV is read with the standard library's
``csv`` module (RFC 4180: quoted fields may hold commas, quotes and line breaks); the row's other columns
are kept by their header names. A plain list takes every non-blank line as one URL.

Text is UTF-8 (a BOM is skipped) unless its first mebibyte (what a pipe has sent so far) is not UTF-8, then
windows-1252 (what spreadsheets export on Windows). A row that names no URL, or not an http(s) one, is still a row: its
``problem`` says why, in one line, so it becomes a record with ``status: error`` instead of being dropped.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from ..errors import SourceError

SNIFF_BYTES = 1 << 20
MAX_FIELD = 1 << 24  # one cell may hold 16 MiB (csv's default of 128 KiB refuses long quoted texts)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a URL list."""

    source: str  # the list's path, or "-"
    line: int  # the physical line the row starts on, 1-based
    raw: str  # the URL cell as written, surrounding blanks removed
    span: tuple[int, int]  # the cell's characters in the decoded file
    columns: dict[str, str]  # the row's other columns (a plain list has none)
    problem: str | None = None  # why this row has no URL to follow


class UrlList:
    """An opened URL list: its header read already (``others``: the names of the row's other columns, in
    order), its rows read as it is iterated. Close it (or iterate it to its end)."""

    def __init__(self, source: str, column: str | None = None) -> None:
        self.source = source
        self.column = column
        self._text = _decoded(_open(source))
        self._lines = _Lines(self._text)
        self.names: list[str] = []
        self._where = 0
        if column is not None:
            try:
                self._reader = csv.reader(self._lines)  # csv pulls exactly the lines of one row: no read-ahead
                self._header(column)
            except BaseException:
                self.close()
                raise

    @property
    def others(self) -> list[str]:
        return [name for i, name in enumerate(self.names) if i != self._where]

    def _header(self, column: str) -> None:
        csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))
        try:
            header = next(self._reader)
        except StopIteration:
            raise SourceError(self.source, f"an empty file: no header with a column {column!r}") from None
        except csv.Error as exc:
            raise SourceError(self.source, f"not CSV: {exc}") from None
        self._lines.take()
        self.names = [name.strip() for name in header]
        if column not in self.names:
            raise SourceError(self.source, f"no column {column!r} (columns: {', '.join(self.names) or 'none'})")
        self._where = self.names.index(column)

    def __iter__(self) -> Iterator[Row]:
        try:
            yield from (self._csv_rows() if self.column is not None else _plain_rows(self.source, self._lines))
        except OSError as exc:  # the file or the pipe failed under us: the rows read so far stand
            raise SourceError(self.source, f"could not be read on: {exc.strerror or type(exc).__name__}") from None
        finally:
            self.close()

    def close(self) -> None:
        if self._text.closed:
            return
        if self.source == "-":
            with contextlib.suppress(ValueError):
                self._text.detach()  # standard input stays open for whoever else reads it
        else:
            self._text.close()

    def _csv_rows(self) -> Iterator[Row]:
        lines, column, where = self._lines, self.column, self._where
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a quote left open at the end of the file: that row is cut off
                number, start, raw_text = lines.take()
                yield Row(self.source, number, "", (start, start + len(raw_text)), {}, f"not CSV: {exc}")
                return
            number, start, raw_text = lines.take()
            if not cells:
                continue  # a blank line is no row
            value = cells[where].strip() if where < len(cells) else ""
            others = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(self.names) if i != where}
            yield _row(self.source, number, value, _cell_span(raw_text, start, where, value), others, column)


def read_rows(source: str, column: str | None = None) -> Iterator[Row]:
    """The rows of ``source`` (a path, or ``-`` for standard input), in order. Raises ``SourceError`` (one
    line) when the file cannot be opened, is not a regular file (or a pipe), or has no column ``column``."""
    yield from UrlList(source, column)


def _open(source: str) -> BinaryIO:
    import os
    import stat

    if source == "-":
        return sys.stdin.buffer
    try:
        handle = open(source, "rb", buffering=SNIFF_BYTES)  # noqa: SIM115 - closed by read_rows
    except OSError as exc:
        reason = "no such file" if isinstance(exc, FileNotFoundError) else (exc.strerror or type(exc).__name__)
        raise SourceError(source, reason) from None
    mode = os.fstat(handle.fileno()).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):  # a device would never end
        handle.close()
        raise SourceError(source, "not a regular file")
    return handle


def _decoded(stream: BinaryIO) -> io.TextIOWrapper:
    """The stream as text, its encoding chosen from the bytes at its start; lines as written (``newline=""``)."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, stream))
    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]  # what is buffered: up to a mebibyte of a file
    encoding = "utf-8-sig" if _is_utf8(head) else "windows-1252"
    return io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")


def _is_utf8(head: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end of the sniffed bytes is fine
    except UnicodeDecodeError:
        return False
    return True


class _Lines:
    """The text's physical lines, counting lines and characters before each row (for ``line`` and spans)."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self.offset = 0  # characters before the next row
        self.count = 0  # lines before the next row
        self._pending: list[str] = []  # the lines handed out since the last ``take``

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline()
        if not line:
            raise StopIteration
        self._pending.append(line)
        return line

    def take(self) -> tuple[int, int, str]:
        """The first line number, the start offset and the text of the lines handed out since the last call."""
        first, start, text = self.count + 1, self.offset, "".join(self._pending)
        self.offset += len(text)
        self.count += len(self._pending)
        self._pending = []
        return first, start, text


def _plain_rows(source: str, lines: _Lines) -> Iterator[Row]:
    for line in lines:
        number, start, _ = lines.take()
        value = line.strip()
        if value:
            lead = len(line) - len(line.lstrip())
            yield _row(source, number, value, (start + lead, start + lead + len(value)), {})


def _cell_span(row_text: str, start: int, index: int, value: str) -> tuple[int, int]:
    """Where cell ``index`` of a row stands (inside its quotes), by walking the row as csv's default
    dialect reads it; falls back to the value's first occurrence."""
    pos, cell = 0, 0
    n = len(row_text)
    while cell < index and pos < n:
        if row_text[pos] == '"':
            pos += 1
            while pos < n:
                if row_text[pos] == '"' and pos + 1 < n and row_text[pos + 1] == '"':
                    pos += 2
                elif row_text[pos] == '"':
                    pos += 1
                    break
                else:
                    pos += 1
        while pos < n and row_text[pos] not in ",\r\n":
            pos += 1
        if pos < n and row_text[pos] == ",":
            pos += 1
            cell += 1
        else:
            break
    if cell == index:
        quoted = pos < n and row_text[pos] == '"'
        begin = pos + 1 if quoted else pos
        found = row_text.find(value, begin) if value else begin
        if found >= 0:
            return start + found, start + found + len(value)
    found = row_text.find(value)
    return (start + found, start + found + len(value)) if value and found >= 0 else (start, start)


def _row(source: str, line: int, value: str, span: tuple[int, int], others: dict[str, str],
         column: str | None = None) -> Row:  # fmt: skip
    where = f" in column {column!r}" if column is not None else ""
    if not value:
        return Row(source, line, value, span, others, f"no URL{where}")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        shown = value if len(value) <= 80 else value[:77] + "..."
        return Row(source, line, value, span, others, f"not an http(s) URL{where}: {shown}")
    return Row(source, line, value, span, others)
