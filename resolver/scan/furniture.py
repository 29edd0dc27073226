"""Page furniture: what stands around an article (navigation, mastheads and footers, sidebars, share bars,
related-article lists, newsletter boxes, comments), whose links are not the article's.

An element is furniture by what it is. Its tag says so (``nav``, ``header``, ``footer``, ``aside``,
``form``, ...), or its ARIA role (``navigation``, ``banner``, ``complementary``, ...), or its names do: a
class or id whose words name furniture (``site-footer``, ``share-bar``, ``mainNav``), unless another of
the element's names says it is the article (Vox Media's body segments are ``l-sidebar-fixed
l-article-body-segment``). Taxonomy classes say nothing about the element that carries them: WordPress
writes the post's categories and tags on its ``<article>`` (``category-social-media tag-newsletter``), and
state classes (``has-sidebar``, ``is-sticky``) describe the layout, not the element.

What an element holds overrules all of that: an element that holds most of the page's text is the frame
the article sits in (ASP.NET wraps whole pages in a ``<form>``, themes name main containers
``sticky-sidebar-relative``), and one that holds an embedded post is the article. The verdict is taken
once per subtree, top-down: inside furniture everything is furniture.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import lxml.etree

FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "button", "menu", "select", "dialog"})
FURNITURE_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "toolbar", "dialog"}
)
CONTENT_TAGS = frozenset({"main", "article"})
CONTENT_ROLES = frozenset({"main", "article"})
FURNITURE_WORDS = frozenset(
    {
        "nav",
        "navbar",
        "navigation",
        "menu",
        "menus",
        "footer",
        "masthead",
        "sidebar",
        "share",
        "sharing",
        "sharebar",
        "sharedaddy",
        "addtoany",
        "shariff",
        "social",
        "socials",
        "breadcrumb",
        "breadcrumbs",
        "related",
        "recommended",
        "recirculation",
        "newsletter",
        "subscribe",
        "subscription",
        "promo",
        "advert",
        "advertisement",
        "ad",
        "ads",
        "cookie",
        "cookies",
        "consent",
        "popup",
        "modal",
        "comments",
        "comment",
        "pagination",
        "pager",
        "toolbar",
        "skip",
        "topbar",
        "bottombar",
    }
)
# Words that name the article's own text. A name with one of these and no furniture word marks the
# element as content ("article-body", "entry-content", "l-article-body-segment", "main-content"); "main"
# or "post" alone does not ("taboola-bottom-main-column-mix" is an ad slot, "post-navigation" furniture).
CONTENT_WORDS = frozenset({"body", "content", "text", "prose"})

# Names that describe something else than the element: the post's taxonomy (WordPress' post_class and
# body_class: category-*, tag-*, format-*, type-*, status-*, post-<id>, ...) and states (has-sidebar).
_SAYS_NOTHING = re.compile(
    r"(?:category|tag|format|type|status|term|taxonomy|postid|page-id)-|post-\d|(?:has|with|no|is)-", re.IGNORECASE
)
_NEGATIONS = frozenset({"not", "no", "non", "free", "less", "without"})
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_MOST = 0.5  # an element holding more than this share of the page's text (and its headline) is a frame
_NEARLY_ALL = 0.8  # ... or more than this share, headline or not
_MEASURE_BUDGET = 8  # text measured for that, at most this many times the page's text (bounds nesting)
_TEXT_SIZE = lxml.etree.XPath("string-length(normalize-space(.))")


def _one_name_says(name: str) -> tuple[bool, bool]:
    """(names furniture, names content) for one class name or id."""
    words = _words(name)
    furniture, content = not words.isdisjoint(FURNITURE_WORDS), not words.isdisjoint(CONTENT_WORDS)
    if not (furniture or content):
        return False, False  # most names: decided without a regular expression
    if furniture and content:
        return False, False  # "sr-body-share-wrapper", "sidebar-content": the name alone cannot tell
    if not words.isdisjoint(_NEGATIONS) or _SAYS_NOTHING.match(name):
        return False, False  # "adNotPlaying", "ad-free": a state; "category-social-media": taxonomy
    return furniture, content


# Everything that is not a letter separates words; so does a capital after a small letter (camelCase).
_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalpha()})


def _words(name: str) -> set[str]:
    if name.islower():
        return set(name.translate(_SEPARATORS).split())
    return {w.lower() for w in _WORDS.findall(name)}


# Names repeat across a page and across pages ("menu-item", "entry-content"): each is read once per run.
_ONE_NAME: dict[str, tuple[bool, bool]] = {}
_ONE_NAME_LIMIT = 1 << 16


def _name_says(names: str) -> tuple[bool, bool]:
    """(names furniture, names content) for a class or id attribute value."""
    furniture = content = False
    cache = _ONE_NAME
    for name in names.split():
        said = cache.get(name)
        if said is None:
            said = _one_name_says(name)
            if len(cache) < _ONE_NAME_LIMIT:
                cache[name] = said
        furniture = furniture or said[0]
        content = content or said[1]
    return furniture, content


class Furniture:
    """The furniture of one tree, decided top-down and once per element, for the elements asked about
    (the page's links and text URLs) and their ancestors only. An element is inside furniture when it or
    an ancestor is furniture; an element is furniture when its tag, role or names say so, no embedded
    post is inside it, and it is not the frame around the article. ``off``: nothing is furniture."""

    def __init__(self, root: Any, holders: Iterable[Any] = (), *, off: bool = False) -> None:
        body = root.find("body")
        self._body = root if body is None else body
        self._holders = set(holders)
        self._off = off
        self._inside: dict[Any, bool] = {}
        self._names: dict[str, tuple[bool, bool]] = {}
        self._page: _Page | None = None
        self.roots: list[Any] = []  # the furniture elements decided, in the order they were

    def inside(self, el: Any) -> bool:
        if self._off:
            return False
        known = self._inside
        verdict = known.get(el)
        if verdict is not None:
            return verdict
        chain = []
        node = el
        while node is not None:
            verdict = known.get(node)
            if verdict is not None:
                break
            if node is self._body or node.tag in ("body", "html"):
                verdict = False  # page-wide classes (themes, layouts) say nothing about one element
                break
            chain.append(node)
            node = node.getparent()
        inside = bool(verdict)
        for node in reversed(chain):  # from the top down: inside furniture, everything is furniture
            if not inside and self._names_furniture(node) and node not in self._holders and not self._frame(node):
                inside = True
                self.roots.append(node)
            known[node] = inside
        return inside

    def _names_furniture(self, el: Any) -> bool:
        tag = el.tag
        if tag in FURNITURE_TAGS:
            return True
        if not isinstance(tag, str):
            return False
        cls, id_, role = el.get("class"), el.get("id"), el.get("role")
        if role is not None:
            role = role.strip().lower()
            if role in FURNITURE_ROLES:
                return True
        elif cls is None and id_ is None:
            return False
        furniture = content = False
        for names in (cls, id_):
            if names is not None:
                said = self._names.get(names)
                if said is None:
                    said = self._names[names] = _name_says(names)
                furniture = furniture or said[0]
                content = content or said[1]
        return furniture and not (content or tag in CONTENT_TAGS or role in CONTENT_ROLES)

    def _frame(self, el: Any) -> bool:
        if self._page is None:
            self._page = _Page(self._body)
        return self._page.is_frame(el)


class _Page:
    """Whether an element is the frame around the article: it holds most of the page's text, and the
    headline too unless it holds nearly all of it (a comment thread can outgrow its article, but it
    does not hold the article's headline), and that text is mostly not link text (a mega-menu or a
    sidebar of headlines can hold most of a page's words)."""

    def __init__(self, body: Any) -> None:
        self.text = max(1.0, _text_size(body))
        self.headline = next(body.iter("h1"), None)
        self._budget = _MEASURE_BUDGET * self.text

    def is_frame(self, el: Any) -> bool:
        if self._budget <= 0:
            return True  # nested past any real layout: keep its links rather than guess
        size = _text_size(el)
        self._budget -= size
        if size <= _MOST * self.text:
            return False  # cannot hold most of the text
        if _link_text(el) > _MOST * size:
            return False  # most of what it holds is links: a menu, a list of headlines
        if size > _NEARLY_ALL * self.text:
            return True
        return self.headline is not None and (el is self.headline or el in self.headline.iterancestors())


def _text_size(el: Any) -> float:
    """The element's text, spaces normalised, less what its scripts and styles hold (not the page's)."""
    size = float(_TEXT_SIZE(el))
    for hidden in el.iter("script", "style"):
        size -= float(_TEXT_SIZE(hidden))
    return max(size, 0.0)


def _link_text(el: Any) -> float:
    # One measure per link; an XPath over all links' text nodes at once merges node sets in quadratic time.
    return float(sum(_TEXT_SIZE(a) for a in el.iter("a")))
