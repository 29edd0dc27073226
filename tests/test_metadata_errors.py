"""A post's status covers its metadata: every failed metadata request is on a record, as METHOD URL.

The pass loop plays the maintainers' check: start from an empty cassette, read the requests the records'
``error``s name, add the service's answer for each, run again — until no record says ``error``. The answers
come from the project's platform cassettes (recorded, or constructed on the recorded samples' shapes), so
the loop also checks that the fetchers ask exactly what those services answer.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from resolver.enrich import Enricher
from resolver.models import ResolvedRecord
from resolver.net import RetryPolicy, make_client
from resolver.net.cassette import CassetteTransport, _key
from resolver.pipeline import RunOptions, run
from resolver.platforms import BY_NAME, PLATFORMS
from resolver.platforms.http import Failure, sources_of, summarize
from resolver.read import read_source
from resolver.resolve.hops import ResolveOptions
from resolver.store import MemoryStore

from .conftest import FIXTURES

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
PAGE = FIXTURES / "metadata-embeds.html"
NAMED = re.compile(r"\b(GET|POST|HEAD) (https?://\S+)")


async def _no_sleep(_: float) -> None:
    return None


def _options() -> RunOptions:
    return RunOptions(resolve=ResolveOptions(policy=RetryPolicy(attempts=2, sleep=_no_sleep)))


def _world() -> dict[tuple[str, str], dict[str, Any]]:
    """What the services answer, by request: every platform cassette and the tweet-chain scenario."""
    answers: dict[tuple[str, str], dict[str, Any]] = {}
    paths = [*sorted((CASSETTES / "platforms").glob("*.yaml")), CASSETTES / "scenarios" / "tweet-syndication.yaml"]
    for path in paths:
        for interaction in yaml.safe_load(path.read_text("utf-8"))["interactions"]:
            request = interaction["request"]
            answers.setdefault(_key(request["method"], request["uri"]), interaction)
    # Not recorded for this tweet: the syndication endpoint's documented "not found" answer, `{}` (samples
    # README §3.3), so its oEmbed (recorded) has to stand in.
    syndication = "https://cdn.syndication.twimg.com/tweet-result?id=702136612822634496&lang=en&token=1p9ts2zrvt9"
    answers[_key("GET", syndication)] = _answer(syndication, 200, {"Content-Type": ["application/json"]}, "{}")
    # The recorded oEmbed text carries t.co links only; t.co answers a plain client with a 301 (the shape of
    # shared/http-samples/tco/transcribed/), here to a page of this test's own.
    for code in ("R8Jg36xaQx", "mIwKR0fzGR"):
        target = f"https://www.example.org/rgsoc/{code}"
        answers[_key("GET", f"https://t.co/{code}")] = _answer(
            f"https://t.co/{code}", 301, {"location": [target], "server": ["tsa_a"], "content-length": ["0"]}, ""
        )
        answers[_key("GET", target)] = _answer(
            target, 200, {"Content-Type": ["text/html"]}, "<html><title>Campaign</title></html>"
        )
    return answers


def _answer(uri: str, status: int, headers: dict[str, list[str]], body: str) -> dict[str, Any]:
    return {
        "request": {"method": "GET", "uri": uri},
        "response": {"status": {"code": status}, "headers": headers, "body": {"string": body}},
    }


def _run(page: Path, interactions: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    async def go() -> tuple[list[ResolvedRecord], list[tuple[str, str]]]:
        transport = CassetteTransport(interactions)
        async with make_client(transport=transport) as client:
            records = await run([read_source(str(page))], client=client, options=_options())
        return records, transport.requests

    records, requests = asyncio.run(go())
    return [r.to_dict() for r in records], requests


def test_a_replayed_check_answering_the_named_requests_pass_by_pass_converges() -> None:
    world = _world()
    cassette: list[dict[str, Any]] = []
    passes = 0
    while True:
        records, requests = _run(PAGE, cassette)
        passes += 1
        errors = [r for r in records if r["status"] == "error"]
        asked = {(m, u) for r in errors for m, u in NAMED.findall(r["error"])}
        known = {_key(i["request"]["method"], i["request"]["uri"]) for i in cassette}
        missed = {key for key in requests if key not in known}
        # No hidden failure: every request the cassette lacked is the one an error names, or stands behind
        # "(+N more)" of an error that names another request of the same post.
        named = {_key(m, u) for m, u in asked}
        assert named <= missed, "an error names a request that did not miss"
        unnamed = missed - named
        counted = sum(int(n) for r in errors for n in re.findall(r"\(\+(\d+) more\)", r["error"]))
        assert len(unnamed) <= counted, f"missed requests that no error accounts for: {sorted(unnamed)}"
        if not errors:
            assert not missed
            break
        assert asked and all(e["post"] is not None for e in errors if e["kind"] == "post")
        for method, url in sorted(asked):
            answer = world.get(_key(method, url))
            assert answer is not None, f"the fetchers asked for something no service was recorded answering: {url}"
            cassette.append(answer)
        assert passes < 10, "the pass loop does not converge"
    posts = {r["post_id"]: r for r in records if r["kind"] == "post"}
    # The longest chain: syndication {} → oEmbed → its two t.co links, each a hop to its page, one a pass.
    assert passes == 7
    assert posts["1500000000000000006"]["status"] == "dead"
    assert posts["1500000000000000005"]["status"] == "dead"  # the tombstone
    sources = {p["platform"]: p["post"]["source"] for p in posts.values() if p["status"] == "ok"}
    assert sources == {
        "twitter": sources["twitter"],
        "bluesky": "api",
        "mastodon": "api",
        "youtube": "oembed",
        "tiktok": "oembed",
        "reddit": "oembed",
        "instagram": "oembed",
        "facebook": "oembed",
        "threads": "oembed",
    }
    assert posts["702136612822634496"]["post"]["source"] == "oembed"  # syndication said {}: oEmbed stood in
    assert posts["1500000000000000001"]["post"]["source"] == "syndication"


def test_first_pass_on_an_empty_cassette_every_post_says_error_with_its_markup() -> None:
    records, requests = _run(PAGE, [])
    posts = [r for r in records if r["kind"] == "post"]
    assert posts and all(p["status"] == "error" for p in posts)
    for post in posts:
        assert post["error"].startswith("cassette has no interaction for GET https://")
        assert post["post"]["source"] == "markup" and post["post"]["id"] == post["post_id"]
    tiktok = next(p for p in posts if p["platform"] == "tiktok")
    assert tiktok["post"]["text"] == "POV u work at a big company"  # the markup's text is kept
    twitter = next(p for p in posts if p["post_id"] == "1500000000000000006")
    assert twitter["error"].endswith("(+2 more)") and "cdn.syndication.twimg.com" in twitter["error"]
    assert len(requests) == len(set(requests))  # each post fetched once, whatever the number of records


def test_summary_names_the_first_failure_and_counts_distinct_others() -> None:
    first = Failure("GET", "https://a.example/1", "cassette has no interaction for GET https://a.example/1")
    second = Failure("GET", "https://b.example/2", "connection refused by b.example:443")
    assert summarize([first]) == "cassette has no interaction for GET https://a.example/1"
    assert summarize([first, second, second]) == "cassette has no interaction for GET https://a.example/1 (+1 more)"
    assert summarize([second]) == "GET https://b.example/2 failed: connection refused by b.example:443"


# --- live failures: each kind a cron user must see -----------------------------------------------------

YOUTUBE = "https://www.youtube.com/watch?v=pO5L6vXtxsI"


def _enrich(url: str, handler: Any, store: MemoryStore | None = None) -> Any:
    async def go() -> Any:
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            enricher = Enricher(client, store or MemoryStore(), policy=RetryPolicy(attempts=2, sleep=_no_sleep))
            return await enricher.for_url(url)

    return asyncio.run(go())


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def _time_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (lambda request: httpx.Response(503, text="busy"), "failed: HTTP 503 after 2 tries"),
        (lambda request: httpx.Response(429, headers={"Retry-After": "3600"}), "retry after 60 min"),
        (_refuse, "failed: "),
        (_time_out, "failed: "),
    ],
    ids=["5xx-after-retries", "long-retry-after", "connection-refused", "timeout"],
)
def test_a_failed_fetch_is_an_error_naming_the_request(handler: Any, reason: str) -> None:
    result = _enrich(YOUTUBE, handler)
    assert result.dead is None and result.blocked is None
    assert result.error.startswith("GET https://www.youtube.com/oembed/?") and reason in result.error
    assert result.meta.source == "markup" and result.meta.id == "pO5L6vXtxsI"


def test_an_answer_no_parser_can_read_is_an_error_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"thread": {"post": {"uri": "at://did:plc:x/app.bsky.feed.post/3k", "author": 7}}}
        )

    result = _enrich("https://bsky.app/profile/did:plc:x/post/3kaheyt6vpc22", handler)
    assert result.error.startswith("GET https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?")
    assert "the answer could not be read: AttributeError" in result.error


def test_oembed_fields_of_the_wrong_type_are_ignored_not_passed_on() -> None:
    result = _enrich(YOUTUBE, lambda request: httpx.Response(200, json={"title": ["x"], "author_name": "CKEditor"}))
    assert result.error is None and result.meta.text is None and result.meta.author_name == "CKEditor"


def test_failures_are_not_cached_and_the_next_run_asks_again() -> None:
    store = MemoryStore()
    assert _enrich(YOUTUBE, lambda request: httpx.Response(503), store).error
    assert store.get("post", "youtube:pO5L6vXtxsI") is None
    answer = {"title": "CKEditor 4.5", "author_name": "CKEditor", "author_url": "https://www.youtube.com/@CKEditor"}
    again = _enrich(YOUTUBE, lambda request: httpx.Response(200, json=answer), store)
    assert again.error is None and again.meta.source == "oembed" and again.meta.author_handle == "CKEditor"
    assert store.get("post", "youtube:pO5L6vXtxsI") is not None


def test_sources_that_answer_without_metadata_leave_the_markup_ok() -> None:
    # YouTube answers 401 when the owner turned embedding off: an answer, not a failure; nothing to retry.
    result = _enrich(YOUTUBE, lambda request: httpx.Response(401, text="Unauthorized"))
    assert (result.error, result.dead, result.blocked) == (None, None, None)
    assert result.meta.source == "markup"


def test_a_later_source_stands_in_for_one_that_failed() -> None:
    oembed = {
        "author_name": "Rails Girls Summer of Code",
        "author_url": "https://twitter.com/RailsGirlsSoC",
        "html": '<blockquote class="twitter-tweet"><p lang="en">Hello</p>&mdash; RGSoC (@RailsGirlsSoC) '
        '<a href="https://twitter.com/RailsGirlsSoC/status/702136612822634496">February 23, 2016</a></blockquote>',
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.syndication.twimg.com":
            return httpx.Response(502, text="bad gateway")
        if request.url.host == "publish.twitter.com":
            return httpx.Response(200, json=oembed)
        raise AssertionError(f"FxTwitter is not needed once oEmbed answered: {request.url}")

    result = _enrich("https://twitter.com/RailsGirlsSoC/status/702136612822634496", handler)
    assert result.error is None and result.meta.source == "oembed" and result.meta.text == "Hello"


def test_not_found_from_some_sources_is_not_dead_while_another_failed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.syndication.twimg.com":
            return _refuse(request)
        return httpx.Response(404, json={"code": 404, "message": "NOT_FOUND"})

    result = _enrich("https://x.com/i/status/1500000000000000009", handler)
    assert result.dead is None and result.error.startswith("GET https://cdn.syndication.twimg.com/tweet-result?")


def test_mastodon_oembed_stands_in_when_the_api_fails() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/statuses/"):
            return _time_out(request)
        return httpx.Response(200, json={"type": "rich", "author_name": "Hugo", "html": "<p>Coming soon</p>"})

    result = _enrich("https://fosstodon.org/@gohugoio/113612162726645707", handler)
    assert result.error is None and result.meta.source == "oembed" and result.meta.text == "Coming soon"


def test_a_post_gone_for_good_stays_dead() -> None:
    result = _enrich(
        "https://mastodon.example/@someone/1", lambda request: httpx.Response(404, json={"error": "Not Found"})
    )
    assert result.dead and result.error is None


def test_a_platform_without_a_keyless_source_stays_ok_with_its_markup() -> None:
    async def go() -> list[ResolvedRecord]:
        async with make_client(transport=httpx.MockTransport(_refuse)) as client:
            return await run([read_source(str(PAGE))], client=client, options=_options(), fetchers={})

    records = [r.to_dict() for r in asyncio.run(go())]
    tiktok = next(r for r in records if r["kind"] == "post" and r["platform"] == "tiktok")
    assert (tiktok["status"], tiktok["error"], tiktok["post"]["source"]) == ("ok", None, "markup")


def test_a_post_cited_by_several_records_is_fetched_once_even_when_it_fails(tmp_path: Path) -> None:
    page = tmp_path / "twice.html"
    link = "https://www.youtube.com/watch?v=pO5L6vXtxsI"
    page.write_text(f'<p><a href="{link}">one</a> <a href="{link}&t=3">two</a></p>\n<iframe src="{link}"></iframe>')
    records, requests = _run(page, [])
    assert len(requests) == 1 and len(records) >= 3
    assert {r["status"] for r in records} == {"error"} and len({r["error"] for r in records}) == 1


def test_every_platform_declares_the_sources_its_fetcher_tries() -> None:
    for platform in PLATFORMS:
        assert sources_of(platform.fetch), f"{platform.name} declares no sources"
    assert sources_of(BY_NAME["twitter"].fetch) == ("syndication", "oembed", "fxtwitter")
    assert sources_of(None) == ()


def test_the_platforms_command_lists_each_platforms_sources_in_order() -> None:
    from typer.testing import CliRunner

    from resolver.cli import app

    result = CliRunner().invoke(app, ["platforms"])
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert result.exit_code == 0 and set(lines) == {p.name for p in PLATFORMS}
    for platform in PLATFORMS:
        assert platform.example_url in lines[platform.name]
        assert lines[platform.name].endswith("sources: " + " > ".join(sources_of(platform.fetch)))
