"""Hosts and sites: a URL's host, and its registrable domain by the public suffix list.

Beneath every stage: the scanner's shortener list, the resolver's ``rel=canonical`` check, the feed reader's
"same site" rule and the per-site politeness meters all ask the same question the same way.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit


@lru_cache(maxsize=8192)  # one hop asks it several times (per-host slot, rate meter, shortener list)
def host_of(url: str) -> str:
    """The URL's host, lower case, without a trailing dot; "" when it has none or cannot be parsed."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


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
