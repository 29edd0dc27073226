"""A copied embed's signature in every shape it comes in (issue 9, cause 2), and where its text begins.

One hand-written fixture per shape (tests/fixtures/text-*); the negatives are as important as the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver import Link, Post, read_source, scan
from resolver.models import Document


def posts_and_links(path: Path) -> tuple[list[Post], list[Link]]:
    result = scan(read_source(str(path)))
    return [f for f in result if isinstance(f, Post)], [f for f in result if isinstance(f, Link)]


def signed(posts: list[Post]) -> list[tuple[str | None, str | None, str | None]]:
    return [(p.author_name, p.author_handle, p.published) for p in posts]


def text_posts(text: str, kind: str = "text") -> list[Post]:
    return [f for f in scan(Document("t", text, kind)) if isinstance(f, Post)]  # type: ignore[arg-type]


def test_signature_on_the_texts_own_line(fixtures: Path) -> None:
    posts, links = posts_and_links(fixtures / "text-oneline.txt")
    assert signed(posts) == [
        ("New York Post", "nypost", "2025-03-14"),
        ("Donald J. Trump", "realDonaldTrump", "2017-12-30"),  # prose glued to the year ("2017In")
        ("Erika Muster", "erika", "2024-02-03"),  # no space before the dash (textContent)
    ]
    assert all(p.embedded and p.platform == "twitter" for p in posts)
    assert posts[0].text == (
        "US Envoy Witkoff leaves Moscow without a deal https://t.co/TNglrey7ZG pic.twitter.com/rwQlRFY8S1"
    )
    assert posts[0].links == ("https://t.co/TNglrey7ZG", "pic.twitter.com/rwQlRFY8S1")
    assert posts[2].links == ("pic.x.com/QwErTy1234",)  # the dash is not part of the URL
    assert [(link.raw, link.in_post) for link in links] == [
        ("https://t.co/TNglrey7ZG", True),
        ("pic.twitter.com/rwQlRFY8S1", True),
        ("pic.twitter.com/kvv1uAqcZ9", True),
        ("pic.x.com/QwErTy1234", True),
    ]
    text = read_source(str(fixtures / "text-oneline.txt")).text
    # The post ends at the date: the prose after it on the same line is not part of it.
    assert text[posts[1].span[0] : posts[1].span[1]].endswith("December 30, 2017")


def test_text_of_a_one_line_signature_starts_at_a_sentence_when_the_line_is_long(fixtures: Path) -> None:
    posts, _ = posts_and_links(fixtures / "text-long-line.txt")
    assert [p.author_handle for p in posts] == ["janesen", "ann", "bob"]
    # The line is longer than a tweet: the text is the whole sentences before the dash that fit one.
    assert posts[0].text == "We did it! Thank you all. https://t.co/AbCdEfGhIj"
    # A tweet-sized line is taken from its start; a second signature on the line starts after the first.
    assert posts[1].text == "Two posts on one line: First one."
    assert posts[2].text == "Second one."


def test_signature_wrapped_onto_two_lines_anywhere(fixtures: Path) -> None:
    posts, links = posts_and_links(fixtures / "text-wrapped.txt")
    assert signed(posts) == [
        ("Some One", "someone", "2016-06-07"),
        ("Another Person With A Long Name", "another", "2016-06-08"),
        ("Third Person", "third", "2016-06-09"),
        ("Fourth Person", "fourth", "2016-06-10"),
    ]
    assert [p.links for p in posts] == [(f"pic.twitter.com/AbCdEfGhI{i}",) for i in range(1, 5)]
    assert posts[2].text == "The third post pic.twitter.com/AbCdEfGhI3"
    assert all(link.in_post for link in links)


def test_other_dashes(fixtures: Path) -> None:
    posts, _ = posts_and_links(fixtures / "text-dashes.txt")
    assert signed(posts) == [
        ("Bar Person", "barperson", "2025-03-14"),
        ("En Person", "enperson", "2025-03-14"),
        ("Hyphen Person", "hyphens", "2025-03-15"),
        ("Single Hyphen", "single", "2025-03-16"),
    ]
    assert posts[2].text == "Two hyphens pic.twitter.com/Dash2Hyph1"


def test_bullets_before_the_signature_or_the_text(fixtures: Path) -> None:
    posts, links = posts_and_links(fixtures / "text-bullets.md")
    assert signed(posts) == [
        ("Fan One", "fanone", "2022-05-01"),
        ("Fan Two", "fantwo", "2022-05-02"),
        ("Fan Three", "fanthree", "2022-05-03"),
    ]
    assert [p.text for p in posts] == [
        "What a game! pic.twitter.com/BuLLet0001",
        "Another reaction https://t.co/BuLLet0002",
        "Third reaction",
    ]
    assert [(link.raw, link.in_post) for link in links] == [
        ("pic.twitter.com/BuLLet0001", True),
        ("https://t.co/BuLLet0002", True),
    ]


def test_quoted_markdown_tweet_keeps_its_text_and_links_across_the_blank_quoted_line(fixtures: Path) -> None:
    # Issue 9 cause 4: the post record of a copied tweet in Markdown had links: [] (and no text) when a
    # blank ">" line stood between the text and the signature, and its links were not in_post.
    posts, links = posts_and_links(fixtures / "text-quoted-gap.md")
    assert [(p.author_handle, p.post_id) for p in posts] == [
        ("annapickard", "740027646310944768"),
        ("twoparas", "740027646310944769"),
    ]
    assert posts[0].links == ("https://t.co/fob8W59IgP", "https://t.co/ZyXwVuT987")
    assert posts[0].text == "Fact: my notification noise is set to pic.twitter.com/fob8W59IgP, see\nhttps://t.co/ZyXwVuT987"
    assert posts[1].text == "First paragraph of the tweet.\n\nSecond paragraph, with a link example.com/page."
    assert posts[1].links == ("https://t.co/SecondPara",)
    assert [(link.raw, link.in_post) for link in links] == [
        ("https://t.co/fob8W59IgP", True),
        ("https://t.co/ZyXwVuT987", True),
        ("https://twitter.com/annapickard/status/740027646310944768", True),
        ("https://t.co/SecondPara", True),
        ("https://twitter.com/twoparas/status/740027646310944769", True),
    ]


def test_the_status_link_as_the_date_in_every_link_form(fixtures: Path) -> None:
    posts, links = posts_and_links(fixtures / "text-status-links.md")
    assert [(p.author_handle, p.post_id, p.published, p.embedded) for p in posts] == [
        ("inline", "740027646310944001", "2016-06-07", True),
        ("reflink", "740027646310944002", "2016-06-08", True),
        ("bareurl", "740027646310944003", "2016-06-09", True),
        ("angleurl", "740027646310944004", "2016-06-10", True),
        ("onlyurl", "740027646310944005", None, True),
    ]
    assert posts[3].url == "https://x.com/angleurl/status/740027646310944004"
    # Each status link is a link of its post (in_post), never a second, linked post.
    assert len(links) == 5 and all(link.in_post for link in links)
    assert all(p.links == () for p in posts)  # the status link is the post's own URL, not a link in its text


def test_date_missing_only_in_the_strictest_shape(fixtures: Path) -> None:
    posts, links = posts_and_links(fixtures / "text-nodate.txt")
    # The short post with a true dash and (@handle) closing the line is a post; the long paragraph above a
    # dated-less signature (an op-ed's sign-off), the "--" signature and the inline one are not.
    assert signed(posts) == [("No Date Person", "nodate", None)]
    assert posts[0].text == "Short post text pic.twitter.com/NoDate0001"
    assert [(link.raw, link.in_post) for link in links] == [("pic.twitter.com/NoDate0001", True)]


def test_handle_only(fixtures: Path) -> None:
    posts, _ = posts_and_links(fixtures / "text-handle-only.txt")
    assert signed(posts) == [(None, "bareonly", "2016-06-07"), (None, "parenonly", "2016-06-08")]
    assert [p.text for p in posts] == ["Handle written bare", "Handle in parentheses, no name"]


def test_bluesky_full_width_and_timed_signatures(fixtures: Path) -> None:
    posts, _ = posts_and_links(fixtures / "text-other-handles.txt")
    assert [(p.platform, *signed([p])[0]) for p in posts] == [
        ("bluesky", "Alice", "alice.bsky.social", "2025-03-14"),
        ("twitter", "マツモトケイジ", "keizi666", "2020-01-24"),
        ("twitter", "Timed Person", "timed", "2023-03-15"),
    ]
    assert posts[1].text == "ツイートの本文です"


def test_what_is_not_a_signature(fixtures: Path) -> None:
    # A dash inside a post's text, "yesterday" as a date, a quote attribution without a handle, an e-mail
    # signature, a list of accounts, a date that does not start at the handle, a byline, an e-mail address.
    posts, _ = posts_and_links(fixtures / "text-negatives.txt")
    assert posts == []


def test_windows_line_endings() -> None:
    posts = text_posts("Text of the tweet\r\n— Some One (@someone) June 7, 2016\r\nNext.\r\n")
    assert signed(posts) == [("Some One", "someone", "2016-06-07")]
    assert posts[0].text == "Text of the tweet"


@pytest.mark.parametrize("kind", ["text", "markdown"])
def test_shapes_read_alike_as_text_and_as_markdown(fixtures: Path, kind: str) -> None:
    text = (fixtures / "text-wrapped.txt").read_text("utf-8")
    assert [p.author_handle for p in text_posts(text, kind)] == ["someone", "another", "third", "fourth"]


def test_signature_in_code_is_not_a_post() -> None:
    text = "```\nStop the crime wave — Donald J. Trump (@realDonaldTrump) October 15, 2016\n```\n"
    assert text_posts(text, "markdown") == []
