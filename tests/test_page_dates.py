"""page.published: the page's own metadata first, htmldate after it — bounded, lazy, and never online."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from resolver.net import make_client
from resolver.read import document
from resolver.resolve.hops import resolve_url
from resolver.resolve.pages import html_date, read_page

from .conftest import CORPUS, FIXTURES, needs_shared

ARTICLE = """<!doctype html><html><head><title>Story</title>
<meta property="og:title" content="Story">{meta}</head>
<body><article><h1>Story</h1><p class="byline">Posted <time datetime="2024-05-24T09:30:00Z">May 24</time></p>
<p>In 2019-02-14 terms, nothing happened.</p></article></body></html>"""


def test_the_pages_own_metadata_wins_over_htmldate() -> None:
    page = read_page(ARTICLE.format(meta='<meta property="article:published_time" content="2025-03-14T10:00:00Z">'), "")
    assert page.page and page.page["published"] == "2025-03-14T10:00:00Z"
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-01-02"}</script>'
    assert (read_page(ARTICLE.format(meta=ld), "").page or {})["published"] == "2023-01-02"


def test_htmldate_finds_the_date_the_metadata_lacks() -> None:
    facts = read_page(ARTICLE.format(meta=""), "https://news.example.org/story")
    assert facts.meta_page and "published" not in facts.meta_page
    assert facts.page and facts.page["published"] == "2024-05-24" and facts.page["title"] == "Story"


def test_a_title_only_page_gets_a_date_from_its_url() -> None:
    facts = read_page("<html><title>x</title><p>text</p></html>", "https://blog.example.org/2021/03/30/post/")
    assert facts.page == {"title": "x", "published": "2021-03-30"}


def test_no_date_anywhere_is_no_date() -> None:
    assert read_page("<html><title>x</title><p>no date here</p></html>", "https://example.org/a").page == {"title": "x"}
    assert html_date("") is None and html_date("just text, no markup") is None


def test_htmldate_never_fetches_even_a_body_that_is_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import htmldate.utils

    def no_download(url: str) -> None:
        raise AssertionError(f"htmldate tried to download {url}")

    monkeypatch.setattr(htmldate.utils, "fetch_url", no_download)
    # A shortener's plain-text answer: a string htmldate's loader would download if it were given one.
    assert html_date("https://127.0.0.1:9/trap") is None
    assert read_page("https://127.0.0.1:9/trap", "https://t.example/x").page is None
    assert html_date("<p>https://127.0.0.1:9/trap</p>") is None


def test_htmldate_reads_only_the_capped_head() -> None:
    from resolver.resolve.pages import DATE_SCAN_CHARS

    late = "<html><body>" + "<p>filler</p>" * (DATE_SCAN_CHARS // 10) + '<time datetime="2024-05-24">x</time></body>'
    assert len(late) > DATE_SCAN_CHARS and html_date(late) is None
    assert html_date('<html><body><time datetime="2024-05-24">x</time></body></html>') == "2024-05-24"


def test_a_landing_pages_record_carries_the_date() -> None:
    body = ARTICLE.format(meta="")

    async def go():  # type: ignore[no-untyped-def]
        async with make_client(transport=httpx.MockTransport(lambda r: httpx.Response(200, html=body))) as client:
            return await resolve_url("https://news.example.org/story", client)

    res = asyncio.run(go())
    assert res.status == "ok" and res.page and res.page["published"] == "2024-05-24"


def test_scanning_never_imports_htmldate(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom resolver.cli import main\nsys.argv = ['resolver', 'scan', sys.argv[1], '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'htmldate' not in sys.modules, 'htmldate imported by scan'\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES / "embeds.html")], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr


@needs_shared
def test_corpus_pages_get_a_published_date_from_metadata_or_htmldate() -> None:
    pages = sorted((CORPUS / "pages").glob("*.html"))
    before = after = 0
    for path in pages:
        text = document(str(path), path.read_bytes()).text[:262_144]  # what the resolver reads of a page
        facts = read_page(text, "")
        own = (facts.meta_page or {}).get("published")
        found = (facts.page or {}).get("published")
        before += own is not None
        after += found is not None
        assert own is None or found == own, f"{path.name}: the page's own date must win"
    # Measured on the 64 pages: 33 dated by their own metadata, 61 with htmldate after it.
    assert after > before and after >= 0.9 * len(pages), (before, after, len(pages))


def test_a_head_the_reader_parsed_is_not_parsed_again_for_its_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """A head that needs parsing (its metadata) is parsed once: htmldate is handed the reader's tree, and
    finds on it what it finds on a tree of its own."""
    import dataclasses

    import lxml.html

    head = ARTICLE.format(meta='<link rel="canonical" href="https://news.example.org/story">')
    facts = read_page(head, "https://news.example.org/story")
    assert facts.tree is not None
    parses: list[int] = []
    parse = lxml.html.document_fromstring
    monkeypatch.setattr(lxml.html, "document_fromstring", lambda *a, **k: parses.append(1) or parse(*a, **k))
    assert facts.page and facts.page["published"] == "2024-05-24"
    assert parses == []  # no second parse
    assert dataclasses.replace(facts, tree=None).page == facts.page  # the date a parse of its own finds
    assert parses == [1]


def test_the_reader_shares_only_the_tree_htmldate_would_parse() -> None:
    long = ARTICLE.format(meta='<meta name="description" content="d">') + "<!--" + "x" * 300_000 + "-->"
    assert read_page(long, "").tree is None  # longer than htmldate's head: it parses the head alone
    declared = '<?xml version="1.0" encoding="utf-8"?>' + ARTICLE.format(meta='<meta name="author" content="A">')
    assert read_page(declared, "").tree is None  # read through its bytes, which htmldate does not do
