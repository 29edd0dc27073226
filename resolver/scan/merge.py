"""One post per post: the merge of a document's findings, shared by the HTML and text scanners.

A page often holds one post more than once: the widget's rendered iframe beside the blockquote it replaced,
the oEmbed HTML a CMS keeps in a ``<script>`` as JSON, a consent placeholder's ``<textarea>``, a lazy-load
attribute, a plain link to a post that is also embedded, the same embed in two sections of the page. The
reader sees one post; so do the records:

1. Posts with the same ``(platform, post_id)`` are one post.
2. A post without an id whose platform, handle and text equal those of exactly one post that has an id is
   that post (the JSON copy whose links the page escaped, a static card without its status link).
3. The record kept is the copy that is an embed rather than a plain link; among embeds, one the page
   displays rather than one it holds as data (``held``: the spans of copies read from a script, a
   textarea or an attribute); then the first in source order. Its span and line are the reader's: where
   the post is shown. Displayed copies that stand side by side with nothing visible between them (the
   widget's rendered iframe and the blockquote it replaced) are one embed: given the document's ``text``,
   the kept span covers them all. Fields the kept copy lacks are taken from the other copies in that
   same order; ``embedded`` is true when any copy is an embed.
4. Links that stand inside a held copy that was not kept go with it (the kept copy's links are reported
   where it stands), unless that held copy encloses the kept one (a placeholder around the displayed embed).

Everything else passes through unchanged, in the order given (source order).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import replace

from ..models import Finding, Link, Post

Span = tuple[int, int]
# What a reader does not see: tags, scripts, white space. Possessive, so that a long gap is given up on at its
# first visible character instead of being rewritten whole.
_INVISIBLE = re.compile(r"(?:<script\b.*?</script\s*>|<[^>]*>|\s+)*+", re.DOTALL | re.IGNORECASE)


def merge_posts(findings: Iterable[Finding], *, held: Collection[Span] = (), text: str | None = None) -> list[Finding]:
    """The findings with every post reported once (see the module docstring for the rules)."""
    items = list(findings)
    held_spans = set(held)
    posts = {i: f for i, f in enumerate(items) if isinstance(f, Post)}
    groups: dict[tuple[str, str], list[int]] = {}
    for i, post in posts.items():
        if post.post_id:
            groups.setdefault((post.platform, post.post_id), []).append(i)
    _join_copies_without_id(posts, groups)

    kept: dict[int, Post] = {}
    dropped: set[int] = set()
    dropped_held: list[Span] = []
    for (_, post_id), members in groups.items():
        if len(members) == 1:
            continue
        ranked = sorted(members, key=lambda i: _rank(posts[i], held_spans))
        best = ranked[0]
        kept[best] = _completed([posts[i] for i in ranked], post_id)
        if text is not None:
            kept[best] = _side_by_side(kept[best], [posts[i] for i in ranked[1:]], held_spans, text)
        for i in ranked[1:]:
            dropped.add(i)
            span = posts[i].span
            if span in held_spans and not _encloses(span, posts[best].span):
                dropped_held.append(span)
    out: list[Finding] = []
    for i, f in enumerate(items):
        if i in dropped:
            continue
        if isinstance(f, Link) and dropped_held and any(_encloses(span, f.span) for span in dropped_held):
            continue
        out.append(kept.get(i, f))
    return out


def _rank(post: Post, held: set[Span]) -> tuple[bool, bool, int]:
    return (not post.embedded, post.span in held, post.span[0])


def _encloses(outer: Span, inner: Span) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _completed(copies: list[Post], post_id: str) -> Post:
    """The first copy, its missing fields filled from the others in order."""

    def first_known(name: str) -> str | None:
        return next((value for c in copies if (value := getattr(c, name)) is not None), None)

    best = copies[0]
    return replace(
        best,
        post_id=post_id,
        url=first_known("url"),
        author_name=first_known("author_name"),
        author_handle=first_known("author_handle"),
        published=first_known("published"),
        text=first_known("text"),
        links=next((c.links for c in copies if c.links), ()),
        embedded=any(c.embedded for c in copies),
    )


def _side_by_side(post: Post, others: list[Post], held: set[Span], text: str) -> Post:
    """The kept copy's span widened over the displayed copies that follow it with nothing visible between
    (rule 3). The kept copy is the first displayed one, so none stands before it."""
    end = post.span[1]
    for c in sorted((c for c in others if c.embedded and c.span not in held), key=lambda c: c.span):
        gap = _INVISIBLE.match(text, end, c.span[0]) if c.span[0] >= end else None
        if gap is not None and gap.end() == c.span[0]:
            end = max(end, c.span[1])
    return post if end == post.span[1] else replace(post, span=(post.span[0], end))


def _content_key(post: Post) -> tuple[str, str, str] | None:
    """What identifies a post without its id: platform, handle and text (case, width and spacing folded)."""
    if not post.author_handle or not post.text:
        return None
    text = "".join(unicodedata.normalize("NFKC", post.text).casefold().split())
    return (post.platform, post.author_handle.lstrip("@").casefold(), text) if text else None


def _join_copies_without_id(posts: dict[int, Post], groups: dict[tuple[str, str], list[int]]) -> None:
    """Rule 2: an id-less post joins the one group whose posts have its platform, handle and text."""
    owners: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
    for key, members in groups.items():
        for i in members:
            if (content := _content_key(posts[i])) is not None:
                owners.setdefault(content, set()).add(key)
    if not owners:
        return
    for i, post in posts.items():
        if not post.post_id and (content := _content_key(post)) is not None:
            candidates = owners.get(content, set())
            if len(candidates) == 1:
                groups[next(iter(candidates))].append(i)
