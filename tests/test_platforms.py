"""The platform contract: every registered platform recognises its own example and canonical URL."""

from __future__ import annotations

import pytest

from resolver.platforms import PLATFORMS, canonical_post_url, match_post_url


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)
def test_example_url_matches_with_its_id(platform) -> None:  # type: ignore[no-untyped-def]
    ref = match_post_url(platform.example_url)
    assert ref is not None and ref.platform == platform.name and ref.post_id == platform.example_id
    again = match_post_url(canonical_post_url(ref))
    assert again is not None and again.post_id == ref.post_id and again.platform == platform.name


def test_registry_names_are_unique() -> None:
    names = [p.name for p in PLATFORMS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://twitter.com/nypost/status/1900585367213855037/photo/1", ("twitter", "1900585367213855037")),
        ("https://mobile.twitter.com/a/statuses/55?s=20", ("twitter", "55")),
        ("https://x.com/i/web/status/123456", ("twitter", "123456")),
        ("https://twitter.com/#!/user/status/987654", ("twitter", "987654")),
        ("https://fxtwitter.com/u/status/42", ("twitter", "42")),
        ("https://youtu.be/dQw4w9WgXcQ?si=x", ("youtube", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", ("youtube", "dQw4w9WgXcQ")),
        # the id ends at the first non-digit: Substack's likes links, junk a CMS left after the id
        ("https://twitter.com/u/status/1607698647084568576?s=20/likes", ("twitter", "1607698647084568576")),
        ("https://twitter.com/u/status/1636000000000000001/retweets", ("twitter", "1636000000000000001")),
        ("https://twitter.com/u/status/1314065374480986114)", ("twitter", "1314065374480986114")),
        ("https://www.youtube.com/embed/videoseries?list=PL0123456789", None),  # a playlist, eleven letters
        ("https://www.youtube.com/embed/live_stream?channel=UC123", None),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0", ("youtube", "dQw4w9WgXcQ")),
        ("https://medium.com/@someone/123456", None),
        ("https://twitter.com/intent/tweet?text=x", None),
        ("https://twitter.com/janedoe", None),
    ],
)
def test_url_forms(url: str, expected: tuple[str, str] | None) -> None:
    ref = match_post_url(url)
    assert (ref.platform, ref.post_id) == expected if ref else expected is None
