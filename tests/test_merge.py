"""resolver.scan.merge: one post per post, as a pure function over findings."""

from __future__ import annotations

from resolver.models import Link, Post
from resolver.scan.merge import merge_posts


def post(
    start: int,
    end: int,
    post_id: str | None,
    *,
    handle: str | None = "ann",
    text: str | None = "Hello there",
    embedded: bool = True,
    platform: str = "twitter",
    **fields: object,
) -> Post:
    values: dict[str, object] = {"url": None, "author_name": None, "published": None, "links": ()}
    values.update(fields)
    return Post(
        "doc",
        platform,
        values["url"],  # type: ignore[arg-type]
        post_id,
        values["author_name"],  # type: ignore[arg-type]
        handle,
        values["published"],  # type: ignore[arg-type]
        text,
        values["links"],  # type: ignore[arg-type]
        embedded,
        (start, end),
        1,
    )


def link(start: int, raw: str = "https://t.co/abc", *, in_post: bool = True) -> Link:
    return Link("doc", raw, raw, "t.co", in_post, (start, start + len(raw)), 1)


def test_same_platform_and_id_are_one_post_at_the_first_shown_copy() -> None:
    a, b = post(10, 50, "1", author_name="Ann"), post(200, 240, "1", published="2024-01-02")
    assert merge_posts([a, b]) == [post(10, 50, "1", author_name="Ann", published="2024-01-02")]


def test_other_platforms_and_ids_stay_apart() -> None:
    findings = [post(10, 50, "1"), post(60, 90, "1", platform="bluesky"), post(100, 140, "2")]
    assert merge_posts(findings) == findings


def test_an_embed_is_kept_over_a_plain_link_to_the_same_post() -> None:
    linked = post(5, 30, "1", text=None, embedded=False, url="https://x.com/ann/status/1")
    embed = post(100, 300, "1", author_name="Ann")
    (merged,) = merge_posts([linked, embed])
    assert (merged.span, merged.embedded, merged.url) == ((100, 300), True, "https://x.com/ann/status/1")


def test_a_displayed_copy_is_kept_over_a_held_one_wherever_it_stands() -> None:
    held_copy = post(10, 60, "1", links=("https://t.co/abc",))
    shown = post(500, 600, "1")
    (merged,) = merge_posts([held_copy, shown], held=[(10, 60)])
    assert merged.span == (500, 600) and merged.links == ("https://t.co/abc",)


def test_a_held_copy_is_kept_when_it_is_the_only_one() -> None:
    only = post(10, 60, "1")
    assert merge_posts([only], held=[(10, 60)]) == [only]


def test_a_copy_without_id_with_the_same_handle_and_text_is_that_post() -> None:
    with_id = post(10, 60, "1", text="Bridge  reopens\ntoday")
    without = post(300, 360, None, handle="ANN", text="bridge reopens today", author_name="Ann")
    (merged,) = merge_posts([with_id, without])
    assert (merged.post_id, merged.span, merged.author_name) == ("1", (10, 60), "Ann")


def test_a_copy_without_id_that_matches_two_posts_is_left_alone() -> None:
    findings = [post(10, 60, "1"), post(100, 160, "2"), post(300, 360, None)]
    assert merge_posts(findings) == findings


def test_copies_without_ids_are_not_merged_with_each_other() -> None:
    # a thread of copied tweets: three posts whose visible text is the same word
    findings = [post(10, 20, None, text="more"), post(30, 40, None, text="more"), post(50, 60, None, text="more")]
    assert merge_posts(findings) == findings


def test_links_of_a_dropped_held_copy_go_with_it() -> None:
    shown, shown_link = post(10, 60, "1"), link(20)
    held_copy, held_link = post(300, 360, "1"), link(310)
    plain = link(400, "https://example.org/", in_post=False)
    out = merge_posts([shown, shown_link, held_copy, held_link, plain], held=[(300, 360)])
    assert out == [shown, shown_link, plain]


def test_a_placeholder_around_the_displayed_embed_keeps_its_links() -> None:
    placeholder = post(0, 500, "1")  # an attribute copy: its span is the element that carries it
    shown, inner_link, other_link = post(100, 200, "1"), link(120), link(450, "https://example.org/x")
    out = merge_posts([placeholder, shown, inner_link, other_link], held=[(0, 500)])
    assert out == [shown, inner_link, other_link]


def test_copies_side_by_side_are_one_embed_spanning_both() -> None:
    text = "<p>a</p><div class=r><iframe></iframe></div>\n  <blockquote>Hello</blockquote><p>after</p><i>x</i>"
    div = (text.index("<div"), text.index("</div>") + len("</div>"))
    quote = (text.index("<blockquote"), text.index("</blockquote>") + len("</blockquote>"))
    (merged,) = merge_posts([post(*div, "1", text=None), post(*quote, "1")], text=text)
    assert merged.span == (div[0], quote[1]) and merged.text == "Hello there"
    # with visible words between them they are two places on the page: the first one is kept as it is
    later = (text.index("<i>"), len(text))
    (apart,) = merge_posts([post(*div, "1"), post(*later, "1")], text=text)
    assert apart.span == div


def test_source_order_and_everything_else_pass_through() -> None:
    findings = [link(1, "https://a.example/", in_post=False), post(10, 60, "1"), link(20), post(90, 99, "2")]
    assert merge_posts(findings) == findings
