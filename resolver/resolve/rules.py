"""Tracking rules for canonical URLs: ClearURLs' provider data, and a small overlay of our own.

The data is the ClearURLs project's ``data.min.json`` (LGPL-3.0), vendored unchanged in
``resolver/data/clearurls/`` with its licence and provenance; ``scripts/refresh-clearurls`` replaces it with
the current published file. Nothing is read until the first URL is cleaned (:func:`rules`), and a
provider's patterns are compiled once, when a URL first gets past its cheap literal test (the site name in
its ``urlPattern``): ``resolver scan`` never pays for any of it, and a run pays only for the sites it meets.

A provider is applied as the ClearURLs add-on applies it (``removeFieldsFormURL`` and ``pureCleaning`` in
its ``clearurls.js``): when its ``urlPattern`` matches the URL and none of its ``exceptions`` does, a
matching ``redirections`` pattern unwraps the URL to its target (group 1, percent-decoded), which is then
cleaned in turn; otherwise its ``rawRules`` are deleted from the URL text, then every query parameter whose
name matches one of its ``rules`` (or ``referralMarketing``; JavaScript's ``^rule$``, case-insensitive) is
removed. Providers run in the data's order, each on what the previous one left. Patterns are JavaScript
regular expressions, translated by :mod:`resolver.jsregex`.

Where we differ from the add-on's defaults, and why:

* ``referralMarketing`` parameters (affiliate tags, ``ref``) are removed: the add-on keeps them by default
  so creators still get paid, but they say who gets paid, not which page it is.
* ``completeProvider`` (a URL that is tracking through and through: ad servers, beacons) is *not* applied.
  The add-on blocks such requests, or with blocking off strips every parameter; a resolver reports where a
  link goes and blocks nothing, and an ad URL with its parameters stripped names nothing at all.
* ``forceRedirection`` only tells the add-on how to redirect a browser tab; unwrapping offline is the same
  either way.
* A redirection whose target is not an absolute http(s) URL with a plausible host is ignored (ClearURLs'
  Instagram rule ``.*u=([^&]*)`` would otherwise turn ``?menu=1`` into ``http://1``).
* The add-on's self-test providers are left out (:data:`EXCLUDED_PROVIDERS`).
* A ``urlPattern`` that matches only part of a host label does not count (``x.com`` is not
  ``x.company.example``; ``amazon`` is not ``amazonaws.com``).
* Parameter names are tested both as written and percent-decoded (the add-on tests decoded names only),
  so ``%75tm_source`` goes too; the fragment is dropped by the caller's normal form, not cleaned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

from ..data_files import read_data
from .jsregex import UntranslatableRegex, compile_js, compile_python, translate

DATA_FILE = "clearurls/data.min.json"  # in resolver/data

# Providers in ClearURLs' data that exist to test the add-on itself: they point at its test pages, or
# unwrap any "?to=" on real domains called site.com, site2.com and site3.com.
EXCLUDED_PROVIDERS: frozenset[str] = frozenset(
    {
        "ClearURLsTest",
        "ClearURLsTest2",
        "ClearURLsTestBlock",
        "ClearURLsTestBlock2",
        "site.com",
        "site2.com",
        "site3.com",
    }
)

# The project's own additions, in ClearURLs' format (applied after its providers). Each one is something
# ClearURLs' data lacks (checked against the vendored file: tests/test_canonical.py keeps every entry
# honest by requiring that ClearURLs alone does not already remove it).
OVERLAY: tuple[Mapping[str, Any], ...] = (
    {
        "name": "resolver: global",
        "urlPattern": ".*",
        "rules": [
            # Whole families ClearURLs lists only in part (it has itm_campaign but not itm_content…):
            # Piwik/Matomo, HubSpot (ads, e-mail), Olytics, Vero, Mailchimp.
            "pk_[a-z_]+",
            "itm_[a-z_]+",
            "hsa_[a-z_]+",
            "_hs[a-z_]+",
            "oly_[a-z_]+",
            "vero_[a-z_]+",
            "mc_[a-z_]+",
            # Click ids ClearURLs has no rule for: Google (gclsrc, gbraid, wbraid), TikTok, Instagram shares
            # (outside instagram.com), Adobe/Microsoft campaign ids.
            "gclsrc",
            "gbraid",
            "wbraid",
            "ttclid",
            "igshid",
            "igsh",
            "wt\\.mc_id",
            # Campaign tags newsrooms append to shared links: AT Internet (xtor, at_*), Yahoo/Verizon
            # (ncid), Microsoft Start (ocid), The Times (ito), Reuters/Axios (soc_*, sr_share), NYT (smid,
            # smtyp also on nyti.ms and its other sites), share widgets (share_source, cid_source,
            # ref_src/ref_url off twitter.com), Alibaba's scm beside its spm.
            "xtor",
            "at_medium",
            "at_campaign",
            "ito",
            "ncid",
            "ocid",
            "soc_src",
            "soc_trk",
            "sr_share",
            "cid_source",
            "smid",
            "smtyp",
            "share_source",
            "ref_src",
            "ref_url",
            "scm",
        ],
    },
    {
        "name": "resolver: youtube",
        "urlPattern": "^https?:\\/\\/(?:[a-z0-9-]+\\.)*?(youtube\\.com|youtu\\.be)",
        "rules": ["ab_channel"],  # the channel name YouTube appends when sharing from a channel page
    },
    {
        "name": "resolver: facebook",
        "urlPattern": "^https?:\\/\\/(?:[a-z0-9-]+\\.)*?facebook\\.com",
        "rules": ["rdid"],  # the share sheet's redirect id (…/share/p/…?rdid=…)
    },
    {
        "name": "resolver: instagram",
        "urlPattern": "^https?:\\/\\/(?:[a-z0-9-]+\\.)*?instagram\\.com",
        "rules": ["img_index"],  # which photo of a carousel the share started from
    },
    {
        "name": "resolver: tiktok",
        "urlPattern": "^https?:\\/\\/(?:[a-z0-9-]+\\.)*?tiktok\\.com",
        # The share sheet's tracking, and the sharer's app language (the video is the same in any).
        "rules": ["is_from_webapp", "sender_device", "web_id", "lang"],
    },
    {
        "name": "resolver: threads",
        "urlPattern": "^https?:\\/\\/(?:[a-z0-9-]+\\.)*?threads\\.(?:net|com)",
        "rules": ["xmt", "slof"],  # share-sheet tracking on Threads links
    },
    {
        "name": "resolver: nytimes",
        "urlPattern": "^https?:\\/\\/(?:[a-z0-9-]+\\.)*?nytimes\\.com",
        # The syndication partner, and a gift link's code: the article is the same page without them.
        "rules": ["partner", "unlocked_article_code"],
    },
    {
        "name": "resolver: google keeps a legacy input encoding",
        "urlPattern": "^https?:\\/\\/(?:[a-z0-9-]+\\.)*?google(?:\\.[a-z]{2,}){1,}",
        # ClearURLs removes ie= everywhere on Google; when it names a legacy encoding (ie=Shift_JIS), q is
        # in that encoding and the search breaks without it. "keep" is tested on the decoded name=value.
        "keep": ["ie=(?!utf-?8$).+"],
    },
)

_HOST_LIKE = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,63}(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
_ENCODED_SCHEME = re.compile(r"https?%3a", re.IGNORECASE)
_PLAIN_SCHEME = re.compile(r"https?://", re.IGNORECASE)
# The prefix nearly every urlPattern starts with; what follows it up to the first operator is a literal any
# matching URL contains, so a substring test can skip the regex for most URLs.
_PATTERN_PREFIX = re.compile(r"\^?https\?:(?:\\/\\/|//)(?:\(\?:\[a-z0-9-\]\+\\\.\)\*\?)?")
_LITERAL_RUN = re.compile(r"(?:[a-zA-Z0-9_-]|\\\.)+")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


class RulesError(ValueError):
    """Rule data that cannot be used as a whole (not ClearURLs' format)."""


@dataclass(frozen=True, slots=True)
class Patterns:
    """A provider's patterns, compiled."""

    url_pattern: re.Pattern[str] | None  # None: unreadable, so the provider matches nothing
    rules: tuple[re.Pattern[str], ...] = ()  # a parameter name any of these matches is removed
    raw_rules: tuple[re.Pattern[str], ...] = ()
    exceptions: tuple[re.Pattern[str], ...] = ()
    redirections: tuple[re.Pattern[str], ...] = ()
    keep: tuple[re.Pattern[str], ...] = ()  # overlay only: a matching "name=value" stays whatever removes it
    skipped: tuple[str, ...] = ()  # "provider: key: reason" for each pattern that could not be used


class Provider:
    """One provider. Its patterns are compiled when a URL first gets past its literal test: most never are."""

    def __init__(self, name: str, spec: Mapping[str, Any]) -> None:
        if not isinstance(spec, Mapping):
            raise RulesError(f"provider {name!r} is not an object")
        self.name = name
        self.sources = {key: _strings(spec, key) for key in _LIST_KEYS}
        self.url_source = _strings(spec, "urlPattern", single=True)[0]
        self.literal = _required_literal(self.url_source)  # lower-case text every matching URL contains
        self.has_keep = bool(self.sources["keep"])
        self._patterns: Patterns | None = None

    @property
    def patterns(self) -> Patterns:
        if self._patterns is None:
            self._patterns = _compile(self.name, self.url_source, self.sources)
        return self._patterns

    def matches(self, url: str, lowered: str) -> bool:
        if self.literal is not None and self.literal not in lowered:
            return False
        patterns = self.patterns
        m = patterns.url_pattern.search(url) if patterns.url_pattern is not None else None
        if m is None or _ends_inside_host_label(url, m.end()):
            return False
        return not any(e.search(url) for e in patterns.exceptions)

    def redirect(self, url: str) -> str | None:
        for pattern in self.patterns.redirections:
            m = pattern.search(url)
            if m and m.lastindex and m.group(1):
                target = _redirect_target(m.group(1))
                if target is not None:
                    return target
        return None


_LIST_KEYS = ("rules", "referralMarketing", "rawRules", "exceptions", "redirections", "keep")


@dataclass(frozen=True, slots=True)
class RuleSet:
    providers: tuple[Provider, ...]
    keepers: tuple[Provider, ...] = ()  # the providers with "keep" patterns (overlay only)

    @property
    def skipped(self) -> tuple[str, ...]:
        """Every pattern that could not be used ("provider: key: reason"); compiles them all to know."""
        return tuple(reason for p in self.providers for reason in p.patterns.skipped)


@dataclass(slots=True)
class Trace:
    """What cleaning did to one URL: the parameters removed (as written), the (wrapper, target) unwrapped."""

    removed: list[str] = field(default_factory=list)
    unwrapped: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=1)
