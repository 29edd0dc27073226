from __future__ import annotations

from pathlib import Path

import pytest

from resolver import Link, Post, read_source, scan
from resolver.models import Document

from .conftest import SEED, needs_shared


def findings(text: str, kind: str = "text") -> list[Link | Post]:
    return scan(Document("t", text, kind))  # type: ignore[arg-type]


@needs_shared
def test_seed_yields_exactly_one_post_and_its_two_short_links() -> None:
    doc = read_source(str(SEED))
    result = scan(doc)
    posts = [f for f in result if isinstance(f, Post)]
    links = [f for f in result if isinstance(f, Link)]
    assert len(posts) == 1
    post = posts[0]
    assert (post.platform, post.author_name, post.author_handle, post.published) == (
        "twitter",
        "New York Post",
        "nypost",
        "2025-03-14",
    )
    assert post.embedded and post.text and post.text.startswith("US Envoy Witkoff leaves Moscow")
    assert post.links == ("https://t.co/TNglrey7ZG", "pic.twitter.com/rwQlRFY8S1")
    assert [(link.raw, link.shortener, link.in_post) for link in links] == [
        ("https://t.co/TNglrey7ZG", "t.co", True),
        ("pic.twitter.com/rwQlRFY8S1", "pic.twitter.com", True),
    ]
    for f in result:
        assert f.line == doc.text.count("\n", 0, f.span[0]) + 1
    for link in links:
        assert doc.text[link.span[0] : link.span[1]] == link.raw


def test_copied_embeds_in_other_languages(fixtures: Path) -> None:
    doc = read_source(str(fixtures / "copied.txt"))
    posts = [f for f in scan(doc) if isinstance(f, Post)]
    assert [(p.author_name, p.author_handle, p.published) for p in posts] == [
        ("Jean Dupont", "jdupont", "2025-03-14"),
        ("Erika Muster", "erika", "2024-02-03"),
    ]
    assert posts[1].text == "Stimmt! pic.x.com/QwErTy1234"
    # the dashed line without a date is tweet text, not a signature
    assert all("niemand" not in (p.author_handle or "") for p in posts)


def test_markdown_quote_shortcodes_code_and_comments(fixtures: Path) -> None:
    doc = read_source(str(fixtures / "copied.md"))
    assert doc.kind == "markdown"
    result = scan(doc)
    posts = [f for f in result if isinstance(f, Post)]
    assert [(p.platform, p.post_id, p.author_handle) for p in posts] == [
        ("twitter", "740027646310944768", "someone"),
        ("twitter", "1453110110599868418", "SanDiegoZoo"),
        ("youtube", "dQw4w9WgXcQ", None),
    ]
    assert posts[0].links == ("https://t.co/AbCdEfGhIj",)
    assert posts[0].text == "Fact: something happened today. pic.twitter.com/AbCdEfGhIj"
    raws = [f.raw for f in result if isinstance(f, Link)]
    assert "http://not.a/link" not in raws and "http://inside.code/block" not in raws
    assert not any("hidden.example.com" in r for r in raws)
    assert "https://bit.ly/3AbCdEf" in raws and "www.example.net" in raws


def test_a_dash_in_text_is_not_a_signature() -> None:
    text = "He said — and I quote (@nobody) — nothing.\nAnother line — Name (@handle) yesterday\n"
    assert [f for f in findings(text) if isinstance(f, Post)] == []


def test_signature_needs_a_whole_line() -> None:
    text = "Text pic.twitter.com/AbCdEfGhIj\n— Name (@handle) January 5, 2020\n"
    posts = [f for f in findings(text) if isinstance(f, Post)]
    assert len(posts) == 1 and posts[0].published == "2020-01-05"


@pytest.mark.parametrize(
    ("date", "iso"),
    [
        ("14 de marzo de 2025", "2025-03-14"),
        ("2025年3月14日", "2025-03-14"),
        ("14 марта 2025 г.", "2025-03-14"),
        ("14. März 2025", "2025-03-14"),
        ("Mar 14, 2025", "2025-03-14"),
    ],
)
def test_signature_dates_in_many_languages(date: str, iso: str) -> None:
    posts = [f for f in findings(f"Post text\n— Name (@handle) {date}\n") if isinstance(f, Post)]
    assert posts and posts[0].published == iso


def test_linked_post_in_text_is_a_link_and_a_post() -> None:
    result = findings("See https://twitter.com/jack/status/20 for the first tweet.")
    kinds = sorted((type(f).__name__, getattr(f, "embedded", None)) for f in result)
    assert kinds == [("Link", None), ("Post", False)]


def test_spans_union_answers_overlap_and_cover() -> None:
    from resolver.scan.text import Spans

    spans = Spans([(10, 20), (30, 40)])
    spans.append((18, 32))  # bridges both: one interval 10-40
    spans.append((50, 60))
    assert spans.overlaps(39, 45) and not spans.overlaps(40, 50) and spans.overlaps(0, 11)
    assert spans.covers(12, 38) and not spans.covers(35, 55) and not spans.covers(5, 12)


def test_many_copied_posts_scan_in_linear_time(fixtures: Path) -> None:
    one = (fixtures / "copied.txt").read_text()
    small = findings(one * 50)
    large = findings(one * 400)
    assert len(large) == 8 * len(small)  # every repeat found, nothing merged or lost


def test_address_hosts_in_text_and_markdown_are_links(fixtures: Path) -> None:
    doc = read_source(str(fixtures / "text-ip-hosts.md"))
    for kind in ("markdown", "text"):
        result = scan(Document(doc.source, doc.text, kind))  # type: ignore[arg-type]
        links = [f for f in result if isinstance(f, Link)]
        assert [link.raw for link in links] == [
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://127.1/",
            "http://%31%32%37.0.0.1/",
            "http://127。0。0。1/",
            "http://１２７.０.０.１/",
            "http://[fe80::1%25eth0]/",
            "http://127.0.0.1./",
            "http://169．254．169．254/latest/meta-data/",
        ], kind
        assert all(link.url == link.raw and not link.in_post for link in links)
        assert all(doc.text[link.span[0] : link.span[1]] == link.raw for link in links)


def test_links_of_an_embed_in_inline_html_are_in_post_links(fixtures: Path) -> None:
    # Issue 9 cause 4: the links inside an embed pasted as HTML into Markdown gave no link records.
    doc = read_source(str(fixtures / "text-inline-html.md"))
    result = scan(doc)
    posts = [f for f in result if isinstance(f, Post)]
    links = [f for f in result if isinstance(f, Link)]
    assert [(p.platform, p.post_id) for p in posts] == [
        ("twitter", "1561297804596695041"),
        ("mastodon", "111417118208218240"),
    ]
    assert [(link.raw, link.in_post) for link in links] == [
        ("https://t.co/qjLBPPSKov", True),
        ("https://twitter.com/UlyssesZhan/status/1561297804596695041?ref_src=twsrc%5Etfw", True),
    ]  # the widget script and the iframe's src are resources, not links
    for link in links:
        assert doc.text[link.span[0] : link.span[1]] == link.raw
        assert posts[0].span[0] <= link.span[0] and link.span[1] <= posts[0].span[1]
