"""resolver: find the social posts and shortened links an article cites; resolve them to canonical URLs.

The flow is one-way: read → scan → resolve → enrich → write. The public API below is what the command
line uses; see README.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import BlockedError, CassetteMissError, FetchError, ResolverError, SourceError, StoreError
from .models import Document, Hop, Link, Media, Post, PostMeta, Resolution, ResolvedRecord
from .read import decode, detect_kind, read_source
from .resolve.canonical import canonical_url
from .scan import scan

__all__ = [
    "BlockedError",
    "CassetteMissError",
    "Document",
    "FetchError",
    "Hop",
    "Link",
    "Media",
    "Post",
    "PostMeta",
    "Resolution",
    "ResolvedRecord",
    "ResolverError",
    "SourceError",
    "StoreError",
    "__version__",
    "canonical_url",
    "decode",
    "detect_kind",
    "read_source",
    "scan",
]
