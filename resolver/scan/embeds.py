"""Embedded posts in markup, wherever a page keeps them: the registry's embed forms in the tree, and copies
held as data (oEmbed HTML in a ``<script>``'s JSON, a consent ``<textarea>``, base64 templates, escaped
``data-iframe`` attributes), each with its exact span in the document and the links inside it.

The one home of embed discovery: the HTML scanner calls it for a page, the text scanner for the inline HTML
of a Markdown file; neither calls the other.
"""

from __future__ import annotations

import copy
import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import lxml.etree

from ..models import Document
from ..platforms import PLATFORMS, Embed, Platform, PostRef, match_post_url
from .findings import LineIndex
from .held import Decoded, base64_markup, unescape_html, unescape_js
from .links import find_urls
from .pieces import html_parser, parse_html
from .source import SourceMap
from .urls import absolute_url

RAW_TEXT_CONTAINERS = ("textarea", "script")  # elements whose content is text, where embeds hide as markup
_HREF = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
MAYBE_URL = re.compile(r"[^\s.]\.[^\s.]")  # a cheap test before the URL finder runs
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_NS = {"re": "http://exslt.org/regular-expressions"}


def _parse(text: str) -> Any:
    if m := _XML_DECL.match(text):
        text = " " * m.end() + text[m.end() :]  # lxml refuses str with an encoding declaration
    try:
        return parse_html(text, html_parser())
    except (lxml.etree.ParserError, ValueError):
        return None


@lru_cache(maxsize=16)
def _close_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{re.escape(tag)}\s*>", re.IGNORECASE)


def base_url(root: Any, doc_base: str | None) -> str | None:
    """The document's base URL: the one it was fetched from, else what the page says of itself: the
    first ``<base href>``, else the first canonical ``<link>``, else the first ``og:url``, whichever is
    first of those to be an http(s) URL. One walk in C over those three tags finds the first of each."""
    firsts: dict[str, str] = {}
    for el in root.iter("base", "link", "meta"):
        tag = el.tag
        if tag in firsts:
            continue
        if tag == "base":
            value = el.get("href")
        elif tag == "link":
            value = el.get("href") if el.get("rel") == "canonical" else None
        else:
            value = el.get("content") if el.get("property") == "og:url" else None
        if value is not None:
            firsts[tag] = value
    for tag in ("base", "link", "meta"):
        value = firsts.get(tag)
        if value is not None and value.startswith(("http://", "https://")):
            return doc_base or value
    return doc_base


@dataclass(frozen=True, slots=True)
class _EmbedElement:
    element: Any  # the embed's root in the tree
    platform: Platform
    content: Any  # what its platform parses: the element, or the part of it before a nested embed
    stop: Any = None  # for an embed cut short (see ``_left_open``): the child its span ends before


class _Forms:
    """The registry's embed forms, compiled once (see ``EmbedForm``), in registry order (a lower rank wins
    an element two forms take): for each tag, one test that any of its forms holds (most iframes and
    blockquotes hold no embed) and then each form's own; for each attribute a form names, the forms that
    name it, with the substrings its value must hold."""

    def __init__(self, platforms: Iterable[Platform]) -> None:
        by_tag: dict[str, list[tuple[int, Platform, str]]] = {}
        by_attribute: dict[str, list[_Led]] = {}
        rank = 0
        for platform in platforms:
            for form in platform.embed_forms:
                rank += 1
                if form.attribute is not None:
                    test = _self_test(form.test)
                    by_attribute.setdefault(form.attribute, []).append((rank, platform, form.tag, form.holding, test))
                else:
                    by_tag.setdefault(form.tag, []).append((rank, platform, form.test))
        self.by_tag: dict[str, tuple[lxml.etree.XPath, list[tuple[int, Platform, lxml.etree.XPath]]]] = {}
        for tag, forms in by_tag.items():
            if any(not test for _, _, test in forms):
                held = lxml.etree.XPath("true()")
            else:
                held = _self_test(" or ".join(f"({test})" for _, _, test in forms))
            self.by_tag[tag] = (held, [(rank, platform, _self_test(test)) for rank, platform, test in forms])
        # per attribute, one search for every substring its forms hold (None: the attribute alone may do)
        self.by_attribute: list[tuple[str, re.Pattern[str] | None, list[_Led]]] = []
        for attribute, led in by_attribute.items():
            parts = {part for _, _, _, holding, _ in led for part in holding}
            any_part = None if any(not holding for _, _, _, holding, _ in led) else _any_of(parts)
            self.by_attribute.append((attribute, any_part, led))


