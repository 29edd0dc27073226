"""Every stderr line: one line each, as text (``resolver: …``) or as one JSON object (``--log-format json``).

Library warnings, log records, unraisable exceptions and the event loop's complaints are routed here too,
so nothing ever prints a multi-line dump.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Coroutine
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    import asyncio

    from ..errors import SourceError
    from ..models import Document
    from ..read.files import UnreadFile

T = TypeVar("T")


class LogFormat(str, Enum):
    text = "text"
    json = "json"


_json = False


def set_log_format(fmt: LogFormat) -> None:
    global _json
    _json = fmt is LogFormat.json


def json_mode() -> bool:
    """Whether stderr carries only JSON lines (then no progress bar either)."""
    return _json


def log(event: str, message: str, **fields: Any) -> None:
    """One line on stderr: human text, or one JSON object per line with --log-format json."""
    message = " ".join(message.split())  # one line, whatever the message carried
    if _json:
        import json
        import time

        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, "message": message}
        line = json.dumps({**record, **fields}, ensure_ascii=False, default=str)
    else:
        line = f"resolver: {message}"
    with contextlib.suppress(OSError, ValueError):  # a closed stderr must not turn a result into a crash
        typer.echo(line, err=True)


def warn(message: str, **fields: Any) -> None:
    log("warning", f"warning: {message}", **fields)


def error(message: str, **fields: Any) -> None:
    log("error", f"error: {message}", **fields)


def source_failed(exc: SourceError) -> None:
    """A SOURCE that could not be read: one line naming it (the others are still read)."""
    error(str(exc), source=exc.source)


def scan_failed(doc: Document | UnreadFile, exc: Exception) -> None:
    """A page the scanner failed on (a bug): one line naming it and the exception (the others go on)."""
    error(f"{doc.source}: could not scan: {type(exc).__name__}: {exc}")


class _LogHandler(logging.Handler):
    """Library log records (asyncio, aiohttp, …) as our one-line stderr lines: no multi-line dumps."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            text = record.getMessage()
            fields: dict[str, Any] = {"logger": record.name, "level": record.levelname.lower()}
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                text = f"{text}: {type(exc).__name__}: {exc}"
                fields["exception"] = type(exc).__name__
            log("log", f"{record.name}: {text}", **fields)


def route_diagnostics() -> None:
    """Send warnings, library logging and unraisable exceptions through ``log`` (idempotent)."""
    import warnings

    root = logging.getLogger()
    if not any(isinstance(h, _LogHandler) for h in root.handlers):
        root.addHandler(_LogHandler(level=logging.WARNING))

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        log("warning", f"warning: {category.__name__}: {message} ({Path(filename).name}:{lineno})")

    warnings.showwarning = show

    def unraisable(info: Any) -> None:
        exc = info.exc_value
        log("internal_error", f"internal error (ignored): {type(exc).__name__}: {exc}", exception=type(exc).__name__)

    sys.unraisablehook = unraisable


def run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio's own loop, its complaints logged as one line (uvloop was measured and did not pay here).

    What the run has imported by now is frozen first (see ``main.long_run_collector``)."""
    import asyncio  # only for the commands that go online: scan starts without it
    import gc

    gc.freeze()

    async def guarded() -> T:
        asyncio.get_running_loop().set_exception_handler(_loop_exception)
        return await coro

    return asyncio.run(guarded())


def _loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's complaints (an exception nobody retrieved, …) as one line, not a multi-line dump."""
    exc = context.get("exception")
    detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
    log(
        "internal_error",
        f"internal error (asyncio): {context.get('message', 'unhandled')}{detail}",
        exception=type(exc).__name__ if exc is not None else None,
    )
