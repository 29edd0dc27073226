"""Feeds and sitemaps: the quirks real ones have, bounds on size, count and depth, and the reader's use."""

from __future__ import annotations

import gzip
import json
import struct
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resolver.cli import app
from resolver.errors import SourceError
from resolver.read import feeds
from resolver.read.feeds import FeedError, Limits, detect, entries, read_listing, walk

from .webserver import Request, serve

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()

# fixture, the URL it is served from, its kind, the URLs it lists (in order, once each)
QUIRKS = [
    (
        "feed-yoast-sitemap.xml",  # <?xml-stylesheet?> on the declaration's line, image:loc inside <url>
        "https://news.example.org/post-sitemap.xml",
        "sitemap",
        [
            "https://news.example.org/2025/03/council-votes-on-river-park/",
            "https://news.example.org/2025/03/budget-hearing/",
        ],
    ),
    (
        "feed-yoast-index.xml",  # a sitemap index: it lists sitemaps
        "https://news.example.org/sitemap_index.xml",
        "sitemapindex",
        ["https://news.example.org/post-sitemap.xml", "https://news.example.org/page-sitemap.xml"],
    ),
    (
        "feed-bom-rss.xml",  # UTF-8 byte-order mark before <?xml
        "https://gazette.example.com/rss",
        "rss",
        ["https://gazette.example.com/news/cafe-bridge", "https://gazette.example.com/news/schools-reopen"],
    ),
    (
        "feed-doctype-rss091.xml",  # Netscape's RSS 0.91 DOCTYPE (an external DTD that must not be fetched)
        "http://www.valleytimes.example/rss.xml",
        "rss",
        [
            "http://www.valleytimes.example/stories/mill-reopens.html",
            "http://www.valleytimes.example/stories/fair.html",
        ],
    ),
    (
        "feed-doctype-entities-sitemap.xml",  # an entity bomb and an external entity: neither expanded
        "https://shop.example.net/sitemap.xml",
        "sitemap",
        ["https://shop.example.net/news/spring-opening", "https://shop.example.net/news/summer-sale"],
    ),
    (
        "feed-news-sitemap.xml",  # Google News namespace inside <url>
        "https://www.dailyplanet.example/news-sitemap.xml",
        "sitemap",
        [
            "https://www.dailyplanet.example/politics/2025/03/14/vote-tally.html",
            "https://www.dailyplanet.example/metro/2025/03/13/transit.html",
        ],
    ),
    (
        "feed-news-sitemap.xml.gz",  # gzip, recognised by its magic bytes
        "https://www.dailyplanet.example/news-sitemap.xml.gz",
        "sitemap",
        [
            "https://www.dailyplanet.example/politics/2025/03/14/vote-tally.html",
            "https://www.dailyplanet.example/metro/2025/03/13/transit.html",
        ],
    ),
    (
        "feed-sitemap.txt",  # text sitemap: CRLF, a blank line, trailing spaces, a repeat, no final newline
        "https://blog.example.io/sitemap.txt",
        "text",
        [
            "https://blog.example.io/posts/first-post/",
            "https://blog.example.io/posts/second-post/",
            "https://blog.example.io/about/",
            "https://blog.example.io/posts/third?lang=en",
        ],
    ),
    (
        "feed-rss-guid-only.xml",  # items with only a guid (a permalink unless isPermaLink="false")
        "https://harbour.example.com/feed/",
        "rss",
        [
            "https://harbour.example.com/notes/ferry-timetable",
            "https://harbour.example.com/notes/tides",
            "https://harbour.example.com/notes/lighthouse",
        ],
    ),
    (
        "feed-atom-links.xml",  # self/edit/replies/enclosure links skipped; rel-less link = alternate; xml:base
        "https://labs.example.dev/feed.atom",
        "atom",
        ["https://labs.example.dev/notes/measuring-the-river", "https://labs.example.dev/archive/episode-2"],
    ),
    (
        "feed-rss1-rdf.xml",  # RSS 1.0: rdf:RDF root, items outside the channel
        "https://science.example.ac.uk/rss",
        "rdf",
        ["https://science.example.ac.uk/news/grant", "https://science.example.ac.uk/news/lecture"],
    ),
    (
        "feed-relative-links.xml",  # relative links, no xml:base: against the feed's URL; mailto: dropped
        "https://town.example.gov/feeds/rss.xml",
        "rss",
        [
            "https://town.example.gov/minutes/2025-03.html",
            "https://town.example.gov/feeds/agenda/next.html",
            "https://partner.example.com/story",
        ],
    ),
    (
        "feed-duplicates-sitemap.xml",  # repeats, whitespace around <loc>, &amp;, an empty and a relative loc
        "https://www.store.example.com/sitemap.xml",
        "sitemap",
        [
            "https://www.store.example.com/products?id=7&colour=red",
            "https://www.store.example.com/about",
            "https://www.store.example.com/relative/contact",
        ],
    ),
    (
        "feed-wordpress-blank-lines.xml",  # blank lines before <?xml, a generator comment, CDATA link
        "https://mountainpost.example.com/feed/",
        "rss",
        [
            "https://mountainpost.example.com/2025/03/snow-closes-the-pass/",
            "https://mountainpost.example.com/2025/03/ski-season-review/",
        ],
    ),
    (
        "feed-feedburner.xml",  # FeedBurner: origLink is the article, the <link> its tracker
        "https://feeds.feedburner.com/OldTownBlog",
        "rss",
        ["https://oldtown.example.org/2015/06/market-day.html", "https://oldtown.example.org/2015/06/parade.html"],
    ),
    (
        "feed-sitemap-no-namespace.xml",  # no xmlns, single-quoted declaration, a comment before the root
        "http://legacy.example.com/sitemap.xml",
        "sitemap",
        ["http://legacy.example.com/page1.html", "http://legacy.example.com/page2.html"],
    ),
    (
        "feed-utf16-sitemap.xml",  # UTF-16 with a BOM, non-ASCII paths
        "https://www.hafen.example.de/sitemap.xml",
        "sitemap",
        ["https://www.hafen.example.de/nachrichten/fähre", "https://www.hafen.example.de/nachrichten/brücke"],
    ),
]