_Led = tuple[int, Platform, str, tuple[str, ...], lxml.etree.XPath]  # rank, platform, tag, holding, test


def _any_of(parts: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(part) for part in sorted(parts, key=len, reverse=True)))


def _self_test(test: str) -> lxml.etree.XPath:
    """``test`` asked of one element (true when empty)."""
    return lxml.etree.XPath(f"boolean(self::node()[{test}])" if test else "true()", namespaces=_NS)


_FORMS = _Forms(PLATFORMS)


def form_hits(root: Any) -> dict[Any, Platform]:
    """Every element one of the registry's embed forms takes, in document order, with the platform whose
    form it is (the first in the registry, where two take the same element). One walk over the elements:
    a compiled test runs only on an element of a form's tag, or one carrying a form's attribute so."""
    by_tag, by_attribute = _FORMS.by_tag, _FORMS.by_attribute
    found: dict[Any, Platform] = {}
    for el in root.iter(lxml.etree.Element):
        best: tuple[int, Platform] | None = None
        tag = el.tag
        tagged = by_tag.get(tag)
        if tagged is not None and tagged[0](el):
            best = next(((rank, platform) for rank, platform, test in tagged[1] if test(el)), None)
        for attribute, any_part, led in by_attribute:
            value = el.get(attribute)
            if value is None or (any_part is not None and any_part.search(value) is None):
                continue  # most classes name no embed: one search in C says so for all the forms
            for rank, platform, form_tag, holding, test in led:
                if best is not None and best[0] < rank:
                    break
                if (
                    (form_tag == "*" or form_tag == tag)
                    and (not holding or any(part in value for part in holding))
                    and test(el)
                ):
                    best = (rank, platform)
                    break
        if best is not None:
            found[el] = best[1]
    return found


def _embed_elements(root: Any, smap: SourceMap) -> list[_EmbedElement]:
    """Every embed root, outermost only per platform, in document order; an embed blockquote left open
    yields to the one it swallowed (see ``_left_open``)."""
    found = form_hits(root)
    chosen: dict[Any, _EmbedElement] = {}
    for el, platform in found.items():
        outer = next((a for a in el.iterancestors() if a in chosen and found[a] is platform), None)
        if outer is not None:
            cut = chosen[outer]
            if cut.stop is None and not (el.tag == outer.tag == "blockquote" and _left_open(outer, smap)):
                continue
            if cut.stop is None:
                chosen[outer] = _cut_before(cut, el)
        chosen[el] = _EmbedElement(el, platform, el)
    return list(chosen.values())


def _cut_end(el: Any, stop: Any, embed: Embed, smap: SourceMap) -> int | None:
    """Where an embed left open ends: just past its permalink (the link to the post that closes embed
    code, its signature's date), else just before the first embed it swallowed."""
    permalink = None
    if embed.post_id:
        for child in el:
            if child is stop:
                break
            for a in child.iter("a"):
                if embed.post_id in (a.get("href") or ""):
                    permalink = a
    if permalink is not None and (at := smap.start_of(permalink)) is not None:
        return smap.end_of(permalink, at)
    at = smap.start_of(stop)
    if at is None:
        return None
    while at > 0 and smap.text[at - 1].isspace():
        at -= 1
    return at


def _left_open(el: Any, smap: SourceMap) -> bool:
    """Whether a blockquote lacks its end tag in the source (copied embed code missing its
    ``</blockquote>``): the parser then closes it only where its parent ends, so it swallows what follows,
    the next embed included. Embed code never leaves one open on purpose, so the embeds it swallowed are
    embeds of their own; one properly closed around another is a quote, the outer one the embed."""
    start = smap.start_of(el)
    if start is None:
        return False
    source = smap.text[start : smap.end_of(el, start)].lower()
    return source.count("<blockquote") > source.count("</blockquote")


