"""Every SOURCE in turn → Documents: paths, directories, ``-``, article URLs, and what feeds and sitemaps list.

A source that cannot be read is handed to ``on_error`` as one ``SourceError`` and the others are still
read. A URL is fetched through ``fetch``: a :class:`UrlFetch` (its own client and event loop: for ``scan``,
which has neither), or a :class:`ClientFetch`, which hands the request to a running run's event loop and
client — its guard, its rate meter, its connections, its cassette — so that a reader working in a thread
of its own never blocks that loop. A feed or sitemap given as a SOURCE is replaced by the articles it
lists. Nothing here prints.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ResolverError, SourceError
from ..models import ContentKind, Document
from .files import MAX_SOURCE_BYTES, Fetcher, UnreadFile, document, expand_sources, read_source, unread_file

if TYPE_CHECKING:
    import asyncio

    import httpx

    from ..net import Client, Deadline

Fetched = tuple[bytes, str | None, str]  # body, content type, final URL
MAX_ARTICLES = 500  # read from one feed or sitemap
MAX_LISTINGS = 20  # feeds and sitemaps read in one run: an index may list sitemaps; a hostile one cannot loop us


@functools.lru_cache(maxsize=4)
def replay(cassette: Path | None) -> httpx.AsyncBaseTransport | None:
    """The ``--cassette`` transport, loaded once: URL sources and the run's client share it, so repeated
    requests walk through the cassette's repeated recordings as one."""
    if cassette is None:
        return None  # no cassette, no YAML reader to import
    from ..net.cassette import CassetteTransport

    return CassetteTransport.from_paths(cassette)


@dataclass(frozen=True)
class UrlFetch:
    """Fetches a SOURCE given as a URL the run's way; every failure is a ``SourceError`` (one line)."""

    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()
    timeout: float = 30.0
    max_bytes: int = MAX_SOURCE_BYTES
    cassette: Path | None = None  # URL sources are replayed too: no request leaves a --cassette run
    deadline: Deadline | None = None
    user_agent: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, url: str) -> Fetched:
        from .fetch import fetch_article

        try:
            return fetch_article(
                url,
                allow_private=self.allow_private,
                allow_hosts=self.allow_hosts,
                timeout=self.timeout,
                transport=replay(self.cassette),
                deadline=self.deadline,
                max_bytes=self.max_bytes,
                user_agent=self.user_agent,
                headers=self.headers,
            )
        except ResolverError as exc:
            raise SourceError(url, str(exc)) from None
        except Exception as exc:  # network failures of every kind end as one line on this source
            raise SourceError(url, f"could not fetch: {exc or type(exc).__name__}") from None


    def through(self, client: Client, loop: asyncio.AbstractEventLoop) -> ClientFetch:
        """The same fetch, done by ``client`` in ``loop`` (a run's) for a reader in another thread."""
        return ClientFetch(self, client, loop)


@dataclass(frozen=True)
class ClientFetch:
    """Fetches a SOURCE given as a URL in a running event loop, through that run's client, for a reader that
    works in another thread (calling it from the loop's own thread would wait for itself)."""

    rules: UrlFetch
    client: Any  # resolver.net.Client (a Session, or the caller's httpx.AsyncClient)
    loop: asyncio.AbstractEventLoop

    def __call__(self, url: str) -> Fetched:
        import asyncio
        import concurrent.futures

        from .fetch import fetch_article_with

        work = fetch_article_with(
            self.client, url, timeout=self.rules.timeout, max_bytes=self.rules.max_bytes, deadline=self.rules.deadline
        )
        try:
            return asyncio.run_coroutine_threadsafe(work, self.loop).result()
        except ResolverError as exc:
            raise SourceError(url, str(exc)) from None
        except (concurrent.futures.CancelledError, asyncio.CancelledError, RuntimeError):
            work.close()
            raise SourceError(url, "not fetched: the run ended first") from None
        except Exception as exc:  # network failures of every kind end as one line on this source
            raise SourceError(url, f"could not fetch: {exc or type(exc).__name__}") from None


def _each(queue: list[str]) -> Iterable[str]:
    return queue


class SourceReader:
    """The Documents of every SOURCE, read lazily in turn; ``failed`` counts the sources that could not be.

    Each failure goes to ``on_error`` (by default it is kept in ``errors``). ``walk`` goes over the queue of
    sources, which grows as feeds are read: a progress bar may wrap it. ``fetch`` may be replaced before the
    reader is iterated (a run hands it a :class:`ClientFetch` of its own client). ``skip`` names documents not
    to read at all (a resumed output already holds them); ``skipped`` counts them. :meth:`items` may leave
    files unread, for whoever scans them to read (:class:`UnreadFile`); a file that fails there is reported
    through :meth:`failed_source`, as one read here would be.
    """

    def __init__(
        self,
        sources: Iterable[str],
        *,
        kind: ContentKind | None = None,
        max_bytes: int = MAX_SOURCE_BYTES,
        fetch: Fetcher | None = None,
        on_error: Callable[[SourceError], None] | None = None,
        walk: Callable[[list[str]], Iterable[str]] = _each,
        skip: Callable[[str], bool] | None = None,
    ) -> None:
        self.sources = list(expand_sources(sources))  # every source read or listed, feeds' articles included
        self.kind = kind
        self.max_bytes = max_bytes
        self.fetch: Fetcher = fetch or UrlFetch(max_bytes=max_bytes)
        self.errors: list[SourceError] = []
        self.on_error = on_error if on_error is not None else self.errors.append
        self.walk = walk
        self.skip = skip
        self.failed = 0
        self.skipped = 0

    def failed_source(self, error: SourceError) -> None:
        """A source that could not be read: counted, and reported to ``on_error``."""
        self.failed += 1
        self.on_error(error)

    def __iter__(self) -> Iterator[Document]:
        for item in self.items():
            assert isinstance(item, Document)
            yield item

    def items(self, *, files_unread: bool = False) -> Iterator[Document | UnreadFile]:
        """Every SOURCE's Document in turn; with ``files_unread``, a file SOURCE as an :class:`UnreadFile`
        (standard input, URLs and feeds are read here all the same)."""
        queue = list(self.sources)
        listings_left = MAX_LISTINGS
        for source in self.walk(queue):
            if self.skip is not None and self.skip(source):  # a feed itself has no records: it is always read
                self.skipped += 1
                continue
            try:
                if not source.startswith(("http://", "https://")):
                    if files_unread and source != "-":
                        yield unread_file(source, self.kind, self.max_bytes)
                    else:
                        yield read_source(source, kind=self.kind, fetch=self.fetch, max_bytes=self.max_bytes)
                    continue
                data, content_type, final_url = self.fetch(source)
                from .feeds import detect, walk  # imported only when a URL is read

                if detect(data, final_url) and listings_left > 0:
                    listings_left -= 1
                    problems: list[SourceError] = []  # a sitemap of an index that fails: reported, not fatal
                    entries = walk(data, final_url, self.fetch, on_error=problems.append)[:MAX_ARTICLES]
                    for problem in problems:
                        self.failed_source(problem)
                    if not entries:
                        raise SourceError(source, "a feed or sitemap that lists no articles")
                    queue.extend(e for e in entries if e not in queue)
                    self.sources.extend(e for e in entries if e not in self.sources)
                    continue
                yield document(source, data, kind=self.kind, content_type=content_type, base_url=final_url)
            except SourceError as exc:
                self.failed_source(exc)
