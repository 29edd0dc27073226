"""The values that flow through the pipeline: read → scan → resolve → enrich → write.

All are frozen dataclasses; `to_dict` gives the contract's record shape (see CONTRACT.md / README).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ContentKind = Literal["html", "markdown", "text"]
Status = Literal["ok", "dead", "blocked", "error"]
HopVia = Literal["http", "meta-refresh", "script", "interstitial"]


@dataclass(frozen=True, slots=True)
class Document:
    """One decoded source: the text every span points into."""

    source: str
    text: str
    kind: ContentKind
    base_url: str | None = None
    raw: bytes | None = field(default=None, repr=False)  # the bytes as read, for byte-exact rewriting
    encoding: str | None = None  # the codec the text was decoded with


@dataclass(frozen=True, slots=True)
class Link:
    """A URL as it stands in the source."""

    source: str
    raw: str
    url: str
    shortener: str | None
    in_post: bool
    span: tuple[int, int]
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": "link",
            "span": list(self.span),
            "line": self.line,
            "raw": self.raw,
            "url": self.url,
            "shortener": self.shortener,
            "in_post": self.in_post,
        }


@dataclass(frozen=True, slots=True)
class Post:
    """A social post cited by the source: embedded, or only linked."""

    source: str
    platform: str
    url: str | None
    post_id: str | None
    author_name: str | None
    author_handle: str | None
    published: str | None
    text: str | None
    links: tuple[str, ...]
    embedded: bool
    span: tuple[int, int]
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": "post",
            "span": list(self.span),
            "line": self.line,
            "platform": self.platform,
            "url": self.url,
            "post_id": self.post_id,
            "author_name": self.author_name,
            "author_handle": self.author_handle,
            "published": self.published,
            "text": self.text,
            "links": list(self.links),
            "embedded": self.embedded,
        }


Finding = Link | Post


@dataclass(frozen=True, slots=True)
class Hop:
    url: str
    status: int
    via: HopVia

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "status": self.status, "via": self.via}


@dataclass(frozen=True, slots=True)
class Media:
    type: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "url": self.url}


@dataclass(frozen=True, slots=True)
class PostMeta:
    """Metadata of a post as its platform (or its embed markup) tells it."""

    platform: str
    id: str
    url: str
    author_name: str | None = None
    author_handle: str | None = None
    created_at: str | None = None
    text: str | None = None
    lang: str | None = None
    media: tuple[Media, ...] = ()
    links: tuple[str, ...] = ()
    quoted: str | None = None
    reply_to: str | None = None
    # Where the metadata came from: "markup" (the embed alone), or the platform source that answered:
    # "syndication", "oembed", "fxtwitter", "api", "opengraph". None only for answers cached before it was kept.
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "id": self.id,
            "url": self.url,
            "author_name": self.author_name,
            "author_handle": self.author_handle,
            "created_at": self.created_at,
            "text": self.text,
            "lang": self.lang,
            "media": [m.to_dict() for m in self.media],
            "links": list(self.links),
            "quoted": self.quoted,
            "reply_to": self.reply_to,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PostMeta:
        return cls(
            platform=data["platform"],
            id=data["id"],
            url=data["url"],
            author_name=data.get("author_name"),
            author_handle=data.get("author_handle"),
            created_at=data.get("created_at"),
            text=data.get("text"),
            lang=data.get("lang"),
            media=tuple(Media(m["type"], m["url"]) for m in data.get("media", ())),
            links=tuple(data.get("links", ())),
            quoted=data.get("quoted"),
            reply_to=data.get("reply_to"),
            source=data.get("source"),
        )


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a URL leads: the outcome of following it hop by hop."""

    url: str
    status: Status
    final_url: str | None
    canonical_url: str | None
    hops: tuple[Hop, ...] = ()
    error: str | None = None
    title: str | None = None
    page: dict[str, str] | None = None  # what the landing page says of itself (see pages.py)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "final_url": self.final_url,
            "canonical_url": self.canonical_url,
            "hops": [h.to_dict() for h in self.hops],
            "error": self.error,
            "title": self.title,
            "page": self.page,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Resolution:
        return cls(
            url=data["url"],
            status=data["status"],
            final_url=data.get("final_url"),
            canonical_url=data.get("canonical_url"),
            hops=tuple(Hop(h["url"], h["status"], h["via"]) for h in data.get("hops", ())),
            error=data.get("error"),
            title=data.get("title"),
            page=data.get("page"),
        )


@dataclass(frozen=True, slots=True)
class ResolvedRecord:
    """A finding with what resolve and enrich learnt about it."""

    finding: Finding
    resolution: Resolution | None
    post: PostMeta | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        record = self.finding.to_dict()
        res = self.resolution
        record["status"] = res.status if res else "ok"
        record["final_url"] = res.final_url if res else None
        record["canonical_url"] = res.canonical_url if res else None
        record["hops"] = [h.to_dict() for h in res.hops] if res else []
        record["error"] = res.error if res else None
        record["post"] = self.post.to_dict() if self.post else None
        if record["kind"] == "link":
            record["page"] = res.page if res and res.status == "ok" and self.post is None else None
        record.update(self.extra)
        return record
