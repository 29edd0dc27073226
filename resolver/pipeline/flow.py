"""The flow of a run: findings → records — every distinct URL resolved once, posts enriched, in bounded memory.

``Flow`` is what a run is made of once its client and stores are open. ``records(findings)`` gives the
records of a batch of findings (one document's, one row's) in their order: their URLs through the run's
answers (``answers``: shared in flight, remembered in the run's memory, the cache asked first), post
metadata through the enricher, then the short links inside that metadata expanded. Many batches are in
flight at once (``stream`` keeps a bounded window of them and hands their records on in input order).

``RunOptions.deadline`` bounds the whole run — resolving, post metadata, expanding links inside posts —
and may be a :class:`~resolver.net.Deadline` shared with the phases around it (reading URL sources,
archiving). What the deadline cuts short ends as ``error`` ("the run's deadline was reached first"), its
markup metadata kept.

``run(documents)``, ``resolve_findings(findings)`` and ``resolve_all(urls)`` are the library's list-in,
list-out calls on top of it (findings in, records out, in order; answers found and kept in the ``store``
given, so a store pre-filled with known answers makes them send no resolve requests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from .. import defaults
from ..enrich import Enriched, Enricher, Fetcher
from ..models import Document, Finding, Link, Post, Resolution, ResolvedRecord
from ..net import Client, Deadline, within
from ..platforms import PostRef, canonical_post_url, match_post_url
from ..resolve.hops import ResolveOptions, first_url, post_resolution
from ..scan import LinkFilter, scan
from ..scan.urls import absolute_url, shortener_host
from ..store import Freshness, MemoryStore, Store
from .answers import DEADLINE_REACHED, Answers, Layered, Progress, Stats
from .stream import Unit, in_order, in_parts
from .units import document_units

__all__ = ["DEADLINE_REACHED", "Flow", "Progress", "RunOptions", "Stats", "resolve_all", "resolve_findings", "run"]


@dataclass
class RunOptions:
    links: LinkFilter = "all"
    whole_page: bool = False
    concurrency: int = defaults.CONCURRENCY
    deadline: Deadline | float | None = None  # the whole run (seconds from its start, or a Deadline)
    resolve: ResolveOptions = field(default_factory=ResolveOptions)
    freshness: Freshness = field(default_factory=Freshness)
    enrich: bool = True


class Flow:
    """Records for batches of findings, through one run's answers, enricher and deadline.

    ``memory`` is the run's memory (see ``answers``), ``cache`` the answers of earlier runs (None: none).
    Made inside the run's event loop; ``close`` it at the end (it stops metadata fetches still under way)."""

    def __init__(
        self,
        client: Client,
        *,
        memory: Store,
        cache: Store | None,
        options: RunOptions,
        stats: Stats | None = None,
        progress: Progress | None = None,
        fetchers: dict[str, Fetcher] | None = None,
    ) -> None:
        self.options = options
        self.deadline = Deadline.of(options.deadline)
        self.stats = stats if stats is not None else Stats()
        self.answers = Answers(
            client,
            memory=memory,
            cache=cache,
            options=options.resolve,
            freshness=options.freshness,
            concurrency=options.concurrency,
            deadline=self.deadline,
            stats=self.stats,
            progress=progress,
        )
        store = Layered(memory, cache)

        def enricher(network: bool) -> Enricher:
            return Enricher(
                client=client,
                store=store,
                freshness=options.freshness,
                network=network,
                allow_private=options.resolve.allow_private,
                policy=options.resolve.policy,
                limiter=options.resolve.limiter,
                fetchers=fetchers,
                item_timeout=options.resolve.item_timeout,
            )

        self.online = enricher(options.enrich)
        self.offline = enricher(False)
        self._slots = asyncio.Semaphore(max(1, options.concurrency))
        # At the deadline every metadata fetch still under way stops (their records fall back to the markup).
        self._timer = (
            asyncio.get_running_loop().call_later(self.deadline.remaining(), self.online.cancel)
            if self.deadline is not None
            else None
        )

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.online.cancel()

    async def records(self, findings: Sequence[Finding]) -> list[ResolvedRecord]:
        """The records of ``findings``, in their order."""
        if not findings:
            return []
        urls = [u for f in findings if (u := f.url)]
        # Links inside copied posts can name the post (pic.twitter.com → /status/…/photo/1): resolve those too
        # even when --links hides them from the output.
        inner = [absolute_url(u) for f in findings if isinstance(f, Post) for u in f.links]
        resolutions = await self.answers.resolve_many([*urls, *inner])
        records = await asyncio.gather(*(self._record(f, resolutions) for f in findings))
        return await self._expand_post_links(list(records))

    async def _record(self, finding: Finding, resolutions: dict[str, Resolution]) -> ResolvedRecord:
        async with self._slots:
            if self.deadline is None:
                return await _record(finding, resolutions, self.online)
            try:
                return await within(self.deadline.remaining(), _record(finding, resolutions, self.online))
            except TimeoutError:
                if not self.deadline.passed:
                    raise
        return _cut_short(await _record(finding, resolutions, self.offline))

    async def _expand_post_links(self, records: list[ResolvedRecord]) -> list[ResolvedRecord]:
        """Links inside post metadata should be real targets: a source that only knows t.co links (oEmbed)
        gets them expanded through the same resolver and cache."""
        short = [u for r in records if r.post for u in r.post.links if shortener_host(u)]
        if not short or (self.deadline and self.deadline.passed):
            return records
        resolved = await self.answers.resolve_many(short, counted=False)

        def expand(url: str) -> str:
            res = resolved.get(first_url(url))
            return res.canonical_url if res and res.status == "ok" and res.canonical_url else url

        return [_with_links_failed(replace(r, post=replace(r.post, links=tuple(expand(u) for u in r.post.links))),
                                   resolved) if r.post else r for r in records]  # fmt: skip