def _cut_before(outer: _EmbedElement, inner: Any) -> _EmbedElement:
    """``outer`` left open, as what stands before the first embed it swallowed: a copy of its children
    up to the one that holds ``inner``, which is what its platform parses and where its span ends."""
    el = outer.element
    cut = lxml.etree.Element(el.tag, dict(el.attrib))
    cut.text = el.text
    for child in el:
        if child is inner or inner in child.iterdescendants():
            return replace(outer, content=cut, stop=child)
        cut.append(copy.deepcopy(child))
    return outer


# Placeholders: an element an embed script or a consent tool will turn into the post, keeping nothing but
# the post's URL in a data attribute until then (``<div class="tweet" data-url="…/status/1">``,
# ``<div class="c-oembed" data-oembed-url=…>``, ``<div class="embedInner Twitter" data-resourceurl=…>``,
# ``<div class="rcs_social-embed" data-href=…>``, iframely's ``data-embedded-url``). Three things together
# make one: a data attribute whose name says URL, a value that is a post's URL on a registered platform, and
# an element that says it is an embed (its names or its other attributes name an embed, a post or the
# platform). Links, media and form elements are never placeholders, nor is anything inside a link.
# Found from the text, not the tree: a walk over every attribute of a page costs as much as the rest of
# the embed scan, while one regex led by a literal (case-sensitive, so it stays at C speed) finds the
# attributes whose value starts with a platform's URL; only elements carrying one of those names are looked up.
_PLACEHOLDER_ATTRIBUTE = re.compile(
    r"""data-([a-z0-9_-]+)\s*=\s*["']?\s*(?:https?:)?//(?:[\w-]+\.)*"""
    r"(?:(?:twitter|x|instagram|tiktok|facebook|youtube|bsky|threads|reddit)\.(?:com|app|net)|youtu\.be)/"
)


def _placeholder_attribute_names(text: str) -> frozenset[str]:
    names = {"data-" + m.group(1) for m in _PLACEHOLDER_ATTRIBUTE.finditer(text)}
    return frozenset(name for name in names if _URL_ATTRIBUTE.search(name))


@lru_cache(maxsize=256)
def _elements_with(names: frozenset[str]) -> lxml.etree.XPath:
    return lxml.etree.XPath("//body//*[" + " or ".join(f"@{name}" for name in sorted(names)) + "]")


_URL_ATTRIBUTE = re.compile(r"url|href|src|link|permalink|resource|uri", re.IGNORECASE)
_SAYS_EMBED = re.compile(
    r"embed|tweet|twitter|instagram|facebook|tiktok|youtube|video|social|bluesky|bsky|mastodon|threads|reddit|"
    r"iframely|embedly|provider",
    re.IGNORECASE,
)
_NEVER_PLACEHOLDERS = frozenset(
    {"a", "area", "link", "meta", "img", "picture", "source", "video", "audio", "track", "script", "style", "iframe"}
    | {"input", "button", "form", "option", "select", "textarea", "template", "object", "embed"}
)


def _says_embed(el: Any, url_attribute: str) -> bool:
    if _SAYS_EMBED.search(el.tag):  # custom elements: <lite-tweet>, <x-embed>
        return True
    for name, value in el.items():
        if name == url_attribute:
            continue
        if _SAYS_EMBED.search(name) or (len(value) <= 80 and _SAYS_EMBED.search(value)):
            return True
    return False


def _post_at(el: Any, name: str, value: str, base: str | None) -> tuple[str, PostRef] | None:
    """The post a placeholder's URL attribute names, if its element says it is an embed."""
    url = absolute_url(value.strip(), base)
    ref = match_post_url(url) if url else None
    return (url, ref) if url and ref is not None and _says_embed(el, name) else None


