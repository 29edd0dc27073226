"""The store an article partition's records are assembled with: the known answers, then what it learns.

``get`` answers from the answers handed to the task (the run's answers for the partition's URLs), then
from the answers other workers learnt while assembling theirs (shared through Redis, when the run has
one: a post cited in many partitions is fetched once). ``put`` keeps the answer, shares it, and appends it
to the task's answer log, so that a later run knows it too.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from ..store import STORED_AT
from .answers import AnswerLog

if TYPE_CHECKING:
    from redis import Redis

SHARED_PREFIX = "resolver:answer:"


class TaskStore:
    """A :class:`~resolver.store.Store` for one task: prefilled, shared through Redis, logged in chunks."""

    failure: StoreError | None = None

    def __init__(self, known: dict[tuple[str, str], dict[str, Any]], log: AnswerLog | None = None,
                 shared: Redis | None = None, clock: Any = None) -> None:  # fmt: skip
        import time

        self._clock = clock or time.time
        now = self._clock()
        # Judged fresh when the run anti-joined them: they stay fresh for the whole run.
        self._known = {k: {**v, STORED_AT: now} for k, v in known.items()}
        self._log = log
        self._shared = shared

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        found = self._known.get((kind, key))
        if found is not None or self._shared is None:
            return found
        raw = self._shared.get(f"{SHARED_PREFIX}{kind}:{key}")
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)
        value[STORED_AT] = self._clock()
        self._known[(kind, key)] = value
        return value

    def put(self, kind: str, key: str, value: dict[str, Any], ttl: float) -> None:
        value = {**value, STORED_AT: self._clock()}
        self._known[(kind, key)] = value
        if self._shared is not None and ttl > 0:
            clean = {k: v for k, v in value.items() if k != STORED_AT}
            self._shared.set(f"{SHARED_PREFIX}{kind}:{key}", json.dumps(clean, ensure_ascii=False),
                             ex=max(1, math.ceil(ttl)))  # fmt: skip
        if self._log is not None:
            self._log.add(kind, key, value, ttl, value.get("status") if kind == "resolution" else None)

    def close(self) -> None:
        if self._log is not None:
            self._log.flush()
