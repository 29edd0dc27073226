"""Resolution against cassettes built from the real samples, and against a loopback web for faults."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from resolver.models import Resolution
from resolver.net import HostLimiter, RetryPolicy, make_client
from resolver.net.cassette import CassetteTransport
from resolver.resolve.hops import ResolveOptions, resolve_url

from .conftest import SHARED, ConnectRecorder
from .webserver import FakeDNS, huge, reset, serve, trickle

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


class Sleeps:
    """An injected sleep: records what the policy asked for, waits for nothing."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def options(**kw: object) -> ResolveOptions:
    sleeps = kw.pop("sleeps", Sleeps())
    policy = RetryPolicy(attempts=int(kw.pop("attempts", 4)), sleep=sleeps)  # type: ignore[arg-type]
    return ResolveOptions(policy=policy, **kw)  # type: ignore[arg-type]


def resolve_with_cassettes(url: str, *paths: Path, **kw: object):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        transport = CassetteTransport.from_paths(*paths)
        async with make_client(transport=transport) as client:
            return await resolve_url(url, client, options(**kw))

    return asyncio.run(go())


def resolve_live(url: str, **kw: object):  # type: ignore[no-untyped-def]
    timeout = float(kw.pop("timeout", 5.0))  # type: ignore[arg-type]

    async def go():  # type: ignore[no-untyped-def]
        allow = bool(kw.get("allow_private", True))
        kw.setdefault("allow_private", True)
        async with make_client(allow_private=allow, timeout=timeout) as client:
            return await resolve_url(url, client, options(**kw))

    return asyncio.run(go())


# --- cassettes ---------------------------------------------------------------------------------------

TCO = CASSETTES / "shorteners" / "t.co.yaml"
BITLY = CASSETTES / "shorteners" / "bit.ly.yaml"
OWLY = CASSETTES / "shorteners" / "ow.ly.yaml"


def test_tco_301_then_page_strips_tracking() -> None:
    page = CASSETTES / "scenarios" / "pages.yaml"
    res = resolve_with_cassettes("https://t.co/AbCdEf1234", TCO, page)
    assert res.status == "ok"
    assert [(h.status, h.via) for h in res.hops] == [(301, "http"), (200, "http")]
    assert res.final_url == "https://www.example.com/news/2025/03/council-vote?utm_source=twitter&utm_medium=social"
    assert res.canonical_url == "https://www.example.com/news/2025/03/council-vote"
    assert res.title == "Council votes on the river park"


def test_pic_twitter_is_the_tco_code_and_a_tweet_stops_the_chain() -> None:
    res = resolve_with_cassettes("https://pic.twitter.com/PiCcOdE123", TCO)
    assert res.status == "ok"
    assert res.hops[0].url == "https://t.co/PiCcOdE123"
    assert len(res.hops) == 1  # no request to twitter.com
    assert res.canonical_url == "https://x.com/janedoe/status/1500000000000000001"


def test_chain_tco_to_bitly_to_site() -> None:
    page = CASSETTES / "scenarios" / "pages.yaml"
    res = resolve_with_cassettes("https://t.co/ChAiN00001", TCO, BITLY, page)
    assert res.status == "ok"
    assert [h.url for h in res.hops][:2] == ["https://t.co/ChAiN00001", "https://bit.ly/3ChAiNx"]
    assert res.canonical_url == "https://www.example.com/reports/parks-2024"  # fbclid removed


@pytest.mark.parametrize(("url", "cassette"), [("https://t.co/DeAdC0de00", TCO), ("https://ow.ly/oldlink1", OWLY)])
def test_dead_links(url: str, cassette: Path) -> None:
    res = resolve_with_cassettes(url, cassette)
    assert res.status == "dead" and res.error and "404" in res.error


def test_missing_interaction_is_an_item_error_naming_method_and_url() -> None:
    res = resolve_with_cassettes("https://t.co/NotInTheCassette", TCO)
    assert res.status == "error"
    assert res.error == "cassette has no interaction for GET https://t.co/NotInTheCassette"


def test_browser_tco_page_is_followed_by_meta_refresh() -> None:
    res = resolve_with_cassettes("https://t.co/BrOwSeR001", CASSETTES / "scenarios" / "tco-browser-page.yaml")
    assert res.hops[0].via == "meta-refresh"
    assert res.hops[1].url == "https://www.example.org/from-refresh" and res.status == "ok"


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not present")
def test_the_recorded_tco_browser_answer() -> None:
    sample = SHARED / "http-samples" / "tco" / "transcribed" / "tco_get_browserlike_ua_200_meta_refresh.yaml"
    res = resolve_with_cassettes("http://t.co/oPQO7Xdz", sample)
    assert res.hops[0].status == 200 and res.hops[0].via == "meta-refresh"
    # the chain went as far as the target; the cassette holds nothing more: an error at that hop
    assert res.final_url == "http://mdoc.su/n/curl"
    assert res.status == "error" and "GET http://mdoc.su/n/curl" in (res.error or "")


