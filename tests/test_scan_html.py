from __future__ import annotations

from pathlib import Path

import pytest

from resolver import Link, Post, read_source, scan
from resolver.models import Document


def _scan(fixtures: Path, **kw: object) -> tuple[Document, list[Link | Post]]:
    doc = read_source(str(fixtures / "embeds.html"))
    return doc, scan(doc, **kw)  # type: ignore[arg-type]


def test_every_platform_embed_is_found_once(fixtures: Path) -> None:
    _, result = _scan(fixtures)
    embedded = [(p.platform, p.post_id) for p in result if isinstance(p, Post) and p.embedded]
    assert embedded == [
        ("twitter", "1500000000000000001"),
        ("twitter", "1500000000000000002"),
        ("twitter", "1500000000000000003"),
        ("bluesky", "3kabcdefghi2x"),
        ("mastodon", "113000000000000001"),
        ("instagram", "C4abcdEFGh"),
        ("tiktok", "7300000000000000001"),
        ("threads", "C5abcdEFGhI"),
        ("youtube", "dQw4w9WgXcQ"),
        ("reddit", "1abcde"),
        ("facebook", "10161234567890123"),
    ]


def test_tweet_blockquote_fields_come_from_the_markup(fixtures: Path) -> None:
    _, result = _scan(fixtures)
    tweet = next(p for p in result if isinstance(p, Post) and p.post_id == "1500000000000000001")
    assert (tweet.author_name, tweet.author_handle, tweet.published) == ("Jane Doe", "janedoe", "2025-03-14")
    assert tweet.text and tweet.text.startswith("Hello — world, a dash in text")
    assert tweet.links == ("https://t.co/AbCdEf1234", "https://t.co/PiCcOdE123")


def test_decoys_are_not_posts(fixtures: Path) -> None:
    _, result = _scan(fixtures)
    rendered = next(p for p in result if isinstance(p, Post) and p.post_id == "1500000000000000002")
    assert rendered.author_handle is None  # creatorScreenName is the article's author, not the tweet's
    posts = [p for p in result if isinstance(p, Post)]
    assert not any(p.author_handle == "articleauthor" for p in posts)
    # the timeline and the share button are not posts; the share intent is not even a link
    raws = [link.raw for link in result if isinstance(link, Link)]
    assert "https://twitter.com/janedoe" in raws
    assert not any("intent/tweet" in r for r in raws)


def test_links_have_exact_spans_and_skip_furniture(fixtures: Path) -> None:
    doc, result = _scan(fixtures)
    links = [link for link in result if isinstance(link, Link)]
    for link in links:
        assert doc.text[link.span[0] : link.span[1]] == link.raw
        assert link.line == doc.text.count("\n", 0, link.span[0]) + 1
    urls = [link.url for link in links]
    assert "https://news.example.org/2025/02/older" in urls  # relative, joined to the canonical base
    assert not any(u.startswith("https://bit.ly/navlink") or "ow.ly/footer1" in u for u in urls)
    assert ("bit.ly/3xYzAbc", "bit.ly") in [(link.raw, link.shortener) for link in links]  # visible text URL


def test_whole_page_takes_furniture_too(fixtures: Path) -> None:
    _, result = _scan(fixtures, whole_page=True)
    urls = [link.url for link in result if isinstance(link, Link)]
    assert "https://bit.ly/navlink" in urls and "https://ow.ly/footer1" in urls


def test_links_short_and_none(fixtures: Path) -> None:
    _, short = _scan(fixtures, links="short")
    assert {link.shortener for link in short if isinstance(link, Link)} == {"t.co", "bit.ly"}
    _, none = _scan(fixtures, links="none")
    assert all(isinstance(f, Post) for f in none)


def test_css_and_script_mentions_are_not_embeds() -> None:
    html = (
        "<html><head><style>.twitter-tweet{}.instagram-media{}</style>"
        "<script>var c='<blockquote class=\"twitter-tweet\">';</script></head>"
        "<body><p>No embeds here.</p></body></html>"
    )
    assert scan(Document("t", html, "html")) == []