async def run(
    documents: Iterable[Document],
    *,
    client: Client,
    store: Store | None = None,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    stats: Stats | None = None,
    on_document_error: Callable[[Document, Exception], None] | None = None,
    fetchers: dict[str, Fetcher] | None = None,
) -> list[ResolvedRecord]:
    """Scan every document, resolve every URL found (once), enrich posts: records in source order, the
    documents in a bounded window of work (see ``stream``). Answers are looked up and kept in ``store``."""
    options = options or RunOptions()
    flow = Flow(client, memory=MemoryStore(), cache=store, options=options, stats=stats, progress=progress,
                fetchers=fetchers)  # fmt: skip

    async def units() -> AsyncIterator[Unit]:
        documents_units = document_units(documents, options.links, options.whole_page, on_document_error)
        for unit in in_parts(documents_units, part_for(window_for(options))):
            yield unit

    out: list[ResolvedRecord] = []
    try:
        async for _, records in in_order(units(), lambda unit: flow.records(unit.findings), window=window_for(options)):
            out.extend(records)
    finally:
        flow.close()
    return out


def window_for(options: RunOptions) -> int:
    """Findings in flight at once: enough to keep ``concurrency`` requests busy while the oldest batch (whose
    records are written first) waits on a slow link; few enough that memory stays flat."""
    return max(1024, 32 * options.concurrency)