def test_script_redirect_with_escaped_slashes() -> None:
    res = resolve_with_cassettes("https://t.co/ScRiPt0001", CASSETTES / "scenarios" / "tco-browser-page.yaml")
    assert res.hops[0].via == "script"
    assert res.hops[1].url == "https://www.example.org/from-script"


def test_lnkd_in_interstitial() -> None:
    res = resolve_with_cassettes("https://lnkd.in/eXaMpLe", CASSETTES / "scenarios" / "lnkd-in-interstitial.yaml")
    assert res.hops[0].via == "interstitial"
    assert res.canonical_url == "https://www.example.org/linked-article"


# --- loopback faults ---------------------------------------------------------------------------------


def test_honest_user_agent_and_relative_locations() -> None:
    with serve() as web:
        web.route("/a")(lambda r: r.redirect("/b?x=1&utm_source=z", 302))
        web.route("/b")(lambda r: r.redirect(f"{web.base}/c", 308))
        web.route("/c")(lambda r: r.reply(200, b"<title>C</title>"))
        res = resolve_live(f"{web.base}/a")
        assert res.status == "ok" and res.final_url == f"{web.base}/c"
        assert [h.status for h in res.hops] == [302, 308, 200]
        assert all(ua.startswith("resolver/") for ua in web.user_agents)


def test_429_with_retry_after_is_honoured_then_succeeds() -> None:
    sleeps = Sleeps()
    with serve() as web:

        @web.route("/busy")
        def busy(r):  # type: ignore[no-untyped-def]
            if web.hits["/busy"] < 2:
                r.reply(429, b"slow down", {"Retry-After": "7"})
            else:
                r.reply(200, b"<title>ok</title>")

        res = resolve_live(f"{web.base}/busy", sleeps=sleeps)
    assert res.status == "ok" and web.hits["/busy"] == 2
    assert sleeps.calls == [7.0]


def test_503_burst_then_error_after_retries() -> None:
    sleeps = Sleeps()
    with serve() as web:
        web.route("/down")(lambda r: r.reply(503, b"unavailable"))
        res = resolve_live(f"{web.base}/down", sleeps=sleeps, attempts=3)
    assert res.status == "error" and "503" in (res.error or "")
    assert web.hits["/down"] == 3 and len(sleeps.calls) == 2
    assert all(0 < s <= 8 for s in sleeps.calls)  # exponential backoff with jitter, capped


def test_other_4xx_are_not_retried() -> None:
    with serve() as web:
        web.route("/forbidden")(lambda r: r.reply(403, b"no"))
        res = resolve_live(f"{web.base}/forbidden")
    assert res.status == "error" and web.hits["/forbidden"] == 1


def test_connection_reset_is_retried_then_reported() -> None:
    with serve() as web:
        web.route("/reset")(reset)
        res = resolve_live(f"{web.base}/reset", attempts=2)
    # aiohttp itself re-sends once when a kept-alive connection is reset, so 2 tries are 2 to 4 requests
    assert res.status == "error" and 2 <= web.hits["/reset"] <= 4


def test_slow_body_times_out() -> None:
    with serve() as web:
        web.route("/slow")(lambda r: trickle(r, 50, 0.2))
        res = resolve_live(f"{web.base}/slow", attempts=1, timeout=0.5)
    assert res.status == "error" and "timed out" in (res.error or "")


def test_huge_body_is_never_read_past_the_cap() -> None:
    with serve() as web:
        web.route("/huge")(lambda r: huge(r, 200 * 1024 * 1024))
        res = resolve_live(f"{web.base}/huge", max_body=64 * 1024)
        assert res.status == "ok"
        assert web.bytes_sent < 16 * 1024 * 1024  # we stopped reading; the server could not push it all


def test_redirect_loop_and_endless_chain_are_blocked() -> None:
    with serve() as web:
        web.route("/loop1")(lambda r: r.redirect("/loop2"))
        web.route("/loop2")(lambda r: r.redirect("/loop1"))
        web.route("/chain/*")(lambda r: r.redirect(f"/chain/{int(r.path.rsplit('/', 1)[1]) + 1}"))
        loop = resolve_live(f"{web.base}/loop1")
        chain = resolve_live(f"{web.base}/chain/0", max_hops=5)
    assert loop.status == "blocked" and "loop" in (loop.error or "")
    assert chain.status == "blocked" and "too many hops" in (chain.error or "") and len(chain.hops) == 5


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://[::1]:{port}/",
        "http://localhost:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://10.0.0.1/",
    ],
)
def test_private_addresses_are_refused_before_any_connection(url: str) -> None:
    with serve() as web:
        res = resolve_live(url.format(port=web.server_address[1]), allow_private=False)
        assert res.status == "blocked" and "non-public" in (res.error or "")
        assert sum(web.hits.values()) == 0


