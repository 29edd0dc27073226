"""Find URLs in running text, with exact character spans.

The rules follow what an article reader expects, reconciled from three peer suites (twitter-text,
linkify-it, GFM autolinks; see tests/test_conformance.py for where they disagree and why):

* with a scheme (``http://``, ``https://``, ``ftp://``) any well-formed host is a link; an all-ASCII host
  may end in any alphabetic label, a host with other scripts must end in a known top-level domain. The host
  is judged as a URL parser reads it (percent-decoded, full-width forms folded, the ideographic, full-width
  and half-width full stops read as dots, a trailing dot dropped), and a host that ends in a number is an
  IPv4 address in any spelling the URL standard accepts (``2130706433``, ``0x7f.0.0.1``, ``127.1``): such
  URLs must be seen, so that the resolver can refuse them. IPv6 literals may carry a zone id;
* without a scheme the host must end in a known top-level domain (public suffix list), an IPv4 address
  also counts, and the host may not touch an ``@`` (e-mail), ``#``, ``$`` or a word character;
* scripts written without spaces (Han, kana, Hangul, CJK punctuation, full-width forms) end a URL;
* trailing punctuation is not part of a URL unless it closes a bracket or quote opened inside it, and a
  path stops at the first bracket it never closes and at ``](`` (Markdown link syntax in plain text);
* ``t.co`` slugs are 1-40 alphanumerics, as Twitter issues them.

Candidates are found with one compiled regular expression; only candidates run Python code. Every step
is linear in the text: no pattern can backtrack over more than a bounded window, and a path's extent and
unclosed brackets are worked out once per run of path characters, however many URLs start inside it.
"""

from __future__ import annotations

import bisect
import contextlib
import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

import publicsuffixlist

# Characters that end a URL because the scripts around them are written without spaces.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3100-\u312f\u3130-\u318f"
    "\u31a0-\u31ff\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef"
)
# Bidi controls and other invisible separators end a URL too (but not ZWJ/ZWNJ, which live inside words).
_INVISIBLE = "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_SPACE = r"\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# A host label character: letters, digits, marks, '_' and '-', plus symbol blocks some hosts use (✪df.ws).
_LABEL_SCHEMELESS = rf"[^{_SPACE}{_CJK}{_INVISIBLE}!-,./:-@\[-^`{{-~\u00a1-\u00bf\u2010-\u2027\u2030-\u205e]"
# With a scheme, full-width letters and digits are host characters too (a URL parser folds them to ASCII).
_LABEL_ANY = (
    rf"[^{_SPACE}{_INVISIBLE}!-,./:-@\[-^`{{-~\u00a1-\u00bf\u2010-\u2027\u2030-\u205e\u3000-\u303f"
    r"\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uffef]"
)
# Full stops that IDNA (UTS-46) maps to ".": a dot between host labels only where a label follows at once,
# so that a Japanese sentence's "。" after a URL stays prose.
_IDN_DOTS = "\u3002\uff0e\uff61"
_HOST_DOT = rf"(?:\.|[{_IDN_DOTS}](?=[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a%]))"
_PATH_CHAR = rf"[^{_SPACE}{_CJK}{_INVISIBLE}<>`\\^\"]"


@dataclass(frozen=True, slots=True)
class FoundURL:
    """A URL in text: the exact characters, their span, and whether a scheme was written."""

    raw: str
    start: int
    end: int
    has_scheme: bool


# The last label of each rule line of the public suffix list ("com", "*.ck" → "ck", "!www.ck" → "ck").
_LAST_LABEL = re.compile(r"^(?!//)(?:\S*\.)?[!*]?([^\s.]+)[ \t]*$", re.MULTILINE)


@lru_cache(maxsize=1)
def _known_tlds() -> frozenset[str]:
    """Every ICANN top-level domain of the public suffix list that the publicsuffixlist package ships.

    Lower-cased, as the list writes them (unicode); their punycode forms are in :func:`_punycode_tlds`.
    Read from the package's data file (where the package says it is: not through ``importlib.resources``,
    see ``resolver.data_files``) with one pattern: this runs at every start, so it stays cheap.
    """
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as file:
        text = file.read()
    icann = text.split("===END ICANN DOMAINS===", 1)[0]
    return frozenset(label.lower() for label in _LAST_LABEL.findall(icann))


@lru_cache(maxsize=1)
def _punycode_tlds() -> frozenset[str]:
    """The ``xn--`` forms of the non-ASCII TLDs, built only when a host asks for one (IDNA is slow)."""
    tlds: set[str] = set()
    for tld in _known_tlds():
        if not tld.isascii():
            with contextlib.suppress(UnicodeError):
                tlds.add(tld.encode("idna").decode("ascii"))
    return frozenset(tlds)


