"""run(documents) → records: scan, then resolve every URL once, then enrich posts.

URLs are deduplicated across the whole run before anything is fetched; the store is asked first; what
is fetched is stored as soon as it is known (a run killed halfway keeps its finished work).

``RunOptions.deadline`` bounds the whole run — resolving, post metadata, expanding links inside posts —
and may be a :class:`~resolver.net.Deadline` shared with the phases around it (reading URL sources,
archiving). What the deadline cuts short ends as ``error`` ("the run's deadline was reached first"), its
markup metadata kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import defaults
from ..enrich import Enriched, Enricher, Fetcher
from ..models import Document, Finding, Link, Post, Resolution, ResolvedRecord
from ..net import Client, Deadline
from ..platforms import PostRef, canonical_post_url, match_post_url
from ..resolve.hops import ResolveOptions, first_url, post_resolution, resolve_url
from ..scan import LinkFilter, scan
from ..scan.urls import absolute_url, shortener_host
from ..store import STORED_AT, Freshness, MemoryStore, Store

Progress = Callable[[int, int], None]
DEADLINE_REACHED = "the run's deadline was reached first"


@dataclass
class RunOptions:
    links: LinkFilter = "all"
    whole_page: bool = False
    concurrency: int = defaults.CONCURRENCY
    deadline: Deadline | float | None = None  # the whole run (seconds from its start, or a Deadline)
    resolve: ResolveOptions = field(default_factory=ResolveOptions)
    freshness: Freshness = field(default_factory=Freshness)
    enrich: bool = True


@dataclass
class Stats:
    urls: int = 0
    fetched: int = 0
    from_cache: int = 0


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
    """Resolve each distinct URL once: from the store when fresh, else over the network (concurrently)."""
    stats = stats if stats is not None else Stats()
    deadline = deadline or Deadline.of(options.deadline)
    unique = list(dict.fromkeys(first_url(u) for u in urls))
    stats.urls = len(unique)
    results: dict[str, Resolution] = {}
    todo: list[str] = []
    now = time.time()
    for url in unique:
        cached = store.get("resolution", url)
        if cached is not None and now - cached.get(STORED_AT, now) > options.freshness.for_status(cached["status"]):
            cached = None  # kept, but older than this run allows: check again
        if cached is not None:
            results[url] = Resolution.from_dict(cached)
            stats.from_cache += 1
        else:
            todo.append(url)
    done = len(results)
    if progress:
        progress(done, len(unique))
    semaphore = asyncio.Semaphore(max(1, options.concurrency))

    async def one(url: str) -> None:
        nonlocal done
        async with semaphore:
            try:
                resolution = await resolve_url(url, client, options.resolve)
            except Exception as exc:  # a bug on one link is reported on that link; the run goes on
                resolution = Resolution(url, "error", None, None, (), f"internal error: {type(exc).__name__}: {exc}")
        results[url] = resolution
        store.put("resolution", url, resolution.to_dict(), options.freshness.for_status(resolution.status))
        stats.fetched += 1
        done += 1
        if progress:
            progress(done, len(unique))

    tasks = [asyncio.ensure_future(one(url)) for url in todo]
    await _until(deadline, tasks)
    for url in todo:
        if url not in results:
            results[url] = Resolution(url, "error", None, None, (), DEADLINE_REACHED)
    return results


async def _until(deadline: Deadline | None, tasks: Sequence[asyncio.Future[Any]]) -> None:
    """Wait for ``tasks``, cancelling (and awaiting) whatever is still running when ``deadline`` passes."""
    if not tasks:
        return
    finished, pending = await asyncio.wait(tasks, timeout=deadline.remaining() if deadline else None)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.gather(*finished)  # retrieve every finished task's exception: re-raise the first, lose none


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
    """Scan every document, resolve every URL found (once), enrich posts; records in source order."""
    options = options or RunOptions()
    scanned = scan_documents(documents, options, on_document_error)
    return await resolve_findings(
        scanned, client=client, store=store, options=options, progress=progress, stats=stats, fetchers=fetchers
    )


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
    scanned: list[Finding],
    *,
    client: Client,
    store: Store | None = None,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    stats: Stats | None = None,
    fetchers: dict[str, Fetcher] | None = None,
) -> list[ResolvedRecord]:
    """Resolve and enrich findings already made (a scan's, or those an archive run re-checks); in order."""
    options = options or RunOptions()
    store = store if store is not None else MemoryStore()
    deadline = Deadline.of(options.deadline)
    urls = [u for f in scanned if (u := f.url)]
    # Links inside copied posts can name the post (pic.twitter.com → /status/…/photo/1): resolve those too
    # even when --links hides them from the output.
    inner = [absolute_url(u) for f in scanned if isinstance(f, Post) for u in f.links]
    resolutions = await resolve_all(
        [*urls, *inner], client=client, store=store, options=options, progress=progress, stats=stats, deadline=deadline
    )

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

    online = enricher(options.enrich and not (deadline and deadline.passed))
    semaphore = asyncio.Semaphore(max(1, options.concurrency))

    async def one(finding: Finding) -> ResolvedRecord:
        async with semaphore:
            return await _record(finding, resolutions, online)

    tasks = [asyncio.ensure_future(one(f)) for f in scanned]
    await _until(deadline, tasks)
    online.cancel()
    offline = enricher(False)
    records = [
        task.result() if not task.cancelled() else _cut_short(await _record(f, resolutions, offline))
        for f, task in zip(scanned, tasks, strict=True)
    ]
    return await _expand_post_links(records, client=client, store=store, options=options, deadline=deadline)


def _cut_short(record: ResolvedRecord) -> ResolvedRecord:
    """A record whose metadata the deadline cut off: the markup's metadata stands, the status says error."""
    res = record.resolution
    if res is None or res.status != "ok":
        return record
    return replace(record, resolution=replace(res, status="error", error=f"{DEADLINE_REACHED} (post metadata)"))


async def _expand_post_links(
    records: list[ResolvedRecord],
    *,
    client: Client,
    store: Store,
    options: RunOptions,
    deadline: Deadline | None = None,
) -> list[ResolvedRecord]:
    """Links inside post metadata should be real targets: a source that only knows t.co links (oEmbed)
    gets them expanded through the same resolver and cache."""
    short = {u for r in records if r.post for u in r.post.links if shortener_host(u)}
    if not short or (deadline and deadline.passed):
        return records
    resolved = await resolve_all(short, client=client, store=store, options=options, deadline=deadline)

    def expand(url: str) -> str:
        res = resolved.get(first_url(url))
        return res.canonical_url if res and res.status == "ok" and res.canonical_url else url

    return [_with_links_failed(replace(r, post=replace(r.post, links=tuple(expand(u) for u in r.post.links))), resolved)
            if r.post else r for r in records]  # fmt: skip


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
