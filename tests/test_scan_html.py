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
