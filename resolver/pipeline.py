"""run(documents) → records: scan, then resolve every URL once, then enrich posts.

URLs are deduplicated across the whole run before anything is fetched; the store is asked first; what
is fetched is stored as soon as it is known (a run killed halfway keeps its finished work).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import httpx

from .enrich import Enricher, Fetcher
from .models import Document, Finding, Link, Post, PostMeta, Resolution, ResolvedRecord
from .resolve import ResolveOptions, first_url, resolve_url
from .scan import LinkFilter, scan
from .store import Freshness, MemoryStore, Store

Progress = Callable[[int, int], None]


@dataclass
class RunOptions:
    links: LinkFilter = "all"
    whole_page: bool = False
    concurrency: int = 32
    deadline: float | None = None  # seconds for the whole run; unfinished items end as errors
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
    client: httpx.AsyncClient,
    store: Store,
    options: RunOptions,
    progress: Progress | None = None,
    stats: Stats | None = None,
) -> dict[str, Resolution]:
    """Resolve each distinct URL once: from the store when fresh, else over the network (concurrently)."""
    stats = stats if stats is not None else Stats()
    unique = list(dict.fromkeys(first_url(u) for u in urls))
    stats.urls = len(unique)
    results: dict[str, Resolution] = {}
    todo: list[str] = []
    for url in unique:
        cached = store.get("resolution", url)
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
            resolution = await resolve_url(url, client, options.resolve)
        results[url] = resolution
        store.put("resolution", url, resolution.to_dict(), options.freshness.for_status(resolution.status))
        stats.fetched += 1
        done += 1
        if progress:
            progress(done, len(unique))

    tasks = [asyncio.ensure_future(one(url)) for url in todo]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=options.deadline)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    for url in todo:
        if url not in results:
            results[url] = Resolution(url, "error", None, None, (), "the run's deadline was reached first")
    return results


def _url_of(finding: Finding) -> str | None:
    return finding.url


async def run(
    documents: Iterable[Document],
    *,
    client: httpx.AsyncClient,
    store: Store | None = None,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    stats: Stats | None = None,
    on_document_error: Callable[[Document, Exception], None] | None = None,
    fetchers: dict[str, Fetcher] | None = None,
) -> list[ResolvedRecord]:
    """Scan every document, resolve every URL found (once), enrich posts; records in source order."""
    options = options or RunOptions()
    store = store if store is not None else MemoryStore()
    scanned: list[tuple[Document, list[Finding]]] = []
    for doc in documents:
        try:
            scanned.append((doc, scan(doc, links=options.links, whole_page=options.whole_page)))
        except Exception as exc:
            if on_document_error is None:
                raise
            on_document_error(doc, exc)
    urls = [u for _, findings in scanned for f in findings if (u := _url_of(f))]
    # Links inside copied posts can name the post (pic.twitter.com → /status/…/photo/1): resolve those too
    # even when --links none hides them from the output.
    hidden_links = [u for _, findings in scanned for f in findings if isinstance(f, Post) for u in f.links]
    resolutions = await resolve_all(
        [*urls, *(_absolute(u) for u in hidden_links)],
        client=client,
        store=store,
        options=options,
        progress=progress,
        stats=stats,
    )
    enricher = None
    if options.enrich:
        enricher = Enricher(client=client, store=store, freshness=options.freshness, fetchers=fetchers or {})
    records: list[ResolvedRecord] = []
    for _doc, findings in scanned:
        for finding in findings:
            records.append(await _record(finding, resolutions, enricher))
    return records


def _absolute(raw: str) -> str:
    from .urls import absolute_url

    return absolute_url(raw)


async def _record(finding: Finding, resolutions: dict[str, Resolution], enricher: Enricher | None) -> ResolvedRecord:
    if isinstance(finding, Link):
        resolution = resolutions.get(first_url(finding.url))
        post = None
        if enricher and resolution and resolution.status == "ok" and resolution.canonical_url:
            post = await enricher.for_url(resolution.canonical_url)
        return ResolvedRecord(finding, resolution, post)
    return await _post_record(finding, resolutions, enricher)


async def _post_record(post: Post, resolutions: dict[str, Resolution], enricher: Enricher | None) -> ResolvedRecord:
    resolution = resolutions.get(first_url(post.url)) if post.url else None
    if resolution is None or resolution.canonical_url is None:
        derived = _post_from_links(post, resolutions)
        if derived is not None:
            resolution = derived
    if resolution is not None and resolution.canonical_url:
        from .platforms import match_post_url

        ref = match_post_url(resolution.canonical_url)
        if ref is not None:
            post = replace(
                post,
                post_id=post.post_id or ref.post_id,
                url=post.url or resolution.canonical_url,
                author_handle=post.author_handle or ref.handle,
            )
    if resolution is None:
        target = None
        if post.post_id and post.platform == "twitter":
            target = f"https://x.com/i/status/{post.post_id}"
        if target is not None:
            from .resolve import post_resolution

            resolution = post_resolution(target)
        if resolution is None:
            resolution = Resolution(post.url or "", "ok", None, None)
    meta: PostMeta | None = None
    if enricher is not None:
        meta = await enricher.for_post(post, resolution.canonical_url)
        if meta is not None:
            post = replace(
                post,
                author_name=post.author_name or meta.author_name,
                author_handle=post.author_handle or meta.author_handle,
                published=post.published or meta.created_at,
            )
            if resolution.canonical_url and meta.url and meta.url != resolution.canonical_url:
                resolution = replace(resolution, canonical_url=meta.url)
    return ResolvedRecord(post, resolution, meta)


def _post_from_links(post: Post, resolutions: dict[str, Resolution]) -> Resolution | None:
    """A copied post without its status link: its own media link (pic.twitter.com) leads to it."""
    from .platforms import match_post_url

    candidates: list[tuple[int, Resolution]] = []
    for raw in post.links:
        resolution = resolutions.get(first_url(_absolute(raw)))
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