def test_there_are_at_least_fourteen_quirk_fixtures() -> None:
    names = {name for name, *_ in QUIRKS}
    assert len(names) >= 14
    assert names == {p.name for p in FIXTURES.glob("feed-*")}  # every fixture is tested


@pytest.mark.parametrize(("name", "url", "kind", "expected"), QUIRKS, ids=[q[0] for q in QUIRKS])
def test_quirk_parses(name: str, url: str, kind: str, expected: list[str]) -> None:
    data = (FIXTURES / name).read_bytes()
    assert detect(data, url) == kind
    assert entries(data, url) == expected


def test_feedparser_is_not_handed_a_string_it_could_open() -> None:
    # feedparser.parse("http://…") fetches and parse("/etc/x") opens a file; a body that is such a string
    # is only ever handed over as a stream.
    body = b'<rss version="2.0"><channel><item><link>/etc/passwd</link></item></channel></rss>'
    assert entries(body, "https://e.example/feed") == ["https://e.example/etc/passwd"]


def test_rss_entity_bomb_is_not_expanded() -> None:
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]><rss version="2.0"><channel>'
        "<item><title>&l9;</title><link>https://e.example/a</link></item>"
        "<item><link>https://e.example/b</link></item></channel></rss>"
    ).encode()
    assert entries(body, "https://e.example/feed") == ["https://e.example/a", "https://e.example/b"]


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>x</title></head><body><p>hi</p></body></html>",
        b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'><body/></html>",
        b"Just an article, with a link https://example.com/a in it.\n",
        b"https://bit.ly/abc\nhttps://t.co/xyz\nhttps://example.org/a\n",  # links to many sites: an article
        b"",
        b"\x1f\x8bnot really gzip",
    ],
)
def test_what_is_not_a_listing(body: bytes) -> None:
    assert detect(body) is None
    with pytest.raises(FeedError, match=r"not a feed or a sitemap|broken gzip"):
        entries(body, "https://example.com/x")