def test_embed_in_consent_textarea_and_repeat_merging() -> None:
    html = (
        '<html><body><article>\n<textarea hidden>\n<blockquote class="twitter-tweet"><p>Hi</p>&mdash; '
        'A (@a) <a href="https://twitter.com/a/status/11">May 1, 2020</a></blockquote></textarea>\n'
        '<div class="twitter-tweet twitter-tweet-rendered"><iframe data-tweet-id="22"></iframe></div>\n'
        '<blockquote class="twitter-tweet"><p>Yo</p>&mdash; B (@b) '
        '<a href="https://twitter.com/b/status/22">May 2, 2020</a></blockquote>\n</article></body></html>'
    )
    doc = Document("t", html, "html")
    posts = [p for p in scan(doc) if isinstance(p, Post)]
    assert [(p.post_id, p.author_handle) for p in posts] == [("11", "a"), ("22", "b")]
    assert doc.text[posts[0].span[0] :].startswith("<blockquote")


EMBED_VARIANTS = [
    (
        '<amp-instagram data-shortcode="C4abcdEFGh" width="1" height="1" layout="responsive"></amp-instagram>',
        ("instagram", "C4abcdEFGh"),
    ),
    ('<iframe src="https://www.instagram.com/p/C4abcdEFGh/embed/captioned/"></iframe>', ("instagram", "C4abcdEFGh")),
    (
        '<iframe src="https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2Fnasa%2Fposts%2F101612345678'
        '&width=500"></iframe>',
        ("facebook", "101612345678"),
    ),
    (
        '<div class="fb-video" data-href="https://www.facebook.com/nasa/videos/123456789012/"></div>',
        ("facebook", "123456789012"),
    ),
    ('<iframe src="https://www.tiktok.com/embed/v2/7300000000000000001"></iframe>', ("tiktok", "7300000000000000001")),
    (
        '<iframe src="https://embed.bsky.app/embed/did:plc:abc123/app.bsky.feed.post/3kabcdefghi2x"></iframe>',
        ("bluesky", "3kabcdefghi2x"),
    ),
    (
        '<blockquote class="mastodon-embed" data-embed-url="https://fosstodon.org/@gohugoio/113612162726645707/embed">'
        "<p>Coming in next Hugo</p></blockquote>",
        ("mastodon", "113612162726645707"),
    ),
    (
        '<blockquote class="reddit-card"><a href="https://www.reddit.com/r/news/comments/1abcde/title/">Title</a></blockquote>',
        ("reddit", "1abcde"),
    ),
    (
        '<amp-youtube data-videoid="dQw4w9WgXcQ" layout="responsive" width="480" height="270"></amp-youtube>',
        ("youtube", "dQw4w9WgXcQ"),
    ),
    ('<lite-youtube videoid="dQw4w9WgXcQ"></lite-youtube>', ("youtube", "dQw4w9WgXcQ")),
    (
        '<blockquote class="twitter-tweet"><a href="https://twitter.com/someone/status/1500000000000000009"></a></blockquote>',
        ("twitter", "1500000000000000009"),
    ),  # a placeholder holding only the status link
]


@pytest.mark.parametrize(
    ("markup", "expected"), EMBED_VARIANTS, ids=[e[1][0] + str(i) for i, e in enumerate(EMBED_VARIANTS)]
)
def test_every_embed_form(markup: str, expected: tuple[str, str]) -> None:
    html = f"<html><body><article><p>Before.</p>\n{markup}\n<p>After.</p></article></body></html>"
    doc = Document("t", html, "html")
    embedded = [p for p in scan(doc) if isinstance(p, Post) and p.embedded]
    assert [(p.platform, p.post_id) for p in embedded] == [expected]
    assert doc.text[embedded[0].span[0] : embedded[0].span[1]].startswith(markup.split(" ", 1)[0])


# --- nothing dropped without a word (issue 14) --------------------------------------------------------


