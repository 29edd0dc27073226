"""Feeds and sitemaps → the article URLs they list.

``detect(data)`` names the kind of a body (or None for anything else), ``entries(data, base_url, limits)``
lists its URLs, and ``walk(data, url, fetch, limits)`` follows a sitemap index down to the articles with a
fetch function the caller injects (this module makes no request). A body that cannot be read is refused
with one :class:`FeedError` line, never half-read.

Kinds: RSS 0.9x/2.0 (``rss``), RSS 1.0/RDF (``rdf``) and Atom (``atom``), parsed by feedparser (imported
on first use); XML sitemaps (``sitemap``) and sitemap indexes (``sitemapindex``), parsed by lxml with
entities, DTDs and the network off; text sitemaps (``text``: one URL a line, all on one site).

The shapes real ones come in:

* Yoast's ``<?xml-stylesheet?>`` line, other processing instructions, comments, a DOCTYPE (with an internal
  subset), a byte-order mark, blank lines before the XML declaration (WordPress plugins print them).
* gzip (``sitemap.xml.gz``, or a server compressing without saying so), recognised by its magic bytes and
  inflated in bounded steps: a body that would grow past ``Limits.max_bytes`` is refused (a gzip bomb is
  never inflated whole); concatenated gzip members are read in turn.
* FeedBurner's ``feedburner:origLink`` (the article) over its ``feedproxy`` tracker link.
* RSS items with only a ``<guid>`` (a permalink unless ``isPermaLink="false"``); Atom ``link
  rel=alternate`` (not ``self``, ``edit``, ``replies`` or ``enclosure``); relative links, resolved against
  ``xml:base`` and then the listing's own URL; the same entry twice (kept once, in order).
* Bounds: ``max_bytes`` per listing (the sitemap protocol's 50 MiB), ``max_entries`` URLs per listing and
  per walk (its 50,000; the rest are not read), ``max_depth`` levels of indexes and ``max_listings``
  listings fetched by one walk.
"""

from __future__ import annotations

import codecs
import io
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from ..errors import SourceError
from .decode import BOMS

Kind = Literal["rss", "atom", "rdf", "sitemap", "sitemapindex", "text"]
Fetcher = Callable[[str], tuple[bytes, str | None, str]]  # url → (body, content type, final url)

FEED_KINDS: frozenset[str] = frozenset({"rss", "atom", "rdf"})
SITEMAP_KINDS: frozenset[str] = frozenset({"sitemap", "sitemapindex"})


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 50 * 2**20  # one listing, once inflated (the sitemap protocol's own limit)
    max_entries: int = 50_000  # URLs read from one listing, and returned by one walk
    max_depth: int = 3  # index → index → sitemap: deeper indexes are reported, not followed
    max_listings: int = 50  # listings one walk fetches (a hostile index cannot make us fetch more)


LIMITS = Limits()


class FeedError(SourceError):
    """A feed or sitemap refused as a whole: too large, a gzip bomb, not a listing, unreadable."""


@dataclass(frozen=True, slots=True)
class Listing:
    kind: Kind
    urls: tuple[str, ...]

    @property
    def is_index(self) -> bool:
        return self.kind == "sitemapindex"


# --- detection --------------------------------------------------------------------------------------------

_GZIP_MAGIC = b"\x1f\x8b"
_HEAD = 65536  # enough to see past any prolog real listings have
# Whitespace, processing instructions (<?xml …?>, <?xml-stylesheet …?>), comments and a DOCTYPE (with an
# internal subset) may stand before the root element. One character at a time: no nested quantifier.
_PROLOG = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*<([A-Za-z_][\w.:-]*)", re.S | re.I)
_ROOTS: dict[str, Kind] = {
    "rss": "rss",
    "feed": "atom",
    "rdf": "rdf",  # rdf:RDF, RSS 0.90 and 1.0
    "urlset": "sitemap",
    "sitemapindex": "sitemapindex",
}
_URL_LINE = re.compile(r"https?://[^\s<>\"]+\Z", re.I)


