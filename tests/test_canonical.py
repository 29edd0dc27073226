"""canonical_url: ClearURLs' rules and our overlay, the normal form, idempotence, and the sites of same_site."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

import httpx
import pytest

import resolver
from resolver import read_source, scan
from resolver.net import make_client
from resolver.net.sites import same_site, site_of
from resolver.resolve import rules as urlrules
from resolver.resolve.canonical import canonical_url, canonicalize
from resolver.resolve.hops import ResolveOptions, resolve_url
from resolver.resolve.jsregex import UntranslatableRegex, compile_js, translate

from .clearurls_reference import BareClearURLs
from .conftest import CORPUS, needs_shared

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resolver" / "data" / urlrules.DATA_FILE

# (input, canonical form): each line is a shape seen in real links.
CASES = [
    # the utm family, click ids, newsletter and social tags
    ("https://www.example.com/a?utm_source=tw&utm_medium=social&id=7", "https://www.example.com/a?id=7"),
    ("https://example.com/story?fbclid=IwAR0abc", "https://example.com/story"),
    ("https://example.com/p?gclid=x&gbraid=y&wbraid=z&msclkid=w&page=2", "https://example.com/p?page=2"),
    ("https://example.com/n?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&pk_campaign=5", "https://example.com/n"),
    ("https://example.org/x?itm_source=a&itm_content=b&xtor=RSS-1&ncid=c&ocid=d", "https://example.org/x"),
    # per-site rules: X and Twitter share tags, YouTube, Amazon's path and affiliate tags, TikTok, Bing
    ("https://x.com/jane/status/123?s=20&t=AbC", "https://x.com/jane/status/123"),
    ("https://twitter.com/jane/status/123?ref_src=twsrc%5Etfw", "https://twitter.com/jane/status/123"),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&si=zz&feature=share&t=42",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
    ),
    ("https://youtu.be/dQw4w9WgXcQ?si=abc", "https://youtu.be/dQw4w9WgXcQ"),
    ("https://www.youtube.com/playlist?list=PL1&ab_channel=Chan", "https://www.youtube.com/playlist?list=PL1"),
    (
        "https://www.amazon.com/dp/B07K1WWS63/ref=sr_1_1?keywords=mac&qid=1&tag=aff-20&th=1",
        "https://www.amazon.com/dp/B07K1WWS63",
    ),
    (
        "https://www.tiktok.com/@a/video/1?is_from_webapp=1&sender_device=pc&lang=en",
        "https://www.tiktok.com/@a/video/1",
    ),
    (
        "http://www.bing.com/search?q=%E8%AD%98&form=MSNH14&sc=8-4&sp=-1&qs=n&sk=",
        "http://www.bing.com/search?q=%E8%AD%98",
    ),
    ("https://www.instagram.com/p/CxYz/?igsh=MWQ1ZGUx&img_index=2", "https://www.instagram.com/p/CxYz/"),
    ("https://www.threads.net/@a/post/Cx?xmt=AQG&slof=1", "https://www.threads.net/@a/post/Cx"),
    (
        "https://www.nytimes.com/2024/01/02/us/x.html?smid=tw-share&unlocked_article_code=1.abc",
        "https://www.nytimes.com/2024/01/02/us/x.html",
    ),
    ("https://www.imdb.com/name/nm0000801/?ref_=fn_al_nm_1", "https://www.imdb.com/name/nm0000801/"),
    # referral marketing goes too (the add-on keeps it by default)
    (
        "https://plus.google.com/share?url=http://e.com/a/&ref=googleplus",
        "https://plus.google.com/share?url=http://e.com/a/",
    ),
    # a whole tracking query encoded as one name: gone; a mixed one stays
    ("https://e.com/s?url=x&utm_medium%3DCT%26utm_source%3DTwitter&t=1", "https://e.com/s?url=x&t=1"),
    ("https://e.com/s?utm_medium%3DCT%26id%3D3", "https://e.com/s?utm_medium%3DCT%26id%3D3"),
    # trackers unwrapped offline, and their targets cleaned in turn
    (
        "https://www.google.com/url?q=https%3A%2F%2Fexample.com%2Fa%3Fx%3D1%26utm_source%3Dtw&sa=D",
        "https://example.com/a?x=1",
    ),
    ("https://www.google.co.uk/url?sa=t&url=https://example.org/b&usg=AOv", "https://example.org/b"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.org%2Fs%3Ffbclid%3D1&h=AT0", "https://example.org/s"),
    ("https://www.youtube.com/redirect?event=video&q=https%3A%2F%2Fexample.net%2F&v=abc", "https://example.net/"),
    ("https://duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.com%2Fpage&rut=abc", "https://example.com/page"),
    ("https://out.reddit.com/t3_x?url=https%3A%2F%2Fexample.com%2Fr&token=abc", "https://example.com/r"),
    # not a tracker target: Instagram's ".*u=" rule must not turn ?menu=1 into a URL
    ("https://www.instagram.com/p/CxYz/?menu=1", "https://www.instagram.com/p/CxYz/?menu=1"),
    # a site's own parameters stay: search q, WordPress p/s/page_id/cat/tag, ids, pages, Google's legacy ie
    ("https://www.google.com/search?q=council+vote&ei=abc&ved=2ah", "https://www.google.com/search?q=council+vote"),
    ("https://blog.example.com/?p=123", "https://blog.example.com/?p=123"),
    (
        "https://blog.example.com/?s=river+park&tag=news&cat=4&page_id=9",
        "https://blog.example.com/?s=river+park&tag=news&cat=4&page_id=9",
    ),
    ("https://news.example.org/article.php?id=42&page=3", "https://news.example.org/article.php?id=42&page=3"),
    (
        "http://www.google.co.jp/search?q=%95s%90%b3&hl=ja&ie=Shift_JIS",
        "http://www.google.co.jp/search?q=%95s%90%B3&hl=ja&ie=Shift_JIS",
    ),
    ("https://www.google.com/search?q=x&ie=UTF-8&oe=UTF-8", "https://www.google.com/search?q=x&oe=UTF-8"),
    # a rule for one site is not a rule for a host that merely starts with its name
    ("https://x.company.example/search?s=term&t=1", "https://x.company.example/search?s=term&t=1"),
    ("https://bucket.s3.amazonaws.com/f.csv?th=1&qid=2", "https://bucket.s3.amazonaws.com/f.csv?th=1&qid=2"),
    # ClearURLs' self-test providers are not used: site.com is a real domain
    ("https://www.site.com/go?to=https%3A%2F%2Fexample.com", "https://www.site.com/go?to=https%3A%2F%2Fexample.com"),
    # the normal form
    ("https://WWW.Example.COM:443/a/./b/../c?id=3#section", "https://www.example.com/a/c?id=3"),
    ("http://example.com:80", "http://example.com/"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
    ("https://example.com/%7euser/a%2fb?q=%7e%2f", "https://example.com/~user/a%2Fb?q=~%2F"),
    ("https://example.com/a b?x=1 2&&y=3&", "https://example.com/a%20b?x=1%202&y=3"),
    ("https://example.com/p?a=1%2C2&b=x+y", "https://example.com/p?a=1%2C2&b=x+y"),  # the site's own spelling
    ("https://example.com/a/?", "https://example.com/a/"),
    ("  https://example.com/x  ", "https://example.com/x"),
    ("mailto:desk@example.org", "mailto:desk@example.org"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonical_forms(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected


def test_public_api() -> None:
    assert resolver.canonical_url is canonical_url
    assert "canonical_url" in resolver.__all__
    assert resolver.__all__ == sorted(resolver.__all__)


# --- parameters a site needs: never removed ---------------------------------------------------------------

# Names that select what a page shows, with the hosts where they mean it (None: everywhere). Checked on
# every corpus URL and on the hand-written list above.
NEEDED: dict[str, tuple[str, ...] | None] = {
    "q": None,
    "p": None,
    "id": None,
    "page": None,
    "page_id": None,
    "article": None,
    "story_fbid": None,
    "v": ("youtube.com", "youtu.be"),
    "list": ("youtube.com",),
    "s": None,  # WordPress search; the X/Twitter "s" is tracking only there
    "t": ("youtube.com", "youtu.be"),  # a timestamp on YouTube (tracking on X)
}
_NEEDED_EXCEPT = {"s": ("twitter.com", "x.com"), "t": ()}


def _needed(name: str, host: str) -> bool:
    if name not in NEEDED:
        return False
    where = NEEDED[name]
    on = lambda sites: any(host == s or host.endswith("." + s) for s in sites)  # noqa: E731
    if name in _NEEDED_EXCEPT and on(_NEEDED_EXCEPT[name]):
        return False
    return where is None or on(where)


def _parameter_names(url: str) -> list[str]:
    query = url.partition("#")[0].partition("?")[2]
    return [unquote_plus(piece.split("=", 1)[0]) for piece in query.split("&") if piece]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # "http://[ccpa-preferences]" is in the corpus: not a host at all
        return ""


def assert_keeps_needed_parameters(url: str) -> None:
    trace = urlrules.Trace()
    result = canonicalize(url, trace=trace)
    if trace.unwrapped:
        url = trace.unwrapped[-1][1]  # a wrapper's q= is its target: what must survive is the target's own
    host = _host(url)
    lost = [n for n in _parameter_names(url) if _needed(n, host) and n not in _parameter_names(result)]
    assert not lost, f"{url} lost {lost}: {result}"


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_hand_list_keeps_needed_parameters_and_is_idempotent(url: str, expected: str) -> None:
    assert_keeps_needed_parameters(url)
    once = canonical_url(url)
    assert canonical_url(once) == once


@pytest.fixture(scope="module")
def corpus_urls() -> list[str]:
    urls: list[str] = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.suffix in (".html", ".htm", ".md", ".txt")):
        for finding in scan(read_source(str(path)), links="all", whole_page=True):
            url = finding.to_dict().get("url")
            if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
                urls.append(url)
    return urls


@needs_shared
def test_corpus_urls_are_idempotent_and_keep_needed_parameters(corpus_urls: list[str]) -> None:
    assert len(corpus_urls) > 5000  # the scanner found the corpus' links: this test is not vacuous
    not_idempotent = []
    for url in dict.fromkeys(corpus_urls):
        once = canonical_url(url)
        if canonical_url(once) != once:
            not_idempotent.append((url, once, canonical_url(once)))
        assert_keeps_needed_parameters(url)
    assert not not_idempotent


@needs_shared
def test_corpus_ours_removes_at_least_as_much_as_bare_clearurls(corpus_urls: list[str]) -> None:
    data = json.loads(DATA.read_text("utf-8"))
    bare_default = BareClearURLs(data)
    bare_referral = BareClearURLs(data, referral_marketing_allowed=False)
    ours = theirs_default = theirs_referral = 0
    for url in corpus_urls:
        trace = urlrules.Trace()
        canonicalize(url, trace=trace)
        ours += len(trace.removed)
        theirs_default += bare_default.clean(url)[1]
        theirs_referral += bare_referral.clean(url)[1]
    assert theirs_default > 300  # the comparison is about something
    assert ours >= theirs_referral >= theirs_default


# --- the overlay: only what ClearURLs lacks ----------------------------------------------------------------

# For every overlay rule, a URL it exists for. ClearURLs alone must not already remove it (else the entry
# is dead weight: drop it), and ours must.
OVERLAY_EXAMPLES = {
    ("resolver: global", "pk_[a-z_]+"): "https://e.com/?pk_kwd=x",
    ("resolver: global", "itm_[a-z_]+"): "https://e.com/?itm_content=x",
    ("resolver: global", "hsa_[a-z_]+"): "https://e.com/?hsa_acc=1",
    ("resolver: global", "_hs[a-z_]+"): "https://e.com/?_hsmi=1",
    ("resolver: global", "oly_[a-z_]+"): "https://e.com/?oly_x=1",
    ("resolver: global", "vero_[a-z_]+"): "https://e.com/?vero_x=1",
    ("resolver: global", "mc_[a-z_]+"): "https://e.com/?mc_id=1",
    ("resolver: global", "gclsrc"): "https://e.com/?gclsrc=aw.ds",
    ("resolver: global", "gbraid"): "https://e.com/?gbraid=1",
    ("resolver: global", "wbraid"): "https://e.com/?wbraid=1",
    ("resolver: global", "ttclid"): "https://e.com/?ttclid=1",
    ("resolver: global", "igshid"): "https://e.com/?igshid=1",
    ("resolver: global", "igsh"): "https://e.com/?igsh=1",
    ("resolver: global", "wt\\.mc_id"): "https://e.com/?WT.mc_id=1",
    ("resolver: global", "xtor"): "https://e.com/?xtor=RSS-1",
    ("resolver: global", "at_medium"): "https://e.com/?at_medium=x",
    ("resolver: global", "at_campaign"): "https://e.com/?at_campaign=x",
    ("resolver: global", "ito"): "https://e.com/?ito=x",
    ("resolver: global", "ncid"): "https://e.com/?ncid=x",
    ("resolver: global", "ocid"): "https://e.com/?ocid=x",
    ("resolver: global", "soc_src"): "https://e.com/?soc_src=x",
    ("resolver: global", "soc_trk"): "https://e.com/?soc_trk=x",
    ("resolver: global", "sr_share"): "https://e.com/?sr_share=x",
    ("resolver: global", "cid_source"): "https://e.com/?cid_source=x",
    ("resolver: global", "smid"): "https://nyti.ms/?smid=x",
    ("resolver: global", "smtyp"): "https://e.com/?smtyp=x",
    ("resolver: global", "share_source"): "https://e.com/?share_source=x",
    ("resolver: global", "ref_src"): "https://e.com/?ref_src=x",
    ("resolver: global", "ref_url"): "https://e.com/?ref_url=x",
    ("resolver: global", "scm"): "https://e.com/?scm=x",
    ("resolver: youtube", "ab_channel"): "https://www.youtube.com/watch?v=a&ab_channel=C",
    ("resolver: facebook", "rdid"): "https://www.facebook.com/share/p/x/?rdid=1",
    ("resolver: instagram", "img_index"): "https://www.instagram.com/p/x/?img_index=1",
    ("resolver: tiktok", "is_from_webapp"): "https://www.tiktok.com/@a/video/1?is_from_webapp=1",
    ("resolver: tiktok", "sender_device"): "https://www.tiktok.com/@a/video/1?sender_device=pc",
    ("resolver: tiktok", "web_id"): "https://www.tiktok.com/@a/video/1?web_id=1",
    ("resolver: tiktok", "lang"): "https://www.tiktok.com/@a/video/1?lang=en",
    ("resolver: threads", "xmt"): "https://www.threads.net/@a/post/x?xmt=1",
    ("resolver: threads", "slof"): "https://www.threads.com/@a/post/x?slof=1",
    ("resolver: nytimes", "partner"): "https://www.nytimes.com/a.html?partner=x",
    ("resolver: nytimes", "unlocked_article_code"): "https://www.nytimes.com/a.html?unlocked_article_code=1",
}


def _overlay_rules() -> Iterator[tuple[str, str]]:
    for spec in urlrules.OVERLAY:
        for rule in spec.get("rules", []):
            yield spec["name"], rule


def test_every_overlay_rule_has_an_example() -> None:
    assert sorted(_overlay_rules()) == sorted(OVERLAY_EXAMPLES)


@pytest.mark.parametrize(("entry", "url"), sorted(OVERLAY_EXAMPLES.items()))
def test_overlay_entry_is_something_clearurls_lacks(entry: tuple[str, str], url: str) -> None:
    bare, ours = urlrules.Trace(), urlrules.Trace()
    canonicalize(url, urlrules.clearurls_only(), bare)
    canonicalize(url, trace=ours)
    assert not bare.removed, f"ClearURLs already removes {bare.removed} from {url}: drop {entry} from the overlay"
    assert ours.removed, f"{entry} removes nothing from {url}"


def test_the_keep_entry_overrides_clearurls() -> None:
    url = "http://www.google.co.jp/search?q=%95s&ie=Shift_JIS"
    assert "ie=Shift_JIS" not in canonicalize(url, urlrules.clearurls_only())
    assert canonical_url(url).endswith("ie=Shift_JIS")


# --- the vendored data and its translation -----------------------------------------------------------------


def test_every_vendored_pattern_translates() -> None:
    ruleset = urlrules.rules()
    assert ruleset.skipped == ()
    data = json.loads(DATA.read_text("utf-8"))
    assert len(ruleset.providers) == len(data["providers"]) - len(urlrules.EXCLUDED_PROVIDERS) + len(urlrules.OVERLAY)
    assert set(data["providers"]) >= urlrules.EXCLUDED_PROVIDERS  # each exclusion still names a provider


def test_vendored_data_has_licence_and_provenance() -> None:
    folder = DATA.parent
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (folder / "LICENSE").read_text("utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in (folder / "COPYING.GPL-3.0").read_text("utf-8")
    provenance = (folder / "PROVENANCE.md").read_text("utf-8")
    import hashlib

    assert hashlib.sha256(DATA.read_bytes()).hexdigest() in provenance  # the file is the one described
    assert "https://github.com/ClearURLs/Rules" in provenance


@pytest.mark.parametrize(
    ("js", "python"),
    [
        ("^https?:\\/\\/x\\.com$", "^https?:\\/\\/x\\.com\\Z"),
        ("(?<year>\\d{4})-\\k<year>", "(?P<year>\\d{4})-(?P=year)"),
        ("a[^]b[]c", "a[\\s\\S]b(?!)c"),
        ("\\e\\A\\Z", "eAZ"),
        ("x{,3}y{2}z{1,}", "x\\{,3\\}y{2}z{1,}"),
        ("[a[b]&&c", "[a\\[b]&&c"),
        ("[&&|]", "[&\\&|]"),
        ("\\cJ\\x4\\u12", "\\x0ax4u12"),
        ("hc_[a-z_%\\[\\]0-9]*", "hc_[a-z_%\\[\\]0-9]*"),
    ],
)
def test_javascript_patterns_translate(js: str, python: str) -> None:
    assert translate(js) == python
    compile_js(js)


def test_javascript_dollar_is_the_end_of_input() -> None:
    assert compile_js("^a$").search("a")
    assert not compile_js("^a$").search("a\n")  # Python's own $ would match here
    assert not compile_js("\\d").search("٣")  # JavaScript's \d is ASCII only
    assert compile_js("FOO").search("foo")  # the "i" flag


def test_untranslatable_pattern_is_refused_not_guessed() -> None:
    with pytest.raises(UntranslatableRegex):
        compile_js("(?<=a+)b")  # variable-width look-behind: fine in JavaScript, not in Python
    data = {"providers": {"p": {"urlPattern": ".*", "rules": ["(?<=a+)b", "ok"]}}}
    ruleset = urlrules.build(data)
    assert len(ruleset.skipped) == 1 and "(?<=a+)b" in ruleset.skipped[0]
    assert canonicalize("https://e.com/?ok=1&b=2", ruleset) == "https://e.com/?b=2"


def test_rule_data_of_another_shape_is_refused() -> None:
    with pytest.raises(urlrules.RulesError):
        urlrules.build({"rules": []})


def test_scan_does_not_load_the_rules() -> None:
    # `resolver scan` on files: neither the rules, nor the feed reader, nor feedparser is imported.
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from resolver.cli import app\n"
        "result = CliRunner().invoke(app, ['scan', sys.argv[1], '--format', 'jsonl'])\n"
        "assert result.exit_code == 0 and result.stdout, result.output\n"
        "heavy = ('resolver.resolve.rules', 'resolver.resolve.jsregex', 'resolver.read.feeds', 'feedparser')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    fixture = Path(__file__).parent / "fixtures" / "embeds.html"
    subprocess.run([sys.executable, "-c", code, str(fixture)], check=True, timeout=60)


# --- the refresh script, offline ---------------------------------------------------------------------------

SCRIPT = ROOT / "scripts" / "refresh-clearurls"


def test_refresh_script_vendors_a_local_file(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    source.mkdir()
    (source / "data.min.json").write_bytes(DATA.read_bytes())
    (source / "LICENSE").write_text("GNU LESSER GENERAL PUBLIC LICENSE\n", "utf-8")
    target = tmp_path / "vendored"
    args = ["--from-file", str(source / "data.min.json"), "--commit", "a" * 40, "--date", "2025-07-27"]
    done = subprocess.run([sys.executable, str(SCRIPT), *args, "--target", str(target)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (target / "data.min.json").read_bytes() == DATA.read_bytes()
    provenance = (target / "PROVENANCE.md").read_text("utf-8")
    assert "a" * 40 in provenance and "2025-07-27" in provenance


def test_refresh_script_refuses_data_it_cannot_translate(tmp_path: Path) -> None:
    bad = tmp_path / "data.min.json"
    bad.write_text(json.dumps({"providers": {"p": {"urlPattern": ".*", "rules": ["(?<=a+)b"]}}}), "utf-8")
    (tmp_path / "LICENSE").write_text("x", "utf-8")
    target = tmp_path / "vendored"
    args = ["--from-file", str(bad), "--commit", "b" * 40, "--date", "2025-01-01", "--target", str(target)]
    done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
    assert done.returncode == 1 and "(?<=a+)b" in done.stderr
    assert not target.exists()


# --- same_site: the public suffix list, private suffixes included ------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://alice.github.io/post", "https://bob.github.io/post", False),
        ("https://alice.github.io/a", "https://alice.github.io/b", True),
        ("https://one.blogspot.com/", "https://two.blogspot.com/", False),
        ("https://news.bbc.co.uk/1", "https://www.bbc.co.uk/2", True),
        ("https://www.example.co.uk/", "https://www.other.co.uk/", False),
        ("https://www.example.com.au/", "https://m.example.com.au/", True),
        ("https://a.example.com/", "https://b.example.com/", True),
        ("https://example.com/", "https://example.org/", False),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1/b", True),
        ("http://127.0.0.1/", "http://127.0.0.2/", False),
        ("https://[::1]/", "https://[::1]:8443/", True),
        ("https://github.io/", "https://alice.github.io/", False),
        ("https://bücher.example/", "https://www.xn--bcher-kva.example/", True),
        ("https://WWW.Example.com./", "https://example.com/", True),
        ("not a url", "https://example.com/", False),
    ],
)
def test_same_site(a: str, b: str, same: bool) -> None:
    assert same_site(a, b) is same


def test_site_of() -> None:
    assert site_of("news.bbc.co.uk") == "bbc.co.uk"
    assert site_of("alice.github.io") == "alice.github.io"
    assert site_of("com") == "com"


def _resolve_page(url: str, head: str) -> str | None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, html=f"<html><head>{head}</head><body>x</body></html>")

    async def go() -> str | None:
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            return (await resolve_url(url, client, ResolveOptions())).canonical_url

    return asyncio.run(go())


def test_one_users_page_cannot_claim_anothers_as_canonical() -> None:
    claim = '<link rel="canonical" href="https://bob.github.io/post?utm_source=x">'
    assert _resolve_page("https://alice.github.io/post", claim) == "https://alice.github.io/post"
    own = '<link rel="canonical" href="https://alice.github.io/the-post?utm_source=x">'
    assert _resolve_page("https://alice.github.io/post", own) == "https://alice.github.io/the-post"
    sub = '<link rel="canonical" href="https://www.example.co.uk/story">'
    assert _resolve_page("https://news.example.co.uk/story?id=1", sub) == "https://www.example.co.uk/story"


def test_readme_examples() -> None:
    import doctest

    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Canonical URLs", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    test = doctest.DocTestParser().get_doctest(block, {"resolver": resolver}, "README", "README.md", 0)
    assert test.examples
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.failures == 0
