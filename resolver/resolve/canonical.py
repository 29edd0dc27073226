"""Canonical URLs, offline: tracking parameters removed, trackers unwrapped, a normal form.

Tracking parameters come from ClearURLs' maintained rules and the project's overlay (resolver/resolve/rules.py,
see README, "Canonical URLs").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from . import rules as urlrules


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