def test_a_text_sitemap_lists_its_own_site_only() -> None:
    body = b"https://blog.example.io/a\nhttps://blog.example.io/b\n"
    assert detect(body, "https://blog.example.io/sitemap.txt") == "text"
    assert detect(body, "https://other.example.net/links.txt") is None


# --- bounds ------------------------------------------------------------------------------------------------


def gzip_bomb(inflated: int) -> bytes:
    """A valid gzip stream of a sitemap whose one <loc> is ``inflated`` bytes of NULs (built without them)."""
    head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://e.com/'
    chunk = b"\0" * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)  # the same bytes each time after a full flush
    count = inflated // len(chunk)
    tail = deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    size = (len(head) + count * len(chunk)) & 0xFFFFFFFF
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first + block * count + tail + struct.pack("<II", crc, size)


def test_a_one_gib_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip_bomb(1 << 30)
    assert len(bomb) < 2 << 20  # a megabyte on the wire
    assert detect(bomb) == "sitemap"  # detection inflates only a head
    with pytest.raises(FeedError, match=r"gzip body inflates past 50 MiB; refused"):
        entries(bomb, "https://e.com/sitemap.xml.gz")


def test_a_body_over_the_size_limit_is_refused() -> None:
    body = (FIXTURES / "feed-yoast-sitemap.xml").read_bytes()
    with pytest.raises(FeedError, match=r"larger than 256 bytes; refused"):
        entries(body, "https://news.example.org/s.xml", Limits(max_bytes=256))
    assert entries(body, "https://news.example.org/s.xml", Limits(max_bytes=len(body)))


def test_gzip_members_truncation_and_nesting() -> None:
    xml = (FIXTURES / "feed-news-sitemap.xml").read_bytes()
    half = len(xml) // 2
    two_members = gzip.compress(xml[:half]) + gzip.compress(xml[half:])
    assert len(entries(two_members, "https://www.dailyplanet.example/s.xml.gz")) == 2
    with pytest.raises(FeedError, match="cut short"):
        entries(gzip.compress(xml)[:-20], "https://www.dailyplanet.example/s.xml.gz")


def test_entries_are_bounded_in_count() -> None:
    locs = "".join(f"<url><loc>https://e.example/a{i}</loc></url>" for i in range(120))
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()
    got = entries(body, "https://e.example/s.xml", Limits(max_entries=50))
    assert got == [f"https://e.example/a{i}" for i in range(50)]
    assert len(entries(body, "https://e.example/s.xml")) == 120


# --- sitemap indexes: walk ---------------------------------------------------------------------------------


def sitemap(*urls: str) -> bytes:
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()


def index(*urls: str) -> bytes:
    locs = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>'.encode()


class FakeFetch:
    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        self.asked: list[str] = []

    def __call__(self, url: str) -> tuple[bytes, str | None, str]:
        self.asked.append(url)
        if url not in self.pages:
            raise SourceError(url, "HTTP 404")
        return self.pages[url], "application/xml", url


def test_walk_follows_an_index_and_reports_a_broken_sitemap() -> None:
    fetch = FakeFetch(
        {
            "https://e.example/a.xml": sitemap("https://e.example/1", "https://e.example/2"),
            "https://e.example/b.xml.gz": gzip.compress(sitemap("https://e.example/2", "https://e.example/3")),
            "https://e.example/c.xml": b"<html>oops</html>",
        }
    )
    top = index(
        "https://e.example/a.xml",
        "https://e.example/missing.xml",
        "https://e.example/b.xml.gz",
        "https://e.example/c.xml",
    )
    problems: list[SourceError] = []
    got = walk(top, "https://e.example/index.xml", fetch, on_error=problems.append)
    assert got == ["https://e.example/1", "https://e.example/2", "https://e.example/3"]
    assert [(p.source, p.reason) for p in problems] == [
        ("https://e.example/missing.xml", "HTTP 404"),
        ("https://e.example/c.xml", "not a feed or a sitemap"),
    ]


