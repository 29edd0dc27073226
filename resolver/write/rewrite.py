"""An article with each shortened link replaced by its canonical URL, and nothing else changed.

Replacements are computed on the decoded text (spans), then applied to the *original bytes* from the end
backwards, so the rest of the file is byte-for-byte what it was: encoding, BOM, line endings, stray bytes.
A link is replaced in its ``href`` (or where it stands in text) and, when an HTML anchor's or a Markdown
link's visible text is that same link (``pic.twitter.com/x`` for ``https://t.co/x``), in the text too.
Links that did not resolve (``dead``, ``error``, ``blocked``) stay as they were.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from ..models import Document, Link, ResolvedRecord

_ANCHOR_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
_MD_LABEL = re.compile(r"\[([^\[\]\n]*)\]\(\s*<?$")


def _display_forms(link: Link) -> set[str]:
    """How the same link may be written as visible text."""
    forms = {link.raw, link.url}
    for url in (link.raw, link.url):
        bare = re.sub(r"^https?://", "", url)
        forms |= {bare, bare.rstrip("/")}
        if bare.startswith("t.co/"):
            code = bare[5:]
            forms |= {f"pic.twitter.com/{code}", f"pic.x.com/{code}"}
    return {f for f in forms if f}


def replacements(
    doc: Document, records: Iterable[ResolvedRecord], *, only_short: bool = True
) -> list[tuple[int, int, str]]:
    """(start, end, new text) in the decoded text, for every shortened link (or every link) that resolved."""
    text = doc.text
    out: list[tuple[int, int, str]] = []
    for record in records:
        link = record.finding
        res = record.resolution
        if not isinstance(link, Link) or (only_short and not link.shortener) or res is None or res.status != "ok":
            continue
        if not res.canonical_url or res.canonical_url == link.url:
            continue
        new = html.escape(res.canonical_url, quote=True) if doc.kind == "html" else res.canonical_url
        start, end = link.span
        out.append((start, end, new))
        if doc.kind == "html":
            label = _anchor_label(text, end)
        elif doc.kind == "markdown":
            label = _markdown_label(text, start)
        else:
            label = None
        if label is not None:
            l_start, l_end = label
            visible = html.unescape(text[l_start:l_end]) if doc.kind == "html" else text[l_start:l_end]
            if visible in _display_forms(link):
                out.append((l_start, l_end, new))
    out.sort()
    merged: list[tuple[int, int, str]] = []
    for item in out:  # one span is replaced once, whatever found it
        if merged and item[0] < merged[-1][1]:
            continue
        merged.append(item)
    return merged


def _anchor_label(text: str, href_end: int) -> tuple[int, int] | None:
    """The span of an anchor's text when it is plain text (no markup inside), trimmed of spaces."""
    tag_end = text.find(">", href_end)
    if tag_end == -1:
        return None
    close = _ANCHOR_CLOSE.search(text, tag_end)
    if close is None or "<" in text[tag_end + 1 : close.start()]:
        return None
    inner_start, inner_end = tag_end + 1, close.start()
    inner = text[inner_start:inner_end]
    lead = len(inner) - len(inner.lstrip())
    trail = len(inner) - len(inner.rstrip())
    return inner_start + lead, inner_end - trail


def _markdown_label(text: str, url_start: int) -> tuple[int, int] | None:
    before = text[max(0, url_start - 400) : url_start]
    m = _MD_LABEL.search(before)
    if m is None:
        return None
    offset = url_start - len(before)
    return offset + m.start(1), offset + m.end(1)


def rewrite(doc: Document, records: Iterable[ResolvedRecord], *, only_short: bool = True) -> bytes:
    """The document's bytes with the replacements applied; untouched bytes stay identical."""
    raw = doc.raw if doc.raw is not None else doc.text.encode("utf-8")
    edits = replacements(doc, records, only_short=only_short)
    if not edits:
        return raw
    codec, bom = _codec(doc, raw)
    positions = _byte_offsets(doc.text, raw, codec, bom, edits)
    result = bytearray(raw)
    for (start, end, new), (b_start, b_end) in sorted(zip(edits, positions, strict=True), reverse=True):
        del start, end
        result[b_start:b_end] = new.encode(codec, errors="xmlcharrefreplace")
    return bytes(result)


def _codec(doc: Document, raw: bytes) -> tuple[str, int]:
    encoding = (doc.encoding or "utf-8").lower()
    if encoding.endswith("-sig"):
        base = encoding[: -len("-sig")]
        bom_len = len("\ufeff".encode(base))
        return base, bom_len
    return encoding, 0


def _byte_offsets(
    text: str, raw: bytes, codec: str, bom: int, edits: list[tuple[int, int, str]]
) -> list[tuple[int, int]]:
    """Byte spans of the edits. Exact when the text re-encodes to the same bytes; else by occurrence."""
    try:
        lossless = text.encode(codec) == raw[bom:]
    except UnicodeEncodeError:
        lossless = False
    if lossless:
        offsets = []
        pos_char, pos_byte = 0, bom
        for start, end, _ in edits:
            pos_byte += len(text[pos_char:start].encode(codec))
            b_start = pos_byte
            pos_byte += len(text[start:end].encode(codec))
            pos_char = end
            offsets.append((b_start, pos_byte))
        return offsets
    # Lossy decoding (invalid bytes became U+FFFD): find the k-th occurrence of the same characters.
    offsets = []
    for start, end, _ in edits:
        needle = text[start:end]
        k = _occurrence_index(text, needle, start)
        encoded = needle.encode(codec)
        pos = bom - 1
        for _ in range(k + 1):
            pos = raw.find(encoded, pos + 1)
        offsets.append((pos, pos + len(encoded)))
    return offsets


def _occurrence_index(text: str, needle: str, start: int) -> int:
    k, pos = 0, text.find(needle)
    while pos != -1 and pos < start:
        k += 1
        pos = text.find(needle, pos + 1)
    return k
