"""Page furniture is decided from what an element is, not from one word in one of its names (issue 9).

The fixtures are small hand-written pages in the shapes real sites use (see each file): every link of
the article is on ``body.example``, every link of the furniture around it on ``furniture.example``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from resolver import Link, Post, scan
from resolver.models import Document

SHAPES = ["vox", "wordpress", "frames", "traps"]


def _links(doc: Document, *, whole_page: bool = False) -> list[Link]:
    return [f for f in scan(doc, whole_page=whole_page) if isinstance(f, Link)]


def _doc(fixtures: Path, shape: str) -> Document:
    path = fixtures / f"html-furniture-{shape}.html"
    return Document(str(path), path.read_text("utf-8"), "html")


@pytest.mark.parametrize("shape", SHAPES)
def test_the_article_keeps_its_links_and_the_furniture_loses_its(fixtures: Path, shape: str) -> None:
    doc = _doc(fixtures, shape)
    written = set(re.findall(r'href="(https://(?:body|furniture)\.example/[^"]*)"', doc.text))
    kept = {link.url for link in _links(doc) if not link.in_post}
    assert kept == {u for u in written if u.startswith("https://body.example/")}


@pytest.mark.parametrize("shape", SHAPES)
def test_whole_page_keeps_the_furniture_too(fixtures: Path, shape: str) -> None:
    doc = _doc(fixtures, shape)
    written = set(re.findall(r'href="(https://(?:body|furniture)\.example/[^"]*)"', doc.text))
    assert {link.url for link in _links(doc, whole_page=True)} >= written


def test_the_embed_inside_a_furniture_name_is_found_and_keeps_its_caption(fixtures: Path) -> None:
    doc = _doc(fixtures, "traps")
    posts = [p for p in scan(doc) if isinstance(p, Post) and p.embedded]
    assert [p.post_id for p in posts] == ["1500000000000000042"]
    assert "https://body.example/city-hall-account" in {link.url for link in _links(doc)}


_PROSE = (
    "<p>The council met on Tuesday and voted to fund the bridge after years of debate. Supporters said it would "
    "join the two halves of the district; opponents said buses were the better bet. The mayor called the vote "
    "a turning point, and construction is to start in the spring, once the tender has been awarded.</p>"
)


def _page(box: str) -> Document:
    article = f"<h1>Bridge</h1>{_PROSE}<p>See <a href='https://body.example/x'>the minutes</a>.</p>"
    html = f"<html><body>{article}{box}</body></html>"
    return Document("t", html, "html")


@pytest.mark.parametrize(
    "box",
    [
        '<div class="site-footer">{a}</div>',
        '<div class="mainNav">{a}</div>',  # words inside a camelCase name
        '<div id="socialShareBar">{a}</div>',
        '<ul class="menu-list">{a}</ul>',
        '<div class="addtoany_share_save_container">{a}</div>',
        '<div role="navigation">{a}</div>',
        "<aside>{a}</aside>",
        '<section class="related-posts js-cet-subunit">{a}</section>',
        '<div class="trc_related_container" id="taboola-bottom-main-column-mix">{a}</div>',  # "main" names a slot
        '<div class="post-navigation">{a}</div>',  # "post" alone does not name the article
        '<div class="is-sticky sidebar">{a}</div>',
    ],
)
def test_names_of_furniture(box: str) -> None:
    doc = _page(box.format(a="<a href='https://furniture.example/y'>y</a>"))
    assert {link.url for link in _links(doc)} == {"https://body.example/x"}


@pytest.mark.parametrize(
    "box",
    [
        '<div class="category-social-media tag-newsletter format-standard post-42">{a}</div>',  # taxonomy
        '<div class="has-sidebar with-comments no-ads">{a}</div>',  # states of the layout
        '<div class="l-sidebar-fixed l-article-body-segment">{a}</div>',  # another name says: the article
        '<div class="sidebar-content">{a}</div>',  # one name saying both cannot tell
        '<div class="sr-body-share-wrapper">{a}</div>',
        '<main class="sidebar-layout">{a}</main>',
        '<div class="videoPlayer styles_adNotPlaying__yQRQY">{a}</div>',  # a state, not an ad
    ],
)
def test_names_that_do_not_make_furniture(box: str) -> None:
    doc = _page(box.format(a="<a href='https://body.example/y'>y</a>"))
    assert {link.url for link in _links(doc)} == {"https://body.example/x", "https://body.example/y"}


def test_furniture_is_decided_per_subtree() -> None:
    # Inside furniture everything is furniture, whatever the inner names say; inside the article frame an
    # inner sidebar is still furniture.
    inner = "<div class='entry-content'><a href='https://furniture.example/in-footer'>x</a></div>"
    sidebar = "<div class='sidebar'><a href='https://furniture.example/s'>s</a></div>"
    doc = _page(f"<footer>{inner}</footer><div class='content'>{sidebar}</div>")
    assert {link.url for link in _links(doc)} == {"https://body.example/x"}


def test_deep_nesting_of_furniture_names() -> None:
    # Thousands of nested furniture names around the article are decided without measuring each level
    # against the whole page, and the article within is never lost.
    depth = 1500
    html = "<html><body>" + "<div class='sidebar'>" * depth + _PROSE + "<a href='https://body.example/deep'>d</a>"
    html += "</div>" * depth + "</body></html>"
    assert {link.url for link in _links(Document("t", html, "html"))} == {"https://body.example/deep"}
