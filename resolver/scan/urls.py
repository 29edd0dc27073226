"""URLs as the scanner meets them: which host is a shortener (data), absolute URLs, pic.twitter.com codes."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from ..data_files import read_data
from ..net.sites import host_of


@lru_cache(maxsize=1)
def shortener_hosts() -> frozenset[str]:
    """The curated shortener list, from ``resolver/data/shorteners.txt`` (its header says what is listed).

    Entries are whole hosts (``bit.ly``, ``on.wsj.com``); ``*.lnk.to`` stands for every host under ``lnk.to``.
    """
    text = read_data("shorteners.txt")
    entries = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(entry for entry in entries if entry)


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
        joined = _join_root_path(base_url, url) if url.startswith("/") else None
        return joined if joined is not None else urljoin(base_url, url)
    return "https://" + url


@lru_cache(maxsize=256)
def _origin(base_url: str) -> str | None:
    """``scheme://netloc`` of an http(s) base as ``urljoin`` reads it (None for any other scheme)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


def _join_root_path(base_url: str, url: str) -> str | None:
    """``urljoin(base_url, url)`` for the usual relative link, a path from the root (``/news/a.html?x=1``),
    without urljoin's parse of both URLs per link: the base's origin then ``url`` unchanged. None (ask
    urljoin) for every shape urljoin would rewrite: a network path (``//host``), dot segments, ``;``
    parameters, an empty query or fragment (dropped with their ``?``/``#``), tabs and line breaks
    (removed)."""
    if url.startswith("//") or "\t" in url or "\r" in url or "\n" in url:
        return None
    before_hash, hash_sign, fragment = url.partition("#")
    path, question_mark, query = before_hash.partition("?")
    if (hash_sign and not fragment) or (question_mark and not query) or ";" in path:
        return None
    if "/." in path and any(segment in (".", "..") for segment in path.split("/")):
        return None
    origin = _origin(base_url)
    return None if origin is None else origin + url


def tco_for_pic(url: str) -> str | None:
    """``pic.twitter.com/CODE`` and ``pic.x.com/CODE`` are display text for the t.co code CODE."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("pic.twitter.com", "pic.x.com", "www.pic.twitter.com"):
        code = parts.path.strip("/").split("/")[0]
        if code.isalnum():
            return f"https://t.co/{code}"
    return None
