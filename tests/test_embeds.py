"""Embed shapes seen on real pages, reproduced in hand-written fixtures (tests/fixtures/embed-*)."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver import Link, Post, read_source, scan
from resolver.models import Document

from .conftest import CORPUS, needs_shared


def _scan(fixtures: Path, name: str) -> tuple[Document, list[Post], list[Link]]:
    doc = read_source(str(fixtures / name))
    found = scan(doc)
    for f in found:  # every record, whatever its shape, points at its own characters
        assert f.line == doc.text.count("\n", 0, f.span[0]) + 1
        if isinstance(f, Link):
            assert doc.text[f.span[0] : f.span[1]] == f.raw
    return doc, [f for f in found if isinstance(f, Post)], [f for f in found if isinstance(f, Link)]


def test_a_json_copy_of_a_displayed_tweet_is_the_same_post(fixtures: Path) -> None:
    doc, posts, links = _scan(fixtures, "embed-json-copies.html")
    assert [(p.post_id, p.author_handle) for p in posts] == [
        ("1790000000000000001", "rivercommuter"),
        ("1790000000000000002", "citytransit"),
    ]
    shown = posts[0]
    assert doc.text[shown.span[0] : shown.span[1]].startswith('<blockquote class="twitter-tweet">')  # the visible one
    script = doc.text.index("<script")
    assert shown.span[1] < script
    # the links of the JSON copy are data, not the article's: only the displayed embed's come out
    assert all(link.span[1] < script for link in links)
    assert [link.raw for link in links if link.shortener] == ["https://t.co/Br1dgeAbc1"]


def test_a_tweet_kept_only_in_page_state_is_read_through_its_escapes(fixtures: Path) -> None:
    doc, posts, _ = _scan(fixtures, "embed-json-copies.html")
    only_in_json = posts[1]
    assert (only_in_json.author_name, only_in_json.published) == ("City Transit", "2024-05-13")
    assert only_in_json.text == "Service resumes at 6am – buses replaced pic.twitter.com/Tr4nsitXyz"
    assert only_in_json.links == ("https://t.co/Tr4nsitXyz",)  # decoded from https:\/\/t.co\/…
    assert doc.text[only_in_json.span[0] :].startswith("\\u003cblockquote")  # the span is the escaped source


def test_embeds_behind_consent_placeholders_and_lazy_loaders(fixtures: Path) -> None:
    _, posts, _ = _scan(fixtures, "embed-consent.html")
    assert [(p.platform, p.post_id) for p in posts] == [
        ("twitter", "1800000000000000001"),  # escaped markup in a textarea
        ("twitter", "1800000000000000002"),  # raw markup in a textarea
        ("youtube", "Ab3dE5gH7jK"),  # data-iframe="&lt;iframe …"
        ("facebook", "1234567890123456"),  # base64 in data-html
        ("youtube", "Zy9xW8vU7tS"),  # iframe data-src
        ("facebook", "9876543210987"),  # iframe data-lazy-src
        ("instagram", "CgGgGgGgGg7"),  # base64 in a <script type="text/template">
    ]  # and /embed/videoseries (a playlist) is not a video
    fb = posts[3]
    assert (fb.author_name, fb.published, fb.text) == (
        "Harbour Council",
        "2024-06-07",
        "The ferry timetable changes on Sunday.",
    )
    assert (posts[0].author_handle, posts[0].published) == ("stadtbeispiel", "2024-06-03")
    assert (posts[6].author_handle, posts[6].author_name) == ("stadtgarten", "Stadtgarten")


def test_links_inside_a_textarea_embed_come_out_with_exact_spans(fixtures: Path) -> None:
    _, posts, links = _scan(fixtures, "embed-consent.html")
    inside = [link for link in links if link.in_post]
    assert [(link.url, link.shortener) for link in inside] == [
        ("https://t.co/R4dweg1234", "t.co"),
        ("https://twitter.com/stadtbeispiel/status/1800000000000000001?ref_src=twsrc%5Etfw&lang=de", None),
        ("https://bit.ly/3RadWeg", "bit.ly"),
        ("https://twitter.com/verkehrsamt/status/1800000000000000002", None),
    ]
    # the raw text is the source's characters, escapes and all
    assert inside[1].raw.endswith("&amp;amp;lang=de")
    assert all(posts[0].span[0] <= link.span[0] < posts[0].span[1] for link in inside[:2])


def test_static_cards_keep_their_ids_dates_and_quoted_short_links(fixtures: Path) -> None:
    _, posts, links = _scan(fixtures, "embed-static-cards.html")
    assert [(p.post_id, p.author_handle, p.author_name, p.published) for p in posts] == [
        ("1636000000000000001", "gardenwren", "Garden Wren", "2023-03-15"),  # id only in span.likes href
        (None, "nightheron", "Night Heron", "2023-03-15"),  # 11:23 PM: the hour is not the day
        ("1636000000000000003", "marshowl", "Marsh Owl", "2023-03-16"),  # data-attrs, junk after the id
    ]
    assert posts[0].text == "first frost of the year on the allotment.\n\nthe leeks do not mind."
    assert posts[2].text == "frost again"  # the quoted tweet's words are not the post's
    quoted = [link for link in links if link.shortener == "t.co"]
    assert [(link.raw, link.in_post) for link in quoted] == [("https://t.co/Fr0stMap12", True)]
    assert posts[2].links == ("https://t.co/Fr0stMap12",)


@pytest.mark.parametrize(
    ("post_id", "handle", "name", "published"),
    [
        ("CaAaAaAaAa1", "berg.huette", "Berg Hütte", None),  # de, v14: the phrase inside the link
        ("CbBbBbBbBb2", "harbour_lights", "Harbour Lights", "2019-04-02T06:15:00+00:00"),  # en, profile link
        ("CcCcCcCcCc3", "cafeduport", "Café du Port", "2017-05-20T09:00:00+00:00"),  # fr, no link
        ("CdDdDdDdDd4", "minato.asaichi", "港の朝市", None),  # ja: the phrase follows the name
        ("CeEeEeEeEe5", "feira.livre", None, None),  # pt: a handle and no name
        ("CfFfFfFfFf6", "osteria_blu", "Osteria Blu", None),  # it
    ],
)
def test_instagram_attribution_in_the_embed_codes_languages(
    fixtures: Path, post_id: str, handle: str, name: str | None, published: str | None
) -> None:
    _, posts, _ = _scan(fixtures, "embed-instagram-captions.html")
    post = next(p for p in posts if p.post_id == post_id)
    assert (post.author_handle, post.author_name, post.published) == (handle, name, published)


def test_instagram_caption_is_not_the_attribution(fixtures: Path) -> None:
    _, posts, _ = _scan(fixtures, "embed-instagram-captions.html")
    captions = {p.post_id: p.text for p in posts if p.platform == "instagram"}
    assert captions["CbBbBbBbBb2"] == "Sunrise over the harbour #morning"
    assert captions["CaAaAaAaAa1"] is None  # v14 code holds no caption, only "Ein Beitrag geteilt von …"


def test_tiktok_handle_survives_a_cite_in_braces_and_a_template_placeholder(fixtures: Path) -> None:
    _, posts, _ = _scan(fixtures, "embed-instagram-captions.html")
    tiktok = [p for p in posts if p.platform == "tiktok"]
    assert [(p.post_id, p.author_handle, p.text) for p in tiktok] == [
        ("7300000000000000123", "rivercook", "three-minute soup #soup"),  # cite="{https://…}"
        ("7300000000000000124", "hillwalker", "ridge at dawn"),  # cite ".../@{handle}/…": the profile link
    ]
    assert tiktok[0].url == "https://www.tiktok.com/@rivercook/video/7300000000000000123"


def test_links_inside_an_inline_html_embed_of_a_markdown_post(fixtures: Path) -> None:
    _, posts, links = _scan(fixtures, "embed-inline.md")
    assert [(p.post_id, p.author_handle) for p in posts] == [("1810000000000000001", "townclerk")]
    assert [(link.raw, link.in_post) for link in links] == [
        ("https://t.co/M1nutes123", True),
        ("https://twitter.com/townclerk/status/1810000000000000001", True),
        ("https://example.org/thread", False),
    ]


@pytest.mark.parametrize(
    ("markup", "handle"),
    [
        (
            '<blockquote class="mastodon-embed" data-embed-url="https://social.example/@harbour/113000000000000009/embed">'
            '<a href="https://social.example/@harbour/113000000000000009"><div>Post by @harbour@social.example</div>'
            "<div>View on Mastodon</div></a></blockquote>",
            "harbour@social.example",
        ),
        (
            '<blockquote class="text-post-media" data-text-post-permalink="https://www.threads.net/@harbour/post/C9aBcDeFgHi">'
            '<a href="https://www.threads.net/@harbour/post/C9aBcDeFgHi"><div>Post by @harbour</div>'
            "<div>View on Threads</div></a></blockquote>",
            "harbour",
        ),
        (
            '<blockquote class="twitter-tweet"><a href="https://twitter.com/harbour/status/1500000000000000077">'
            "Tweet may have been deleted</a></blockquote>",
            "harbour",
        ),
    ],
    ids=["mastodon", "threads", "twitter-placeholder"],
)
def test_placeholder_words_are_not_post_text(markup: str, handle: str) -> None:
    doc = Document("t", f"<html><body><article>{markup}</article></body></html>", "html")
    (post,) = [f for f in scan(doc) if isinstance(f, Post)]
    assert (post.author_handle, post.text) == (handle, None)


@needs_shared
def test_corpus_pages_report_each_post_once_with_exact_spans() -> None:
    pages = sorted((CORPUS / "pages").iterdir())
    assert pages
    for page in pages:
        doc = read_source(str(page))
        found = scan(doc)
        keys = [(p.platform, p.post_id) for p in found if isinstance(p, Post) and p.post_id]
        assert len(keys) == len(set(keys)), page.name
        for f in found:
            if isinstance(f, Link):
                assert doc.text[f.span[0] : f.span[1]] == f.raw, (page.name, f)


LAZY_AND_AMP_FORMS = [
    (
        '<div class="rll-youtube-player" data-src="https://www.youtube.com/embed/AqzMjzQ9pH4" data-id="AqzMjzQ9pH4">'
        '</div><noscript><iframe src="https://www.youtube.com/embed/AqzMjzQ9pH4?feature=oembed"></iframe></noscript>',
        ("youtube", "AqzMjzQ9pH4"),
    ),  # a click-to-load placeholder and its noscript fallback: one video
    (
        '<amp-facebook width="552" height="310" data-href="https://www.facebook.com/harbourcouncil/posts/1234567890123456">'
        "</amp-facebook>",
        ("facebook", "1234567890123456"),
    ),
    ('<amp-tiktok data-src="7300000000000000555"></amp-tiktok>', ("tiktok", "7300000000000000555")),
    ('<iframe src="https://www.tiktok.com/player/v1/7300000000000000557"></iframe>', ("tiktok", "7300000000000000557")),
    (
        '<amp-reddit data-embedtype="post" data-src="https://www.reddit.com/r/news/comments/1xyzab/some_title/"></amp-reddit>',
        ("reddit", "1xyzab"),
    ),
    (
        '<iframe src="https://platform.twitter.com/embed/index.html?dnt=true&amp;id=1500000000000000777"></iframe>',
        ("twitter", "1500000000000000777"),
    ),
    ('<iframe src="https://www.instagram.com/tv/CtVtVtVtVt1/embed/"></iframe>', ("instagram", "CtVtVtVtVt1")),
]


@pytest.mark.parametrize(("markup", "expected"), LAZY_AND_AMP_FORMS, ids=[e[1][0] for e in LAZY_AND_AMP_FORMS])
def test_lazy_and_amp_embed_forms(markup: str, expected: tuple[str, str]) -> None:
    html = f"<html><body><article><p>Before.</p>\n{markup}\n<p>After.</p></article></body></html>"
    posts = [f for f in scan(Document("t", html, "html")) if isinstance(f, Post)]
    assert [(p.platform, p.post_id) for p in posts] == [expected]


def test_a_facebook_widget_about_the_article_is_not_a_post() -> None:
    html = (
        '<html><body><article><amp-facebook-comments data-href="https://news.example.org/story"></amp-facebook-comments>'
        '<div class="fb-post" data-href="https://news.example.org/story"></div></article></body></html>'
    )
    assert [f for f in scan(Document("t", html, "html")) if isinstance(f, Post)] == []


# --- shapes found on pages outside the corpus (tests/fixtures/qa-*) ---------------------------------------


def test_placeholders_that_keep_only_the_posts_url(fixtures: Path) -> None:
    doc, posts, links = _scan(fixtures, "qa-embed-placeholders.html")
    assert [(p.platform, p.post_id, p.author_handle) for p in posts] == [
        ("twitter", "1313412635854077952", "ferryrunner"),  # div.tweet[data-url]
        ("twitter", "1254834028248735744", "tenantsunion"),  # div.embedInner.Twitter[data-resourceurl]
        ("twitter", "1828173076682383463", "Freddy_2805"),  # div.c-oembed[data-oembed-url]
        ("twitter", "1875707373559673271", "reporter_tv"),  # div.rcs_social-embed[data-href]
        ("youtube", "GTt-fyhTCzE", None),  # a page builder's video block
        ("twitter", "1602236850105913344", "essayist"),  # div.quill-tweet[data-url]
        ("twitter", "1500000000000000009", "harbourmaster"),  # a wrapper around full embed code: one post
    ]
    assert all(p.embedded for p in posts)
    assert posts[2].url == "https://x.com/Freddy_2805/status/1828173076682383463?s=46"  # as the source gives it
    span = doc.text[posts[1].span[0] : posts[1].span[1]]
    assert span.startswith('<div id="img215022" class="embedInner Twitter"') and span.endswith("</div>")
    wrapped = posts[-1]
    assert doc.text[wrapped.span[0] :].startswith("<blockquote") and wrapped.text == "Harbour closed until noon."
    # the list item, the card link and the image are not embeds; the share button's URL is the article's
    assert not any(p.post_id in ("1234567890123456789", "2234567890123456789", "CgGgGgGgGg7") for p in posts)
    assert [link.in_post for link in links if "harbourmaster/status" in link.url] == [True]


def test_ids_written_as_urls(fixtures: Path) -> None:
    _, posts, _ = _scan(fixtures, "qa-embed-id-urls.html")
    assert [(p.platform, p.post_id, p.author_handle, p.url) for p in posts] == [
        (
            "twitter",
            "2075543942469238989",
            "JuanMa_Moreno",
            "https://twitter.com/JuanMa_Moreno/status/2075543942469238989",
        ),
        (
            "twitter",
            "2075515505419460638",
            "sanchezcastejon",
            "https://x.com/sanchezcastejon/status/2075515505419460638?s=20",
        ),
        ("instagram", "C9xYz12AbCd", None, "https://www.instagram.com/reel/C9xYz12AbCd/"),
        ("youtube", "dQw4w9WgXcQ", None, "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("twitter", "1500000000000000003", None, None),  # the plain id, as before
    ]


def test_a_template_is_not_a_post(fixtures: Path) -> None:
    _, posts, _ = _scan(fixtures, "qa-embed-templates.html")
    # {{ post_id }} in a feed template, ${id} in a <template>: only the real post beside them
    assert [(p.platform, p.post_id) for p in posts] == [("facebook", "1920722881385983")]


def test_data_copies_of_other_stories_are_not_this_articles(fixtures: Path) -> None:
    doc, posts, links = _scan(fixtures, "qa-held-other-stories.html")
    # the page state holds this article (its paragraphs are displayed) and the next story; a hidden rail
    # holds a third story as JSON in an attribute. Only this article's tweet is an embed of the page.
    assert [(p.post_id, p.author_handle) for p in posts] == [("1790000000000000101", "ferrywatch")]
    assert doc.text[posts[0].span[0] :].startswith('<blockquote class=\\"twitter-tweet\\">')
    assert links == []  # a script's copy is data: its links are not the article's


def test_a_shell_page_is_its_scripts_article(fixtures: Path) -> None:
    _, posts, _ = _scan(fixtures, "qa-held-shell.html")
    # the page shows nothing but "Loading…": the article its script holds is the page's
    assert [(p.post_id, p.author_handle, p.published) for p in posts] == [
        ("549667258747092995", "starnews", "2014-12-29")
    ]


def test_an_embed_left_open_does_not_swallow_the_next_one(fixtures: Path) -> None:
    doc, posts, links = _scan(fixtures, "qa-embed-unclosed.html")
    # the first blockquote lost its </blockquote> (and never had a signature or a status link): the
    # tweet after it is its own embed, with its own text, and what follows both is nobody's signature
    assert [(p.post_id, p.author_handle, p.text) for p in posts] == [
        ("549422390967422977", "actor", "She says she likes the other team's uniforms.")
    ]
    assert doc.text[posts[0].span[0] :].startswith('<blockquote class="twitter-tweet" width="550"><p>She says')
    assert [(link.raw, link.in_post) for link in links if link.shortener] == [("http://t.co/UcqLGH9y8h", False)]


def test_an_embed_left_open_ends_at_its_permalink_and_a_closed_one_around_a_quote_is_one_embed(
    fixtures: Path,
) -> None:
    doc, posts, links = _scan(fixtures, "qa-embed-unclosed-signed.html")
    embedded = [(p.post_id, p.author_handle, p.text) for p in posts if p.embedded]
    assert embedded == [
        ("1790000000000000401", "pierwatch", "Still waiting at the pier pic.twitter.com/P1erWa1t01"),
        ("1790000000000000402", "ferryco", "Sailings resume at noon."),
        ("1790000000000000403", "pierwatch", "Noon, they said. https://t.co/N00nQu0te1"),
    ]
    # the one left open ends with its signature's date link: the article's paragraph after it is not the post's
    first = posts[0]
    assert doc.text[: first.span[1]].endswith('1790000000000000401">May 20, 2024</a>')
    assert {link.url: link.in_post for link in links if "t.co/P1er" in link.url or "ferry.example" in link.url} == {
        "https://t.co/P1erWa1t01": True,
        "https://ferry.example/notices": False,
    }
    # the blockquote closed around another is a quote tweet: it is the embed, its span ends at its own end tag
    quote = next(p for p in posts if p.post_id == "1790000000000000403")
    assert doc.text[quote.span[0] : quote.span[1]].count("</blockquote>") == 2


def test_a_data_copy_in_a_later_piece_of_a_long_page_stays(fixtures: Path) -> None:
    # A page longer than one parse piece: the article's prose is displayed in the first piece, its data copy
    # (the only copy of the tweet) sits in a script in a later one. The later piece alone does not show the
    # prose, so it cannot judge the copy foreign.
    page = (fixtures / "qa-held-other-stories.html").read_text(encoding="utf-8")
    head, _, rest = page.partition("</main>")
    filler = "".join(f"<p>Filler paragraph {n} of a very long page, displayed text.</p>\n" for n in range(20_000))
    big = head + "</main>" + filler + rest
    assert len(big) > 1 << 20  # more than one piece (resolver.scan.pieces.PIECE_CHARS)
    posts = [f for f in scan(Document("long", big, "html")) if isinstance(f, Post)]
    assert ("1790000000000000101", "ferrywatch") in [(p.post_id, p.author_handle) for p in posts]
