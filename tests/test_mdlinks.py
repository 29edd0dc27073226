"""The Markdown link reader: CommonMark's inline links, read without a backtracking expression."""

from __future__ import annotations

import pytest

from resolver.scan.markdown import MarkdownIndex, find_markdown_links, find_references, strip_links


def hrefs(text: str) -> list[tuple[str, str]]:
    return [(text[m.text_start : m.text_end], text[m.url_start : m.url_end]) for m in find_markdown_links(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a [link](https://example.com/a) b", [("link", "https://example.com/a")]),
        ("![alt](img.png)", [("alt", "img.png")]),
        ('[t](https://x.com/a "title") [u](<https://y.com/b>)', [("t", "https://x.com/a"), ("u", "https://y.com/b")]),
        ("[wiki](https://en.wikipedia.org/wiki/Foo_(bar)_(baz))", [("wiki", "https://en.wikipedia.org/wiki/Foo_(bar)_(baz)")]),
        # an image inside a link's text is part of that link, as a left-to-right scan reads it
        ("[![img](src.png)](https://x.com/p)", [("![img](src.png)", "https://x.com/p")]),
        ("[a [b] c](https://x.com/)", [("a [b] c", "https://x.com/")]),
        ("[outer [inner](https://in.example/)", [("inner", "https://in.example/")]),
        ("[pic.twitter.com/x](https://t.co/x)", [("pic.twitter.com/x", "https://t.co/x")]),
        # not links: unbalanced parentheses, a space in the href, a blank line inside the text, nothing
        ("[a](https://x.com/(unclosed", []),
        ("[a](https://x.com/ b c)", []),
        ("[a\n\nb](https://x.com/)", []),
        ("[a]()", []),
        ("[a] (https://x.com/)", []),
        ("\\[a](https://x.com/)", []),
    ],
)
def test_inline_links(text: str, expected: list[tuple[str, str]]) -> None:
    assert hrefs(text) == expected


def test_spans_and_stripping() -> None:
    text = "Fact [pic.twitter.com/x](https://t.co/x) and [b](https://b.example/) end"
    links = find_markdown_links(text)
    assert [(text[m.start : m.end]) for m in links] == ["[pic.twitter.com/x](https://t.co/x)", "[b](https://b.example/)"]
    assert strip_links(text, links, 0, len(text)) == "Fact pic.twitter.com/x and b end"


def test_reference_definitions_and_the_index() -> None:
    text = (
        "Signed [June 8, 2016][1] and [here](https://inline.example/).\n\n"
        "[1]: <https://twitter.com/a/status/1> 'title'\n"
    )
    refs = find_references(text)
    assert [(r.label, r.url, text[r.url_start : r.url_end]) for r in refs] == [
        ("1", "https://twitter.com/a/status/1", "https://twitter.com/a/status/1")
    ]
    index = MarkdownIndex(text)
    ref = index.reference(" 1 ")
    assert ref is not None and ref.url == "https://twitter.com/a/status/1"
    assert index.link_at(text.index("[here]")) is not None and index.link_at(0) is None
    assert len(index.between(0, len(text))) == 1 and index.between(0, text.index("[here]")) == []
