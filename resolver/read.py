"""Sources → Documents: paths, directories, ``-`` and article URLs, decoded once.

Decoding never loses a link: a BOM wins, then a declared charset (HTML ``<meta charset>``), then strict
UTF-8, then Windows-1252 for legacy pages (what browsers do for "latin-1"); stray invalid bytes in an
otherwise UTF-8 page become U+FFFD so the ASCII of every URL survives.
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import SourceError
from .models import ContentKind, Document

SUFFIXES = (".html", ".htm", ".md", ".markdown", ".txt")
MAX_SOURCE_BYTES = 64 * 1024 * 1024  # a page larger than this is refused, not half-read

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_WHATWG_ALIASES = {
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso8859-1": "cp1252",
    "x-user-defined": "cp1252",
}

Fetcher = Callable[[str], tuple[bytes, str | None, str]]  # url → (body, content-type, final url)


def decode(data: bytes, content_type: str | None = None) -> str:
    """Decode a source's bytes to text (see module docstring for the order of evidence)."""
    return decode_with_encoding(data, content_type)[0]


def decode_with_encoding(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The text and the codec it was decoded with (a BOM-marked codec is named with ``-sig``)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), f"{encoding}-sig"
    declared = _declared_charset(data, content_type)
    if declared and declared not in ("utf-8", "utf8"):
        try:
            return data.decode(declared, errors="replace"), declared
        except LookupError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4096]
        replaced = bad.decode("utf-8", errors="replace").count("\ufffd")
        non_ascii = sum(1 for b in data[:65536] if b >= 0x80)
        # Mostly valid UTF-8 with a few broken bytes: keep UTF-8. Otherwise it is a legacy 8-bit page.
        if declared in ("utf-8", "utf8") or replaced * 20 < max(non_ascii, 1) // 4:
            return data.decode("utf-8", errors="replace"), "utf-8"
        return data.decode("cp1252", errors="replace"), "cp1252"


def _declared_charset(data: bytes, content_type: str | None) -> str | None:
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    if charset is None and (m := _META_CHARSET.search(data[:8192])):
        charset = m.group(1).decode("ascii", "replace").lower()
    if charset is None:
        return None
    charset = _WHATWG_ALIASES.get(charset, charset)
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--|<meta|<\?xml)", re.IGNORECASE)
_HTML_TAG = re.compile(r"<(?:p|div|a|span|blockquote|iframe|script|br|img|table|article|section)[\s>/]", re.I)
_MD_SIGNS = re.compile(r"^(?:#{1,6} |> |[-*+] |\d+\. |```)|\]\((?:https?://|/)|^\[[^\]]+\]:\s", re.M)


def detect_kind(text: str) -> ContentKind:
    """HTML, Markdown or plain text, from the content itself."""
    head = text[:65536]
    if _HTML_START.match(head):
        return "html"
    if head.startswith("---\n") and "\n---" in head[4:]:
        return "markdown"  # front matter
    md_signs = len(_MD_SIGNS.findall(head))
    html_tags = len(_HTML_TAG.findall(head))
    if html_tags >= 5 and html_tags > md_signs * 2:
        return "html"
    if md_signs >= 2:
        return "markdown"
    return "text"


def document(
    source: str,
    data: bytes,
    *,
    kind: ContentKind | None = None,
    content_type: str | None = None,
    base_url: str | None = None,
) -> Document:
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(source, f"larger than {MAX_SOURCE_BYTES // 2**20} MiB; refused")
    text, encoding = decode_with_encoding(data, content_type)
    if kind is None:
        ctype = (content_type or "").lower()
        kind = "html" if "html" in ctype else ("markdown" if "markdown" in ctype else detect_kind(text))
    return Document(source=source, text=text, kind=kind, base_url=base_url, raw=data, encoding=encoding)


def expand_sources(sources: Iterable[str]) -> Iterator[str]:
    """Each SOURCE as given, with directories replaced by their article files (sorted, recursive)."""
    for source in sources:
        path = Path(source)
        if source != "-" and not _is_url(source) and path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            yield from (str(p) for p in files)
        else:
            yield source


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_source(source: str, *, kind: ContentKind | None = None, fetch: Fetcher | None = None) -> Document:
    """Read one SOURCE (a file path, ``-`` or an http(s) URL) into a Document. Raises SourceError."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1)
        return document("-", data, kind=kind)
    if _is_url(source):
        if fetch is None:
            raise SourceError(source, "fetching URLs is not available here")
        data, content_type, final_url = fetch(source)
        return document(source, data, kind=kind, content_type=content_type, base_url=final_url)
    path = Path(source)
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise SourceError(source, f"larger than {MAX_SOURCE_BYTES // 2**20} MiB; refused")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(source, "no such file") from None
    except IsADirectoryError:
        raise SourceError(source, "is a directory with no article files") from None
    except OSError as exc:
        raise SourceError(source, exc.strerror or str(exc)) from None
    return document(source, data, kind=kind)
