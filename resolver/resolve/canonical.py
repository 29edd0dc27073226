"""Pure URL helpers: shortener hosts (data), absolute URLs, canonical forms and sites.

Tracking parameters come from ClearURLs' maintained rules and the project's overlay (resolver/urlrules.py,
see README, "Canonical URLs"); sites come from the public suffix list.
"""

from __future__ import annotations

import html
import ipaddress
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    from . import rules as urlrules


@lru_cache(maxsize=1)
def shortener_hosts() -> frozenset[str]:
    """The curated shortener list, from ``resolver/data/shorteners.txt`` (its header says what is listed).

    Entries are whole hosts (``bit.ly``, ``on.wsj.com``); ``*.lnk.to`` stands for every host under ``lnk.to``.
    """
    text = resources.files("resolver").joinpath("data/shorteners.txt").read_text("utf-8")
    entries = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(entry for entry in entries if entry)


def host_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


@lru_cache(maxsize=65536)
def shortener_host(url: str) -> str | None:
    """The shortener a URL goes through (``"t.co"``, ``"bit.ly"``…), or None for an ordinary link.

    The URL's host must *be* a listed host (a leading ``www.`` aside): a subdomain is another service
    (``preview.redd.it`` serves images, ``redd.it`` redirects). Only hosts listed as ``*.name`` match
    below ``name``, for services that issue their codes on subdomains (``artist.lnk.to/album``).
    """
    host = host_of(url)
    if host.startswith("www."):
        host = host[4:]
    hosts = shortener_hosts()
    if host in hosts:
        return host
    dot = host.find(".")
    while dot != -1:
        if "*" + host[dot:] in hosts:
            return host
        dot = host.find(".", dot + 1)
    return None


_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def absolute_url(raw: str, base_url: str | None = None, *, decode_entities: bool = False) -> str:
    """``raw`` as an absolute URL: entities decoded, joined to ``base_url``, https added when missing."""
    url = html.unescape(raw) if decode_entities else raw
    url = url.strip()
    if url.startswith("//"):
        return "https:" + url
    if _SCHEME_RE.match(url):
        return url
    if base_url and (url.startswith(("/", "?", "#", ".")) or "." not in url.split("/", 1)[0]):
        return urljoin(base_url, url)
    return "https://" + url


def tco_for_pic(url: str) -> str | None:
    """``pic.twitter.com/CODE`` and ``pic.x.com/CODE`` are display text for the t.co code CODE."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("pic.twitter.com", "pic.x.com", "www.pic.twitter.com"):
        code = parts.path.strip("/").split("/")[0]
        if code.isalnum():
            return f"https://t.co/{code}"
    return None


# --- canonical URLs ---------------------------------------------------------------------------------

_HTTP = re.compile(r"https?://", re.IGNORECASE)
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/%:@!$&'()*+,;="
_QUERY_SAFE = "/?%:@!$&'()*+,;="
_MAX_PASSES = 8  # normal form and rules alternate until neither changes; wrappers rarely nest past two


def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL, offline: tracking removed, trackers unwrapped, normal form.

    * Tracking parameters are removed and tracker links unwrapped (a Google ``/url?q=…`` link becomes its
      target) by ClearURLs' maintained rules plus a small overlay of the project's own
      (:mod:`resolver.urlrules`); parameters a page needs (YouTube's ``v``, a search's ``q``, WordPress's
      ``p``…) stay.
    * Normal form (RFC 3986 §6): scheme and host lower-cased, IDNs as punycode, the default port, the
      fragment and empty query pieces dropped, ``.``/``..`` path segments resolved, percent-escapes of
      unreserved characters decoded and the others upper-cased, unsafe characters escaped. The path and
      the remaining query keep the site's own spelling and order otherwise: sites differ on whether ``/a``
      and ``/a/`` are one page, so we do not guess.

    No request is made: ``rel=canonical`` and redirects are the resolver's business (``resolver resolve``).
    Idempotent: ``canonical_url(canonical_url(u)) == canonical_url(u)``. A string that is not an http(s)
    URL comes back stripped of surrounding whitespace and otherwise unchanged.
    """
    return _canonical_cached(url)


@lru_cache(maxsize=65536)
def _canonical_cached(url: str) -> str:
    return canonicalize(url)


def canonicalize(url: str, ruleset: urlrules.RuleSet | None = None, trace: urlrules.Trace | None = None) -> str:
    """:func:`canonical_url` with a chosen rule set (default: ClearURLs and the overlay) and a trace."""
    from . import rules as urlrules  # the rules cost a few ms to import and ~60 ms to load: only when asked for

    current = url.strip()
    if not _HTTP.match(current):
        return current
    normal = current
    for _ in range(_MAX_PASSES):
        normal = _normal_form(current)
        cleaned = urlrules.clean(normal, ruleset, trace)
        if cleaned == normal:
            break
        current = cleaned
    return normal


def _normal_form(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return url
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError:
        host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    if parts.username:
        userinfo = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{userinfo}@{netloc}"
    path = _remove_dot_segments(_escape(parts.path, _PATH_SAFE)) or "/"
    pieces = [_escape(piece, _QUERY_SAFE) for piece in parts.query.split("&") if piece]
    query = "&".join(pieces)
    return urlunsplit((scheme, netloc, path, query, ""))


def _escape(text: str, safe: str) -> str:
    """Percent-escapes normalised (unreserved ones decoded, the rest upper-cased); unsafe characters escaped."""

    def one(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else "%" + m.group(1).upper()

    return quote(_PERCENT.sub(one, text), safe=safe, errors="replace")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: what a browser sends for ``/a/./b/../c`` is ``/a/c``."""
    if "." not in path:
        return path
    segments = path.split("/")
    if not any(s in (".", "..") for s in segments):
        return path
    out: list[str] = []
    for segment in segments[1:]:
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")  # "/a/b/.." names the directory "/a/"
    return "/" + "/".join(out)


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to one site: the same registrable domain by the public suffix list.

    Private suffixes count (``alice.github.io`` and ``bob.github.io`` are two sites, as are two
    ``*.blogspot.com`` blogs), so one user's page cannot claim another's as its canonical URL. An IP
    address, or a host that is itself a public suffix, is only the same site as itself.
    """
    ha, hb = host_of(a), host_of(b)
    if not (ha and hb):
        return False
    return ha == hb or site_of(ha) == site_of(hb)  # one host is one site: no need to load the list


@lru_cache(maxsize=4096)
def site_of(host: str) -> str:
    """The registrable domain of ``host`` (``news.bbc.co.uk`` → ``bbc.co.uk``), lower-case, punycode."""
    host = host.lower().rstrip(".").strip("[]")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    return _suffix_list().privatesuffix(host) or host


@lru_cache(maxsize=1)
def _suffix_list() -> Any:
    from publicsuffixlist import PublicSuffixList  # ~40 ms to load: only when a site is asked for

    return PublicSuffixList(only_icann=False)
