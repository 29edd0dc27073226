"""What a platform module declares, and the small helpers its parsers share.

A platform is data plus three pure functions:

* ``match_url(parts)``: is this URL one of the platform's posts? → :class:`PostRef` or None;
* ``embed_forms`` + ``parse_embed(element, base_url)``: the HTML embed markup it recognises;
* ``canonical_url(ref)``: the platform's canonical form of a post URL.

Fetching metadata lives in :mod:`resolver.enrich` (it needs the network); platforms stay pure so that
scanning never touches HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, parse_qs, urljoin, urlsplit

HtmlElement = Any  # lxml.html.HtmlElement; typed loosely because lxml ships no complete stubs


@dataclass(frozen=True, slots=True)
class PostRef:
    """What a URL alone says about a post."""

    platform: str
    post_id: str
    handle: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # platform specifics, e.g. the Mastodon instance


@dataclass(frozen=True, slots=True)
class Embed:
    """What embed markup says about a post (everything optional but the platform)."""

    platform: str
    url: str | None = None
    post_id: str | None = None
    author_name: str | None = None
    author_handle: str | None = None
    published: str | None = None
    text: str | None = None
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EmbedForm:
    """One shape of a platform's embed markup: the elements of ``tag`` (``*``: any) for which the XPath
    predicate ``test`` holds (no ``position()``: it is also asked of one element at a time).

    The scanner finds every form in one walk over the tree, asking each element only what costs nothing
    before it runs a form's compiled test: whether its tag is one of the forms' tags, and whether it carries
    a form's ``attribute`` with one of the substrings ``holding`` (none: the attribute alone) in its value.
    A form that names an attribute is tested only on elements that carry it so (a necessary condition of
    ``test``, matched as written: embed code writes its names in lower case); so a form of any element
    (``*``) must name one, and a form without is tested on each element of its tag, which must be a tag
    that pages hold few of (``iframe``, ``blockquote``, ``amp-*``)."""

    tag: str
    test: str = ""
    attribute: str | None = None
    holding: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.tag == "*" and self.attribute is None:
            raise ValueError(f"an embed form of any element needs the attribute it always carries: {self.test}")
        if self.holding and self.attribute is None:
            raise ValueError(f"an embed form's substrings need the attribute that holds them: {self.test}")

    @property
    def xpath(self) -> str:
        return f"//{self.tag}[{self.test}]" if self.test else f"//{self.tag}"


@dataclass(frozen=True)
class Platform:
    name: str
    example_url: str
    example_id: str
    match_url: Callable[[SplitResult], PostRef | None]
    # The hosts (without "www.") whose URLs can be this platform's posts; None = any host (Mastodon).
    hosts: frozenset[str] | None
    canonical_url: Callable[[PostRef], str]
    embed_forms: tuple[EmbedForm, ...] = ()
    parse_embed: Callable[[HtmlElement, str | None], Embed | None] | None = None
    # Hugo / Jekyll style shortcodes in Markdown: name → function(attrs) → Embed
    shortcodes: dict[str, Callable[[dict[str, str]], Embed | None]] = field(default_factory=dict)
    # Metadata over the network: async (PostRef, FetchContext) → Fetched. None: markup only.
    fetch: Callable[[PostRef, Any], Awaitable[Any]] | None = None


def split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts


def host_of(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def query_value(parts: SplitResult, name: str) -> str | None:
    values = parse_qs(parts.query).get(name)
    return values[0] if values else None


# Characters that wrap a URL in an attribute without being part of it: template braces left in by a CMS
# (cite="{https://www.tiktok.com/@user/video/1}"), JSX quotes, angle brackets.
_URL_WRAPPERS = " \t\r\n{}\"'`<>"


def absolute(href: str | None, base_url: str | None) -> str | None:
    if not href:
        return None
    href = href.strip(_URL_WRAPPERS)
    if not href:
        return None
    if href.startswith("//"):
        return "https:" + href
    return urljoin(base_url, href) if base_url else href


def anchors(el: HtmlElement) -> list[tuple[HtmlElement, str]]:
    """Every ``<a href>`` inside ``el`` (itself included), with its href, in document order."""
    return [(a, a.get("href")) for a in el.iter("a") if a.get("href")]


def first(el: HtmlElement, tag: str) -> HtmlElement | None:
    return next(el.iter(tag), None)


def by_class(el: HtmlElement, cls: str) -> HtmlElement | None:
    found = el.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]")
    return found[0] if found else None


_TEXT_AND_BREAKS = "descendant-or-self::text() | descendant::br"


def text_of(el: HtmlElement, sep: str = "") -> str:
    """The element's visible text, ``<br>`` as a line break (lxml's itertext drops them)."""
    parts: list[str] = []
    for node in el.xpath(_TEXT_AND_BREAKS):
        if isinstance(node, str):
            smart: Any = node  # lxml "smart strings" know their element
            parent = smart.getparent()
            if not smart.is_tail and parent is not None and parent.tag in ("script", "style", "template"):
                continue
            parts.append(str(node))
        else:
            parts.append("\n")
    return sep.join(parts)


def text_without(el: HtmlElement, skip: HtmlElement | None, sep: str = "") -> str:
    """The element's visible text, as :func:`text_of`, leaving out one descendant's subtree."""
    if skip is None:
        return text_of(el, sep)
    parts: list[str] = []
    for node in el.xpath(_TEXT_AND_BREAKS):
        if isinstance(node, str):
            smart: Any = node
            owner = smart.getparent()
            if smart.is_tail:  # a tail belongs to the element's parent's content
                if owner is skip:
                    parts.append(str(node))
                    continue
                owner = owner.getparent() if owner is not None else None
            if owner is not None and (owner is skip or any(a is skip for a in owner.iterancestors())):
                continue
            if not smart.is_tail and owner is not None and owner.tag in ("script", "style", "template"):
                continue
            parts.append(str(node))
        elif node is not skip and not any(a is skip for a in node.iterancestors()):
            parts.append("\n")
    return sep.join(parts)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def clean_text(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def html_text(fragment: str) -> tuple[str, list[str]]:
    """Visible text and link targets of a small HTML fragment (a post's rendered content)."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, TypeError):
        return fragment, []
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for p in list(root.iter("p"))[1:]:
        p.text = "\n\n" + (p.text or "")
    hrefs = [a.get("href") for a in root.iter("a") if a.get("href")]
    return clean_text(root.text_content()), hrefs