def test_walk_is_bounded_in_depth_and_count_and_never_fetches_twice() -> None:
    pages = {
        f"https://e.example/i{n}.xml": index(f"https://e.example/i{n + 1}.xml", "https://e.example/i0.xml")
        for n in range(10)
    }
    fetch = FakeFetch(pages)
    problems: list[SourceError] = []
    assert walk(pages["https://e.example/i0.xml"], "https://e.example/i0.xml", fetch, on_error=problems.append) == []
    assert fetch.asked == ["https://e.example/i1.xml", "https://e.example/i2.xml", "https://e.example/i3.xml"]
    assert [p.reason for p in problems] == ["a sitemap index 4 levels deep; not followed"]

    wide = index(*(f"https://e.example/s{n}.xml" for n in range(100)))
    fetch = FakeFetch({f"https://e.example/s{n}.xml": sitemap(f"https://e.example/p{n}") for n in range(100)})
    problems = []
    got = walk(wide, "https://e.example/wide.xml", fetch, Limits(max_listings=10), on_error=problems.append)
    assert len(fetch.asked) == 9 and len(got) == 9  # the index itself is the tenth listing
    assert [p.reason for p in problems] == ["lists more than 10 sitemaps; the rest not read"]


def test_walk_raises_for_the_listing_it_was_given() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        walk(b"<html/>", "https://e.example/x", FakeFetch({}))


def test_read_listing_names_an_index() -> None:
    listing = read_listing(
        (FIXTURES / "feed-yoast-index.xml").read_bytes(), "https://news.example.org/sitemap_index.xml"
    )
    assert listing.is_index and listing.kind == "sitemapindex"


# --- through the reader: `resolver scan URL` ---------------------------------------------------------------


def article(request: Request) -> None:
    name = request.path.strip("/").replace("/", "-")
    request.reply(200, f"<html><body><article><p>See https://bit.ly/{name}</p></article></body></html>".encode())


def test_scan_a_yoast_index_with_gzip_and_text_sitemaps() -> None:
    with serve() as web:
        base = web.base
        web.route("/sitemap_index.xml")(
            lambda r: r.reply(
                200,
                index(f"{base}/post-sitemap.xml.gz", f"{base}/pages.txt", f"{base}/gone.xml"),
                content_type="text/xml",
            )
        )
        web.route("/post-sitemap.xml.gz")(
            lambda r: r.reply(
                200, gzip.compress(sitemap(f"{base}/a/1", f"{base}/a/2")), content_type="application/x-gzip"
            )
        )
        web.route("/pages.txt")(
            lambda r: r.reply(200, f"{base}/a/3\r\n{base}/a/1\r\n".encode(), content_type="text/plain")
        )
        web.route("/a/*")(article)
        result = runner.invoke(app, ["scan", f"{base}/sitemap_index.xml", "--allow-private", "--format", "jsonl"])
    assert result.exit_code == 2  # one sitemap of the index is gone: reported, the others read
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["raw"] for r in records] == ["https://bit.ly/a-1", "https://bit.ly/a-2", "https://bit.ly/a-3"]
    assert "gone.xml" in result.stderr and "HTTP 404" in result.stderr


def endless_feed(request: Request) -> None:
    """An RSS feed that never ends (chunked, no length): a server bug or a hostile one."""
    request.send_response(200)
    request.send_header("Content-Type", "application/rss+xml")
    request.send_header("Transfer-Encoding", "chunked")
    request.end_headers()
    item = b"<item><title>again</title><link>https://e.example/again</link></item>" * 1000
    start = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
    sent = 0
    try:
        for piece in (start, *([item] * 100_000)):  # ~7 GB if anyone read it all; nobody should
            request.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            request.server.bytes_sent = sent
    except OSError:
        return


def test_an_endless_feed_is_refused_with_one_clear_error() -> None:
    with serve() as web:
        web.route("/feed")(endless_feed)
        result = runner.invoke(app, ["scan", f"{web.base}/feed", "--allow-private", "--format", "jsonl"])
        sent = web.bytes_sent
    assert result.exit_code == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "larger than" in errors[0] and "/feed" in errors[0]
    assert sent < 512 * 2**20  # it stopped reading long before the end


def test_the_reader_reads_feeds_through_feeds_py() -> None:
    from resolver.read import files as read

    assert not hasattr(read, "feed_kind") and not hasattr(read, "feed_entries")  # one implementation only
    assert callable(feeds.detect) and callable(feeds.entries) and callable(feeds.walk)
