"""Issue 8: a property-based fuzzer over the scanner's inputs (text, Markdown and HTML documents).

The documents are built from the pieces hostile and real articles are made of (URL parts in every host
spelling, brackets, dashes, handles, dates, quote marks, Markdown and HTML syntax, invisible and CJK
characters) mixed with arbitrary text. For every document the scan must hold:

* no exception;
* every span within the text, every link's span holding exactly its ``raw``, every line number right;
* findings in source order;
* the same records when the same text is scanned again;
* every link marked in_post inside an embedded post's span.

Bounded for CI: a fixed number of examples, derandomized, no example database, no deadline (the machine
is shared). ``RESOLVER_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_scan.py`` searches longer.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver import Link, Post, scan
from resolver.models import ContentKind, Document, Finding

EXAMPLES = int(os.environ.get("RESOLVER_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PIECES = [
    # URLs and their parts, in every host spelling the scanner must see
    "http://", "https://", "ftp://", "//", "www.", "example.com", "t.co/AbC123", "pic.twitter.com/xYz9",
    "bit.ly/3Ab", "/", "/path", "?q=1&r=2", "#frag", ":8080", "user@", "2130706433", "0x7f.0.0.1", "127.1",
    "%31%32%37", "%", "\u3002", "\uff0e", "\uff61", "\uff11\uff12\uff17", "[fe80::1%25eth0]", "[::1]", ".",
    "https://twitter.com/someone/status/740027646310944768", "https://bsky.app/profile/a.bsky.social/post/3k",
    # punctuation that ends, opens or closes
    ",", ";", ":", "!", "?", "…", "'", '"', "&amp;", "&a;", "(", ")", "[", "]", "{", "}", "<", ">", "](",
    "![", "`", "```", "~~~", "*", "_",
    # lines, quotes, bullets
    " ", "  ", "\n", "\n\n", "\r\n", "\r", "\t", "> ", ">", "* ", "- ", "• ", "1. ",
    # signatures
    "—", "–", "―", "--", "-", "(@", "@", "＠", "（", "）", "someone", "alice.bsky.social", "Name",
    "Some One", "By ", "March 14, 2025", "Mar 15, 2023", "2025年3月14日", "14 mars 2025", "8:44 AM · ",
    "2017", "yesterday", "[June 7, 2016](https://twitter.com/someone/status/740027646310944768)",
    "<https://x.com/a/status/1>", "[1]: https://t.co/x", "[June 8, 2016][1]",
    # Markdown and HTML
    '{{< tweet user="a" id="1" >}}', "{{<", ">}}", "<!--", "-->", "<script>", "</script>", "<style>",
    '<blockquote class="twitter-tweet">', "</blockquote>", '<a href="https://t.co/q">', "</a>", "&mdash;",
    "<p>", "</p>", '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ">', "</iframe>",
    '<div class="fb-post" data-href="https://www.facebook.com/x/posts/1">', "</div>", "<br>", "<html>",
    # scripts and invisible characters
    "中文", "日本語。", "é", "\u200b", "\u202e", "\u00a0", "\ufeff", "\x00", "\U0001f1e8\U0001f1fa",
]

documents = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=4)),
    max_size=80,
).map("".join)


def check(text: str, kind: ContentKind) -> None:
    doc = Document("fuzz", text, kind)
    first = scan(doc)
    assert scan(Document("fuzz", text, kind)) == first, "a second scan of the same text differs"
    starts = [f.span[0] for f in first]
    assert starts == sorted(starts), "findings out of source order"
    posts = [f for f in first if isinstance(f, Post)]
    for finding in first:
        _check_span(text, finding)
        if isinstance(finding, Link) and finding.in_post:
            assert any(
                p.embedded and p.span[0] <= finding.span[0] and finding.span[1] <= p.span[1] for p in posts
            ), f"in_post link outside every embedded post: {finding}"


def _check_span(text: str, finding: Finding) -> None:
    start, end = finding.span
    assert 0 <= start <= end <= len(text), finding
    assert finding.line == text.count("\n", 0, start) + 1, finding
    if isinstance(finding, Link):
        assert text[start:end] == finding.raw, finding


@FUZZ
@given(documents)
def test_fuzz_plain_text(text: str) -> None:
    check(text, "text")


@FUZZ
@given(documents)
def test_fuzz_markdown(text: str) -> None:
    check(text, "markdown")


@FUZZ
@given(documents)
def test_fuzz_html(text: str) -> None:
    check(text, "html")