def is_known_tld(label: str) -> bool:
    lowered = label.lower()
    tlds = _known_tlds()
    if lowered in tlds:
        return True
    if lowered.startswith("xn--"):
        return lowered in _punycode_tlds()
    return unicodedata.normalize("NFKC", label).lower() in tlds


@lru_cache(maxsize=1)
def _cjk_tld_pattern() -> str:
    """Top-level domains written in scripts that otherwise end a URL (みんな, 中国), longest first."""
    cjk = re.compile(f"[{_CJK}]")
    tlds = sorted((t for t in _known_tlds() if cjk.search(t)), key=len, reverse=True)
    return "|".join(re.escape(t) for t in tlds) or "(?!)"


@lru_cache(maxsize=1)
def _candidate_re() -> re.Pattern[str]:
    cjk_tlds = _cjk_tld_pattern()
    label_s = f"{_LABEL_SCHEMELESS}+"
    # A host label with a scheme: label characters and %XX escapes (an unrolled loop: no two ways to match).
    pct = "%[0-9A-Fa-f]{2}"
    label_a = f"(?:{_LABEL_ANY}+(?:{pct}{_LABEL_ANY}*)*|(?:{pct}{_LABEL_ANY}*)+)"
    return re.compile(
        rf"""
        (?P<scheme>(?i:https?|ftp)://|(?<![\w/:])//(?![/\s]))
            (?P<userinfo>[\w.~%!$&'*+,;=-]+(?::[\w.~%!$&'*+,;=-]*)?@)?
            (?P<shost>\[[0-9a-fA-F:.]+(?:%[\w.~%-]+)?\]
                |{label_a}(?:{_HOST_DOT}(?:{cjk_tlds}|{label_a}))*(?:[.{_IDN_DOTS}](?=[/?\#:]))?)
        |
        (?<!{_LABEL_SCHEMELESS})(?P<host>(?:{label_s}\.)+(?:{cjk_tlds}|{label_s}))
        """,
        # Case matters only in the scheme ((?i:…) there): a global IGNORECASE makes compiling these large
        # character classes, which happens at every start, three times slower.
        re.VERBOSE,
    )


_PORT_RE = re.compile(r":(\d{1,6})(?![\w@])")
_TCO_SLUG_RE = re.compile(r"[A-Za-z0-9]+")
_TRAILING_PUNCT = ".,:;!?*_~'\"@&\u2013\u2014\u2015\u2026"
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_BAD_BEFORE_SCHEMELESS = frozenset("-._@$#＠＃/:%&+=~\\")
_PATH_RE = re.compile(f"{_PATH_CHAR}*")
_BRACKET_OR_MARKDOWN = re.compile(r"\]\(|[()\[\]{}]")
_TRIMMED = frozenset(_TRAILING_PUNCT + ")]}';")
_ASCII_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _valid_label(label: str) -> bool:
    if not label or len(label) > 63:
        return False
    if label[0] in "-_" or label[-1] in "-_":
        return False
    return not (label[:4].lower() == "xn--" and not label.isascii())


def normalised_host(host: str) -> str | None:
    """The host as a URL parser reads it: %XX decoded, NFKC (full-width forms), ideographic full stops as
    dots, lower case, one trailing dot dropped. None when the escapes are not UTF-8."""
    if "%" in host:
        try:
            host = unquote(host, errors="strict")
        except UnicodeDecodeError:
            return None
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host).replace("\u3002", ".")
    host = host.lower()
    return host[:-1] if host.endswith(".") else host


def _ipv4_part(part: str) -> int | None:
    """One part of an IPv4 host as the URL standard reads it: decimal, 0x hex or 0-led octal."""
    if not part.isascii():
        return None
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0 if base == 16 else None
    try:
        return int(digits, base) if digits.isalnum() else None
    except ValueError:
        return None


