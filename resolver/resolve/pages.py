"""What a fetched HTML page says about where it leads: redirects hidden in HTML and the page's own name.

Pure functions over a capped head of the page (the resolver never reads more), read by lxml (libxml2's
HTML parser, which takes broken heads as browsers do) with a handful of compiled XPath queries; a page
whose head can say nothing beyond its title is not parsed at all.

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
from collections.abc import Callable
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
    # the reader's lxml tree of the body, when it is the very tree htmldate would be given (see ``html_date``)
    tree: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def page(self) -> dict[str, str] | None:
        """Title, site_name, author, published, description. A page whose metadata gives no date gets
        htmldate's (computed here, on each access: ask once)."""
        if not self.wants_date:
            return self.meta_page
        assert self.body is not None
        return self.dated(html_date(self.body, self.base, tree=self.tree))

    @property
    def wants_date(self) -> bool:
        """Whether the page's date is htmldate's to find: its metadata gives none, and its body is here."""
        return self.body is not None and not (self.meta_page and "published" in self.meta_page)

    def dated(self, found: str | None) -> dict[str, str] | None:
        """``page`` with ``found`` (htmldate's answer, found elsewhere) as its date."""
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
    root, as_text = _parse(body)
    if root is None:
        return PageFacts(body=body, base=base)
    refresh = None
    canonical = og_url = title = interstitial = None
    metas = _METAS(root)
    for meta in metas:
        equiv = (meta.get("http-equiv") or "").lower()
        if equiv == "refresh" and refresh is None:
            refresh = parse_refresh(meta.get("content") or "", base)
        prop = (meta.get("property") or meta.get("name") or "").lower()
        if prop == "og:url" and meta.get("content"):
            og_url = urljoin(base, meta.get("content").strip())
    for link in _LINKS(root):
        if "canonical" in (link.get("rel") or "").lower().split() and canonical is None:
            canonical = urljoin(base, link.get("href").strip())
    titles = _TITLES(root)
    if titles and (text := _only_text(titles[0])):
        title = " ".join(text.split()) or None
    for a in _INTERSTITIALS(root):
        interstitial = urljoin(base, a.get("href").strip())
        break
    scripts = _SCRIPTS(root)
    script_redirect = None
    for script in scripts:
        code = script.text or ""
        for pattern in _SCRIPT_REDIRECTS:
            if m := pattern.search(code):
                script_redirect = urljoin(base, _unescape_js(m.group("url")))
                break
        if script_redirect:
            break
    # htmldate parses the same head the same way (html_date): it is given this tree instead of a second parse
    shared = root if as_text and len(body) <= DATE_SCAN_CHARS else None
    return PageFacts(
        refresh, script_redirect, interstitial, canonical, og_url, title, _page_meta(metas, scripts, title), body, base,
        shared,
    )  # fmt: skip


def _parse(body: str) -> tuple[Any, bool]:
    """The page as an lxml tree (libxml2's HTML parser, as BeautifulSoup's "lxml" builder uses), or None;
    and whether it was parsed as the text it is (not through its UTF-8 bytes)."""
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.document_fromstring(body), True
    except ValueError:  # a str that declares its own encoding (<?xml encoding=…?>): parse its UTF-8 bytes
        try:
            parser = lxml.html.HTMLParser(encoding="utf-8")
            return lxml.html.document_fromstring(body.encode("utf-8", "surrogatepass"), parser=parser), False
        except (ValueError, lxml.etree.LxmlError):
            return None, False
    except lxml.etree.LxmlError:  # nothing a parser can read (an empty document)
        return None, False


def _only_text(el: Any) -> str | None:
    """The element's text when it holds nothing but text (no child element, comment or processing
    instruction), else None: "the string" of a <title>, as BeautifulSoup's ``.string`` gives it."""
    return el.text if len(el) == 0 else None


def _xpath(query: str) -> Callable[[Any], list[Any]]:
    @functools.cache
    def compiled() -> Any:
        import lxml.etree

        return lxml.etree.XPath(query)

    return lambda root: compiled()(root)


_METAS = _xpath("//meta")
_LINKS = _xpath("//link[@href]")
_TITLES = _xpath("//title")
_INTERSTITIALS = _xpath("//a[@href and @data-tracking-control-name='external_url_click']")
_SCRIPTS = _xpath("//script")


# htmldate reads at most this much of a page (the resolver's head cap): its text patterns grow with the page.
DATE_SCAN_CHARS = 262_144


def html_date(body: str, url: str | None = None, *, tree: Any = None) -> str | None:
    """The page's publication date (``YYYY-MM-DD``) as htmldate finds it, or None.

    htmldate is given an lxml tree of the first :data:`DATE_SCAN_CHARS` characters, never a string: a
    string that looks like a URL it would download (outside the address guard). Its markup and precise
    pattern searches are used (``extensive_search=False``): its free-text search guesses (on the corpus it
    "finds" a date on every page, 2020-01-01 for a tweet's own page). ``url`` lends htmldate its date
    patterns (``/2024/05/24/``), after the markup's full expressions. Nothing here reaches the network.
    ``tree``: that tree, parsed already (``read_page``'s, of a body no longer than the head), not parsed
    again; htmldate works on a copy of it."""
    import lxml.html

    head = body[:DATE_SCAN_CHARS]
    if "<" not in head:
        return None  # not markup: nothing htmldate could read
    if tree is None:
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


def _page_meta(metas: list[Any], scripts: list[Any], title: str | None) -> dict[str, str] | None:
    """Title, site name, author, publication time and description: meta tags (OpenGraph first), then
    JSON-LD (schema.org Article/NewsArticle), then <title>."""
    page: dict[str, str] = {}
    for meta in metas:
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        field = _META_KEYS.get(key)
        content = " ".join((meta.get("content") or "").split())
        if field and content and field not in page and not content.startswith(("http://", "https://")):
            page[field] = content
    for script in scripts:
        if "ld+json" not in (script.get("type") or ""):
            continue
        for item in _json_ld_items(script.text or ""):
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
