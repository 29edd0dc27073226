"""Which hosts are shorteners: resolver/data/shorteners.txt read by resolver.scan.urls.shortener_host."""

from __future__ import annotations

import pytest

from resolver.scan.urls import shortener_host, shortener_hosts


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://t.co/AbC123", "t.co"),
        ("https://bit.ly/x", "bit.ly"),
        ("https://www.bit.ly/x", "bit.ly"),  # a leading www. is the same host
        ("https://BIT.LY./x", "bit.ly"),
        ("https://redd.it/abc123", "redd.it"),
        ("https://preview.redd.it/photo.png?width=640", None),  # an image host under redd.it, not the shortener
        ("https://i.redd.it/photo.jpg", None),
        ("https://youtu.be/dQw4w9WgXcQ", "youtu.be"),
        ("https://eepurl.com/hAbCd", "eepurl.com"),
        ("https://mailchi.mp/example/june-letter", None),  # a campaign page, not a redirect
        ("https://on.wsj.com/3xYz", "on.wsj.com"),  # a listed host below a site
        ("https://wsj.com/articles/x", None),  # …which does not make the site one
        ("https://maps.app.goo.gl/abc", "maps.app.goo.gl"),
        ("https://foo.goo.gl/abc", None),
        ("https://artist.lnk.to/album", "artist.lnk.to"),  # listed as *.lnk.to: codes on subdomains
        ("https://lnk.to/abc", "lnk.to"),
        ("https://example.com/bit.ly", None),
    ],
)
def test_shortener_host(url: str, expected: str | None) -> None:
    assert shortener_host(url) == expected


def test_list_entries_are_hosts_or_subdomain_wildcards() -> None:
    for entry in shortener_hosts():
        bare = entry.removeprefix("*.")
        assert entry == entry.lower() and "." in bare and "*" not in bare and "/" not in entry, entry
