"""URL → Resolution: follow a link hop by hop to where it ends, and name that place canonically.

Each hop is one GET with redirects off (retried by the net policy). A hop leads on by an HTTP redirect
(3xx + Location, or a ``Refresh`` header), by HTML (``<meta http-equiv=refresh>``), by a script
(``location.replace("…")`` as t.co serves browsers) or by an interstitial page's link (lnkd.in). Following
stops without a request at a URL that is a platform's post (once the address guard has judged its host:
a post-shaped URL on a private address is ``blocked``), and stops with ``blocked`` at a loop, the hop limit
or a refused address. A link as a whole — every hop, retry and wait, but not its time queued for a
per-host slot — gets ``item_timeout`` seconds. In a record, a hop's ``via`` says how that hop led on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin, urlsplit

import httpx

from .. import defaults
from ..errors import BlockedError, FetchError, RetryLater
from ..models import Hop, HopVia, Resolution
from ..net import Budget, Client, HopResponse, HostLimiter, RetryPolicy, fetch_with_retry, guard_of, request_seconds
from ..net.sites import same_site
from ..platforms import canonical_post_url, match_post_url
from ..scan.urls import shortener_host, tco_for_pic
from .canonical import canonical_url
from .pages import PageFacts, parse_refresh, read_page

if TYPE_CHECKING:
    from .dateworker import DateFinder

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
MAX_META_REFRESH_DELAY = 10.0  # a longer refresh is a page reloading itself, not a redirect
SMALL_PAGE = 4096  # script redirects are trusted on shortener hosts and on pages this small
# Path segments of pages that stand in for the real one: logins, "unsupported browser", checkpoints.
_WALL_SEGMENTS = frozenset({"login", "signin", "sign-in", "log-in", "checkpoint", "browser.php", "consent"})


@dataclass
class ResolveOptions:
    max_hops: int = defaults.MAX_HOPS
    allow_private: bool = False
    max_body: int = 262_144
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    limiter: HostLimiter = field(default_factory=HostLimiter)
    # Seconds one link may spend in requests and waits in all; None: ITEM_TIME x the client's timeout.
    item_timeout: float | None = None
    # Where a landing page's date is found when its metadata gives none; None: htmldate in this process.
    dates: DateFinder | None = None


_PIC = re.compile(r"pic\.", re.IGNORECASE)


def first_url(url: str) -> str:
    """The URL actually requested first: pic.twitter.com/CODE is the t.co code CODE."""
    if _PIC.search(url) is None:  # the cheap test first: every link of a run comes through here
        return url
    return tco_for_pic(url) or url


def post_resolution(url: str, hops: tuple[Hop, ...] = (), title: str | None = None) -> Resolution | None:
    ref = match_post_url(url)
    if ref is None:
        return None
    return Resolution(url, "ok", url, canonical_post_url(ref), hops, None, title)


async def resolve_url(url: str, client: Client, options: ResolveOptions | None = None) -> Resolution:
    """Follow ``url`` to its end. Never raises for one bad link: the outcome is data on the Resolution."""
    reached = await follow_url(url, client, options)
    return await reached.dated() if isinstance(reached, Undated) else reached


@dataclass(frozen=True, slots=True)
class Undated:
    """A landing page reached whose date is still to be found by ``ResolveOptions.dates`` (the date worker).

    Finding it takes CPU, another process's, and no request: a caller that holds a slot of the network for
    the link (Answers) gives it back before waiting for the date, so that pages queued for a date worker that
    is still starting, or busy, do not keep other links off the network."""

    resolution: Resolution  # its page without the date
    facts: PageFacts
    dates: DateFinder

    async def dated(self) -> Resolution:
        assert self.facts.body is not None  # wants_date says so
        found = await self.dates(self.facts.body, self.facts.base)
        return dataclass_replace(self.resolution, page=self.facts.dated(found))


async def follow_url(url: str, client: Client, options: ResolveOptions | None = None) -> Resolution | Undated:
    """``resolve_url``'s requests: the Resolution, or (with ``options.dates``) the landing page whose date
    is still to be found (``Undated.dated`` finds it and gives the Resolution)."""
    options = options or ResolveOptions()
    guard = guard_of(client, allow_private=options.allow_private)
    start = first_url(url)
    if (done := post_resolution(start)) is not None:
        try:
            guard.judge(start)  # a post URL is not fetched here, but its host is judged all the same
        except BlockedError as exc:
            return _end(url, "blocked", start, [], str(exc))
        return Resolution(url, done.status, done.final_url, done.canonical_url)
    # Any other URL is judged where every hop is, before its request (fetch_with_retry): BlockedError below.
    seconds = options.item_timeout or defaults.ITEM_TIME * request_seconds(client)
    budget = Budget(seconds, "one link")
    hops: list[Hop] = []
    seen: set[str] = set()
    jar = _ChainCookies()
    current = start
    while True:
        if current in seen:
            return _end(url, "blocked", current, hops, f"redirect loop back to {current}")
        if len(hops) >= options.max_hops:
            return _end(url, "blocked", current, hops, f"too many hops (more than {options.max_hops})")
        seen.add(current)
        try:
            async with options.limiter.slot(current):
                response = await fetch_with_retry(
                    client,
                    current,
                    policy=options.policy,
                    budget=budget,
                    max_body=options.max_body,
                    allow_private=options.allow_private,
                    read_body=_wants_body,
                    headers=jar.header_for(current),
                )
        except BlockedError as exc:
            return _end(url, "blocked", current, hops, str(exc))
        except RetryLater as exc:  # the server answered, asking for a pause longer than this run waits
            hops.append(Hop(current, exc.status, "http"))
            return _end(url, "error", current, hops, str(exc))
        except FetchError as exc:  # network failures (the real cause), a cassette miss
            return _end(url, "error", current, hops, str(exc))
        except httpx.InvalidURL as exc:
            return _end(url, "blocked", current, hops, f"refused: not a valid URL: {exc}")

        jar.take(current, response)
        facts = read_page(response.text(), current) if response.body else None
        nxt, via = _next_url(response, facts)
        hops.append(Hop(current, response.status, via if nxt else "http"))
        if nxt is not None:
            if _is_login_wall(nxt) and not _is_login_wall(current):
                # A login or "unsupported browser" page is not where the link leads: stop before it.
                return _final(url, current, hops, facts, options.dates)
            if (done := post_resolution(nxt, tuple(hops))) is not None:
                try:
                    guard.judge(nxt)
                except BlockedError as exc:
                    return _end(url, "blocked", nxt, hops, str(exc))
                return Resolution(url, "ok", nxt, done.canonical_url, tuple(hops))
            current = nxt
            facts = None  # its page's tree is not kept through the next request
            continue
        return _classify(url, current, hops, response, facts, options.dates)


class _ChainCookies:
    """Cookies set along one redirect chain, sent back to the host that set them (cookie-check redirects)."""

    def __init__(self) -> None:
        self._by_host: dict[str, dict[str, str]] = {}

    def take(self, url: str, response: HopResponse) -> None:
        values = response.headers.get_list("set-cookie")
        if not values:
            return
        from http.cookies import CookieError, SimpleCookie

        host = (urlsplit(url).hostname or "").lower()
        jar = self._by_host.setdefault(host, {})
        for value in values:
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value)
            except CookieError:
                continue
            for name, morsel in cookie.items():
                jar[name] = morsel.value

    def header_for(self, url: str) -> dict[str, str] | None:
        if not self._by_host:
            return None
        jar = self._by_host.get((urlsplit(url).hostname or "").lower())
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else None


def _wants_body(response: HopResponse) -> bool:
    return response.status == 200 and response.content_type in HTML_TYPES


def _next_url(response: HopResponse, facts: PageFacts | None) -> tuple[str | None, HopVia]:
    base = response.url
    if 300 <= response.status < 400 and (location := response.headers.get("location")):
        return _join(base, location), "http"
    if refresh := response.headers.get("refresh"):
        parsed = parse_refresh(refresh, base)
        if parsed and parsed[0] <= MAX_META_REFRESH_DELAY:
            return parsed[1], "http"
    if response.status != 200 or facts is None:
        return None, "http"
    if facts.refresh and facts.refresh[0] <= MAX_META_REFRESH_DELAY and facts.refresh[1] != base:
        return facts.refresh[1], "meta-refresh"
    trusted = shortener_host(base) is not None or len(response.body) <= SMALL_PAGE
    if trusted and facts.script_redirect and facts.script_redirect != base:
        return facts.script_redirect, "script"
    if facts.interstitial and shortener_host(base) is not None:
        return facts.interstitial, "interstitial"
    if shortener_host(base) and facts.title and facts.title.startswith(("http://", "https://")):
        return facts.title, "meta-refresh"
    return None, "http"


def _join(base: str, location: str) -> str:
    location = location.strip()
    if location.startswith(("http://", "https://")):
        return location
    return urljoin(base, location)


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


_WALL_WORDS = re.compile("|".join(re.escape(segment) for segment in _WALL_SEGMENTS), re.IGNORECASE)


def _is_login_wall(url: str) -> bool:
    if _WALL_WORDS.search(url) is None:  # the cheap test first: most URLs name none of the words anywhere
        return False
    segments = _path(url).lower().strip("/").split("/")
    return any(segment in _WALL_SEGMENTS for segment in segments)


def _classify(
    url: str, current: str, hops: list[Hop], response: HopResponse, facts: PageFacts | None, dates: DateFinder | None
) -> Resolution | Undated:
    status = response.status
    if status in (404, 410):
        return _end(url, "dead", current, hops, f"HTTP {status}: the page is gone")
    if status >= 400 or 300 <= status < 400:
        what = "rate limited (HTTP 429) after retries" if status == 429 else f"HTTP {status}"
        if status >= 500:
            what = f"server error (HTTP {status}) after retries"
        if 300 <= status < 400:
            what = f"HTTP {status} without a Location"
        return _end(url, "error", current, hops, what)
    if shortener_host(current) is not None:
        return _end(url, "dead", current, hops, f"{shortener_host(current)} answered without a target")
    return _final(url, current, hops, facts, dates)


def _final(
    url: str, current: str, hops: list[Hop], facts: PageFacts | None, dates: DateFinder | None
) -> Resolution | Undated:
    title = None
    canonical = current
    if facts is not None:
        title = facts.title
        declared = facts.canonical or facts.og_url
        if declared and _sane_canonical(current, declared):
            canonical = declared
    if (post := post_resolution(canonical, tuple(hops), title)) is not None:
        return Resolution(url, "ok", current, post.canonical_url, tuple(hops), None, title)
    # The page's own account (its date may take htmldate) only for a landing page that is not a post's.
    named = canonical_url(canonical)
    if facts is not None and dates is not None and facts.wants_date:
        undated = Resolution(url, "ok", current, named, tuple(hops), None, title, facts.meta_page)
        return Undated(undated, facts, dates)
    page = facts.page if facts is not None else None  # with no date worker, htmldate here when the date is its
    return Resolution(url, "ok", current, named, tuple(hops), None, title, page)


def _sane_canonical(current: str, declared: str) -> bool:
    """rel=canonical is honoured when it stays on the same site and does not collapse a page to the home page."""
    if not declared.startswith(("http://", "https://")) or not same_site(current, declared):
        return False
    return not (_path(declared) in ("", "/") and _path(current) not in ("", "/"))


def _end(
    url: str, status: Literal["ok", "dead", "blocked", "error"], current: str, hops: list[Hop], error: str
) -> Resolution:
    return Resolution(url, status, current, None, tuple(hops), error)