def _links_of(html: str, **kw: object) -> list[Link]:
    doc = Document("t", html, "html")
    links = [f for f in scan(doc, **kw) if isinstance(f, Link)]  # type: ignore[arg-type]
    for link in links:
        assert doc.text[link.span[0] : link.span[1]] == link.raw
    return links


def test_links_after_line_65535_are_found_with_their_lines() -> None:
    # libxml2 numbers lines in 16 bits: from line 65,535 on every element says 65,535.
    lines = [f'<p><a href="https://example.org/{i}">link {i}</a></p>' for i in range(70_000)]
    html = "<html><body>\n" + "\n".join(lines) + "\n</body></html>\n"
    links = _links_of(html)
    assert len(links) == 70_000
    assert [link.url for link in links] == [f"https://example.org/{i}" for i in range(70_000)]
    assert [link.line for link in links] == list(range(2, 70_002))


def test_links_deeper_than_libxml2s_depth_limit_are_found() -> None:
    # 3,000 unclosed <span> (broken CMS output): libxml2 gives up at 2,048 levels, and with it the rest
    # of the document.
    html = (
        "<html><body><article><p>Intro <a href='https://example.org/before'>before</a></p>"
        + "<span>" * 3000
        + "<a href='https://example.org/deep'>deep</a>"
        + "</article><p><a href='https://example.org/after'>after</a></p></body></html>"
    )
    assert [link.url for link in _links_of(html)] == [
        "https://example.org/before",
        "https://example.org/deep",
        "https://example.org/after",
    ]


def test_deep_nesting_keeps_its_context() -> None:
    # Past the depth limit the document is read on from a shallow start, with the elements that say
    # what it stands in reopened: the deep link is still in the footer, the next one is not.
    html = (
        "<html><body><p><a href='https://example.org/body'>body</a></p><footer class='site-footer'>"
        + "<div>" * 2500
        + "<a href='https://example.org/in-footer'>f</a>"
        + "</div>" * 2500
        + "</footer><p><a href='https://example.org/after'>after</a></p></body></html>"
    )
    assert [link.url for link in _links_of(html)] == ["https://example.org/body", "https://example.org/after"]
    whole = [link.url for link in _links_of(html, whole_page=True)]
    assert whole == ["https://example.org/body", "https://example.org/in-footer", "https://example.org/after"]


def test_a_bare_url_with_an_entity_keeps_the_sources_characters() -> None:
    html = "<html><body><p>Read https://bit.ly/abc?x=1&amp;y=2 today.</p></body></html>"
    (link,) = _links_of(html)
    assert link.raw == "https://bit.ly/abc?x=1&amp;y=2"
    assert link.url == "https://bit.ly/abc?x=1&y=2"
    assert html[link.span[0] : link.span[1]] == link.raw


def test_text_urls_are_placed_in_their_own_text_node() -> None:
    # The same URL in a code sample and in an anchor's text comes before the one that is a text URL.
    html = (
        "<html><body><p><code>https://example.org/x</code> and <a href='https://example.org/x'>"
        "https://example.org/x</a> then https://example.org/x&#x2F;y and&nbsp;https://example.org/z.</p>"
        "</body></html>"
    )
    links = _links_of(html)
    assert [(link.raw, link.url) for link in links] == [
        ("https://example.org/x", "https://example.org/x"),  # the href
        ("https://example.org/x&#x2F;y", "https://example.org/x/y"),
        ("https://example.org/z", "https://example.org/z"),
    ]
    assert links[1].span[0] > html.index("</a>")


def test_links_after_the_end_of_html_are_found() -> None:
    # libxml2 drops what follows </html>; browsers put it in the body.
    html = "<html><body><p>x</p></body></html>\n<p><a href='https://example.org/late'>late</a></p>"
    assert [link.url for link in _links_of(html)] == ["https://example.org/late"]


