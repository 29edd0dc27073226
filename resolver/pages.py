"""What a fetched HTML page says about where it leads: redirects hidden in HTML and the page's own name.

Pure functions over a capped head of the page (the resolver never reads more). BeautifulSoup reads it:
these heads are small, often broken, and its API is the clearest way to ask for "the meta refresh".
"""

from __future__ import annotations

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


_NEEDS_PARSING = re.compile(r"http-equiv|canonical|og:url|location|external_url_click", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>([^<]*)</title", re.IGNORECASE)


def read_page(body: str, base: str) -> PageFacts:
    """What a page's head says. Pages with nothing to say beyond a title are not parsed at all."""
    if not _NEEDS_PARSING.search(body):
        m = _TITLE.search(body)
        title = " ".join(html.unescape(m.group(1)).split()) or None if m else None
        return PageFacts(title=title)
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
    return PageFacts(refresh, script_redirect, interstitial, canonical, og_url, title)