def _placeholders(root: Any, text: str, base: str | None, taken: Iterable[Any]) -> list[tuple[Any, Embed]]:
    """Placeholder elements (see above) with what their URL says of the post, outermost first; an element
    that holds, or stands inside, an embed found by its platform's markup yields to that embed."""
    names = _placeholder_attribute_names(text)
    if not names:
        return []
    taken_set = set(taken)
    out: dict[Any, Embed] = {}
    for el in _elements_with(names)(root):
        if el in out or not isinstance(el.tag, str) or el.tag in _NEVER_PLACEHOLDERS:
            continue
        at_names = (_post_at(el, name, value, base) for name, value in el.items() if name in names)
        found = next((hit for hit in at_names if hit), None)
        if found is None:
            continue
        url, ref = found
        ancestors = list(el.iterancestors())
        if any(a.tag == "a" or a in taken_set or a in out for a in ancestors):
            continue
        if taken_set and any(d in taken_set for d in el.iterdescendants()):
            continue
        out[el] = Embed(ref.platform, url=url, post_id=ref.post_id, author_handle=ref.handle)
    return list(out.items())


# --- embed discovery ----------------------------------------------------------------------------------
# Displayed embeds come from the tree. Pages also hold embed markup as data: JSON strings in <script>,
# consent placeholders' <textarea>, lazy-load attributes (escaped markup, base64). Those copies are parsed
# too (heldmarkup decodes them with a map back to the source) and reported as held: resolver.merge keeps
# the displayed copy of a post when there is one, and a held copy when it is the only one.

RawLink = tuple[str, str, int, int]  # raw (the source's characters), url, start, end


@dataclass(frozen=True, slots=True)
class EmbedHit:
    """An embed found in a document: its span, what it says, and whether the page holds it as data."""

    start: int
    end: int
    embed: Embed
    element: Any  # its root element, in the tree it was found in
    held: bool = False
    # Links the main tree's link scan cannot see: inside held markup (a textarea's), or written as text
    # inside a link that wraps a whole card (a quoted tweet's t.co in a Substack card).
    links: tuple[RawLink, ...] = ()
    # For a copy kept as data for the page's scripts (a <script>'s text, JSON in an attribute): the prose
    # that stands around it there, which tells whether it is this article's (see ``page_copies``).
    # None for everything else: displayed embeds, consent textareas, lazy-load attributes.
    context: tuple[str, ...] | None = None


_MAX_HELD_DEPTH = 3  # markup in a string in a script in a textarea… deeper than this is not an embed
# Held text holds embed markup only where a start tag (raw or escaped) is followed closely by an embed's
# class or iframe address (the second spelling of each: JSON-escaped). A regex with a literal first
# character finds the tags at C speed; only the short window after each is searched for the hints,
# which keeps a megabyte of page state that holds no embed cheap.
_HELD_TAG = re.compile(r"(?:<|\\u003[cC]|\\x3[cC]|&lt;|&#60;)(?:blockquote|iframe|amp-|div|lite-)")
_HELD_WINDOW = 600
_HELD_HINTS = (
    "twitter-tweet",
    "twitter-video",
    "data-tweet-id",
    "instagram-media",
    "tiktok-embed",
    "bluesky-embed",
    "mastodon-embed",
    "text-post-media",
    "reddit-embed",
    "reddit-card",
    "fb-post",
    "fb-video",
    "amp-twitter",
    "amp-instagram",
    "amp-youtube",
    "lite-youtube",
    "youtube.com/embed",
    "youtube.com\\/embed",
    "youtube-nocookie.com/embed",
    "youtube-nocookie.com\\/embed",
    "facebook.com/plugins/",
    "facebook.com\\/plugins\\/",
    "twitter.com/embed",
    "twitter.com\\/embed",
    "tiktok.com/embed",
    "tiktok.com\\/embed",
    "embed.bsky.app",
    "twitframe.com",
)


def _holds_embed(text: str) -> bool:
    for m in _HELD_TAG.finditer(text):
        window = text[m.start() : m.start() + _HELD_WINDOW]
        if any(hint in window for hint in _HELD_HINTS):
            return True
    return False


# Attribute values that hold markup: escaped in the source (&lt;iframe…), or base64 ("<" then a letter
# encodes as PG… or PH…). Literal-led regexes (C speed) spare the pages that cannot have them the walk
# over every attribute.
_ESCAPED_TAG = re.compile(r"&(?:lt;|#0*60;)(?:iframe|blockquote|div|amp-)")
_BASE64_TAG = re.compile(r"P[GH][A-Za-z0-9+/]{38}")
_ATTRS_WITH_MARKUP = lxml.etree.XPath("//@*[contains(., '<')]")
_ATTRS_IN_BASE64 = lxml.etree.XPath("//@*[string-length(.) > 40][starts-with(., 'PG') or starts-with(., 'PH')]")


