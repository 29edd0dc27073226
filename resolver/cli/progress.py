"""Progress bars on stderr: only on a terminal, never in quiet or JSON mode, gone once the work is done."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .log import json_mode


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)


def reading(*, quiet: bool) -> Callable[[list[str]], Iterable[str]]:
    """A walk over the sources being read, with a bar for more than a handful of them."""

    def walk(items: list[str]) -> Iterator[str]:
        if quiet or json_mode() or len(items) < 5 or not sys.stderr.isatty():
            yield from items  # the list grows as feeds are read: iterating it sees their articles too
            return
        from rich.progress import Progress

        with Progress(transient=True, console=_stderr_console()) as progress:
            task = progress.add_task("reading", total=len(items))
            for item in items:
                yield item
                progress.advance(task)

    return walk


class ProgressBar:
    """Links resolved so far, of how many: entered, it gives the pipeline's progress callback."""

    def __init__(self, *, quiet: bool) -> None:
        self.enabled = not quiet and not json_mode() and sys.stderr.isatty()  # JSON mode: only JSON lines
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[int, int], None]:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("resolving"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_stderr_console(),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("resolving", total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
