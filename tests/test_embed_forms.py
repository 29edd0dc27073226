"""The registry's embed forms as the scanner finds them (one tag walk, marker-gated queries) are exactly
what evaluating every form's XPath over the whole tree finds."""

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
    text = document(str(path), read_file(str(path))).text
    root = lxml.html.document_fromstring(text, parser=html_parser())
    expected = [(el, p.name) for el, p in _every_form(root).items()]
    assert [(el, p.name) for el, p in form_hits(root, text).items()] == expected


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
    assert [(el.tag, p.name) for el, p in form_hits(root, text).items()] == [
        ("div", "facebook"),
        ("iframe", "youtube"),
        ("blockquote", "twitter"),
        ("amp-twitter", "twitter"),
    ]


def test_a_form_of_any_element_must_say_its_markers() -> None:
    with pytest.raises(ValueError, match="needs markers"):
        EmbedForm("*", "contains(@class, 'some-embed')")
    assert EmbedForm("iframe", "contains(@src, 'x')").xpath == "//iframe[contains(@src, 'x')]"


def test_every_form_compiles() -> None:
    for platform in PLATFORMS:
        for form in platform.embed_forms:
            lxml.etree.XPath(form.xpath, namespaces=_NS)