def _base64_attribute_in(text: str) -> bool:
    return any(text[m.start() - 1 : m.start()] in ('"', "'") for m in _BASE64_TAG.finditer(text))


_JS_ESCAPES = ('\\"', "\\/", "\\u003c", "\\u003C", "\\x3c", "\\x3C")
_BLOCKS = ("div", "p", "section", "blockquote", "header", "footer")


def find_embeds(text: str, root: Any, smap: SourceMap, base: str | None, depth: int = 0) -> Iterator[EmbedHit]:
    """Every embed of ``text`` (spans into it): displayed ones, then the copies it holds as data."""
    elements = _embed_elements(root, smap)
    parsed: list[tuple[Any, Embed | None, Any]] = []
    for found in elements:
        assert found.platform.parse_embed is not None
        parsed.append((found.element, found.platform.parse_embed(found.content, base), found.stop))
    parsed += ((el, embed, None) for el, embed in _placeholders(root, text, base, (f.element for f in elements)))
    for el, embed, stop in parsed:
        if embed is None or _is_template(embed):
            continue
        start = smap.start_of(el)
        if start is None:
            continue
        end = _cut_end(el, stop, embed, smap) if stop is not None else None
        if end is None or end <= start:
            end = smap.end_of(el, start)
        links = _card_text_links(el, smap, text)
        if links:
            extra = tuple(url for _, url, _, _ in links if url not in embed.links)
            embed = replace(embed, links=embed.links + extra)
        yield EmbedHit(start, end, embed, el, links=links)
    if depth < _MAX_HELD_DEPTH:
        yield from _held_in_raw_text(text, root, smap, base, depth)
        yield from _held_in_attributes(text, root, smap, base, depth)