def test_redirect_into_a_private_address_is_refused() -> None:
    async def go():  # type: ignore[no-untyped-def]
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

        async with make_client(transport=httpx.MockTransport(handler)) as client:
            return await resolve_url("https://public.example.com/r", client, options())

    res = asyncio.run(go())
    assert res.status == "blocked" and [h.status for h in res.hops] == [302]


def test_dns_names_are_checked_after_resolution_at_connect_time(connections: ConnectRecorder) -> None:
    """A name (not an IP literal, not "localhost") whose DNS answer is non-public is refused by the
    connector's resolver, after DNS, each time it is looked up: a rebinding name gains nothing."""
    with serve() as web, FakeDNS({"rebinding.test": ["127.0.0.1", "::1"]}) as dns:

        async def go() -> list[Resolution]:
            async with make_client(dns_servers=[dns.server]) as client:
                url = f"http://rebinding.test:{web.server_address[1]}/"
                return [await resolve_url(url, client, options()) for _ in range(2)]

        results = asyncio.run(go())
        assert sum(web.hits.values()) == 0
    assert [r.status for r in results] == ["blocked", "blocked"]
    assert [r.error for r in results] == ["refused: non-public address (rebinding.test resolves to 127.0.0.1, ::1)"] * 2
    assert connections.addresses == []


def test_per_host_limit_holds() -> None:
    import threading

    in_flight = 0
    peak = 0
    lock = threading.Lock()
    with serve() as web:

        @web.route("/slowish/*")
        def slowish(r):  # type: ignore[no-untyped-def]
            nonlocal in_flight, peak
            import time

            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.05)
            with lock:
                in_flight -= 1
            r.reply(200, b"<title>x</title>")

        async def go() -> None:
            limiter = HostLimiter(per_host=3)
            async with make_client(allow_private=True) as client:
                opts = options(allow_private=True, limiter=limiter)
                await asyncio.gather(*(resolve_url(f"{web.base}/slowish/{i}", client, opts) for i in range(12)))

        asyncio.run(go())
    assert 1 <= peak <= 3


def test_the_test_guard_refuses_public_addresses() -> None:
    import socket

    from .conftest import NetworkUseError

    with pytest.raises(NetworkUseError), socket.socket() as s:
        s.connect(("93.184.216.34", 80))


def test_landing_page_metadata_from_opengraph_and_json_ld() -> None:
    head = (
        '<html><head><title>Fallback title</title><meta property="og:title" content="Council votes yes">'
        '<meta property="og:site_name" content="The Example Times"><meta name="description" content="A vote.">'
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
        '"headline":"Council votes","datePublished":"2025-03-12T20:00:00-05:00",'
        '"author":[{"@type":"Person","name":"Ana Writer"},{"@type":"Person","name":"Bo Reporter"}]}</script>'
        "</head><body>story</body></html>"
    )

    async def go():  # type: ignore[no-untyped-def]
        transport = httpx.MockTransport(lambda r: httpx.Response(200, html=head))
        async with make_client(transport=transport) as client:
            return await resolve_url("https://news.example.com/story", client, options())

    res = asyncio.run(go())
    assert res.page == {
        "title": "Council votes yes",
        "site_name": "The Example Times",
        "description": "A vote.",
        "author": "Ana Writer, Bo Reporter",
        "published": "2025-03-12T20:00:00-05:00",
    }


@pytest.mark.parametrize(
    ("target", "stops"),
    [
        ("https://www.facebook.com/common/browser.php", True),
        ("https://www.instagram.com/accounts/login/?next=/p/x/", True),
        ("https://blog.example.com/login-tips-for-writers", False),
        ("https://news.example.com/author/jane", False),
    ],
)
def test_login_walls_end_the_chain_before_them(target: str, stops: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(302, headers={"Location": target})
        return httpx.Response(200, html="<title>page</title>")

    async def go():  # type: ignore[no-untyped-def]
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            return await resolve_url("https://site.example.com/start", client, options())

    res = asyncio.run(go())
    assert res.status == "ok"
    assert res.final_url == ("https://site.example.com/start" if stops else target)


@pytest.mark.parametrize(
    "json_ld",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than any JSON parser goes
        '{"@type": "NewsArticle", "headline": "Deep", "author": ' + "[" * 900 + '{"name": "A"}' + "]" * 900 + "}",
    ],
)
def test_deeply_nested_json_ld_is_read_as_far_as_it_makes_sense(json_ld: str) -> None:
    head = f'<html><head><title>Page</title><script type="application/ld+json">{json_ld}</script></head></html>'

    async def go():  # type: ignore[no-untyped-def]
        transport = httpx.MockTransport(lambda r: httpx.Response(200, html=head))
        async with make_client(transport=transport) as client:
            return await resolve_url("https://news.example.com/deep", client, options(max_body=1024 * 1024))

    res = asyncio.run(go())
    assert res.status == "ok" and res.error is None
    assert res.page and res.page["title"] in ("Page", "Deep") and "author" not in res.page
