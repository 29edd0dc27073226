"""The address guard: no spelling of a non-public address gets a request or a connection, whatever finds it.

The probe: every spelling below is given directly and behind every redirect kind (301, 302, 307, 308, a
``Refresh`` header, ``<meta http-equiv=refresh>``, t.co's ``location.replace`` page). The redirector runs on
127.0.0.1 and is the only endpoint allowed (``--allow-host 127.0.0.1:PORT``); the loopback spellings point
at a second server, the victim, whose hits must stay at zero; a socket recorder checks that no connection
was even attempted anywhere but the redirector. Names resolve through a DNS server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from typer.testing import CliRunner

from resolver.cli import app
from resolver.errors import BlockedError
from resolver.net import RetryPolicy, make_client
from resolver.net.guard import AddressGuard, AllowRule, is_public, normalise
from resolver.pipeline import RunOptions, run
from resolver.read import document
from resolver.resolve.hops import ResolveOptions, resolve_url

from .conftest import ConnectRecorder
from .webserver import FakeDNS, FakeWeb, Request, send_raw_headers, serve

# {v}: the victim's port (a loopback server that must never be reached).
LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:{v}/",
    "http://127。0。0。1:{v}/",  # ideographic full stops
    "http://127．0．0．1:{v}/",  # full-width full stops
    "http://127｡0｡0｡1:{v}/",  # half-width ideographic full stops
    "http://127.0.0。1:{v}/",
    "http://１２７.０.０.１:{v}/",  # full-width digits
    "http://①②⑦.0.0.1:{v}/",  # circled digits (NFKC)
    "http://127.0.0.1.:{v}/",  # trailing dot
    "http://127.0.0.1%2e:{v}/",  # percent-encoded trailing dot
    "http://%31%32%37.0.0.1:{v}/",  # percent-encoded digits
    "http://0x7f000001:{v}/",  # hex dword
    "http://0x7f000001.:{v}/",
    "http://2130706433:{v}/",  # decimal dword
    "http://017700000001:{v}/",  # octal dword
    "http://0177.0.0.1:{v}/",  # octal octet
    "http://0x7f.0.0.1:{v}/",
    "http://0X7F.0x00.0.0x01:{v}/",
    "http://0x7f.1:{v}/",  # short forms
    "http://127.1:{v}/",
    "http://127.0.1:{v}/",
    "http://user:pw@127.0.0.1:{v}/",
    "http://[::ffff:127.0.0.1]:{v}/",  # IPv4-mapped
    "http://[::ffff:7f00:1]:{v}/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{v}/",
    "http://[::127.0.0.1]:{v}/",  # IPv4-compatible
    "http://[::1]:{v}/",
    "http://[0:0:0:0:0:0:0:1]:{v}/",
    "http://[2002:7f00:1::]:{v}/",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::7f00:1]:{v}/",  # NAT64 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{v}/",  # Teredo, client 127.0.0.1
    "http://[fe80::1%25lo]:{v}/",  # a zone id
    "http://localhost:{v}/",
    "http://LOCALHOST.:{v}/",
    "http://ｌｏｃａｌｈｏｓｔ:{v}/",
    "http://%6c%6f%63%61%6c%68%6f%73%74:{v}/",
    "http://www.localhost:{v}/",
    "http://localhost.localdomain:{v}/",
    "http://ip6-localhost:{v}/",
    "http://0.0.0.0:{v}/",  # "this host": Linux connects it to loopback
    "http://0:{v}/",
    "http://[::]:{v}/",
    "http://rebind.test:{v}/",  # a name whose DNS answer is loopback
    "http://dual.test:{v}/",  # answers 10.0.0.1 and ::1
    "http://mapped.test:{v}/",  # answers ::ffff:127.0.0.1 only
    "http://evil.test\\@127.0.0.1:{v}/",  # a browser's host is evil.test (loopback by DNS); naive parsers say 127.0.0.1
    "http://127.0.0.1:{v}@evil.test/",
]
PRIVATE_SPELLINGS = [
    "http://10。0。0。1/",
    "http://10.0.0.1/@alice/109876543210987654",  # a Mastodon status shape on a private host
    "http://10.0.0.1:8080/@alice/109876543210987654",
    "http://169．254．169．254/latest/meta-data/",
    "http://192｡168｡1｡1/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://0251.0376.0251.0376/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[fec0::1]/",
    "http://[ff02::1]/",
    "http://100.64.0.1/",
    "http://172.16.0.1/",
    "http://192.0.0.1/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://metadata.test/latest/meta-data/",  # DNS answers 169.254.169.254
]
DNS = {
    "rebind.test": ["127.0.0.1"],
    "dual.test": ["10.0.0.1", "::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "evil.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "social.test": ["10.0.0.1"],
}
REDIRECT_KINDS = ["direct", "301", "302", "307", "308", "refresh-header", "meta-refresh", "script"]


def test_the_probe_is_big_enough() -> None:
    assert len(LOOPBACK_SPELLINGS) + len(PRIVATE_SPELLINGS) >= 40


# --- the judgement on its own ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [u.format(v=8080) for u in LOOPBACK_SPELLINGS + PRIVATE_SPELLINGS])
def test_every_spelling_is_judged_as_the_connection_would_see_it(url: str) -> None:
    """Addresses and loopback names are refused before any request. A ``.test`` name (parser tricks
    included: a browser's host there is evil.test) is left to DNS, where each answer is judged."""
    guard = AddressGuard()
    if ".test" in url:
        target = guard.judge(url)
        assert target.ip is None and target.name.endswith(".test")
        return
    with pytest.raises(BlockedError) as refused:
        guard.judge(url)
    assert str(refused.value).startswith("refused:") and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "requested"),
    [
        ("http://127。0。0。1:8080/a", "http://127.0.0.1:8080/a"),
        ("http://%31%32%37.0.0.1/", "http://127.0.0.1/"),
        ("http://0x7f.1/x?y=1#frag", "http://127.0.0.1/x?y=1"),
        ("http://evil.test\\@127.0.0.1/", "http://evil.test/@127.0.0.1/"),
        ("http://user:pw@Example.COM:80/a/../b", "http://example.com/b"),
        ("https://bücher.example/ä", "https://xn--bcher-kva.example/%C3%A4"),
        ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
    ],
)
def test_the_url_requested_is_the_url_judged(url: str, requested: str) -> None:
    assert normalise(url).url == requested


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "http://93.184.216.34/",
        "http://1.1.1.1:8080/",
        "http://[2606:4700:4700::1111]/",
        "http://[::ffff:8.8.8.8]/",
        "http://[64:ff9b::808:808]/",  # NAT64 of a public address
        "http://0x08080808/",  # 8.8.8.8
        "https://xn--bcher-kva.example/",
        "https://localhost-news.example.org/",  # not a loopback name
    ],
)
def test_public_addresses_and_names_pass(url: str) -> None:
    AddressGuard().judge(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(BlockedError, match="only http and https"):
        AddressGuard().judge(url)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::808:808", True),
        ("64:ff9b::a00:1", False),
        ("2002:808:808::", True),
        ("2002:a00:1::", False),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),
        ("fec0::1", False),
        ("2001:db8::1", False),
        ("2606:4700:4700::1111", True),
    ],
)
def test_embedded_ipv4_addresses_are_judged(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("rule", "url", "allowed"),
    [
        ("cms.intranet", "http://cms.intranet/story", True),
        ("cms.intranet", "http://other.intranet/story", False),
        ("*.intranet.example", "http://cms.intranet.example/", True),
        ("10.0.0.0/8", "http://10.20.30.40/", True),
        ("10.0.0.0/8", "http://172.16.0.1/", False),
        ("10.1.2.3", "http://10.1.2.3:8080/", True),
        ("10.1.2.3:8080", "http://10.1.2.3:8080/", True),
        ("10.1.2.3:8080", "http://10.1.2.3:8081/", False),
        ("127.0.0.1:8080", "http://localhost:8080/", True),
        ("127.0.0.1:8080", "http://localhost:9090/", False),
        ("[fd00::1]:443", "https://[fd00::1]/", True),
        ("fd00::/8", "http://[fd12::5]/", True),
    ],
)
def test_allow_host_rules(rule: str, url: str, allowed: bool) -> None:
    guard = AddressGuard.from_options(allow_hosts=[rule])
    target = normalise(url)
    if target.ip is None and not target.name.endswith("localhost"):
        assert guard.name_allowed(target.name, target.port) is allowed
        return
    if allowed:
        guard.judge(url)
    else:
        with pytest.raises(BlockedError):
            guard.judge(url)


