"""Post metadata: the syndication token, each platform's fetcher on recorded and constructed answers,
dead posts, caching, and the platform contract (every platform's example enriches to its id)."""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from resolver.enrich import Enricher, snowflake_time
from resolver.net import RetryPolicy, make_client
from resolver.net.cassette import CassetteTransport
from resolver.platforms import PLATFORMS
from resolver.platforms.http import sources_of
from resolver.platforms.jsnumber import syndication_token, to_radix_string
from resolver.store import MemoryStore

from .conftest import SHARED

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


async def _no_sleep(_: float) -> None:
    return None


def enrich(url: str, *cassettes: Path, store: MemoryStore | None = None):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        transport = CassetteTransport.from_paths(*cassettes)
        async with make_client(transport=transport) as client:
            enricher = Enricher(client, store or MemoryStore(), policy=RetryPolicy(attempts=1, sleep=_no_sleep))
            result = await enricher.for_url(url)
            return result, [url for _, url in transport.requests]

    return asyncio.run(go())


# --- the token ---------------------------------------------------------------------------------------


def test_token_matches_the_published_node_values() -> None:
    # Facts computed with Node 20 from react-tweet's expression (samples README §3.3).
    assert syndication_token("20") == "6dq1a2xwd93"
    assert syndication_token("1641086480675225601") == "3z7miaszni8"


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not present")
def test_token_matches_every_pair_in_the_samples_table() -> None:
    readme = (SHARED / "http-samples" / "README.md").read_text()
    pairs = re.findall(r"^\| (\d+) \| [0-9a-z.]+ \| ([0-9a-z]+) \|$", readme, re.M)
    assert len(pairs) >= 7
    for tweet_id, token in pairs:
        assert syndication_token(tweet_id) == token, tweet_id


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_radix_strings_match_javascript_on_random_doubles() -> None:
    rng = random.Random(2026)
    ids = [str(rng.randrange(10**17, 2**63)) for _ in range(300)]
    values = [rng.uniform(0, 5000) for _ in range(200)] + [0.1, 0.5, 1 / 3, 2**-30, 1e-7, 123456.789]
    script = (
        "const ids = JSON.parse(process.argv[1]); const vals = JSON.parse(process.argv[2]);"
        "const token = i => ((Number(i) / 1e15) * Math.PI).toString(36).replace(/(0+|\\.)/g, '');"
        "console.log(JSON.stringify([ids.map(token), vals.map(v => v.toString(36)), vals.map(v => v.toString(7))]))"
    )
    out = subprocess.run(
        ["node", "-e", script, json.dumps(ids), json.dumps(values)], capture_output=True, text=True, check=True
    )
    tokens, base36, base7 = json.loads(out.stdout)
    assert [syndication_token(i) for i in ids] == tokens
    assert [to_radix_string(v, 36) for v in values] == base36
    assert [to_radix_string(v, 7) for v in values] == base7


def test_radix_string_edge_cases() -> None:
    assert to_radix_string(255.5, 16) == "ff.8"
    assert to_radix_string(-12.375, 8) == "-14.3"
    assert to_radix_string(math.inf, 36) == "Infinity"
    with pytest.raises(ValueError):
        to_radix_string(1.0, 37)


def test_snowflake_time() -> None:
    assert snowflake_time("1641086480675225601") == "2023-03-29T14:34:41Z"  # the recorded created_at
    assert snowflake_time("20") is None  # pre-snowflake ids carry no time


# --- twitter -----------------------------------------------------------------------------------------

SYNDICATION = CASSETTES / "scenarios" / "tweet-syndication.yaml"


def test_syndication_tweet_gives_expanded_links_media_quote_and_reply() -> None:
    result, requests = enrich("https://twitter.com/janedoe/status/1500000000000000001", SYNDICATION)
    meta = result.meta
    assert result.dead is None and len(requests) == 1
    assert (meta.author_name, meta.author_handle, meta.lang) == ("Jane Doe", "janedoe", "en")
    assert meta.created_at == "2022-03-05T06:47:23.000Z"
    assert "https://t.co/" not in (meta.text or "")  # links expanded, the media link dropped
    assert meta.links == ("https://www.example.com/news/2025/03/council-vote?utm_source=twitter&utm_medium=social",)
    assert [(m.type, m.url) for m in meta.media] == [("photo", "https://pbs.twimg.com/media/GExAmPlEaAAbbCc.jpg")]
    assert meta.quoted == "https://x.com/someone/status/1500000000000000004"
    assert meta.reply_to == "https://x.com/mayor/status/1499999999999999999"


