"""Read: SOURCEs → ``Document``s, each decoded once.

In: file paths, directories, ``-`` (stdin), article URLs (through an injected fetch), feeds and sitemaps;
out: ``Document`` (the decoded text every span points into, its kind, its base URL and the original bytes).
``files`` reads (regular files only, size-capped), ``decode`` turns bytes into text by the WHATWG rules and
tells HTML from Markdown from text, ``feeds`` lists a feed's or a sitemap's articles.
"""

from .decode import declared_encoding, decode, decode_with_encoding, detect_kind
from .files import (
    MAX_SOURCE_BYTES,
    SUFFIXES,
    Fetcher,
    UnreadFile,
    article_files,
    document,
    expand_sources,
    parse_size,
    read_capped,
    read_file,
    read_source,
)

__all__ = [
    "MAX_SOURCE_BYTES",
    "SUFFIXES",
    "Fetcher",
    "UnreadFile",
    "article_files",
    "declared_encoding",
    "decode",
    "decode_with_encoding",
    "detect_kind",
    "document",
    "expand_sources",
    "parse_size",
    "read_capped",
    "read_file",
    "read_source",
]