def rules() -> RuleSet:
    """The vendored ClearURLs providers, then the overlay; loaded and compiled on first use only."""
    text = read_data(DATA_FILE)
    return build(json.loads(text), overlay=OVERLAY)


@lru_cache(maxsize=1)
def clearurls_only() -> RuleSet:
    """The vendored ClearURLs providers alone (what the overlay is measured against)."""
    text = read_data(DATA_FILE)
    return build(json.loads(text), overlay=())


def build(data: Mapping[str, Any], *, overlay: Iterable[Mapping[str, Any]] = ()) -> RuleSet:
    """A RuleSet from ClearURLs-format data (``{"providers": {name: {...}}}``) and overlay providers."""
    providers_data = data.get("providers")
    if not isinstance(providers_data, Mapping) or not providers_data:
        raise RulesError('no "providers" object: not ClearURLs rule data')
    specs = [(name, spec) for name, spec in providers_data.items() if name not in EXCLUDED_PROVIDERS]
    specs += [(str(spec["name"]), spec) for spec in overlay]
    providers = tuple(Provider(name, spec) for name, spec in specs)
    return RuleSet(providers, tuple(p for p in providers if p.has_keep))


def _compile(name: str, url_source: str, sources: Mapping[str, list[str]]) -> Patterns:
    skipped: list[str] = []

    def each(key: str, patterns: Sequence[str]) -> list[re.Pattern[str]]:
        out = []
        for pattern in patterns:
            try:
                out.append(compile_js(pattern))
            except UntranslatableRegex as exc:
                skipped.append(f"{name}: {key}: {exc}")
        return out

    def joined(key: str, patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
        """Patterns as one alternation where that keeps their meaning (no back-references), else apart."""
        try:
            sources_ = [translate(p) for p in patterns]
        except UntranslatableRegex:
            sources_ = []
        if len(patterns) > 1 and sources_ and not any(_BACKREFERENCE.search(src) for src in sources_):
            try:
                return (compile_python("|".join(f"(?:{src})" for src in sources_)),)
            except UntranslatableRegex:
                pass  # one of them is bad: compile them one by one to find it and keep the rest
        return tuple(each(key, patterns))

    url_pattern = each("urlPattern", [url_source])
    names = sources["rules"] + sources["referralMarketing"]
    return Patterns(
        url_pattern=url_pattern[0] if url_pattern else None,
        rules=joined("rules", [f"^{rule}$" for rule in names]),
        raw_rules=tuple(each("rawRules", sources["rawRules"])),
        exceptions=joined("exceptions", sources["exceptions"]),
        redirections=tuple(each("redirections", sources["redirections"])),
        keep=tuple(each("keep", [f"^{rule}$" for rule in sources["keep"]])),
        skipped=tuple(skipped),
    )


def _strings(spec: Mapping[str, Any], key: str, *, single: bool = False) -> list[str]:
    value = spec.get(key, "" if single else [])
    values = [value] if single else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RulesError(f"{key!r} must be {'a string' if single else 'a list of strings'}")
    return values


def _required_literal(url_pattern: str) -> str | None:
    prefix = _PATTERN_PREFIX.match(url_pattern)
    if prefix is None or _has_top_level_alternation(url_pattern):
        return None
    rest = url_pattern[prefix.end() :]
    m = _LITERAL_RUN.match(rest)
    if not m:
        return None
    literal = m.group().replace("\\.", ".")
    if rest[m.end() : m.end() + 1] in ("?", "*", "{"):
        literal = literal[:-1]  # the last character is optional or repeated
    return literal.lower() if len(literal) >= 2 else None


def _ends_inside_host_label(url: str, end: int) -> bool:
    """Whether a match ending at ``end`` stops in the middle of a label of the URL's host.

    ClearURLs' patterns rarely end with a boundary: ``x.com`` also matches ``x.company.example``, and
    ``amazon`` matches ``amazonaws.com``; a rule for one site must not strip another's parameters.
    """
    start = url.find("://") + 3
    if start < 3 or not 0 < end < len(url):
        return False
    host_end = len(url)
    for mark in "/?#":
        found = url.find(mark, start)
        if 0 <= found < host_end:
            host_end = found
    return start < end < host_end and _is_label_char(url[end - 1]) and _is_label_char(url[end])


def _is_label_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "-")