def test_tombstone_is_dead_with_its_reason() -> None:
    result, _ = enrich("https://x.com/i/status/1500000000000000005", SYNDICATION)
    assert result.dead == "tombstone: This Post was deleted by the Post author."


def test_empty_answers_everywhere_is_dead() -> None:
    result, requests = enrich("https://x.com/i/status/1500000000000000006", SYNDICATION)
    assert result.dead and "not found" in result.dead and len(requests) == 3


def test_html_error_bodies_are_not_json_and_fxtwitter_answers() -> None:
    result, _ = enrich("https://x.com/i/status/1500000000000000007", SYNDICATION)
    meta = result.meta
    assert result.dead is None and meta.author_handle == "fxuser"
    assert meta.created_at == "2025-03-13T01:44:34Z" and meta.media[0].url.endswith("FxPhoto.jpg")


def test_recorded_oembed_when_syndication_is_unavailable() -> None:
    url = "https://twitter.com/RailsGirlsSoC/status/702136612822634496"
    result, requests = enrich(url, CASSETTES / "platforms" / "twitter.yaml")
    meta = result.meta
    assert requests[0].startswith("https://cdn.syndication.twimg.com/")  # tried first, not in the cassette
    assert (meta.author_name, meta.author_handle) == ("Rails Girls Summer of Code", "RailsGirlsSoC")
    assert meta.created_at == "2016-02-23T14:23:08Z"  # the id's snowflake time beats oEmbed's date-only answer
    assert meta.text and meta.text.startswith("Our 2016 fundraising campaign is now open!!")
    assert meta.links == ("https://t.co/R8Jg36xaQx", "https://t.co/mIwKR0fzGR")


# --- other platforms ---------------------------------------------------------------------------------


def test_bluesky_recorded_thread_with_facets_and_media() -> None:
    result, requests = enrich(
        "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22", CASSETTES / "platforms" / "bluesky.yaml"
    )
    meta = result.meta
    assert "resolveHandle" in requests[0] and "getPostThread" in requests[1]
    assert meta.author_handle == "test.marshal.dev" and meta.created_at == "2023-09-28T12:49:36.735Z"
    assert meta.url == "https://bsky.app/profile/did:plc:kvwvcn5iqfooopmyzvb4qzba/post/3kaheyt6vpc22"
    assert meta.media and all(m.url.startswith("https://cdn.bsky.app/img/") for m in meta.media)


def test_bluesky_not_found_and_unknown_handle_are_dead() -> None:
    gone, _ = enrich(
        "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3kgoneaway22",
        CASSETTES / "platforms" / "bluesky.yaml",
    )
    assert gone.dead and gone.dead.startswith("not found: Post not found")
    nobody, _ = enrich(
        "https://bsky.app/profile/nobody-here.bsky.social/post/3kabcdefghi2x", CASSETTES / "platforms" / "bluesky.yaml"
    )
    assert nobody.dead and "does not resolve" in nobody.dead


def test_bluesky_facet_links_are_the_real_targets() -> None:
    from resolver.platforms.bluesky import post_view_meta

    text = "ünï see github.com/snarfed/brid... end"
    start = len("ünï see ".encode())  # 11 bytes, 8 characters
    shown = "github.com/snarfed/brid..."
    post = {
        "uri": "at://did:plc:abc/app.bsky.feed.post/3kxyz",
        "author": {"handle": "a.bsky.social", "displayName": "A"},
        "record": {
            "text": text,
            "createdAt": "2024-02-22T19:58:13.903293+00:00",
            "facets": [
                {
                    "index": {"byteStart": start, "byteEnd": start + len(shown.encode())},
                    "features": [
                        {"$type": "app.bsky.richtext.facet#link", "uri": "https://github.com/snarfed/bridgy-fed"}
                    ],
                }
            ],
        },
    }
    meta = post_view_meta(post)
    assert meta.links == ("https://github.com/snarfed/bridgy-fed",)
    assert meta.text == "ünï see https://github.com/snarfed/bridgy-fed end"  # byte offsets, not characters
    assert meta.url == "https://bsky.app/profile/did:plc:abc/post/3kxyz"


