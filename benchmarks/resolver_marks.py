"""`resolver` with time marks, for benchmarks/timeline.py: the same command, in the resolver's own Python.

    python resolver_marks.py resolve … (RESOLVER_MARKS=FILE: where the marks go)

It notes (wall-clock seconds, one "name=time" per mark on one line of FILE) when Python was up, when the
command line had been imported, when the HTTP session had been made and the first request handed to it, when
the command returned and when the last exit handler ran; what comes after that until the process ends is the
interpreter's own teardown. It wraps two methods of the default transport and changes nothing they do.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from typing import Any

MARKS: list[tuple[str, float]] = [("python up", time.time())]


def mark(name: str) -> None:
    MARKS.append((name, time.time()))


def write_marks() -> None:
    mark("exit handlers done")
    with open(os.environ["RESOLVER_MARKS"], "a", encoding="utf-8") as out:
        out.write(" ".join(f"{name.replace(' ', '_')}={at:.4f}" for name, at in MARKS) + "\n")


atexit.register(write_marks)  # registered first: it runs after every other exit handler

from resolver.cli import main  # noqa: E402
from resolver.net.transport import AiohttpSeam  # noqa: E402

mark("command line imported")
_ready, _open = AiohttpSeam.ready, AiohttpSeam.open


def ready(self: AiohttpSeam) -> Any:
    made = self._session is not None
    session = _ready(self)
    if not made:
        mark("http session made")
    return session


_handed_over: list[bool] = []


async def open_first(self: AiohttpSeam, *args: Any, **kwargs: Any) -> Any:
    if not _handed_over:
        _handed_over.append(True)
        mark("first request handed over")
    return await _open(self, *args, **kwargs)


AiohttpSeam.ready = ready  # type: ignore[method-assign]
AiohttpSeam.open = open_first  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv = ["resolver", *sys.argv[1:]]
    try:
        main()
    finally:
        mark("command returned")