def ipv4_value(host: str) -> int | None:
    """The address a host that "ends in a number" names (``127.1``, ``0x7f000001``, ``017700000001``).

    The URL standard treats such a host as IPv4 or as no host at all; None here means "not IPv4".
    """
    parts = host.split(".")
    if len(parts) > 4 or not all(parts):
        return None
    numbers = [_ipv4_part(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n << (8 * (3 - i))
    return address


def _ends_in_number(host: str) -> bool:
    last = host.rsplit(".", 1)[-1]
    if not last or not last.isascii():
        return False
    return last.isdigit() or (last[:2] in ("0x", "0X") and all(c in "0123456789abcdefABCDEF" for c in last[2:]))


def _ipv6_ok(literal: str) -> bool:
    address = literal[1:-1]
    if "%" in address:  # a zone id, written %25eth0 (RFC 6874) or bare %eth0
        address, zone = address.split("%", 1)
        zone = zone[2:] if zone.startswith("25") and len(zone) > 2 else zone
        if not zone:
            return False
        address = f"{address}%{zone}"
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True


_MEMO_HOST = 253  # the longest DNS name: longer (hostile) hosts are judged afresh, never held


def _host_ok(host: str, *, has_scheme: bool) -> bool:
    # Pure, and asked of the same few hosts over and over (t.co, bit.ly, the site's own): each once.
    return _judged_host(host, has_scheme) if len(host) <= _MEMO_HOST else _judge_host(host, has_scheme)


def _judge_host(host: str, has_scheme: bool) -> bool:
    if host.startswith("["):
        return has_scheme and _ipv6_ok(host)
    if has_scheme:
        normal = normalised_host(host)
        if normal is None or not normal:
            return False
        if _ends_in_number(normal):
            return ipv4_value(normal) is not None
        host = normal
    labels = host.split(".")
    if all(label.isdigit() for label in labels):
        return len(labels) == 4 and all(int(x) <= 255 and len(x) <= 3 for x in labels)
    if len(labels) < 2:
        return has_scheme and host.lower() == "localhost"
    if not all(_valid_label(label) for label in labels):
        return False
    if any("_" in label for label in labels[-2:]):
        return False
    tld = labels[-1]
    if is_known_tld(tld):
        return True
    # With a scheme, an ASCII host may use a TLD the list does not know yet (example.invalid, intranets).
    return has_scheme and host.isascii() and len(tld) >= 2 and tld.isalpha()


_judged_host = lru_cache(maxsize=1 << 14)(_judge_host)


_ASCII_RUN = re.compile(r"[A-Za-z0-9]+")


def _backoff_host(host: str) -> str | None:
    """The longest prefix of a scheme-ful host that ends in a known TLD at a script boundary.

    ``example.com中文`` → ``example.com``. Each prefix shares all but its last label with the host, so the
    labels before it are judged once (a prefix is only worth trying while they are all valid).
    """
    labels = host.split(".")
    valid_prefix = 0
    while valid_prefix < len(labels) and _valid_label(labels[valid_prefix]):
        valid_prefix += 1
    for n in range(min(len(labels), valid_prefix + 1), 1, -1):
        last = labels[n - 1]
        m = _ASCII_RUN.match(last)
        boundary = m is not None and m.end() < len(last) and not last[m.end()].isascii()
        if m and boundary and is_known_tld(m.group()) and "_" not in labels[n - 2]:
            return ".".join([*labels[: n - 1], m.group()])
    return None


class _PathRuns:
    """Where a run of path characters ends and where it must be cut, worked out once per run.

    A URL's path runs from its ``/``, ``?`` or ``#`` over path characters, then is cut at the first bracket
    that the run never closes and at ``](``. A URL cut short is often followed by another that starts
    inside the same run (``[a](http://x/[a](http://x/…``), so the run's end and its cut points are found
    once, and each URL asks with a binary search: linear, where scanning the run again per URL is not.

    Whether an opener at or after a URL's start is closed does not depend on what stood before that start:
    while it is on the stack, everything pushed after it sits above it, so the pass over the whole run and
    a pass from the URL's start treat it alike.
    """

    def __init__(self, text: str, end: int) -> None:
        self._text = text
        self._end = end
        self._start = self._stop = -1
        self._cuts: list[int] = []

    def cut(self, pos: int) -> int:
        """Where a path that starts at ``pos`` ends."""
        if not self._start <= pos < self._stop:
            self._scan(pos)
        i = bisect.bisect_left(self._cuts, pos)
        return self._cuts[i] if i < len(self._cuts) else self._stop

    def _scan(self, pos: int) -> None:
        text = self._text
        path = _PATH_RE.match(text, pos, self._end)
        stop = path.end() if path else pos
        cuts: list[int] = []
        stack: list[int] = []
        # Only brackets matter here: the engine finds them, Python looks at nothing else.
        for m in _BRACKET_OR_MARKDOWN.finditer(text, pos, stop):
            token, i = m.group(), m.start()
            if token == "](":
                # Markdown's "[text](href)" read as plain text: the href is a URL of its own, and the run
                # before it is judged on its own.
                cuts += stack
                cuts.append(i)
                stack = []
            elif token in _OPENERS:
                stack.append(i)
            elif stack and text[stack[-1]] == _CLOSERS[token]:
                stack.pop()
        cuts += stack  # the openers left are never closed
        self._start, self._stop, self._cuts = pos, stop, sorted(cuts)


def _trim_end(text: str, path_start: int, end: int) -> int:
    """Where the URL ends once trailing punctuation that belongs to the sentence is dropped.

    Balanced closers and quotes stay; an ``&name;`` entity at the end goes. Counts are taken once and
    updated as characters go, so the work is the URL's length, however many characters are dropped.
    """
    if end <= path_start or text[end - 1] not in _TRIMMED:
        return end  # the usual case: the URL ends in a letter, a digit or a slash
    counts = {ch: text.count(ch, path_start, end) for ch in "()[]{}'"}
    while end > path_start:
        last = text[end - 1]
        if last in _CLOSERS:
            if counts[_CLOSERS[last]] >= counts[last]:
                break
            counts[last] -= 1
            end -= 1
        elif last == "'":
            if counts["'"] % 2 == 0:
                break
            counts["'"] -= 1
            end -= 1
        elif last == ";":
            k = end - 2
            while k >= path_start and text[k] in _ASCII_ALNUM:
                k -= 1
            end = k if k >= path_start and k < end - 2 and text[k] == "&" else end - 1
        elif last in _TRAILING_PUNCT:
            end -= 1
        else:
            break
    return end


def find_urls(text: str, start: int = 0, end: int | None = None) -> Iterator[FoundURL]:
    """Yield every URL in ``text[start:end]`` in order, with spans into ``text``."""
    end = len(text) if end is None else end
    pattern = _candidate_re()
    runs = _PathRuns(text, end)
    pos = start
    while pos < end:
        m = pattern.search(text, pos, end)
        if m is None:
            return
        found = _accept(text, m, end, runs)
        if found is None:
            pos = m.end() if m.group("host") else m.start() + 1
            continue
        yield found
        pos = found.end


def _accept(text: str, m: re.Match[str], end: int, runs: _PathRuns) -> FoundURL | None:
    scheme = m.group("scheme")
    has_scheme = scheme is not None
    if has_scheme:
        begin = m.start()
        before = text[begin - 1] if begin > 0 else " "
        if before in "$#_＃＄" or (before.isalnum() and scheme.startswith("//")):
            return None
        if before in "@＠" and (begin < 2 or text[begin - 2].isspace()):
            return None
        host = m.group("shost")
        if not _host_ok(host, has_scheme=True):
            backed = _backoff_host(host)
            if backed is None:
                return None
            return FoundURL(text[begin : m.start("shost") + len(backed)], begin, m.start("shost") + len(backed), True)
        if scheme.startswith("//") and (host.lower() == "localhost" or "." not in host):
            return None
        host_end = m.end("shost")
    else:
        begin = m.start()
        before = text[begin - 1] if begin > 0 else " "
        if before in _BAD_BEFORE_SCHEMELESS or (before.isalnum() and not _CJK_CHAR_RE.match(before)):
            return None
        host = m.group("host")
        host_end = m.end("host")
        if not _host_ok(host, has_scheme=False):
            return None
    pos = host_end
    port = _PORT_RE.match(text, pos, end)
    if port:
        if int(port.group(1)) > 65535:
            return None
        pos = port.end()
    if pos < end and text[pos] in "@＠":
        return None  # the domain of an e-mail address
    if not has_scheme and pos < end and text[pos] == "+":
        return None
    if pos < end and text[pos] == "." and pos + 1 < end and text[pos + 1].isalnum() and not has_scheme:
        return None
    if host.lower() == "t.co":
        return _accept_tco(text, begin, pos, end, has_scheme, runs)
    stop = pos
    if pos < end and text[pos] in "/?#":
        stop = _trim_end(text, pos, runs.cut(pos))
    return FoundURL(text[begin:stop], begin, stop, has_scheme)


def _accept_tco(text: str, begin: int, pos: int, end: int, has_scheme: bool, runs: _PathRuns) -> FoundURL | None:
    if pos < end and text[pos] == "/":
        slug = _TCO_SLUG_RE.match(text, pos + 1, end)
        if slug is None:
            return FoundURL(text[begin : pos + 1], begin, pos + 1, has_scheme)
        if slug.end() - slug.start() > 40:
            return None
        pos = slug.end()
        if pos < end and text[pos] == "?":
            stop = _trim_end(text, pos, runs.cut(pos))
            return FoundURL(text[begin:stop], begin, stop, has_scheme)
    return FoundURL(text[begin:pos], begin, pos, has_scheme)
