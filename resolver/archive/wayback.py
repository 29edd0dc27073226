"""The Wayback Machine: CDX lookups and Save Page Now.

* **lookup** — the CDX API (the availability API sometimes answers ``{}`` for archived pages), asking for
  the latest captures and keeping the newest *good* one: a 2xx capture, or a revisit of one. Archived error
  pages (a replayed 404 or 429) and archived redirects are not captures of the source. With ``--near``
  (:mod:`resolver.archive.near`) it asks CDX for the captures closest to a moment instead (``closest=`` with
  ``sort=closest``) and keeps the nearest good one; the record says which rule chose it. CDX asks for about
  30 requests a minute and sends 429 without ``Retry-After``: requests are spaced (``cdx_interval``) and a
  bare 429 waits a minute. A blocked site (403 + ``X-Archive-Wayback-Runtime-Error``) is reported as such.
* **save** (``--save``) — Save Page Now 2 for sources with no capture, or none newer than ``max_age``,
  with the user's keys from ``IA_ACCESS_KEY``/``IA_SECRET_KEY``; the job is polled until it ends or
  ``spn_timeout`` passes, one job at a time (SPN's per-user limits are small).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from ..errors import FetchError
from ..net import Client
from ..store import Store
from .near import Moment, Target

DEADLINE_REACHED = "the run's deadline was reached first"
NOTHING_YET: dict[str, Any] = {
    "wayback_url": None,
    "archived_at": None,
    "chosen_by": None,  # "newest", "near-article", "near-date", "saved" (Save Page Now's new capture)
    "target": None,  # with --near: the date or moment the capture was chosen nearest to
    "target_from": None,  # with --near: "article" (its published date), "run-date" (it has none), "option"
    "saved": False,
    "warc": None,
    "error": None,
}
_FIELDS = "urlkey,timestamp,original,mimetype,statuscode,digest,length"
CDX = "https://web.archive.org/cdx/search/cdx"
SPN = "https://web.archive.org/save"
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class ArchiveOptions:
    lookup: bool = True
    save: bool = False
    max_age: float | None = None  # seconds: an older capture is saved again (with --save)
    warc: Path | None = None
    cdx_interval: float = 2.5  # 24 requests a minute: 80 % of the CDX limit, as the IA asked of the wayback library
    bare_429_wait: float = 60.0  # CDX and SPN 429s carry no Retry-After
    spn_poll_interval: float = 6.0
    spn_timeout: float = 180.0
    access_key: str | None = field(default_factory=lambda: os.environ.get("IA_ACCESS_KEY"))
    secret_key: str | None = field(default_factory=lambda: os.environ.get("IA_SECRET_KEY"))
    lookup_ttl: float = 7 * 86400
    cdx_url: str = CDX
    spn_url: str = SPN
    sleep: Sleep = asyncio.sleep
    clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Capture:
    timestamp: str  # YYYYMMDDhhmmss
    original: str

    @property
    def wayback_url(self) -> str:
        return f"https://web.archive.org/web/{self.timestamp}/{self.original}"

    @property
    def archived_at(self) -> str:
        return (
            dt.datetime.strptime(self.timestamp, "%Y%m%d%H%M%S")
            .replace(tzinfo=dt.timezone.utc)
            .isoformat()
            .replace("+00:00", "Z")
        )

    def age(self, now: float) -> float:
        when = dt.datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc).timestamp()
        return now - when


class ArchiveError(Exception):
    """Archiving one source failed; the message goes on the record's ``archive.error``."""


