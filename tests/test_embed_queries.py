"""The scanner asks for some embed forms through their attributes (``//@class[…]/..``): the same elements,
in the same order, as the form's own query, on every page of the fixtures and on the shapes below."""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import pytest

from resolver.platforms import PLATFORMS, EmbedForm
from resolver.scan.embeds import _NS, _query
from resolver.scan.pieces import html_parser

FIXTURES = Path(__file__).parent / "fixtures"
SHAPES = """<html><body>
<div class="twitter-tweet-rendered"><blockquote class="twitter-tweet"><p>a</p></blockquote></div>
<span class="x twitter-video">v</span><p class="">empty class</p><p>no class</p>
<div data-tweet-id="1"><div data-tweet-id="2"></div></div><div data-tweet-id="">empty id</div>
<div class="mastodon-embed"><iframe class="mastodon-embed" src="https://m.example/@a/1/embed"></iframe></div>
<section class="fb-post" data-href="https://www.facebook.com/x/posts/1"></section>
</body></html>"""
FORMS = [form for platform in PLATFORMS for form in platform.embed_forms if form.markers]


def _pages() -> list[str]:
    pages = [SHAPES]
    for path in sorted(FIXTURES.glob("*.html")):
        pages.append(path.read_text("utf-8", errors="replace"))
    return pages


def test_some_forms_are_asked_through_their_attributes() -> None:
    rewritten = [form for form in FORMS if _query(form) != form.xpath]
    assert rewritten, "no form is asked through its attributes: this test checks nothing"
    assert all("/.." in _query(form) for form in rewritten)


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.test[:40])
def test_the_same_elements_in_the_same_order(form: EmbedForm) -> None:
    own, asked = lxml.etree.XPath(form.xpath, namespaces=_NS), lxml.etree.XPath(_query(form), namespaces=_NS)
    found = 0
    for page in _pages():
        root = lxml.etree.fromstring(page.encode("utf-8"), html_parser())
        expected = own(root)
        assert asked(root) == expected
        found += len(expected)
    assert found > 0  # each form is met at least once, so the comparison means something


@pytest.mark.parametrize("test", ["contains(@class, '')", "@class and @id", "contains(@class, 'a') or @b"])
def test_other_tests_keep_their_own_query(test: str) -> None:
    form = EmbedForm("*", test, ("a",))
    assert _query(form) == form.xpath
