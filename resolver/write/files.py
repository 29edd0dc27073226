"""Checked writing to stdout or a file.

A regular file or a new path is written atomically — a temporary file beside it, fsync, rename — with the
mode a new file gets from the user's umask (an existing file keeps its mode; a symbolic link is kept and its
target replaced). Anything else (``/dev/null``, ``/dev/stdout``, a FIFO, a terminal) is written to directly,
never renamed over: root may rename onto a device node, which would replace ``/dev/null`` with a regular
file. Every failed write, fsync or rename raises ``OutputError`` (one line) and leaves no temporary file
behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO, cast

from ..errors import OutputError


class ByteSink:
    """One output target, opened the way its kind needs; ``commit`` makes the written bytes final."""

    def __init__(self, path: str | None) -> None:
        self.label = "stdout" if path in (None, "-") else str(path)
        self._stream: BinaryIO | None = None
        self._fd: int | None = None
        self._tmp: Path | None = None
        self._target: Path | None = None
        if path is None or path == "-":
            sys.stdout.flush()
            self._stream = cast(BinaryIO, getattr(sys.stdout, "buffer", sys.stdout))
            return
        if (fd := _inherited_fd(str(path))) is not None:
            # /dev/stdout and friends name a descriptor the shell opened (perhaps `>> log`): write to that
            # very descriptor, keeping its offset and append mode; never replace what it points at.
            try:
                self._fd = os.dup(fd)
            except OSError as exc:
                raise OutputError(self.label, _why(exc)) from None
            return
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self._open_atomic(Path(path), None)
            return
        except OSError as exc:
            raise OutputError(self.label, _why(exc)) from None
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(self.label, "is a directory")
        if stat.S_ISREG(st.st_mode):
            # Through a symbolic link, replace the file it names and keep the link.
            self._open_atomic(Path(os.path.realpath(path)), stat.S_IMODE(st.st_mode))
        else:
            self._open_direct(path)

    def _open_atomic(self, target: Path, mode: int | None) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            while True:
                tmp = target.parent / f".{target.name}.{os.urandom(4).hex()}.tmp"
                try:
                    # 0o666 as given to open(2): the kernel applies the umask, as for any new file.
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
                    break
                except FileExistsError:
                    continue
            self._fd, self._tmp, self._target = fd, tmp, target
            if mode is not None:
                os.fchmod(fd, mode)
        except OSError as exc:
            self.abort()
            raise OutputError(self.label, _why(exc)) from None

    def _open_direct(self, path: str) -> None:
        import fcntl

        flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags)  # non-blocking: a FIFO nobody reads fails now instead of hanging
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                raise OutputError(self.label, "a FIFO that nobody reads") from None
            raise OutputError(self.label, _why(exc)) from None
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        self._fd = fd

    @property
    def atomic(self) -> bool:
        """Whether what is written appears only at ``commit`` (a temporary file renamed into place)."""
        return self._tmp is not None

    def write(self, data: bytes) -> None:
        try:
            if self._stream is not None:
                # Flushed at once: stdout on a pipe is block-buffered, and a unit's records must reach the
                # reader when they are written, not 8 KB later or at exit (streaming output, `| jq`, cron).
                self._stream.write(data)
                self._stream.flush()
                return
            assert self._fd is not None
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            self._failed(exc)

    def commit(self) -> None:
        """Flush (and for a file: fsync and rename into place). Raises OutputError."""
        try:
            if self._stream is not None:
                self._stream.flush()
                return
            fd, self._fd = self._fd, None
            if fd is None:
                return
            try:
                if self._tmp is not None:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if self._tmp is not None and self._target is not None:
                os.replace(self._tmp, self._target)
                self._tmp = None
                _fsync_directory(self._target.parent)
        except OSError as exc:
            self._failed(exc)

    def abort(self) -> None:
        """Give up: close, and remove the temporary file (the target stays as it was)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None

    def isatty(self) -> bool:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if self._stream is not None:
                return bool(self._stream.isatty())
            return self._fd is not None and os.isatty(self._fd)
        return False

    def _failed(self, exc: OSError) -> None:
        self.abort()
        if self._stream is not None and exc.errno == errno.EPIPE:
            _silence_stdout()  # or the interpreter's last flush at exit prints a second complaint
            raise OutputError(self.label, "the reader closed the pipe") from None
        raise OutputError(self.label, _why(exc)) from None


class TextSink:
    """The text face of a ByteSink for the formatters (json, csv, rich): UTF-8, buffered, checked."""

    def __init__(self, sink: ByteSink, buffer_size: int = 1 << 16) -> None:
        self._sink = sink
        self._parts: list[str] = []
        self._size = 0
        self._limit = buffer_size

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self._limit:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._parts:
            data = "".join(self._parts).encode("utf-8", "surrogateescape")
            self._parts, self._size = [], 0
            self._sink.write(data)

    def isatty(self) -> bool:
        return self._sink.isatty()


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    """A text stream onto stdout or ``path``, made final only when the block ends without an error."""
    with open_output_bytes(path) as sink:
        text = TextSink(sink)
        yield cast(TextIO, text)
        text.flush()


@contextlib.contextmanager
def open_output_bytes(path: str | None) -> Iterator[ByteSink]:
    sink = ByteSink(path)
    try:
        yield sink
    except BaseException:
        sink.abort()
        raise
    sink.commit()


def write_bytes(path: str | None, data: bytes) -> None:
    """Write ``data`` to stdout or ``path`` (see the module docstring). Raises OutputError."""
    with open_output_bytes(path) as sink:
        sink.write(data)


_FD_PATH = re.compile(r"/dev/(stdout|stderr|fd/(\d+))|/proc/self/fd/(\d+)")


def _inherited_fd(path: str) -> int | None:
    m = _FD_PATH.fullmatch(path)
    if m is None:
        return None
    named = {"stdout": 1, "stderr": 2}.get(m.group(1) or "")
    return named if named is not None else int(m.group(2) or m.group(3))


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; some filesystems cannot fsync a directory, which is fine."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