def test_mastodon_recorded_status_and_missing() -> None:
    result, requests = enrich(
        "https://mastodon.example/@mastodonpy_test/117020583223442465", CASSETTES / "platforms" / "mastodon.yaml"
    )
    meta = result.meta
    assert requests == ["https://mastodon.example/api/v1/statuses/117020583223442465"]
    assert meta.text == "Toot!" and meta.author_handle == "mastodonpy_test@mastodon.example"
    assert meta.created_at == "2026-08-01T13:53:15.378Z" and meta.lang == "en"
    missing, _ = enrich("https://mastodon.example/@mastodonpy_test/0", CASSETTES / "platforms" / "mastodon.yaml")
    assert missing.dead and missing.dead.startswith("not found")


def test_youtube_forbidden_is_dead_and_tiktok_handle_from_author_url() -> None:
    forbidden, _ = enrich("https://youtu.be/NHriYTkvd0g", CASSETTES / "platforms" / "youtube.yaml")
    assert forbidden.dead is None  # the recorded 403 was for the youtu.be form; we always ask with watch?v=
    tiktok, _ = enrich(
        "https://www.tiktok.com/@shmemmmy/video/7005293332821822726", CASSETTES / "platforms" / "tiktok.yaml"
    )
    assert (tiktok.meta.author_name, tiktok.meta.author_handle) == ("Emily", "shmemmmy")


def test_enrichment_is_cached() -> None:
    store = MemoryStore()
    first, requests = enrich("https://twitter.com/janedoe/status/1500000000000000001", SYNDICATION, store=store)
    again, requests_again = enrich("https://twitter.com/janedoe/status/1500000000000000001", SYNDICATION, store=store)
    assert requests and not requests_again and again.meta == first.meta
    dead, _ = enrich("https://x.com/i/status/1500000000000000005", SYNDICATION, store=store)
    dead_again, none = enrich("https://x.com/i/status/1500000000000000005", SYNDICATION, store=store)
    assert dead.dead == dead_again.dead and none == []


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)
def test_platform_contract_example_enriches_to_its_id(platform) -> None:  # type: ignore[no-untyped-def]
    cassette = CASSETTES / "platforms" / f"{platform.name}.yaml"
    assert cassette.is_file(), f"{platform.name} has no cassette"
    assert platform.fetch is not None, f"{platform.name} has no fetcher"
    result, requests = enrich(platform.example_url, cassette)
    assert requests, "the fetcher asked nothing"
    assert result.dead is None and result.meta.id == platform.example_id
    assert result.meta.text or result.meta.author_name, "the network added nothing"
    assert result.meta.source in sources_of(platform.fetch), "the answer came from a source it does not declare"


def test_suspended_author_is_dead() -> None:
    result, _ = enrich("https://x.com/i/status/1500000000000000008", SYNDICATION)
    assert result.dead and "suspended" in result.dead


def test_meta_platforms_fall_back_to_opengraph() -> None:
    import httpx

    page = (
        '<html><head><meta property="og:title" content="Zoe Example (@zoe.example) on Threads">'
        '<meta property="og:description" content="12 likes, 3 replies. The actual post text."></head></html>'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if "graph.threads.net" in str(request.url):
            return httpx.Response(500, text="upstream error")
        return httpx.Response(200, html=page)

    async def go():  # type: ignore[no-untyped-def]
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            enricher = Enricher(client, MemoryStore(), policy=RetryPolicy(attempts=1, sleep=_no_sleep))
            return await enricher.for_url("https://www.threads.com/@zoe.example/post/DAbCdEfGhIj")

    meta = asyncio.run(go()).meta
    assert (meta.author_name, meta.author_handle, meta.text) == ("Zoe Example", "zoe.example", "The actual post text.")


def test_mastodon_falls_back_to_oembed_when_the_api_wants_a_login() -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/statuses/"):
            return httpx.Response(401, json={"error": "This API requires an authenticated user"})
        return httpx.Response(
            200,
            json={
                "type": "rich",
                "version": "1.0",
                "author_name": "Hugo",
                "provider_name": "fosstodon.org",
                "html": '<blockquote class="mastodon-embed"><p>Coming in next Hugo: <a href="https://gohugo.io">x</a></p></blockquote>',
            },
        )

    async def go():  # type: ignore[no-untyped-def]
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            enricher = Enricher(client, MemoryStore(), policy=RetryPolicy(attempts=1, sleep=_no_sleep))
            return await enricher.for_url("https://fosstodon.org/@gohugoio/113612162726645707")

    meta = asyncio.run(go()).meta
    assert meta.author_name == "Hugo" and meta.text and meta.text.startswith("Coming in next Hugo")
    assert meta.author_handle == "gohugoio@fosstodon.org"