def parse_cdx(text: str) -> list[dict[str, str]]:
    """CDX plain-text lines (``urlkey timestamp original mimetype statuscode digest length``), newest last."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 7:
            keys = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest")
            rows.append(dict(zip(keys, parts[:6], strict=True)))
    return rows


def best_capture(rows: list[dict[str, str]]) -> Capture | None:
    """The newest capture of the page itself: 2xx, or a revisit (identical payload to an earlier capture).
    Archived errors (4xx/5xx, e.g. a replayed 429) and archived redirects (3xx) do not count."""
    return _first_good(sorted(rows, key=lambda r: r["timestamp"], reverse=True), rows)


def _first_good(ordered: list[dict[str, str]], rows: list[dict[str, str]]) -> Capture | None:
    """The first of ``ordered`` that is a capture of the page itself: a 2xx, or a revisit of a 2xx among ``rows``
    (or of anything, when ``rows`` hold no 2xx to compare with)."""
    good_digests = {r["digest"] for r in rows if r["statuscode"].startswith("2")}
    for row in ordered:
        status = row["statuscode"]
        if status.startswith("2"):
            return Capture(row["timestamp"], row["original"])
        if row["mimetype"] == "warc/revisit" and status == "-" and (row["digest"] in good_digests or not good_digests):
            return Capture(row["timestamp"], row["original"])
    return None


def nearest_capture(rows: list[dict[str, str]], moment: Moment) -> Capture | None:
    """The good capture (as :func:`best_capture` counts them) nearest ``moment``, before or after it; of two
    as near, the earlier (what the page was when it was cited, not what it became)."""
    target = dt.datetime.strptime(moment.cdx, "%Y%m%d%H%M%S")

    def distance(row: dict[str, str]) -> tuple[float, str]:
        try:
            when = dt.datetime.strptime(row["timestamp"][:14].ljust(14, "0"), "%Y%m%d%H%M%S")
        except ValueError:
            return (float("inf"), row["timestamp"])
        return (abs((when - target).total_seconds()), row["timestamp"])

    return _first_good(sorted(rows, key=distance), rows)


class Throttle:
    """At most one request per ``interval`` seconds (shared by all tasks of a run)."""

    def __init__(self, interval: float, sleep: Sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._sleep = sleep
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            if now < self._next:
                await self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@dataclass
class Archiver:
    client: Client
    store: Store
    options: ArchiveOptions = field(default_factory=ArchiveOptions)
    allow_private: bool = False
    _throttle: Throttle | None = None
    _spn_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._throttle = Throttle(self.options.cdx_interval, self.options.sleep)

    async def _get(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        max_body: int = 4 * 1024 * 1024,
    ) -> Any:
        from ..net import fetch_once

        for attempt in range(3):
            response = await fetch_once(
                self.client,
                url,
                method=method,
                headers=headers,
                content=content,
                max_body=max_body,
                allow_private=self.allow_private,
                read_body=lambda _: True,
            )
            if response.status == 429 and attempt < 2 and not response.headers.get("memento-datetime"):
                await self.options.sleep(self.options.bare_429_wait)
                continue
            if response.status in (502, 503, 504) and attempt < 2:
                await self.options.sleep(5.0 * (attempt + 1))
                continue
            return response
        return response

    async def lookup(self, url: str) -> Capture | None:
        """The newest good capture of ``url``, from the store when fresh."""
        cached = self.store.get("wayback", url)
        if cached is not None:
            return Capture(cached["timestamp"], cached["original"]) if cached.get("timestamp") else None
        rows = await self._cdx({"url": url, "limit": "-25", "fl": _FIELDS})
        capture = best_capture(rows)
        if capture is None and len(rows) >= 25:
            # The newest 25 are all errors or redirects: ask for the newest good one directly.
            again = {"url": url, "limit": "-1", "filter": "statuscode:200", "fl": _FIELDS}
            capture = best_capture(await self._cdx(again, final=False))
        value = {"timestamp": capture.timestamp, "original": capture.original} if capture else {}
        self.store.put("wayback", url, value, self.options.lookup_ttl if capture else self.options.lookup_ttl / 7)
        return capture

    async def lookup_near(self, url: str, moment: Moment) -> Capture | None:
        """The good capture of ``url`` nearest ``moment``, from the store when fresh.

        CDX's closest-capture query: ``closest=<14 digits>&sort=closest`` returns the captures of the exact
        URL ordered by their distance from that moment; the 25 nearest are read and the nearest good one
        kept. When all 25 are errors or redirects, the nearest 200 is asked for directly
        (``filter=statuscode:200&limit=1``)."""
        key = f"{url} near {moment.cdx}"
        cached = self.store.get("wayback-near", key)
        if cached is not None:
            return Capture(cached["timestamp"], cached["original"]) if cached.get("timestamp") else None
        rows = await self._cdx({"url": url, "closest": moment.cdx, "sort": "closest", "limit": "25", "fl": _FIELDS})
        capture = nearest_capture(rows, moment)
        if capture is None and len(rows) >= 25:
            query = {"url": url, "closest": moment.cdx, "sort": "closest", "limit": "1", "filter": "statuscode:200"}
            capture = nearest_capture(await self._cdx({**query, "fl": _FIELDS}, final=False), moment)
        value = {"timestamp": capture.timestamp, "original": capture.original} if capture else {}
        self.store.put("wayback-near", key, value, self.options.lookup_ttl if capture else self.options.lookup_ttl / 7)
        return capture

    async def _cdx(self, params: dict[str, str], *, final: bool = True) -> list[dict[str, str]]:
        """One CDX query (spaced by the throttle): its rows. A refusal raises ArchiveError when ``final``;
        a follow-up query that fails just finds nothing more."""
        assert self._throttle is not None
        await self._throttle.wait()
        response = await self._get(f"{self.options.cdx_url}?{urlencode(params)}")
        if response.status != 200 and not final:
            return []
        runtime_error = response.headers.get("x-archive-wayback-runtime-error", "")
        if response.status == 403 and "Blocked" in runtime_error:
            raise ArchiveError("the Wayback Machine excludes this site (blocked)")
        if response.status != 200:
            raise ArchiveError(f"the CDX API answered HTTP {response.status}")
        return parse_cdx(response.body.decode("utf-8", "replace"))

    async def save(self, url: str) -> Capture:
        """Save Page Now 2: request a capture and poll the job until it ends (or the timeout passes)."""
        if not (self.options.access_key and self.options.secret_key):
            raise ArchiveError("--save needs IA_ACCESS_KEY and IA_SECRET_KEY (archive.org/account/s3.php)")
        auth = {
            "Authorization": f"LOW {self.options.access_key}:{self.options.secret_key}",
            "Accept": "application/json",
        }
        async with self._spn_lock:  # one capture at a time: SPN's per-user session limit is small
            form = urlencode({"url": url, "skip_first_archive": "1"}).encode()
            response = await self._get(
                self.options.spn_url,
                method="POST",
                content=form,
                headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
            )
            answer = _json(response.body)
            if response.status != 200 or not answer.get("job_id"):
                raise ArchiveError(f"Save Page Now refused: {_spn_reason(answer, response.status)}")
            job = str(answer["job_id"])
            waited = 0.0
            while waited <= self.options.spn_timeout:
                await self.options.sleep(self.options.spn_poll_interval)
                waited += self.options.spn_poll_interval
                status = await self._get(f"{self.options.spn_url}/status/{job}", headers=auth)
                state = _json(status.body)
                if state.get("status") == "success" and state.get("timestamp"):
                    return Capture(str(state["timestamp"]), str(state.get("original_url") or url))
                if state.get("status") == "error":
                    raise ArchiveError(f"Save Page Now failed: {_spn_reason(state, status.status)}")
            raise ArchiveError(f"Save Page Now job {job} did not finish within {self.options.spn_timeout:g} s")

    async def archive(self, url: str, target: Target | None = None) -> dict[str, Any]:
        """Look the source up (its newest good capture, or the one nearest ``target``), save it when asked
        and due, and say which rule chose the capture the record names."""
        result: dict[str, Any] = dict(NOTHING_YET)
        if target is not None:
            result["target"], result["target_from"] = target.moment.iso, target.target_from
        try:
            if not self.options.lookup:
                capture = None
            elif target is None:
                capture = await self.lookup(url)
            else:
                capture = await self.lookup_near(url, target.moment)
            chosen_by = ("newest" if target is None else target.chosen_by) if capture is not None else None
            if self.options.save:
                # Whether a new capture is due depends on the newest one, whichever capture the record names.
                newest = capture if target is None or self.options.max_age is None else await self.lookup(url)
                stale = newest is None or (
                    self.options.max_age is not None and newest.age(self.options.clock()) > self.options.max_age
                )
                if stale:
                    saved = await self.save(url)
                    result["saved"] = True
                    value = {"timestamp": saved.timestamp, "original": saved.original}
                    self.store.put("wayback", url, value, self.options.lookup_ttl)
                    if target is None or capture is None:  # the near capture, when there is one, stays the answer
                        capture, chosen_by = saved, "saved"
            if capture is not None:
                result["wayback_url"] = capture.wayback_url
                result["archived_at"] = capture.archived_at
                result["chosen_by"] = chosen_by
        except (ArchiveError, FetchError) as exc:
            result["error"] = str(exc)
        except httpx.HTTPError as exc:
            result["error"] = f"the Wayback Machine could not be reached: {type(exc).__name__}: {exc}"
        return result


def _json(body: bytes) -> dict[str, Any]:
    import json

    try:
        value = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _spn_reason(answer: dict[str, Any], status: int) -> str:
    return str(answer.get("status_ext") or answer.get("message") or f"HTTP {status}")
