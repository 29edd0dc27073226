"""Find URLs in running text, with exact character spans.

The rules follow what an article reader expects, reconciled from three peer suites (twitter-text,
linkify-it, GFM autolinks; see tests/test_conformance.py for where they disagree and why):

* with a scheme (``http://``, ``https://``, ``ftp://``) any well-formed host is a link; an all-ASCII host
  may end in any alphabetic label, a host with other scripts must end in a known top-level domain;
* without a scheme the host must end in a known top-level domain (public suffix list), an IPv4 address
  also counts, and the host may not touch an ``@`` (e-mail), ``#``, ``$`` or a word character;
* scripts written without spaces (Han, kana, Hangul, CJK punctuation, full-width forms) end a URL;
* trailing punctuation is not part of a URL unless it closes a bracket or quote opened inside it;
* ``t.co`` slugs are 1-40 alphanumerics, as Twitter issues them.

Candidates are found with one compiled regular expression; only candidates run Python code.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

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
_LABEL_ANY = (
    rf"[^{_SPACE}{_INVISIBLE}!-,./:-@\[-^`{{-~\u00a1-\u00bf\u2010-\u2027\u2030-\u205e\u3000-\u303f\uff00-\uffef]"
)
_PATH_CHAR = rf"[^{_SPACE}{_CJK}{_INVISIBLE}<>`\\^\"]"


@dataclass(frozen=True, slots=True)
class FoundURL:
    """A URL in text: the exact characters, their span, and whether a scheme was written."""

    raw: str
    start: int
    end: int
    has_scheme: bool


@lru_cache(maxsize=1)
def _known_tlds() -> frozenset[str]:
    """Every ICANN top-level domain of the public suffix list that the publicsuffixlist package ships.

    Lower-cased, in unicode and in punycode. Read from the package's data file: we only need TLDs.
    """
    text = resources.files("publicsuffixlist").joinpath("public_suffix_list.dat").read_text("utf-8")
    icann = text.split("===END ICANN DOMAINS===", 1)[0]
    tlds: set[str] = set()
    for line in icann.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        tld = line.rsplit(".", 1)[-1].lower().lstrip("!*")
        if tld:
            tlds.add(tld)
            if not tld.isascii():
                with contextlib.suppress(UnicodeError):
                    tlds.add(tld.encode("idna").decode("ascii"))
    return frozenset(tlds)


def is_known_tld(label: str) -> bool:
    tlds = _known_tlds()
    return label.lower() in tlds or unicodedata.normalize("NFKC", label).lower() in tlds


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
    label_a = f"{_LABEL_ANY}+"
    return re.compile(
        rf"""
        (?P<scheme>(?:https?|ftp)://|(?<![\w/:])//(?![/\s]))
            (?P<userinfo>[\w.~%!$&'*+,;=-]+(?::[\w.~%!$&'*+,;=-]*)?@)?
            (?P<shost>\[[0-9a-fA-F:.]+\]|{label_a}(?:\.(?:{cjk_tlds}|{label_a}))*)
        |
        (?<!{_LABEL_SCHEMELESS})(?P<host>(?:{label_s}\.)+(?:{cjk_tlds}|{label_s}))
        """,
        re.VERBOSE | re.IGNORECASE,
    )


_PORT_RE = re.compile(r":(\d{1,6})(?![\w@])")
_TCO_SLUG_RE = re.compile(r"[A-Za-z0-9]+")
_ENTITY_TAIL_RE = re.compile(r"&[A-Za-z0-9]+;$")
_TRAILING_PUNCT = ".,:;!?*_~'\"@"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_BAD_BEFORE_SCHEMELESS = frozenset("-._@$#＠＃/:%&+=~\\")
_PATH_RE = re.compile(f"{_PATH_CHAR}*")


def _valid_label(label: str) -> bool:
    if not label or len(label) > 63:
        return False
    if label[0] in "-_" or label[-1] in "-_":
        return False
    return not (label[:4].lower() == "xn--" and not label.isascii())


def _host_ok(host: str, *, has_scheme: bool) -> bool:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return has_scheme
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


def _backoff_host(host: str) -> str | None:
    """The longest prefix of a scheme-ful host that ends in a known TLD at a script boundary."""
    labels = host.split(".")
    for n in range(len(labels), 1, -1):
        last = labels[n - 1]
        m = re.match(r"[A-Za-z0-9]+", last)
        if m and is_known_tld(m.group()) and m.end() < len(last) and not last[m.end()].isascii():
            candidate = ".".join([*labels[: n - 1], m.group()])
            if _host_ok(candidate, has_scheme=True):
                return candidate
    return None


def _cut_unclosed(url: str, path_start: int) -> str:
    """Cut the URL at the first opening bracket that is never closed: "page_(see notes" is prose."""
    open_positions: list[int] = []
    for i in range(path_start, len(url)):
        ch = url[i]
        if ch in "([{":
            open_positions.append(i)
        elif ch in _CLOSERS and open_positions and url[open_positions[-1]] == _CLOSERS[ch]:
            open_positions.pop()
    return url[: open_positions[0]] if open_positions else url


def _trim_tail(url: str, path_start: int) -> str:
    """Drop trailing punctuation that belongs to the sentence, keeping balanced closers and quotes."""
    url = _cut_unclosed(url, path_start)
    while len(url) > path_start:
        last = url[-1]
        if last in _CLOSERS:
            opener = _CLOSERS[last]
            if url.count(opener, path_start) >= url.count(last, path_start):
                break
            url = url[:-1]
        elif last == "'":
            if url.count(last, path_start) % 2 == 0:
                break
            url = url[:-1]
        elif last == ";":
            entity = _ENTITY_TAIL_RE.search(url, path_start)
            url = url[: entity.start()] if entity else url[:-1]
        elif last in _TRAILING_PUNCT or last == "?" or last == "&":
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str, start: int = 0, end: int | None = None) -> Iterator[FoundURL]:
    """Yield every URL in ``text[start:end]`` in order, with spans into ``text``."""
    end = len(text) if end is None else end
    pattern = _candidate_re()
    pos = start
    while pos < end:
        m = pattern.search(text, pos, end)
        if m is None:
            return
        found = _accept(text, m, end)
        if found is None:
            pos = m.end() if m.group("host") else m.start() + 1
            continue
        yield found
        pos = found.end


def _accept(text: str, m: re.Match[str], end: int) -> FoundURL | None:
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
        return _accept_tco(text, begin, pos, end, has_scheme)
    if pos < end and text[pos] in "/?#":
        path = _PATH_RE.match(text, pos, end)
        stop = path.end() if path else pos
        url = _trim_tail(text[begin:stop], pos - begin)
    else:
        url = text[begin:pos]
    return FoundURL(url, begin, begin + len(url), has_scheme)


def _accept_tco(text: str, begin: int, pos: int, end: int, has_scheme: bool) -> FoundURL | None:
    if pos < end and text[pos] == "/":
        slug = _TCO_SLUG_RE.match(text, pos + 1, end)
        if slug is None:
            return FoundURL(text[begin : pos + 1], begin, pos + 1, has_scheme)
        if slug.end() - slug.start() > 40:
            return None
        pos = slug.end()
        if pos < end and text[pos] == "?":
            query = _PATH_RE.match(text, pos, end)
            stop = query.end() if query else pos
            url = _trim_tail(text[begin:stop], pos - begin)
            return FoundURL(url, begin, begin + len(url), has_scheme)
    return FoundURL(text[begin:pos], begin, pos, has_scheme)
