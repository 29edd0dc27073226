"""absolute_url joins a path from the root without urljoin; the answer must be urljoin's, byte for byte."""

from __future__ import annotations

import itertools
from urllib.parse import urljoin

import pytest

from resolver.scan.urls import absolute_url

BASES = [
    "https://example.com/a/b.html",
    "http://Example.com:8080/x/",
    "HTTPS://ex.com",
    "https://ex.com/a?q#f",
    "https://u:p@ex.com/",
    "https://ex.com/%7e/",
    "ftp://ex.com/a",  # not http(s): urljoin's own answer
    "javascript:void(0)",
    "https://[::1]/",
    "https://[bad/",  # urljoin refuses it: so must the shortcut
]
# The characters urljoin treats specially in a path from the root, and some it does not.
ALPHABET = "/.;?#a%:\t\n &é"


def _urljoin_or_error(base: str, href: str) -> str:
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return "ValueError"


def _absolute_or_error(href: str, base: str) -> str:
    try:
        return absolute_url(href, base)
    except ValueError:
        return "ValueError"


@pytest.mark.parametrize("base", BASES)
def test_root_paths_join_as_urljoin_does(base: str) -> None:
    for n in range(4):
        for chars in itertools.product(ALPHABET, repeat=n):
            href = "/" + "".join(chars)
            if href.strip().startswith("//"):
                continue  # a network path: absolute_url adds https: itself, urljoin is not asked
            assert _absolute_or_error(href, base) == _urljoin_or_error(base, href), href


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/news/a.html?x=1#top", "https://example.com/news/a.html?x=1#top"),
        ("/a/../b", "https://example.com/b"),  # dot segments resolved
        ("/a?", "https://example.com/a"),  # an empty query goes with its "?"
        ("/a#", "https://example.com/a"),
        ("/a;", "https://example.com/a"),  # and empty parameters with their ";"
        ("/a\nb", "https://example.com/ab"),  # line breaks removed
    ],
)
def test_shapes_urljoin_rewrites(href: str, expected: str) -> None:
    assert absolute_url(href, "https://example.com/x/y.html") == expected
