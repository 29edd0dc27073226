"""Network metadata fetchers, one per platform that has a public, keyless source of post metadata.

Each is ``async (PostRef, AsyncClient) -> PostMeta | None``; None means "nothing better than the markup".
"""

from __future__ import annotations

from ..enrich import Fetcher


def default_fetchers() -> dict[str, Fetcher]:
    return {}