@pytest.mark.parametrize(
    "decoy",
    [
        "<!-- <a href='https://decoy.example/c'>commented out</a> -->",
        "<!--> <a href='https://example.org/real'>abrupt comment</a>",
        "<script>var s = '<a href=\"https://decoy.example/s\">';</script>",
        "<script><!--<script>x</script><a href='https://decoy.example/e'>--></script>",  # escaped script
        "<div title='<a href=\"https://decoy.example/t\">'></div>",
        "<textarea><a href='https://decoy.example/ta'>t</a></textarea>",
        "<title><a href='https://decoy.example/ti'></title>",
        "<![CDATA[ <a href='https://decoy.example/cd'> ]]>",
        "<? pi <a href='https://decoy.example/pi'> ?>",
        "<div data-x='a > b'><a href='https://example.org/real'>after a quoted &gt;</a></div>",
    ],
)
def test_tags_that_are_not_tags(decoy: str) -> None:
    html = f"<html><body><p>{decoy}</p><a href='https://example.org/last'>last</a></body></html>"
    urls = [link.url for link in _links_of(html, whole_page=True)]
    assert not any("decoy.example" in u for u in urls)
    assert urls[-1] == "https://example.org/last"
    assert urls.count("https://example.org/real") == decoy.count("example.org/real")


# CONSTRUCTED, like cassettes/shorteners/bit.ly.yaml (whose answers follow the recorded samples): bit.ly's
# 301 for the short link, then the landing page's 200.
_BITLY_CASSETTE = """\
interactions:
- request:
    body: null
    headers: {}
    method: GET
    uri: https://bit.ly/abc?x=1&y=2
  response:
    body:
      string: '<html><head><title>Bitly</title></head><body><a
        href="https://www.example.com/report?id=7&amp;page=2">moved here</a></body></html>'
    headers:
      Server: [nginx]
      Content-Type: [text/html; charset=utf-8]
      Cache-Control: ['private, max-age=90']
      Location: ['https://www.example.com/report?id=7&page=2']
    status: {code: 301, message: Moved Permanently}
- request:
    body: null
    headers: {}
    method: GET
    uri: https://www.example.com/report?id=7&page=2
  response:
    body:
      string: '<!DOCTYPE html><html><head><title>Report</title></head><body><h1>Report</h1></body></html>'
    headers:
      Content-Type: [text/html; charset=utf-8]
    status: {code: 200, message: OK}
version: 1
"""


def test_rewrite_writes_a_whole_url_over_a_bare_url_with_an_entity(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from resolver.cli import app

    article = tmp_path / "a.html"
    original = "<html><body><p>Read https://bit.ly/abc?x=1&amp;y=2 today.</p></body></html>\n"
    article.write_text(original)
    cassette = tmp_path / "bitly.yaml"
    cassette.write_text(_BITLY_CASSETTE)
    result = CliRunner().invoke(
        app, ["rewrite", str(article), "--links", "all", "--cassette", str(cassette), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode() == original.replace(
        "https://bit.ly/abc?x=1&amp;y=2", "https://www.example.com/report?id=7&amp;page=2"
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # <base href> first, then the canonical link, then og:url, each the first of its kind
        (
            '<meta property="og:url" content="https://og.example/a/"><link rel="canonical" href="https://c.example/a/">'
            '<base href="https://base.example/a/"><base href="https://second.example/">',
            "https://base.example/x",
        ),
        (
            '<meta property="og:url" content="https://og.example/a/"><link rel="alternate" href="https://alt.example/">'
            '<link rel="canonical"><link rel="canonical" href="https://c.example/a/">',
            "https://c.example/x",
        ),
        # a first <base> that is no http(s) URL hands over to the next kind, not to the next <base>
        (
            '<base href="/relative/"><base href="https://second.example/">'
            '<meta property="og:url" content="https://og.example/a/">',
            "https://og.example/x",
        ),
        ('<meta name="og:url" content="https://name.example/">', None),
    ],
)
def test_what_a_page_says_of_its_own_address_joins_its_relative_links(head: str, expected: str | None) -> None:
    text = f"<html><head>{head}</head><body><article><p>See <a href='/x'>this</a>.</p></article></body></html>"
    links = [f for f in scan(Document(source="page.html", text=text, kind="html")) if isinstance(f, Link)]
    assert [link.url for link in links] == ([expected] if expected else [])
