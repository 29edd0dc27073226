"""Sources → Documents: paths, directories, ``-`` and article URLs, decoded once (see ``decode``).

Reading is bounded: only regular files (and standard input) are read, each through one open file
descriptor and at most ``max_bytes + 1`` bytes of it, so a device (``/dev/zero``), a FIFO or a file that
grows while it is read can neither hang the run nor fill its memory. Directories are walked without
following symbolic links to directories (a link loop cannot trap the walk).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import SourceError
from ..models import ContentKind, Document
from .decode import decode_with_encoding, detect_kind

SUFFIXES = (".html", ".htm", ".md", ".markdown", ".txt")
MAX_SOURCE_BYTES = 64 * 1024 * 1024  # default cap: a page larger than this is refused, not half-read

Fetcher = Callable[[str], tuple[bytes, str | None, str]]  # url → (body, content-type, final url)


def document(
    source: str,
    data: bytes,
    *,
    kind: ContentKind | None = None,
    content_type: str | None = None,
    base_url: str | None = None,
) -> Document:
    """A Document from bytes already read (and already size-capped by whoever read them)."""
    text, encoding = decode_with_encoding(data, content_type)
    if kind is None:
        ctype = (content_type or "").lower()
        kind = "html" if "html" in ctype else ("markdown" if "markdown" in ctype else detect_kind(text))
    return Document(source=source, text=text, kind=kind, base_url=base_url, raw=data, encoding=encoding)


def expand_sources(sources: Iterable[str]) -> Iterator[str]:
    """Each SOURCE as given, with directories replaced by their article files (sorted, recursive).

    A directory that holds no article file is yielded as itself, so that reading it says so. Symbolic
    links to directories are not followed (no loops); links to files are, and the file is then read
    like any other (a link to a device is refused there).
    """
    for source in sources:
        if source != "-" and not _is_url(source) and os.path.isdir(source):
            files = article_files(source)
            yield from files if files else [source]
        else:
            yield source


def article_files(directory: str) -> list[str]:
    """The article files under ``directory``, sorted; unreadable subdirectories are listed as themselves."""
    found: list[Path] = []
    unreadable: list[Path] = []

    def note(error: OSError) -> None:
        if error.filename and os.path.normpath(error.filename) != os.path.normpath(directory):
            unreadable.append(Path(error.filename))

    for root, _dirs, names in os.walk(directory, onerror=note, followlinks=False):
        found.extend(Path(root, name) for name in names if Path(name).suffix.lower() in SUFFIXES)
    return [str(p) for p in sorted(found + unreadable)]


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_source(
    source: str,
    *,
    kind: ContentKind | None = None,
    fetch: Fetcher | None = None,
    max_bytes: int = MAX_SOURCE_BYTES,
) -> Document:
    """Read one SOURCE (a file path, ``-`` or an http(s) URL) into a Document. Raises SourceError.

    At most ``max_bytes`` are accepted; a larger source is refused, never half-read.
    """
    if source == "-":
        data = read_capped(sys.stdin.buffer, max_bytes)
        if data is None:
            raise SourceError("-", f"larger than {_size(max_bytes)} (--max-source-size); refused")
        return document("-", data, kind=kind)
    if _is_url(source):
        if fetch is None:
            raise SourceError(source, "fetching URLs is not available here")
        data, content_type, final_url = fetch(source)
        return document(source, data, kind=kind, content_type=content_type, base_url=final_url)
    return document(source, read_file(source, max_bytes), kind=kind)


@dataclass(frozen=True, slots=True)
class UnreadFile:
    """A file SOURCE not read yet: what reading it takes, so that it can be read where it is scanned (a
    worker process, which then neither receives the text through a pipe nor waits for the parent to
    decode it). ``size`` is its size when it was listed, in bytes (None: unknown): a bound for planning,
    not a promise; ``read`` applies the cap to what it finds."""

    source: str
    kind: ContentKind | None = None
    max_bytes: int = MAX_SOURCE_BYTES
    size: int | None = None

    def read(self) -> Document:
        """The Document, as :func:`read_source` reads it (it does). Raises SourceError."""
        return read_source(self.source, kind=self.kind, max_bytes=self.max_bytes)


def unread_file(path: str, kind: ContentKind | None = None, max_bytes: int = MAX_SOURCE_BYTES) -> UnreadFile:
    try:
        size: int | None = os.stat(path).st_size
    except OSError:  # reading it will say why, in its turn
        size = None
    return UnreadFile(path, kind, max_bytes, size)


def read_file(path: str, max_bytes: int = MAX_SOURCE_BYTES) -> bytes:
    """A regular file's bytes, at most ``max_bytes``; anything else is refused with a one-line reason.

    The file is opened once, non-blocking (opening a FIFO must not wait for a writer), and judged by
    ``fstat`` of that very descriptor, so nothing can be swapped in between the check and the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except OSError as exc:
        raise SourceError(path, _reason(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise SourceError(path, f"a directory with no article files ({', '.join(SUFFIXES)})")
        if not stat.S_ISREG(mode):
            raise SourceError(path, f"not a regular file ({_file_type(mode)}); refused")
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as handle:
            data = read_capped(handle, max_bytes)
    except OSError as exc:
        raise SourceError(path, _reason(exc)) from None
    finally:
        os.close(fd)
    if data is None:
        raise SourceError(path, f"larger than {_size(max_bytes)} (--max-source-size); refused")
    return data


def read_capped(stream: BinaryIO, max_bytes: int) -> bytes | None:
    """Everything ``stream`` holds if that is at most ``max_bytes``, else None (having read max_bytes + 1)."""
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        chunk = stream.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return None if total > max_bytes else b"".join(chunks)


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a file"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    return exc.strerror or str(exc)


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def parse_size(text: str) -> int:
    """ "64M", "1G", "500k", "1048576" (bytes; K/M/G are powers of 1024) → bytes. Raises ValueError."""
    value = text.strip().upper().removesuffix("IB").removesuffix("B")
    factor = {"K": 2**10, "M": 2**20, "G": 2**30}.get(value[-1:], 1)
    number = float(value[:-1] if factor > 1 else value)
    if number <= 0:
        raise ValueError(text)
    return int(number * factor)