def detect(data: bytes, url: str | None = None) -> Kind | None:
    """The kind of listing ``data`` is, or None (an article, or anything else).

    A text sitemap is a body whose every non-blank line is one absolute http(s) URL, all on one site — the
    site of ``url`` when it is given — so a plain list of links elsewhere is still read as an article.
    """
    head = data[: _HEAD * 4]
    if head.startswith(_GZIP_MAGIC):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, _HEAD)
        except zlib.error:
            return None
    text = _decode_head(head[:_HEAD])
    m = _PROLOG.match(text)
    if m:
        root = m.group(1).rsplit(":", 1)[-1].lower()
        return _ROOTS.get(root)
    lines = text.splitlines()
    if len(head) > _HEAD:
        lines = lines[:-1]  # the head may end in the middle of a line
    return "text" if _is_text_sitemap(lines, url) else None


def _decode_head(head: bytes) -> str:
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    return head.decode("latin-1")  # only ASCII markup is looked at


def _is_text_sitemap(lines: list[str], url: str | None) -> bool:
    lines = [line.strip() for line in lines if line.strip()]
    if not lines or not all(_URL_LINE.match(line) for line in lines):
        return False
    from ..net.sites import same_site

    anchor = url or lines[0]
    return all(same_site(anchor, line) for line in lines)


# --- reading ----------------------------------------------------------------------------------------------


def entries(data: bytes, base_url: str | None = None, limits: Limits = LIMITS) -> list[str]:
    """The URLs a listing gives, absolute, once each, in order (an index gives its sitemaps).

    Raises :class:`FeedError` for a body that is too large, inflates too far, or is not a listing.
    """
    return list(read_listing(data, base_url, limits).urls)


def read_listing(data: bytes, base_url: str | None = None, limits: Limits = LIMITS) -> Listing:
    """The kind of a listing and the URLs it gives (see :func:`entries`)."""
    source = base_url or "-"
    body = _inflate(data, limits, source)
    kind = detect(body, base_url)
    if kind is None:
        raise FeedError(source, "not a feed or a sitemap")
    if kind in FEED_KINDS:
        raw = _feed_links(body, base_url)
    elif kind in SITEMAP_KINDS:
        raw = _sitemap_locations(body, limits, source)
    else:
        raw = [line.strip() for line in _decode_text(body).splitlines() if _URL_LINE.match(line.strip())]
    return Listing(kind, tuple(_absolute_once(raw, base_url, limits)))


def _inflate(data: bytes, limits: Limits, source: str) -> bytes:
    if len(data) > limits.max_bytes:
        raise FeedError(source, f"larger than {_mib(limits.max_bytes)}; refused")
    if not data.startswith(_GZIP_MAGIC):
        return data
    out = bytearray()
    rest = data
    while rest.startswith(_GZIP_MAGIC):
        inflater = zlib.decompressobj(wbits=31)
        try:
            while rest and not inflater.eof:
                out += inflater.decompress(rest, limits.max_bytes + 1 - len(out))
                if len(out) > limits.max_bytes:
                    raise FeedError(source, f"gzip body inflates past {_mib(limits.max_bytes)}; refused")
                rest = inflater.unconsumed_tail
        except zlib.error as exc:
            raise FeedError(source, f"broken gzip: {exc}") from None
        if not inflater.eof:
            raise FeedError(source, "gzip body cut short")
        rest = inflater.unused_data
    return bytes(out)


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n} bytes"


def _decode_text(body: bytes) -> str:
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def _feed_links(body: bytes, base_url: str | None) -> list[str]:
    import feedparser  # ~30 ms to import: only when a feed is read

    headers = {"content-location": base_url} if base_url else {}
    parsed: Any = feedparser.parse(
        io.BytesIO(_without_doctype(_strip_leading_blanks(body))),  # a stream: never taken for a URL or a path
        response_headers=headers,
        sanitize_html=False,  # we read links, not content: no need to clean (or pay for) the HTML
        resolve_relative_uris=False,
    )
    links: list[str] = []
    for entry in parsed.entries:
        # FeedBurner feeds link through its tracker and keep the article's own URL in origLink.
        link = entry.get("feedburner_origlink") or entry.get("link")
        if not link:  # feedparser gives the first rel=alternate link, or a permalink guid
            alternates = [x.get("href") for x in entry.get("links", ()) if x.get("rel", "alternate") == "alternate"]
            link = next((href for href in alternates if href), None)
        if link:
            links.append(link)
    return links


def _strip_leading_blanks(body: bytes) -> bytes:
    """Blank lines before ``<?xml`` make a document malformed; WordPress plugins print them all the time."""
    for bom, _ in BOMS:
        if body.startswith(bom):
            return bom + body[len(bom) :].lstrip(b" \t\r\n") if bom == codecs.BOM_UTF8 else body
    return body.lstrip(b" \t\r\n")


