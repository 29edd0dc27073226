"""The registry's embed forms as the scanner finds them (one walk over the elements, each form's test asked
only of elements of its tag or carrying its attribute) are exactly what evaluating every form's XPath over
the whole tree finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import pytest

from resolver.platforms import PLATFORMS, EmbedForm, Platform
from resolver.read import document, read_file
from resolver.scan.embeds import form_hits
from resolver.scan.pieces import html_parser

from .conftest import CORPUS, needs_shared

_NS = {"re": "http://exslt.org/regular-expressions"}


def _every_form(root: Any) -> dict[Any, Platform]:
    """The plain reading: each platform's forms queried over the whole tree, the first platform wins."""
    found: dict[Any, Platform] = {}
    for platform in PLATFORMS:
        for form in platform.embed_forms:
            for el in root.xpath(form.xpath, namespaces=_NS):
                found.setdefault(el, platform)
    return {el: found[el] for el in root.iter() if el in found}


def _same(path: Path) -> None:
    _same_text(document(str(path), read_file(str(path))).text)


def _same_text(text: str) -> int:
    root = lxml.html.document_fromstring(text, parser=html_parser())
    expected = [(el, p.name) for el, p in _every_form(root).items()]
    assert [(el, p.name) for el, p in form_hits(root).items()] == expected
    return len(expected)


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html"))


def test_fixture_pages(fixtures: Path) -> None:
    pages = _pages(fixtures)
    assert len(pages) > 10
    for page in pages:
        _same(page)


@needs_shared
def test_corpus_pages() -> None:
    pages = _pages(CORPUS / "pages")
    assert pages
    for page in pages:
        _same(page)


def test_mixed_platforms_come_in_document_order() -> None:
    text = (
        '<body><div class="fb-post" data-href="https://www.facebook.com/x/posts/1"></div>'
        '<iframe src="https://www.youtube.com/embed/abcdefghijk"></iframe>'
        '<blockquote class="twitter-tweet"><a href="https://twitter.com/a/status/1">x</a></blockquote>'
        '<amp-twitter data-tweetid="2"></amp-twitter></body>'
    )
    root = lxml.html.document_fromstring(text, parser=html_parser())
    assert [(el.tag, p.name) for el, p in form_hits(root).items()] == [
        ("div", "facebook"),
        ("iframe", "youtube"),
        ("blockquote", "twitter"),
        ("amp-twitter", "twitter"),
    ]


# Shapes at the edges of the attribute tests: a name inside a longer class, nested forms of one platform,
# empty values, an element that two platforms' forms take, an attribute whose value the parser decodes.
SHAPES = """<html><body>
<div class="twitter-tweet-rendered"><blockquote class="twitter-tweet"><p>a</p></blockquote></div>
<span class="x twitter-video">v</span><p class="">empty class</p><p>no class</p>
<div data-tweet-id="1"><div data-tweet-id="2"></div></div><div data-tweet-id="">empty id</div>
<div class="mastodon-embed"><iframe class="mastodon-embed" src="https://m.example/@a/1/embed"></iframe></div>
<section class="fb-post" data-href="https://www.facebook.com/x/posts/1"></section><div class="fb-post">no href</div>
<a data-src="https://www.youtube.com/embed/abcdefghijk">a link is not a player</a>
<span data-src="https://www.youtube-nocookie.com/embed/abcdefghijk"></span>
<blockquote class="twitter-tweet instagram-media"><a href="https://twitter.com/a/status/3">both</a></blockquote>
<div class="tweet" data-attrs="{}"></div><div class="tweets"><p class="tweet-text">not a tweet</p></div>
<div class="tweet"><p class="tweet-author">@a</p></div><div class="twitter&#45;tweet">decoded</div>
<iframe data-src="https://www.youtube.com/embed/abcdefghijk" class="twitter-tweet"></iframe>
</body></html>"""


def test_edge_shapes() -> None:
    # twitter-tweet ×2 (in a longer class too), twitter-video, data-tweet-id ×3 (nested, empty), mastodon ×2,
    # fb-post with data-href, the span player, the two "tweet" divs, the decoded class, the iframe: 15
    assert _same_text(SHAPES) == 15


def test_a_form_of_any_element_must_name_its_attribute() -> None:
    with pytest.raises(ValueError, match="needs the attribute"):
        EmbedForm("*", "contains(@class, 'some-embed')")
    with pytest.raises(ValueError, match="need the attribute"):
        EmbedForm("div", "contains(@class, 'some-embed')", None, ("some-embed",))
    assert EmbedForm("iframe", "contains(@src, 'x')").xpath == "//iframe[contains(@src, 'x')]"


def test_every_form_compiles() -> None:
    for platform in PLATFORMS:
        for form in platform.embed_forms:
            lxml.etree.XPath(form.xpath, namespaces=_NS)
