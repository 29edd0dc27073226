"""What a fetched HTML page says about where it leads: redirects hidden in HTML and the page's own name.

Pure functions over a capped head of the page (the resolver never reads more). BeautifulSoup reads it:
these heads are small, often broken, and its API is the clearest way to ask for "the meta refresh".

The page's date (``page["published"]``) comes from its own metadata first — meta tags (OpenGraph
``article:published_time``, ``datePublished``, ``date``, Parse.ly), then JSON-LD ``datePublished`` — and
only when those say nothing from htmldate (:func:`html_date`), which reads the same capped head as a tree
it is handed: it never fetches anything. htmldate is imported on first use, and only when a page's
``page`` is asked for (the landing page of a chain, not its redirect hops).
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

_REFRESH = re.compile(r"^\s*(?P<delay>\d+(?:\.\d+)?)?\s*[;,]?\s*(?:url\s*=\s*)?(?P<url>.*)$", re.IGNORECASE)
_SCRIPT_REDIRECTS = (
    re.compile(r"""location\.replace\(\s*(["'])(?P<url>.+?)\1\s*\)"""),
    re.compile(r"""(?:window|document|top|self)\.location(?:\.href)?\s*=\s*(["'])(?P<url>.+?)\1"""),
    re.compile(r"""(?<![\w.])location\.href\s*=\s*(["'])(?P<url>.+?)\1"""),
    re.compile(r"""location\.assign\(\s*(["'])(?P<url>.+?)\1\s*\)"""),
)
_JS_ESCAPES = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.))")
_STRAINED_TAGS = ["meta", "link", "title", "a", "script", "noscript"]


@dataclass(frozen=True, slots=True)
class PageFacts:
    refresh: tuple[float, str] | None = None  # (delay, absolute URL) from <meta http-equiv=refresh>
    script_redirect: str | None = None
    interstitial: str | None = None  # lnkd.in style "this link will take you to…" target
    canonical: str | None = None
    og_url: str | None = None
    title: str | None = None
    meta_page: dict[str, str] | None = None  # what the page's meta tags and JSON-LD say (see ``page``)
    body: str | None = dataclasses.field(default=None, repr=False, compare=False)  # for the date, read if asked
    base: str | None = None

    @property
    def page(self) -> dict[str, str] | None:
        """Title, site_name, author, published, description. A page whose metadata gives no date gets
        htmldate's (computed here, on each access: ask once)."""
        if self.body is None or (self.meta_page and "published" in self.meta_page):
            return self.meta_page
        found = html_date(self.body, self.base)
        if found is None:
            return self.meta_page
        return {**(self.meta_page or {}), "published": found}


def _unescape_js(value: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 16))
        if m.group(2):
            return chr(int(m.group(2), 16))
        return m.group(3)

    return _JS_ESCAPES.sub(one, value)


def parse_refresh(content: str, base: str) -> tuple[float, str] | None:
    """``"0;URL=http://x"`` → (0.0, "http://x"); None when no URL is given (a plain reload)."""
    m = _REFRESH.match(content or "")
    if not m:
        return None
    url = m.group("url").strip().strip("'\"")
    if not url:
        return None
    delay = float(m.group("delay") or 0)
    return delay, urljoin(base, html.unescape(url))


_NEEDS_PARSING = re.compile(
    r"http-equiv|canonical|og:|location|external_url_click|ld\+json|name=[\"']?(?:author|description|date)",
    re.IGNORECASE,
)
_TITLE = re.compile(r"<title[^>]*>([^<]*)</title", re.IGNORECASE)


def read_page(body: str, base: str) -> PageFacts:
    """What a page's head says. Pages with nothing to say beyond a title are not parsed here at all (their
    date, if asked for, is htmldate's)."""
    if not _NEEDS_PARSING.search(body):
        m = _TITLE.search(body)
        title = " ".join(html.unescape(m.group(1)).split()) or None if m else None
        return PageFacts(title=title, meta_page={"title": title} if title else None, body=body, base=base)
    from bs4 import BeautifulSoup  # imported on first use: most pages never need it
    from bs4.filter import SoupStrainer

    soup = BeautifulSoup(body, "lxml", parse_only=SoupStrainer(_STRAINED_TAGS))
    refresh = None
    canonical = og_url = title = interstitial = None
    for meta in soup.find_all("meta"):
        equiv = str(meta.get("http-equiv") or "").lower()
        if equiv == "refresh" and refresh is None:
            refresh = parse_refresh(str(meta.get("content") or ""), base)
        prop = str(meta.get("property") or meta.get("name") or "").lower()
        if prop == "og:url" and meta.get("content"):
            og_url = urljoin(base, str(meta["content"]).strip())
    for link in soup.find_all("link", href=True):
        rel: Any = link.get("rel") or []
        rels = [str(r).lower() for r in (rel if isinstance(rel, list) else str(rel).split())]
        if "canonical" in rels and canonical is None:
            canonical = urljoin(base, str(link["href"]).strip())
    if soup.title is not None and soup.title.string:
        title = " ".join(soup.title.string.split()) or None
    for a in soup.find_all("a", href=True):
        if a.get("data-tracking-control-name") == "external_url_click":
            interstitial = urljoin(base, str(a["href"]).strip())
            break
    script_redirect = None
    for script in soup.find_all("script"):
        code = script.string or ""
        for pattern in _SCRIPT_REDIRECTS:
            if m := pattern.search(code):
                script_redirect = urljoin(base, _unescape_js(m.group("url")))
                break
        if script_redirect:
            break
    return PageFacts(
        refresh, script_redirect, interstitial, canonical, og_url, title, _page_meta(soup, title), body, base
    )


