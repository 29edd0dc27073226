"""Bytes → text, and what kind of text.

Decoding follows the WHATWG Encoding Standard, as browsers do, with the labels of ``webencodings`` (the
standard's own table): a BOM wins; then the charset of a Content-Type; then a ``<meta>`` declaration, where
UTF-16 means UTF-8 and x-user-defined means windows-1252, as the HTML standard's prescan says; then strict
UTF-8, then windows-1252 for legacy pages. A label the standard does not know (``idna``, ``rot13``, an
EBCDIC code page…) or the replacement encoding counts as no declaration: decoding must never lose the
ASCII of a link. Stray invalid bytes in an otherwise UTF-8 page become U+FFFD for the same reason.
"""

from __future__ import annotations

import codecs
import re

import webencodings

from ..models import ContentKind

# UTF-32 BOMs are not in the WHATWG standard (it has no UTF-32); they are kept for text files, where a
# UTF-32 BOM is far likelier than a UTF-16LE text starting with U+0000.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.S)
_PRESCAN_BYTES = 8192  # the standard suggests 1024; real CMS heads put scripts before their <meta>



def decode(data: bytes, content_type: str | None = None) -> str:
    """Decode a source's bytes to text (see module docstring for the order of evidence)."""
    return decode_with_encoding(data, content_type)[0]


def decode_with_encoding(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The text and the codec it was decoded with (a BOM-marked codec is named with ``-sig``)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), f"{encoding}-sig"
    declared = declared_encoding(data, content_type)
    if declared and declared not in ("utf-8", "utf8"):
        return _decode(data, declared), declared
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


def declared_encoding(data: bytes, content_type: str | None = None) -> str | None:
    """The Python codec the source declares, by WHATWG rules; None when it declares nothing usable."""
    if content_type and "charset=" in content_type.lower():
        label = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
        codec = _codec_for(label, from_meta=False)
        if codec is not None:
            return codec
    head = _COMMENT.sub(b"", data[:_PRESCAN_BYTES])
    if m := _META_CHARSET.search(head):
        return _codec_for(m.group(1).decode("ascii", "replace"), from_meta=True)
    return None


def _codec_for(label: str, *, from_meta: bool) -> str | None:
    encoding = webencodings.lookup(label)
    if encoding is None or encoding.name == "replacement":
        return None  # unknown, or the replacement encoding (it would turn the whole page into one U+FFFD)
    name = encoding.name
    if from_meta and name in ("utf-16le", "utf-16be"):
        return "utf-8"  # a page that could declare it in ASCII is not UTF-16 (HTML standard, prescan)
    if from_meta and name == "x-user-defined":
        return "cp1252"
    return str(encoding.codec_info.name)


def _decode(data: bytes, codec: str) -> str:
    if codec == "x-user-defined":  # not a Python codec: webencodings carries the standard's decoder
        return str(webencodings.lookup(codec).codec_info.decode(data, "replace")[0])
    return data.decode(codec, errors="replace")


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