def _has_top_level_alternation(pattern: str) -> bool:
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def _redirect_target(captured: str) -> str | None:
    """The URL a tracker wraps, percent-decoded as often as it was encoded; None if it is not one."""
    target = unquote(captured)
    for _ in range(3):
        if not _ENCODED_SCHEME.match(target):
            break
        target = unquote(target)
    if target.startswith("//"):
        target = "https:" + target
    elif not _PLAIN_SCHEME.match(target):
        if not _HOST_LIKE.match(target):
            return None
        target = "https://" + target
    try:
        host = urlsplit(target).hostname or ""
    except ValueError:
        return None
    return target if "." in host.strip(".") else None


def clean(url: str, ruleset: RuleSet | None = None, trace: Trace | None = None) -> str:
    """One pass of every provider over ``url``; an unwrapped tracker URL returns its target at once."""
    ruleset = ruleset or rules()
    lowered = url.lower()
    keep = tuple(k for p in ruleset.keepers if p.matches(url, lowered) for k in p.patterns.keep)
    for provider in ruleset.providers:
        if provider.literal is not None and provider.literal not in lowered:
            continue  # the cheap test first: most providers name a site this URL is not on
        if not provider.matches(url, lowered):
            continue
        target = provider.redirect(url)
        if target is not None:
            if trace is not None:
                trace.unwrapped.append((url, target))
            return target
        before = url
        for raw in provider.patterns.raw_rules:
            url = raw.sub("", url)
        if provider.patterns.rules:
            url = _strip_parameters(url, provider.patterns.rules, keep, trace)
        if url != before:
            lowered = url.lower()
    return url


def _strip_parameters(
    url: str, names: tuple[re.Pattern[str], ...], keep: tuple[re.Pattern[str], ...], trace: Trace | None
) -> str:
    base, hash_mark, fragment = url.partition("#")
    path, question, query = base.partition("?")
    if not question:
        return url

    def tracking(key: str) -> bool:
        decoded = unquote_plus(key)
        return any(n.search(key) or n.search(decoded) for n in names)

    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        key = piece.split("=", 1)[0]
        removed = [key] if tracking(key) else []
        if not removed and "=" not in piece and "=" in (inner := unquote_plus(piece)):
            # A whole query encoded as one name ("utm_medium%3Dx%26utm_source%3Dy"): ClearURLs decodes it
            # and strips the parts on its next pass; it goes when every part is tracking.
            parts = [p.split("=", 1)[0] for p in inner.split("&") if p]
            removed = parts if parts and all(tracking(p) for p in parts) else []
        if removed and not any(k.search(unquote_plus(piece)) for k in keep):
            if trace is not None:
                trace.removed.extend(removed)
            continue
        kept.append(piece)
    rebuilt = path + ("?" + "&".join(kept) if kept else "")
    return rebuilt + (hash_mark + fragment if hash_mark else "")