# htmldate reads at most this much of a page (the resolver's head cap): its text patterns grow with the page.
DATE_SCAN_CHARS = 262_144


def html_date(body: str, url: str | None = None) -> str | None:
    """The page's publication date (``YYYY-MM-DD``) as htmldate finds it, or None.

    htmldate is given an lxml tree of the first :data:`DATE_SCAN_CHARS` characters, never a string: a
    string that looks like a URL it would download (outside the address guard). Its markup and precise
    pattern searches are used (``extensive_search=False``): its free-text search guesses (on the corpus it
    "finds" a date on every page, 2020-01-01 for a tweet's own page). ``url`` lends htmldate its date
    patterns (``/2024/05/24/``), after the markup's full expressions. Nothing here reaches the network."""
    import lxml.html

    head = body[:DATE_SCAN_CHARS]
    if "<" not in head:
        return None  # not markup: nothing htmldate could read
    try:
        tree = lxml.html.document_fromstring(head)
    except (ValueError, lxml.etree.LxmlError):  # empty or unparseable: no date to be had
        return None
    finder = _date_finder()
    try:
        found = finder(
            tree,
            extensive_search=False,
            original_date=True,
            outputformat="%Y-%m-%d",
            url=url if url and url.startswith(("http://", "https://")) else None,
            deferred_url_extractor=True,
        )
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError, lxml.etree.LxmlError):
        return None  # a heuristic that stumbles over a page has found no date on it
    return found if isinstance(found, str) and found else None


@functools.lru_cache(maxsize=1)  # once: setting a logger's level clears logging's caches every time
def _date_finder() -> Any:
    """htmldate's ``find_date``, imported on first use (70 ms: a scan never pays for it), its log quiet:
    its complaints about a page's markup are not the run's business."""
    import logging

    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    from htmldate import find_date

    return find_date


_META_KEYS = {
    "og:title": "title",
    "twitter:title": "title",
    "og:site_name": "site_name",
    "application-name": "site_name",
    "author": "author",
    "article:author": "author",
    "parsely-author": "author",
    "article:published_time": "published",
    "datepublished": "published",
    "date": "published",
    "pubdate": "published",
    "parsely-pub-date": "published",
    "og:description": "description",
    "description": "description",
    "twitter:description": "description",
}


def _page_meta(soup: Any, title: str | None) -> dict[str, str] | None:
    """Title, site name, author, publication time and description: meta tags (OpenGraph first), then
    JSON-LD (schema.org Article/NewsArticle), then <title>."""
    page: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = str(meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        field = _META_KEYS.get(key)
        content = " ".join(str(meta.get("content") or "").split())
        if field and content and field not in page and not content.startswith(("http://", "https://")):
            page[field] = content
    for script in soup.find_all("script"):
        if "ld+json" not in str(script.get("type") or ""):
            continue
        for item in _json_ld_items(script.string or ""):
            _from_json_ld(item, page)
    if title and "title" not in page:
        page["title"] = title
    return page or None


def _json_ld_items(code: str) -> list[dict[str, Any]]:
    import json

    try:
        data = json.loads(code)
    except (ValueError, RecursionError):  # broken, or nested deeper than the parser goes: says nothing
        return []
    items = data if isinstance(data, list) else [data]
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            out.append(item)
            out.extend(i for i in item.get("@graph") or [] if isinstance(i, dict))
    return out


_MAX_NAME_DEPTH = 3


def _from_json_ld(item: dict[str, Any], page: dict[str, str]) -> None:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    if not any(str(k).endswith(("Article", "BlogPosting", "Report", "WebPage")) for k in kinds):
        return

    def name_of(value: Any, depth: int = 0) -> str | None:
        if isinstance(value, list):  # a list of authors, perhaps of lists: a few levels are all real pages use
            names = [n for v in value if (n := name_of(v, depth + 1))] if depth < _MAX_NAME_DEPTH else []
            return ", ".join(names) or None
        if isinstance(value, dict):
            name = value.get("name")
            return name if isinstance(name, str) and name else None
        return str(value) if isinstance(value, str) and value else None

    for field, value in (
        ("title", item.get("headline") or item.get("name")),
        ("author", name_of(item.get("author"))),
        ("published", item.get("datePublished")),
        ("site_name", name_of(item.get("publisher"))),
        ("description", item.get("description")),
    ):
        if isinstance(value, str) and value.strip() and field not in page:
            page[field] = " ".join(value.split())
