"""Markup a page holds as data, decoded, with a map back to the source.

Pages keep embed markup where an HTML parser sees only text or an attribute value: a JSON string in a
``<script>`` (``<a href=\\"https:\\/\\/t.co\\/x\\">``, ``\\u003cblockquote``), escaped HTML in a consent
``<textarea>`` (``&lt;blockquote …&gt;``), an attribute a lazy loader or a consent tool reads
(``data-iframe="&lt;iframe src=&quot;…&quot;&gt;"``, base64 in ``data-html``). Decoding gives markup the parser
can read; :meth:`Decoded.source_offset` turns an offset in the decoded text back into one in the source, so
that what is found there keeps exact spans.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

_JS_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_CHAR_REF = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


@dataclass
class Decoded:
    """A decoded text and where each of its characters came from in the source."""

    text: str
    source_length: int
    # Pieces of the decoded text, in order: where each starts in the decoded text and in the source, and
    # whether it was copied literally (then offsets inside it map one to one) or decoded from an escape.
    _starts: list[int] = field(default_factory=list)
    _sources: list[int] = field(default_factory=list)
    _literal: list[bool] = field(default_factory=list)
    _below: Decoded | None = None  # when the source of this text is itself decoded (two escaping layers)

    def source_offset(self, pos: int) -> int:
        """The source offset of decoded offset ``pos`` (``len(text)`` maps to the source's end)."""
        if pos >= len(self.text):
            mapped = self.source_length
        elif not self._starts:
            mapped = pos
        else:
            i = bisect.bisect_right(self._starts, pos) - 1
            mapped = self._sources[i] + (pos - self._starts[i] if self._literal[i] else 0)
        return self._below.source_offset(mapped) if self._below is not None else mapped


def _build(source: str, pattern: re.Pattern[str], replacement: Callable[[re.Match[str]], str | None]) -> Decoded:
    """``source`` with every match of ``pattern`` replaced (None: left as it is), and the offset map."""
    pieces: list[str] = []
    out = Decoded("", len(source))
    pos = dec = 0
    for m in pattern.finditer(source):
        value = replacement(m)
        if value is None:
            continue
        if m.start() > pos:
            out._starts.append(dec)
            out._sources.append(pos)
            out._literal.append(True)
            pieces.append(source[pos : m.start()])
            dec += m.start() - pos
        out._starts.append(dec)
        out._sources.append(m.start())
        out._literal.append(False)
        pieces.append(value)
        dec += len(value)
        pos = m.end()
    if not out._starts:
        out.text = source
        return out
    if pos < len(source):
        out._starts.append(dec)
        out._sources.append(pos)
        out._literal.append(True)
        pieces.append(source[pos:])
    out.text = "".join(pieces)
    return out


# One token: a surrogate pair written as two \u escapes (one character), or any single escape.
_JS_TOKEN = re.compile(
    r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))",
    re.DOTALL,
)


def _js_token(m: re.Match[str]) -> str | None:
    if m.group(1) is not None:
        high, low = int(m.group(1), 16), int(m.group(2), 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    if m.group(3) is not None:
        code = int(m.group(3), 16)
        return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)
    if m.group(4) is not None:
        return chr(int(m.group(4), 16))
    char = m.group(5)
    return _JS_SIMPLE.get(char, "" if char == "\n" else char)


def unescape_js(source: str, *, layers: int = 2) -> Decoded:
    """Backslash escapes of JSON and JavaScript string literals decoded (``\\"``, ``\\/``, ``\\u003c``…).

    Markup inside a JSON string inside a JavaScript string is escaped twice: up to ``layers`` rounds are
    decoded, while escaped quotes remain.
    """
    decoded = _build(source, _JS_TOKEN, _js_token)
    rounds = 1
    while rounds < layers and ('\\"' in decoded.text or "\\/" in decoded.text):
        inner = _build(decoded.text, _JS_TOKEN, _js_token)
        if not inner._starts:
            break
        inner._below = decoded
        decoded = inner
        rounds += 1
    return decoded


def unescape_html(source: str) -> Decoded:
    """Character references decoded (``&lt;`` ``&quot;`` ``&#39;``…), as in RCDATA (a textarea's text)."""

    def char(m: re.Match[str]) -> str | None:
        value = html.unescape(m.group())
        return None if value == m.group() else value

    return _build(source, _CHAR_REF, char)


def base64_markup(value: str) -> str | None:
    """The markup a base64 attribute value holds (a consent tool's ``data-html``), or None."""
    value = value.strip()
    if not _BASE64.fullmatch(value):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if "<" in text else None
