"""What a platform fetcher may do over HTTP: GET a URL under the run's retry policy and host limits.

Fetchers live in their platform's module and reach the network only through a ``FetchContext`` (which goes
through ``resolver.net``, and so through the address guard), so tests and ``--cassette`` replay them like
everything else. The context remembers what went wrong on the way, so a fetcher may skip a source that
failed and try the next one while the record still says so:

* ``refused``: the address guard's refusals (the record ends ``blocked`` if nothing was learnt);
* ``failures``: requests worth asking again later — a network failure or timeout, a request the cassette
  lacks, a 408/429/5xx still there after the retries, a ``Retry-After`` longer than the run waits, an
  answer that could not be read. The record ends ``error`` if no source gave the metadata.

A fetcher declares the sources it tries, in order, with :func:`tries` (``resolver platforms`` prints them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..models import Media, PostMeta

if TYPE_CHECKING:
    from ..net import Client

# httpx is imported where a request is made, not here: `resolver scan` loads the registry, not the HTTP stack.

Source = Literal["markup", "syndication", "oembed", "fxtwitter", "api", "opengraph"]


@dataclass(frozen=True)
class Fetched:
    """A fetcher's verdict: metadata, or that the post is gone (with why), or nothing learnt."""

    meta: PostMeta | None = None
    dead: str | None = None  # "deleted by its author", "not found", …
    missing: bool = False  # a source said "not found" without being sure (try the next one)
    blocked: str | None = None  # the address guard refused a request, and nothing was learnt otherwise
    error: str | None = None  # no source answered and a request failed for a reason worth retrying


NOTHING = Fetched()


@dataclass(frozen=True, slots=True)
class Failure:
    """One request of a post's metadata that failed for a reason worth retrying in a later run."""

    method: str
    url: str
    reason: str  # one line

    def __str__(self) -> str:
        # A cassette miss already reads "cassette has no interaction for GET https://…": keep it verbatim,
        # so a replaying checker can read the METHOD URL it has to add.
        if self.reason.endswith(f"{self.method} {self.url}"):
            return self.reason
        return f"{self.method} {self.url} failed: {self.reason}"


def summarize(failures: list[Failure]) -> str:
    """One line for a record: the first failure in request order, and how many more there were.

    Naming the first is what lets a run that is answered pass by pass converge: the next pass gets
    past that request, and the one after it (if any is still missing) is named then."""
    distinct = list({(f.method, f.url): f for f in failures}.values())
    more = f" (+{len(distinct) - 1} more)" if len(distinct) > 1 else ""
    return f"{distinct[0]}{more}"


@dataclass
class FetchContext:
    client: Client
    allow_private: bool = False
    max_body: int = 2 * 1024 * 1024
    policy: Any = None  # resolver.net.RetryPolicy
    limiter: Any = None  # resolver.net.HostLimiter
    budget: Any = None  # resolver.net.Budget: the post's time, shared by all its requests and waits
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the guard's refusals, in order
    failures: list[Failure] = field(default_factory=list)  # requests worth retrying later, in order
    # What a page's HTML says of itself (title, description…): the enricher injects the resolver's page
    # reader, so platform modules stay beneath the stages that read pages.
    page_meta: Callable[[str, str], dict[str, str] | None] | None = None
    _noted: list[BaseException] = field(default_factory=list, repr=False)

    async def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """One GET (retried per policy): a ``resolver.net.HopResponse`` with its body read (capped).

        Raises what ``resolver.net`` raises; every failure is noted in ``refused`` or ``failures`` first.
        A 408/429/5xx left after the retries is returned (the fetcher sees no answer) and noted too."""
        import httpx

        from ..errors import BlockedError, FetchError
        from ..net import RETRY_STATUSES, HostLimiter, RetryPolicy, fetch_with_retry

        policy = self.policy or RetryPolicy()
        limiter = self.limiter or HostLimiter()
        self.requests.append(url)
        try:
            async with limiter.slot(url):
                response = await fetch_with_retry(
                    self.client,
                    url,
                    policy=policy,
                    budget=self.budget,
                    max_body=self.max_body,
                    allow_private=self.allow_private,
                    read_body=lambda _: True,
                    headers=headers,
                )
        except BlockedError as exc:
            self.refused.append(str(exc))
            raise
        except (FetchError, httpx.HTTPError) as exc:
            self.note(exc, url)
            raise
        if response.status in RETRY_STATUSES:
            tries = f"{policy.attempts} tries" if policy.attempts > 1 else "1 try"
            self.failures.append(Failure("GET", url, f"HTTP {response.status} after {tries}"))
        return response

    async def get_json(self, url: str) -> tuple[int, Any]:
        """(status, parsed JSON or None). A body that is not JSON (some APIs answer errors as 200 HTML,
        YouTube once answered "Forbidden" as 200 text) is None, whatever the status says."""
        response = await self.get(url, headers={"Accept": "application/json"})
        return response.status, parse_json(response.content_type, response.body)

    def note(self, exc: BaseException, url: str | None = None) -> None:
        """Note a failed request (once, however often the exception is seen): ``url``, else the last one."""
        if any(seen is exc for seen in self._noted):
            return
        self._noted.append(exc)
        self.failures.append(Failure("GET", url or self._last(), _one_line(exc)))

    def note_unreadable(self, exc: BaseException) -> None:
        """The last answer could not be read (a shape no parser expected): worth a look, and a retry."""
        self._noted.append(exc)
        reason = f"the answer could not be read: {type(exc).__name__}: {_one_line(exc)}"
        self.failures.append(Failure("GET", self._last(), reason))

    def _last(self) -> str:
        return self.requests[-1] if self.requests else "(no request made)"


