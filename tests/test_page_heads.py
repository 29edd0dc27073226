"""read_page reads a page's head with lxml's XPath; every answer equals what BeautifulSoup (its "lxml"
builder, the reading this replaced) gives for the same questions — on broken heads written for the
purpose, on every HTML fixture, and on the corpus pages when ../shared is there."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from bs4.filter import SoupStrainer

from resolver.resolve.pages import _NEEDS_PARSING, _SCRIPT_REDIRECTS, _page_meta, _unescape_js, parse_refresh, read_page

from .conftest import CORPUS, FIXTURES, needs_shared

BASE = "https://news.example.org/a/story"


STRAINED = ["meta", "link", "title", "a", "script", "noscript"]


def soup_reading(body: str, base: str) -> dict[str, Any]:
    """The same questions asked of BeautifulSoup's tree, as the page reader asked them before."""
    with warnings.catch_warnings():  # a head that declares itself XML: bs4 says so, and reads it as HTML
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(body, "lxml", parse_only=SoupStrainer(STRAINED))
    refresh = og_url = canonical = title = interstitial = script_redirect = None
    for meta in soup.find_all("meta"):
        if str(meta.get("http-equiv") or "").lower() == "refresh" and refresh is None:
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
    for script in soup.find_all("script"):
        for pattern in _SCRIPT_REDIRECTS:
            if m := pattern.search(script.string or ""):
                script_redirect = urljoin(base, _unescape_js(m.group("url")))
                break
        if script_redirect:
            break
    metas, scripts = soup.find_all("meta"), soup.find_all("script")
    return {
        "refresh": refresh, "canonical": canonical, "og_url": og_url, "title": title,
        "interstitial": interstitial, "script_redirect": script_redirect,
        "meta_page": _page_meta(_BsAdapter.of(metas), _BsAdapter.of(scripts), title),
    }  # fmt: skip


class _BsAdapter:
    """A bs4 tag answering the two things _page_meta asks of an element: ``get`` and ``text``."""

    def __init__(self, tag: Any) -> None:
        self.tag = tag

    @classmethod
    def of(cls, tags: list[Any]) -> list[Any]:
        return [cls(t) for t in tags]

    def get(self, name: str) -> str | None:
        value = self.tag.get(name)
        return None if value is None else " ".join(value) if isinstance(value, list) else str(value)

    @property
    def text(self) -> str | None:
        return self.tag.string


def lxml_reading(body: str, base: str) -> dict[str, Any]:
    assert _NEEDS_PARSING.search(body)  # a head that cannot say more than its title is not parsed (unchanged)
    facts = read_page(body, base)
    return {
        "refresh": facts.refresh, "canonical": facts.canonical, "og_url": facts.og_url, "title": facts.title,
        "interstitial": facts.interstitial, "script_redirect": facts.script_redirect, "meta_page": facts.meta_page,
    }  # fmt: skip


HEADS = [
    '<meta http-equiv="Refresh" content="0; URL=\'/next\'"><title>moved</title>',
    '<html><head><META HTTP-EQUIV=refresh CONTENT="3;url=https://b.example/x">'
    '<meta http-equiv=refresh content="0;url=/second">',
    '<noscript><meta http-equiv="refresh" content="0;url=/js-off"></noscript><title> Two\n  words </title>',
    '<link rel="Canonical  alternate" href=" /canon "><link rel=canonical href=/second>'
    '<meta property="og:url" content="/og">',
    '<title>a <b>bold</b> title</title><meta name="description" content="  spaced   out ">',
    '<title><!-- c -->x</title><meta name=author content="A. Writer">',
    "<title></title><script>window.location.href = 'https://c.example/\\x2Fpath';</script>",
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H", "author": [{"name": "X"}, '
    '{"name": "Y"}], "datePublished": "2024-01-02"}</script><title>T</title>',
    '<script type="application/ld+json">{broken</script><meta property="article:published_time" content="2020-05-06">',
    '<body><a href="https://out.example/target" data-tracking-control-name="external_url_click">go</a>'
    '<svg><title>svg title</title></svg>',
    '<?xml version="1.0" encoding="iso-8859-1"?><html><head><title>declared</title><link rel=canonical href="/c">',
    "<html><head><title>unclosed <meta property=og:url content=/og-in-title></head>",
    "<meta http-equiv=refresh><link rel=canonical href=''><title>\u00e9t\u00e9 &amp; caf&eacute;</title>",
    "<script>location.replace('/replaced')</script><script>document.location = \"/second\"</script>",
]


@pytest.mark.parametrize("head", HEADS)
def test_broken_heads_read_as_beautifulsoup_read_them(head: str) -> None:
    assert lxml_reading(head, BASE) == soup_reading(head, BASE)


def compare_pages(root: Path) -> tuple[int, int]:
    """(pages, pages compared): every HTML page under ``root`` whose head gets parsed, read both ways."""
    pages = sorted(p for p in root.rglob("*") if p.suffix in {".html", ".htm"})
    compared = 0
    for page in pages:
        body = page.read_text("utf-8", errors="replace")[:262_144]  # the resolver's head cap
        if _NEEDS_PARSING.search(body):
            assert lxml_reading(body, BASE) == soup_reading(body, BASE), page.name
            compared += 1
    return len(pages), compared


def test_every_html_fixture_reads_as_beautifulsoup_read_it() -> None:
    pages, compared = compare_pages(FIXTURES)
    assert pages > 10 and compared >= 3


@needs_shared
def test_every_corpus_page_reads_as_beautifulsoup_read_it() -> None:
    pages, compared = compare_pages(CORPUS)
    assert pages > 50 and compared > 50
