"""The landing pages' dates found by htmldate in a process of its own, beside the run's event loop.

htmldate is the costliest step of reading a landing page (a sixth of the resolver's CPU on small pages,
milliseconds on real ones), and while it runs it holds the event loop: every answer that arrives waits
behind it. :class:`DateWorker` is a child process (``python -m resolver.resolve.dateworker``) that the run
starts first and sends each page's capped head to; it reads it exactly as
:func:`~resolver.resolve.pages.html_date` does in process, on another CPU. htmldate is imported there, so
its 60 ms import no longer stalls the run's requests either.

The two speak through the child's standard input and output: frames of a 4-byte length and a JSON array,
``[n, head, url]`` one way and ``[n, date, failed]`` the other, answered in order. The child holds nothing worth
keeping: it exits when its input closes, and a run that ends early kills it. A child that cannot start or
that dies (killed, out of memory) is not replaced: the dates it had not given, and every later one, are
found in the run's own process, and the run says so once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import sys
from collections.abc import AsyncIterator
from typing import Protocol

from ..defaults import usable_cpus
from .pages import DATE_SCAN_CHARS, html_date

_log = logging.getLogger(__name__)
_LENGTH = struct.Struct(">I")


class DateFinder(Protocol):
    """A page's date (``YYYY-MM-DD``) from its body and URL, as :func:`html_date` finds it, or None."""

    async def __call__(self, body: str, url: str | None) -> str | None: ...


class _WorkerGone(Exception):
    """The child died or could not start: this page's date is found in process."""


class _FailedThere(Exception):
    """htmldate raised in the child: the page is read again in process, where it raises as it always did."""


class DateWorker:
    """htmldate in a child process (see the module docstring), started by ``begin`` (or the first page that
    asks for its date) inside the run's event loop; ``close`` it there too."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None  # while it answers
        self._child: asyncio.subprocess.Process | None = None  # until ``close`` has waited for it
        self._starting: asyncio.Future[None] | None = None
        self._reader: asyncio.Future[None] | None = None
        self._asked: dict[int, asyncio.Future[str | None]] = {}
        self._count = 0

    @staticmethod
    def worth_it() -> bool:
        """Whether a child can run beside the run: with one CPU it would only take turns with it."""
        return usable_cpus() > 1

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def begin(self) -> None:
        """Start the child now, without waiting for it: it imports htmldate while the run starts its client
        and sends its first requests, and is ready when the first landing page is (else pages wait for it)."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())

    async def __call__(self, body: str, url: str | None) -> str | None:
        head = body[:DATE_SCAN_CHARS]
        if "<" not in head:
            return None  # not markup (as html_date says, without the trip)
        self.begin()
        assert self._starting is not None
        if not self._starting.done():
            await asyncio.shield(self._starting)
        process = self._process
        if process is not None and process.stdin is not None:
            import orjson

            self._count += 1
            asked = self._asked[self._count] = asyncio.get_running_loop().create_future()
            frame = orjson.dumps([self._count, head, url])
            process.stdin.write(_LENGTH.pack(len(frame)) + frame)
            try:
                await process.stdin.drain()  # a child slower than the pages: the pipe's buffer bounds what waits
                date: str | None = await asked
                return date
            except _FailedThere:
                pass
            except (_WorkerGone, ConnectionError):
                self._gone()
        return html_date(head, url)

    async def _start(self) -> None:
        try:
            self._process = self._child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", __name__, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
        except (OSError, ValueError) as exc:  # no process could be started (a process limit, memory, no python)
            _log.warning("pages' dates are found in the run's own process: no worker could be started (%s)", exc)
            return
        self._reader = asyncio.ensure_future(self._read_answers(self._process))

    async def _read_answers(self, process: asyncio.subprocess.Process) -> None:
        import orjson

        assert process.stdout is not None
        out = process.stdout
        try:
            while True:
                (size,) = _LENGTH.unpack(await out.readexactly(_LENGTH.size))
                number, date, failed = orjson.loads(await out.readexactly(size))
                asked = self._asked.pop(number, None)
                if asked is not None and not asked.done():
                    if failed:
                        asked.set_exception(_FailedThere())
                    else:
                        asked.set_result(date)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            self._gone()

    def _gone(self) -> None:
        """The child is gone: every page still waiting for it, and every later one, is dated in process."""
        process = self._process
        if process is None:
            return
        if self._asked:
            how = "stopped answering" if process.returncode is None else f"died (exit {process.returncode})"
            _log.warning("the process finding pages' dates %s; the rest are found in the run's own", how)
        self._kill()
        for asked in self._asked.values():
            if not asked.done():
                asked.set_exception(_WorkerGone())
        self._asked.clear()

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.kill()

    async def close(self) -> None:
        """Stop the child: it holds nothing, so it is killed rather than let finish (it may be importing),
        and waited for (a child that died is reaped here too)."""
        try:
            if self._starting is not None:
                await asyncio.shield(self._starting)
        finally:  # cancelled while it was starting: a child started already is killed all the same
            self._kill()
            if self._reader is not None:
                self._reader.cancel()
        child, self._child = self._child, None
        if child is not None:
            await child.wait()


@contextlib.asynccontextmanager
async def date_worker() -> AsyncIterator[DateWorker | None]:
    """A run's worker, begun (None where one CPU is all there is), closed when the run ends, however."""
    worker = DateWorker() if DateWorker.worth_it() else None
    if worker is not None:
        worker.begin()  # it imports htmldate while the run starts its client and sends its first requests
    try:
        yield worker
    finally:
        if worker is not None:
            await worker.close()


def _serve() -> None:
    """The child: answer each frame of standard input on standard output until the input closes."""
    import signal

    import orjson

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: the run answers it
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = source.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return
        number, head, url = orjson.loads(source.read(_LENGTH.unpack(header)[0]))
        try:
            answer = orjson.dumps([number, html_date(head, url), False])
        except Exception:  # told, not lost: the run reads that page again itself, where it raises as before
            answer = orjson.dumps([number, None, True])
        sink.write(_LENGTH.pack(len(answer)) + answer)
        sink.flush()


if __name__ == "__main__":
    _serve()