def _text(value: Any) -> str | None:
    """A string field of an answer, or None (a field of another type says nothing we can use)."""
    return value if isinstance(value, str) and value else None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def parse_json(content_type: str, body: bytes) -> Any:
    if "json" not in content_type and body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None


# --- which sources a fetcher tries --------------------------------------------------------------------

FetchFunction = Callable[[Any, FetchContext], Awaitable[Fetched]]
F = TypeVar("F", bound=FetchFunction)
_SOURCES: dict[Any, tuple[Source, ...]] = {}


def tries(*sources: Source) -> Callable[[F], F]:
    """Declare the keyless sources a fetch function asks, in order (``resolver platforms`` prints them)."""

    def mark(fetch: F) -> F:
        _SOURCES[fetch] = sources
        return fetch

    return mark


def sources_of(fetch: Any) -> tuple[Source, ...]:
    """The sources a platform's fetch function tries, in order; () for a platform with none (markup only)."""
    return _SOURCES.get(fetch, ()) if fetch is not None else ()


def from_source(fetched: Fetched, source: Source) -> Fetched:
    """``fetched`` with its metadata marked as coming from ``source``."""
    return replace(fetched, meta=replace(fetched.meta, source=source)) if fetched.meta else fetched


async def oembed(ctx: FetchContext, endpoint: str, ref: Any, platform: str, post_url: str) -> Fetched:
    """A standard oEmbed answer → PostMeta: title as text, author, handle from author_url, thumbnail.

    400/404/410 mean the post is gone; 403 that it is private or removed (YouTube's recorded answer)."""
    status, data = await ctx.get_json(endpoint)
    if status in (400, 404, 410):
        return Fetched(dead=f"not found (oEmbed answered {status})")
    if status == 403:
        return Fetched(dead="private or removed (oEmbed answered 403)")
    if status != 200 or not isinstance(data, dict):
        return NOTHING
    author_url = (_text(data.get("author_url")) or "").rstrip("/")
    handle = author_url.rsplit("/", 1)[-1].lstrip("@") if author_url else None
    thumbnail = _text(data.get("thumbnail_url"))
    return Fetched(
        PostMeta(
            platform=platform,
            id=ref.post_id,
            url=post_url,
            author_name=_text(data.get("author_name")),
            author_handle=handle or ref.handle,
            text=_text(data.get("title")),
            media=(Media("image", str(thumbnail)),) if thumbnail else (),
            source="oembed",
        )
    )


# Meta's oEmbed answers without a token since 2026-06-15 (1,000 calls an hour per endpoint) and no longer
# gives author or thumbnail fields: the caption comes from the returned html.
META_GRAPH = "https://graph.facebook.com/v22.0"


async def meta_oembed(ctx: FetchContext, endpoint: str, ref: Any, platform: str, post_url: str) -> Fetched:
    """Meta's oEmbed; when it does not answer, the post page's OpenGraph tags."""
    import httpx

    from ..errors import BlockedError, FetchError
    from .base import html_text

    try:
        status, data = await ctx.get_json(endpoint)
    except BlockedError:
        raise
    except (httpx.HTTPError, FetchError):  # Meta's endpoint failed (noted in ctx): the post's page may answer
        status, data = 0, None
    if status == 404:
        return Fetched(dead="not found (oEmbed answered 404)")
    if status == 200 and isinstance(data, dict) and data.get("html"):
        text, _ = html_text(str(data["html"]))
        return Fetched(
            PostMeta(
                platform, ref.post_id, post_url, data.get("author_name"), ref.handle, text=text or None, source="oembed"
            )
        )
    return await opengraph(ctx, ref, platform, post_url)


_OG_AUTHOR = re.compile(r"^(?P<name>.*?)\s*\(@(?P<handle>[\w.]+)\)")


async def opengraph(ctx: FetchContext, ref: Any, platform: str, post_url: str) -> Fetched:
    """What the post's own page says in OpenGraph: og:title "Name (@handle) on Threads", og:description
    "N likes, N replies. TEXT" (Threads), or an Instagram/Facebook caption."""
    response = await ctx.get(post_url)
    if response.status in (404, 410):
        return Fetched(dead=f"not found (the post page answered {response.status})")
    if response.status != 200 or not response.body:
        return NOTHING
    page = (ctx.page_meta(response.text(), post_url) if ctx.page_meta else None) or {}
    title, description = page.get("title") or "", page.get("description") or ""
    author = _OG_AUTHOR.match(title)
    text = re.sub(r"^[\d.,KkMm]+ likes?, [\d.,KkMm]+ (?:replies|reply|comments?)\W+", "", description) or None
    if not (author or text):
        return NOTHING
    return Fetched(
        PostMeta(
            platform,
            ref.post_id,
            post_url,
            author.group("name") if author else None,
            author.group("handle") if author else ref.handle,
            text=text,
            source="opengraph",
        )
    )
