"""``resolver platforms``: the registry, one line a platform — an example post URL and its metadata sources."""

from __future__ import annotations

import typer


def platforms_command() -> None:
    """List the supported platforms: an example post URL each, and the keyless metadata sources tried in order.

    A post's metadata comes from its embed markup first; then each source is asked in turn until one answers
    (a source that fails is skipped; the record is error only if none answered and one failed). A platform
    with no keyless source keeps the markup's fields (post.source "markup").
    """
    from ..platforms import PLATFORMS
    from ..platforms.http import sources_of

    for platform in PLATFORMS:
        sources = " > ".join(sources_of(platform.fetch)) or "none (markup only)"
        typer.echo(f"{platform.name:10} {platform.example_url:64} sources: {sources}")