# A template's placeholders where the post's id or URL belongs: the markup a script fills in for every post
# of a feed (``data-href="//facebook.com/page/posts/{{ post_id }}"``), not a post.
_TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|<%|\$\{|%7[Bb]%7[Bb]")


def _is_template(embed: Embed) -> bool:
    fields = (embed.url, embed.post_id, embed.author_name, embed.author_handle, embed.published)
    return any(value and _TEMPLATE_SYNTAX.search(value) for value in fields)


def _held_in_raw_text(text: str, root: Any, smap: SourceMap, base: str | None, depth: int) -> Iterator[EmbedHit]:
    """Embeds in <textarea> and <script> text. A textarea's embed is what its consent script will show:
    its links are the article's, reported with exact spans. A script's copy is data for the page's
    JavaScript: the post is reported (merge prefers a displayed copy), its links are not."""
    for container in root.iter(*RAW_TEXT_CONTAINERS):
        content = container.text or ""  # read once: each read copies the text out of the tree
        if container.tag == "script" and (markup := base64_markup(content)) is not None:
            yield from _held_markup(markup, container, smap, base, depth)  # a consent tool's template
            continue
        if not _holds_embed(content):
            continue
        start = smap.start_of(container)
        if start is None:
            continue
        inner_start = text.find(">", start) + 1
        close = _close_pattern(container.tag).search(text, inner_start)
        source = text[inner_start : close.start() if close else len(text)]
        if container.tag == "textarea":
            decoded = unescape_html(source)  # RCDATA: what the consent script inserts is the decoded text
        elif any(e in source for e in _JS_ESCAPES):
            decoded = unescape_js(source)
        else:
            decoded = Decoded(source, len(source))
        sub_root = _parse(decoded.text)
        if sub_root is None:
            continue
        sub_map = SourceMap(decoded.text, sub_root, LineIndex(decoded.text))
        at = _source_map(decoded, inner_start)
        for hit in find_embeds(decoded.text, sub_root, sub_map, base, depth + 1):
            links: tuple[RawLink, ...] = ()
            context = hit.context
            if container.tag == "textarea":
                inside = hit.links if hit.held else hit.links + _anchor_links(hit.element, sub_map, decoded.text, base)
                links = tuple((text[at(s) : at(e)], url, at(s), at(e)) for _, url, s, e in inside)
            elif not context:
                context = prose_around(decoded.text, hit.start, hit.end)
            yield EmbedHit(at(hit.start), at(hit.end), hit.embed, hit.element, held=True, links=links, context=context)


def _source_map(decoded: Decoded, offset: int) -> Callable[[int], int]:
    """Offsets in a decoded container's text → offsets in the text that holds the container."""
    return lambda pos: offset + decoded.source_offset(pos)


def _held_in_attributes(text: str, root: Any, smap: SourceMap, base: str | None, depth: int) -> Iterator[EmbedHit]:
    """Embed markup in an attribute a lazy loader or consent tool reads (``data-iframe="&lt;iframe…"``,
    base64 in ``data-html``). The span is the element that carries it: the placeholder the embed replaces."""
    values: list[Any] = []
    if _ESCAPED_TAG.search(text):
        values += _ATTRS_WITH_MARKUP(root)
    if _base64_attribute_in(text):
        values += _ATTRS_IN_BASE64(root)
    for value in values:
        markup = str(value) if "<" in value else base64_markup(str(value))
        if markup is not None and (carrier := value.getparent()) is not None:
            # JSON in an attribute (a component's props, a prefetched list of stories) is data for the page's
            # scripts, its strings escaped again (class=\"twitter-tweet\"): decoded, and judged as a script's.
            data = markup.lstrip()[:1] in ("{", "[")
            if data and any(e in markup for e in _JS_ESCAPES):
                markup = unescape_js(markup).text
            yield from _held_markup(markup, carrier, smap, base, depth, data=data)


def _held_markup(
    markup: str, carrier: Any, smap: SourceMap, base: str | None, depth: int, *, data: bool = False
) -> Iterator[EmbedHit]:
    """Embeds in markup decoded out of an element (an attribute's value, a base64 template): they are
    reported at that element, the placeholder the embed replaces."""
    start = smap.start_of(carrier) if _holds_embed(markup) else None
    sub_root = _parse(markup) if start is not None else None
    if start is None or sub_root is None:
        return
    end = smap.end_of(carrier, start)
    sub_map = SourceMap(markup, sub_root, LineIndex(markup))
    for hit in find_embeds(markup, sub_root, sub_map, base, depth + 1):
        context = (hit.context or prose_around(markup, hit.start, hit.end)) if data else hit.context
        yield EmbedHit(start, end, hit.embed, hit.element, held=True, context=context)


# --- whose data a script's copy is ------------------------------------------------------------------------
# A page's scripts keep more than its article: the next stories of an endless scroll, a rail of other
# articles, a site-wide feed (TechCrunch's tc_app_data, a Daily Beast page rail, Arc's content cache), each
# with its embeds. A copy kept as data is this article's when the page shows the prose around it (the
# script holds the article the page renders: Next.js data, an app's state), or when the page shows no text
# of its own (a shell its scripts fill in). The prose is taken from the data's own text, tags and JSON
# punctuation cut out; the page's text is what it displays, scripts and styles left out.
_PROSE_REACH = 600
_PROSE_BREAKS = re.compile(r"<[^>]*>|[{}\[\]\"\\|]")
_PROSE_WORDS = 6  # a run of prose has at least this many words
_PROSE_KEPT = 80  # characters of each run compared: enough to be one sentence of one article


def prose_around(text: str, start: int, end: int) -> tuple[str, ...]:
    """Runs of prose just before and just after ``text[start:end]``, folded for comparison."""
    window = text[max(0, start - _PROSE_REACH) : start] + "|" + text[end : end + _PROSE_REACH]
    runs = []
    for run in _PROSE_BREAKS.split(window):
        folded = fold_prose(run)
        if folded.count(" ") + 1 >= _PROSE_WORDS:
            runs.append(folded[:_PROSE_KEPT].rsplit(" ", 1)[0] if len(folded) > _PROSE_KEPT else folded)
    return tuple(runs)


_SHELL = 500  # a page that displays fewer characters than this is a shell its scripts fill in
_DISPLAYED_TEXT = lxml.etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::template or ancestor::noscript"
    " or ancestor::textarea)]"
)