def _sitemap_locations(body: bytes, limits: Limits, source: str) -> list[str]:
    import lxml.etree

    stream = io.BytesIO(_without_doctype(_strip_leading_blanks(body)))
    events = lxml.etree.iterparse(
        stream,
        events=("end",),
        resolve_entities=False,  # no entity expansion: no billion laughs, no external files
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        recover=True,  # a stray "&" in one <loc> must not lose the other 49,999
        remove_comments=True,
        remove_pis=True,
    )
    urls: list[str] = []
    try:
        for _, element in events:
            tag = element.tag
            if isinstance(tag, str) and tag.rsplit("}", 1)[-1] == "loc":
                parent = element.getparent()
                parent_tag = parent.tag.rsplit("}", 1)[-1] if parent is not None else ""
                # A <loc> holding an entity reference (&name; from a DOCTYPE we did not read) names no URL.
                if parent_tag in ("url", "sitemap") and len(element) == 0 and (element.text or "").strip():
                    urls.append(element.text.strip())
                    if len(urls) >= limits.max_entries:
                        break
            elif isinstance(tag, str) and tag.rsplit("}", 1)[-1] in ("url", "sitemap"):
                element.clear()  # memory stays small on a 50,000-URL sitemap
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except lxml.etree.XMLSyntaxError as exc:
        if not urls:
            raise FeedError(source, f"unreadable XML: {exc}") from None
    return urls


_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.S | re.I)
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")


def _without_doctype(body: bytes) -> bytes:
    """The body with its DOCTYPE cut out: no listing needs one, and its entities are where bombs live.

    libxml2 and expat refuse an exponential entity only at their amplification limits: libxml2 by stopping
    the parse (losing the URLs after it), expat after a second or two of expanding. feedparser drops only
    the declarations that start a line. Only the prolog is looked at, in ASCII-compatible encodings.
    """
    head = body[:_HEAD]
    m = _DOCTYPE.search(head)
    if m is None or _ELEMENT_START.search(head, 0, m.start()):
        return body
    return body[: m.start()] + body[m.end() :]


def _absolute_once(urls: list[str], base_url: str | None, limits: Limits) -> list[str]:
    out: dict[str, None] = {}
    for url in urls:
        absolute = urljoin(base_url, url) if base_url else url
        try:
            parts = urlsplit(absolute)
        except ValueError:
            continue
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            out.setdefault(absolute)
            if len(out) >= limits.max_entries:
                break
    return list(out)


# --- following sitemap indexes ----------------------------------------------------------------------------


def walk(
    data: bytes,
    url: str,
    fetch: Fetcher,
    limits: Limits = LIMITS,
    on_error: Callable[[SourceError], None] | None = None,
) -> list[str]:
    """The article URLs of a listing; a sitemap index's sitemaps are fetched (``fetch``) and read in turn.

    Breadth first, at most ``limits.max_depth`` levels of indexes and ``limits.max_listings`` listings; a
    listing already seen is not fetched again. The listing given raises :class:`FeedError` when refused; a
    sitemap it lists that cannot be fetched or read is handed to ``on_error`` (default: raise) and the walk
    goes on with the others.
    """

    def problem(exc: SourceError) -> None:
        if on_error is None:
            raise exc
        on_error(exc)

    articles: dict[str, None] = {}
    pending: list[tuple[bytes, str, int]] = [(data, url, 0)]
    seen = {url}
    fetched = 1
    exhausted = False
    while pending and len(articles) < limits.max_entries:
        body, where, depth = pending.pop(0)
        try:
            listing = read_listing(body, where, limits)
        except FeedError as exc:
            if depth == 0:
                raise
            problem(exc)
            continue
        if not listing.is_index:
            for article in listing.urls[: limits.max_entries - len(articles)]:
                articles.setdefault(article)
            continue
        if depth >= limits.max_depth:
            problem(FeedError(where, f"a sitemap index {depth + 1} levels deep; not followed"))
            continue
        for child in listing.urls:
            if child in seen or exhausted:
                continue
            if fetched >= limits.max_listings:
                problem(FeedError(url, f"lists more than {limits.max_listings} sitemaps; the rest not read"))
                exhausted = True
                continue
            seen.add(child)
            fetched += 1
            try:
                child_body, _, final_url = fetch(child)
            except SourceError as exc:
                problem(exc)
                continue
            pending.append((child_body, final_url, depth + 1))
    return list(articles)