def part_for(window: int) -> int:
    """The most findings of one unit: a larger document goes in parts, four of them fill the window (so the
    next part starts while the last links of the one before are still out)."""
    return max(1, window // 4)


def scan_documents(
    documents: Iterable[Document],
    options: RunOptions,
    on_document_error: Callable[[Document, Exception], None] | None = None,
) -> list[Finding]:
    scanned: list[Finding] = []
    for doc in documents:
        try:
            scanned.extend(scan(doc, links=options.links, whole_page=options.whole_page))
        except Exception as exc:
            if on_document_error is None:
                raise
            on_document_error(doc, exc)
    return scanned


async def resolve_findings(
    scanned: Sequence[Finding],
    *,
    client: Client,
    store: Store | None = None,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    stats: Stats | None = None,
    fetchers: dict[str, Fetcher] | None = None,
) -> list[ResolvedRecord]:
    """Resolve and enrich findings already made (a scan's, a partition's, or those an archive run re-checks):
    their records, in order. Resolutions are found through ``store`` (a store holding fresh answers for every
    URL makes this send no resolve request) and what is learnt is put there."""
    options = options or RunOptions()
    flow = Flow(client, memory=MemoryStore(), cache=store, options=options, stats=stats, progress=progress,
                fetchers=fetchers)  # fmt: skip
    try:
        return await flow.records(scanned)
    finally:
        flow.close()


async def resolve_all(
    urls: Iterable[str],
    *,
    client: Client,
    store: Store,
    options: RunOptions,
    progress: Progress | None = None,
    stats: Stats | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Resolution]:
    """Resolve each distinct URL once: from the store when fresh, else over the network (concurrently);
    keyed by the URL first requested (``first_url``)."""
    answers = Answers(client, memory=MemoryStore(), cache=store, options=options.resolve,
                      freshness=options.freshness, concurrency=options.concurrency,
                      deadline=deadline or Deadline.of(options.deadline), stats=stats, progress=progress)  # fmt: skip
    return await answers.resolve_many(urls)


def _cut_short(record: ResolvedRecord) -> ResolvedRecord:
    """A record whose metadata the deadline cut off: the markup's metadata stands, the status says error."""
    res = record.resolution
    if res is None or res.status != "ok":
        return record
    return replace(record, resolution=replace(res, status="error", error=f"{DEADLINE_REACHED} (post metadata)"))


def _with_links_failed(record: ResolvedRecord, resolved: dict[str, Resolution]) -> ResolvedRecord:
    """A post whose metadata keeps a short link because following it failed (worth retrying) is ``error``:
    its links are part of its metadata. A dead or refused short link is a final answer and stays as it is."""
    res = record.resolution
    failed = [r.error for u in record.post.links if (r := resolved.get(first_url(u))) and r.status == "error"] if (
        record.post and res is not None and res.status == "ok"
    ) else []  # fmt: skip
    if not failed or res is None:
        return record
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    return replace(record, resolution=replace(res, status="error", error=f"{failed[0]}{more}"))


async def _record(finding: Finding, resolutions: dict[str, Resolution], enricher: Enricher) -> ResolvedRecord:
    if isinstance(finding, Link):
        resolution = resolutions.get(first_url(finding.url))
        post = None
        if resolution and resolution.status == "ok" and resolution.canonical_url:
            enriched = await enricher.for_url(resolution.canonical_url)
            if enriched is not None:
                post = enriched.meta
                resolution = _dead_if(resolution, enriched)
        return ResolvedRecord(finding, resolution, post)
    return await _post_record(finding, resolutions, enricher)


def _dead_if(resolution: Resolution, enriched: Enriched) -> Resolution:
    """A post's status covers its metadata: gone is dead, refused is blocked, a failed fetch is error."""
    if enriched.blocked:
        return replace(resolution, status="blocked", error=enriched.blocked)
    if enriched.dead:
        return replace(resolution, status="dead", error=f"the post is gone: {enriched.dead}")
    if enriched.error:  # the markup's metadata stays attached; the next run asks again
        return replace(resolution, status="error", error=enriched.error)
    if enriched.meta and enriched.meta.url and resolution.canonical_url != enriched.meta.url:
        return replace(resolution, canonical_url=enriched.meta.url)  # the platform knows the real handle
    return resolution


async def _post_record(post: Post, resolutions: dict[str, Resolution], enricher: Enricher) -> ResolvedRecord:
    resolution = resolutions.get(first_url(post.url)) if post.url else None
    if resolution is None or resolution.canonical_url is None:
        derived = _post_from_links(post, resolutions)
        if derived is not None:
            resolution = derived
    if resolution is not None and resolution.canonical_url:
        ref = match_post_url(resolution.canonical_url)
        if ref is not None:
            post = replace(
                post,
                post_id=post.post_id or ref.post_id,
                url=post.url or resolution.canonical_url,
                author_handle=post.author_handle or ref.handle,
            )
    if resolution is None and post.post_id:
        target = canonical_post_url(PostRef(post.platform, post.post_id, post.author_handle))
        if post.platform != "mastodon":
            resolution = post_resolution(target)
    if resolution is None:
        resolution = _unresolved_post(post, resolutions)
    enriched = await enricher.for_post(post, resolution.canonical_url)
    meta = enriched.meta if enriched else None
    if enriched is not None:
        if meta is not None:
            post = replace(
                post,
                author_name=post.author_name or meta.author_name,
                author_handle=post.author_handle or meta.author_handle,
                published=post.published or meta.created_at,
            )
        if resolution.canonical_url or enriched.dead or enriched.blocked or enriched.error:
            resolution = _dead_if(resolution, enriched)
    return ResolvedRecord(post, resolution, meta)


def _unresolved_post(post: Post, resolutions: dict[str, Resolution]) -> Resolution:
    """A post with neither URL nor id. If its own links failed, say so (a later run may learn its id)."""
    failed = [r for raw in post.links if (r := resolutions.get(first_url(absolute_url(raw)))) and r.status == "error"]
    if failed:
        return Resolution(
            post.url or "", "error", None, None, (), f"its links could not be followed: {failed[0].error}"
        )
    return Resolution(post.url or "", "ok", None, None)


def _post_from_links(post: Post, resolutions: dict[str, Resolution]) -> Resolution | None:
    """A copied post without its status link: its own media link (pic.twitter.com) leads to it."""
    candidates: list[tuple[int, Resolution]] = []
    for raw in post.links:
        resolution = resolutions.get(first_url(absolute_url(raw)))
        if resolution is None or resolution.canonical_url is None:
            continue
        ref = match_post_url(resolution.canonical_url)
        if ref is None or ref.platform != post.platform:
            continue
        rank = 0 if "pic." in raw else 1  # the post's own media first; a t.co may quote another post
        if post.author_handle and ref.handle and ref.handle.lower() != post.author_handle.lower():
            rank += 2
        candidates.append((rank, resolution))
    if not candidates:
        return None
    return min(candidates, key=lambda item: item[0])[1]
