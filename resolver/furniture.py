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
from dataclasses import dataclass, field
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
_MOST = 0.5  # an element holding more than this share of the page's prose (and its headline) is a frame
_NEARLY_ALL = 0.8  # ... or more than this share, headline or not
_MEASURE_BUDGET = 8  # text measured for that, at most this many times the page's text (bounds nesting)
_TEXT_SIZE = lxml.etree.XPath("string-length(normalize-space(.))")
_LINK_TEXT = lxml.etree.XPath(".//a//text()")
MARK = "data-resolver-furniture"  # set on each furniture root, for XPath to test


def _one_name_says(name: str) -> tuple[bool, bool]:
    """(names furniture, names content) for one class name or id."""
    if _SAYS_NOTHING.match(name):
        return False, False
    words = {w.lower() for w in _WORDS.findall(name)}
    if not words.isdisjoint(_NEGATIONS):
        return False, False  # "adNotPlaying", "ad-free": a state, not a kind of element
    furniture, content = not words.isdisjoint(FURNITURE_WORDS), not words.isdisjoint(CONTENT_WORDS)
    if furniture and content:
        return False, False  # "sr-body-share-wrapper", "sidebar-content": the name alone cannot tell
    return furniture, content


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


def _candidates(body: Any, holding: set[Any]) -> list[Any]:
    """The elements whose tag, role or names say furniture, in document order (one pass, in Python:
    the only one over every element of the page, so it is kept lean)."""
    says: dict[str, tuple[bool, bool]] = {}
    out: list[Any] = []
    tags, roles, content_tags, content_roles = FURNITURE_TAGS, FURNITURE_ROLES, CONTENT_TAGS, CONTENT_ROLES
    for el in body.iterdescendants():
        tag = el.tag
        if tag in tags:
            if el not in holding:
                out.append(el)
            continue
        cls, id_, role = el.get("class"), el.get("id"), el.get("role")
        if role is not None:
            role = role.strip().lower()
            if role in roles:
                if el not in holding:
                    out.append(el)
                continue
        elif cls is None and id_ is None:
            continue
        furniture = content = False
        for names in (cls, id_):
            if names is not None:
                said = says.get(names)
                if said is None:
                    said = says[names] = _name_says(names)
                furniture = furniture or said[0]
                content = content or said[1]
        if furniture and not (content or tag in content_tags or role in content_roles) and el not in holding:
            out.append(el)
    return out


@dataclass
class Furniture:
    """A tree's furniture: its outermost elements (each marked with ``MARK``) and everything inside them."""

    roots: list[Any] = field(default_factory=list)
    inside: set[Any] = field(default_factory=set)


def find_furniture(root: Any, holders: Iterable[Any] = ()) -> Furniture:
    """The furniture of a tree: its outermost furniture elements, in document order, each marked with
    ``MARK``, and every element inside them. ``holders``: the elements that hold an embedded post, which
    are never furniture. Removes the tree's scripts and styles (their text is not the page's) when it
    has to measure text."""
    body = root.find("body")
    if body is None:
        body = root
    found = Furniture()
    page: _Page | None = None
    for el in _candidates(body, set(holders)):
        if el in found.inside:
            continue  # decided with the furniture around it
        if page is None:
            lxml.etree.strip_elements(root, "script", "style", with_tail=False)
            page = _Page(body)
        if page.is_frame(el):
            continue
        el.set(MARK, "")
        found.roots.append(el)
        found.inside.update(el.iter())  # the roots are disjoint: each element is added once at most
    return found


class _Page:
    """The page's prose (text outside links), and whether an element is the frame around the article:
    it holds most of the page's prose, and the headline too unless it holds nearly all of it (a
    comment thread can outgrow its article, but it does not hold the article's headline)."""

    def __init__(self, body: Any) -> None:
        self.text = float(_TEXT_SIZE(body))
        self.prose = max(1.0, self.text - _link_text(body))
        self.headline = next(body.iter("h1"), None)
        self._budget = _MEASURE_BUDGET * max(self.text, 1.0)

    def is_frame(self, el: Any) -> bool:
        if self._budget <= 0:
            return True  # nested past any real layout: keep its links rather than guess
        size = float(_TEXT_SIZE(el))
        self._budget -= size
        if size <= _MOST * self.prose:
            return False  # cannot hold most of the prose
        share = (size - _link_text(el)) / self.prose
        if share > _NEARLY_ALL:
            return True
        holds_headline = self.headline is not None and (el is self.headline or el in self.headline.iterancestors())
        return share > _MOST and holds_headline


def _link_text(el: Any) -> float:
    return float(sum(len(t.strip()) for t in _LINK_TEXT(el)))