def page_copies(hits: list[EmbedHit], root: Any) -> list[EmbedHit]:
    """The hits less the copies kept as data that belong to another story (see above). A data copy of a
    post the page also displays stays (the merge makes them one), as does one whose surroundings say
    nothing (no prose around it)."""
    shown = {(h.embed.platform, h.embed.post_id) for h in hits if h.context is None and h.embed.post_id}
    doubtful = [
        h for h in hits if h.context and (h.embed.post_id is None or (h.embed.platform, h.embed.post_id) not in shown)
    ]
    if not doubtful:
        return hits
    page = fold_prose(" ".join(_DISPLAYED_TEXT(root)))
    if len(page) < _SHELL:
        return hits
    foreign = {id(h) for h in doubtful if not any(run in page for run in h.context or ())}
    return [h for h in hits if id(h) not in foreign]


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"'})


def fold_prose(text: str) -> str:
    """Text as compared between data and page: entities decoded, compatibility forms, typographic quotes,
    case and spacing folded (a CMS's JSON and its rendered page rarely agree on those)."""
    return " ".join(unicodedata.normalize("NFKC", html.unescape(text)).translate(_QUOTES).casefold().split())


def _anchor_links(el: Any, smap: SourceMap, text: str, base: str | None) -> tuple[RawLink, ...]:
    """The http(s) links of an element found outside the main tree, with the spans of their href values."""
    out: list[RawLink] = []
    for a in el.iter("a"):
        href = a.get("href")
        url = absolute_url(href, base) if href else None
        a_start = smap.start_of(a)
        if url is None or not url.startswith(("http://", "https://")) or a_start is None:
            continue
        tag_end = text.find(">", a_start)
        m = _HREF.search(text, a_start, tag_end + 1 if tag_end != -1 else len(text))
        if m is not None:
            group = 1 if m.group(1) is not None else 2 if m.group(2) is not None else 3
            out.append((m.group(group), url, m.start(group), m.end(group)))
    return tuple(out)


def _card_text_links(el: Any, smap: SourceMap, text: str) -> tuple[RawLink, ...]:
    """URLs written as text inside a link that wraps a whole card (a Substack tweet's <a> around header,
    text, quoted tweet and footer). The page's text-URL scan skips text inside links, since a link's text
    usually shows its own href; a card's text is the post's, and a short URL in it is a link of its own."""
    out: list[RawLink] = []
    for a in el.iter("a"):
        if next((b for b in a.iter(*_BLOCKS) if b is not a), None) is None:
            continue
        if not MAYBE_URL.search("".join(a.itertext())):
            continue
        a_start = smap.start_of(a)
        if a_start is None:
            continue
        content = text.find(">", a_start) + 1
        # the link's own target, however it is shown (its href, or the expanded URL a t.co link displays)
        own = {absolute_url(a.get(name) or "").rstrip("/") for name in ("href", "title", "data-expanded-url")}
        for found in find_urls(text, content, smap.end_of(a, a_start)):
            if text.rfind("<", 0, found.start) > text.rfind(">", 0, found.start):
                continue  # inside a tag: an attribute value, not text
            url = absolute_url(found.raw)
            if url.rstrip("/") not in own:
                out.append((found.raw, url, found.start, found.end))
    return tuple(out)


def markup_embeds(doc: Document, hidden: Iterable[Any] = ()) -> list[EmbedHit]:
    """Embeds in the inline HTML of a Markdown or text document, each with the links inside it: the text
    scanner leaves what stands inside an embed to the embed, so these links are reported from here."""
    root = _parse(doc.text)
    if root is None:
        return []
    smap = SourceMap(doc.text, root, LineIndex(doc.text))
    hidden_spans = [(h.start, h.end) for h in hidden]
    out = []
    for hit in find_embeds(doc.text, root, smap, doc.base_url):
        if any(hs <= hit.start < he for hs, he in hidden_spans):
            continue
        if not hit.held:
            hit = replace(hit, links=hit.links + _anchor_links(hit.element, smap, doc.text, doc.base_url))
        out.append(hit)
    return out