@pytest.mark.parametrize("bad", ["", "exa mple.org", "10.0.0.1:http", "[::1]:99999", "a/b"])
def test_bad_allow_host_entries_say_why(bad: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        AllowRule.parse(bad)


# --- the probe: directly and behind every redirect ------------------------------------------------------


def _redirector(web: FakeWeb) -> None:
    def target(r: Request) -> str:
        return parse_qs(urlsplit(r.path).query)["to"][0]

    for code in (301, 302, 307, 308):
        web.route(f"/r/{code}")(lambda r, code=code: send_raw_headers(r, code, [("Location", target(r))]))
    web.route("/r/refresh-header")(lambda r: send_raw_headers(r, 200, [("Refresh", f"0; url={target(r)}")]))

    def meta(r: Request) -> None:
        body = f'<html><head><meta http-equiv="refresh" content="0; url={target(r)}"></head></html>'
        r.reply(200, body.encode("utf-8"))

    def script(r: Request) -> None:  # the page t.co serves browsers
        escaped = target(r).replace("/", "\\/")
        body = f'<head><noscript><META http-equiv="refresh"></noscript><title>{target(r)}</title></head>'
        body += f'<script>window.opener = null; location.replace("{escaped}")</script>'
        r.reply(200, body.encode("utf-8"))

    web.route("/r/meta-refresh")(meta)
    web.route("/r/script")(script)


def _via(web: FakeWeb, kind: str, url: str) -> str:
    return url if kind == "direct" else f"{web.base}/r/{kind}?to={quote(url, safe='')}"


async def _resolve_all(urls: list[str], web: FakeWeb, dns: FakeDNS) -> list[tuple[str, str, str | None]]:
    allow = f"127.0.0.1:{web.server_address[1]}"
    async with make_client(allow_hosts=[allow], dns_servers=[dns.server], timeout=5) as client:
        options = ResolveOptions(policy=RetryPolicy(attempts=1))
        results = await asyncio.gather(*(resolve_url(u, client, options) for u in urls))
    return [(u, r.status, r.error) for u, r in zip(urls, results, strict=True)]


@pytest.mark.parametrize("kind", REDIRECT_KINDS)
def test_no_spelling_reaches_a_socket_directly_or_behind_a_redirect(kind: str, connections: ConnectRecorder) -> None:
    with serve() as web, serve() as victim, FakeDNS(DNS) as dns:
        _redirector(web)
        spelled = [u.format(v=victim.server_address[1]) for u in LOOPBACK_SPELLINGS] + PRIVATE_SPELLINGS
        outcomes = asyncio.run(_resolve_all([_via(web, kind, u) for u in spelled], web, dns))
        assert sum(victim.hits.values()) == 0
    wrong = [(u, status, error) for u, status, error in outcomes if status != "blocked"]
    assert wrong == []
    assert all(error and error.startswith("refused") and "\n" not in error for _, _, error in outcomes)
    assert connections.others_than(("127.0.0.1", web.server_address[1])) == []
    if kind != "direct":
        assert sum(web.hits.values()) == len(spelled)  # every redirect was fetched, each exactly once


def test_an_article_with_every_spelling_gets_no_request_through(connections: ConnectRecorder) -> None:
    """The article path: the scanner finds the hrefs, the pipeline resolves and enriches them."""
    with serve() as web, serve() as victim, FakeDNS(DNS) as dns:
        _redirector(web)
        spelled = [u.format(v=victim.server_address[1]) for u in LOOPBACK_SPELLINGS] + PRIVATE_SPELLINGS
        hrefs = [_via(web, kind, u) for u in spelled for kind in ("direct", "301", "meta-refresh")]
        body = "".join(f'<p><a href="{h.replace("&", "&amp;")}">link {i}</a></p>' for i, h in enumerate(hrefs))
        doc = document("article.html", f"<html><body><article>{body}</article></body></html>".encode(), kind="html")

        async def go() -> list[dict[str, object]]:
            allow = f"127.0.0.1:{web.server_address[1]}"
            async with make_client(allow_hosts=[allow], dns_servers=[dns.server], timeout=5) as client:
                options = RunOptions(resolve=ResolveOptions(policy=RetryPolicy(attempts=1)))
                return [r.to_dict() for r in await run([doc], client=client, options=options)]

        records = asyncio.run(go())
        assert sum(victim.hits.values()) == 0
    links = [r for r in records if r["kind"] == "link"]
    assert {r["raw"] for r in links} >= {h for h in hrefs if "\\" not in h}
    not_blocked = [(r["raw"], r["status"], r["error"]) for r in records if r["status"] != "blocked"]
    assert not_blocked == []
    assert connections.others_than(("127.0.0.1", web.server_address[1])) == []


def test_a_post_on_a_private_host_is_blocked_not_ok(connections: ConnectRecorder) -> None:
    """A Mastodon-shaped URL is a post without a request: its host is judged all the same, and the
    platform fetcher's requests go through the same guard and say so on the record."""
    html = (
        '<article><p><a href="http://10.0.0.1/@alice/109876543210987654">a toot</a> and '
        '<a href="https://social.test/@bob/109876543210987655">another</a></p></article>'
    )
    doc = document("a.html", html.encode(), kind="html")

    async def go(dns: FakeDNS) -> list[dict[str, object]]:
        async with make_client(dns_servers=[dns.server]) as client:
            return [r.to_dict() for r in await run([doc], client=client)]

    with FakeDNS(DNS) as dns:
        records = asyncio.run(go(dns))
    assert records and {r["status"] for r in records} == {"blocked"}
    assert all("non-public" in str(r["error"]) for r in records)
    social = [r for r in records if "social.test" in str(r.get("url") or r.get("raw"))]
    assert social and all("social.test resolves to 10.0.0.1" in str(r["error"]) for r in social)
    assert connections.addresses == []


def test_the_command_line_probe(tmp_path: Path, connections: ConnectRecorder) -> None:
    """The same through `resolver resolve` with --allow-host for the redirector's port only."""
    with serve() as web, serve() as victim:
        _redirector(web)
        literal = [u for u in LOOPBACK_SPELLINGS + PRIVATE_SPELLINGS if ".test" not in u]
        spelled = [u.format(v=victim.server_address[1]) for u in literal]
        hrefs = [_via(web, kind, u) for u in spelled for kind in ("direct", "308", "refresh-header", "script")]
        article = tmp_path / "article.html"
        body = "".join(f'<p><a href="{h.replace("&", "&amp;")}">{i}</a></p>' for i, h in enumerate(hrefs))
        article.write_text(f"<html><body><article>{body}</article></body></html>", encoding="utf-8")
        allow = f"127.0.0.1:{web.server_address[1]}"
        result = CliRunner().invoke(
            app, ["resolve", str(article), "--allow-host", allow, "--no-cache", "--retries", "0", "-f", "jsonl"]
        )
        assert sum(victim.hits.values()) == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1, result.output
    assert len(records) >= len(hrefs) and {r["status"] for r in records} == {"blocked"}
    assert connections.others_than(("127.0.0.1", web.server_address[1])) == []


def test_allow_host_lets_an_intranet_name_through_and_nothing_else() -> None:
    with serve() as web, FakeDNS({"cms.intranet": ["127.0.0.1"], "other.intranet": ["127.0.0.1"]}) as dns:
        web.route("/story")(lambda r: r.reply(200, b"<title>Intranet story</title>"))
        port = web.server_address[1]

        async def go() -> list[tuple[str, str | None]]:
            async with make_client(allow_hosts=["cms.intranet"], dns_servers=[dns.server]) as client:
                urls = [f"http://cms.intranet:{port}/story", f"http://other.intranet:{port}/story"]
                return [(r.status, r.error) for r in [await resolve_url(u, client) for u in urls]]

        (cms, other) = asyncio.run(go())
        assert web.hits["/story"] == 1
    assert cms == ("ok", None)
    assert other[0] == "blocked" and "other.intranet resolves to 127.0.0.1" in str(other[1])


def test_bad_allow_host_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["resolve", "-", "--allow-host", "exa mple"], input="x")
    assert result.exit_code == 2 and "exa mple" in result.output
