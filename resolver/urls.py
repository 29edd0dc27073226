"""Pure URL helpers: shortener hosts (data), absolute URLs, and canonical forms.

Tracking parameters come from courlan-style rules kept in one documented list here (see README,
"Canonical URLs"): the utm_* family and the click ids every ad network appends, plus per-site rules.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from importlib import resources
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit


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

# Query parameters that only track the reader. Families (prefixes) and exact names, case-insensitive.
# Drawn from ClearURLs' global rules and courlan's TRACKERS_RE; kept here so it is reviewed in one place.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "itm_", "hsa_", "oly_", "vero_", "_hs", "mc_")
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "_openstat",
        "wt.mc_id",
        "cmpid",
        "ncid",
        "ocid",
        "soc_src",
        "soc_trk",
        "spm",
        "scm",
        "share_source",
        "xtor",
        "at_medium",
        "at_campaign",
        "ito",
        "s_cid",
        "sr_share",
        "mkt_tok",
        "vero_id",
        "__twitter_impression",
        "rss",
        "cid_source",
        "smid",
        "smtyp",
    }
)
# Per-site parameters: harmless elsewhere, tracking on these hosts.
SITE_TRACKING: dict[str, frozenset[str]] = {
    "twitter.com": frozenset({"s", "t", "ref_src", "ref_url", "src", "cn"}),
    "x.com": frozenset({"s", "t", "ref_src", "ref_url", "src", "cn"}),
    "youtube.com": frozenset({"si", "feature", "pp", "ab_channel"}),
    "youtu.be": frozenset({"si", "feature"}),
    "instagram.com": frozenset({"igshid", "igsh", "utm_source", "img_index"}),
    "facebook.com": frozenset({"mibextid", "rdid", "sfnsn", "__cft__", "__tn__", "ref"}),
    "tiktok.com": frozenset({"is_from_webapp", "sender_device", "web_id", "_r", "_t", "lang"}),
    "threads.net": frozenset({"xmt", "slof"}),
    "threads.com": frozenset({"xmt", "slof"}),
    "reddit.com": frozenset({"share_id", "utm_name", "rdt"}),
    "nytimes.com": frozenset({"smid", "smtyp", "partner", "unlocked_article_code"}),
    "amazon.com": frozenset({"tag", "ref_", "pd_rd_r", "pd_rd_w", "pd_rd_wg", "pf_rd_p", "pf_rd_r", "linkcode"}),
}


def _site_rules(host: str) -> frozenset[str]:
    host = host[4:] if host.startswith("www.") else host
    for site, names in SITE_TRACKING.items():
        if host == site or host.endswith("." + site):
            return names
    return frozenset()


def is_tracking_param(name: str, host: str = "") -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES) or lowered in _site_rules(host)


def canonical_url(url: str) -> str:
    """Tracking parameters removed, host lower-cased (IDN → punycode), default port and fragment dropped.

    Path and remaining query are kept as the site wrote them (only re-quoted where unsafe): sites differ
    on whether ``/a`` and ``/a/`` are one page, so we do not guess.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError:
        host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    if parts.username:
        userinfo = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{userinfo}@{netloc}"
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~") or "/"
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k, host)]
    query = urlencode(query_pairs, doseq=True, safe="/:@!$'()*,;-._~") if query_pairs else ""
    if query_pairs and query == parts.query.replace("%20", "+"):
        query = parts.query
    return urlunsplit((scheme, netloc, path, query, ""))


def same_site(a: str, b: str) -> bool:
    """Whether two URLs share a registrable-ish domain (last two labels; three for ccSLDs like co.uk)."""

    def site(host: str) -> str:
        labels = host.split(".")
        keep = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
        return ".".join(labels[-keep:])

    ha, hb = host_of(a), host_of(b)
    return bool(ha and hb) and site(ha) == site(hb)
