"""Defaults from ~/.config/resolver/config.toml and RESOLVER_* variables; --user-agent and --header on every
request. Precedence: command line > environment > config file > built-in."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from resolver.archive import ArchiveOptions, Archiver
from resolver.cli import app
from resolver.cli.config import ConfigError, config_path, from_environment, load, misspelt_variables, parse_header
from resolver.enrich import Enricher
from resolver.net import RetryPolicy, make_client
from resolver.net.cassette import CassetteTransport
from resolver.read.fetch import fetch_article
from resolver.store import MemoryStore

from .webserver import serve

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
CLEAN: dict[str, str] = {}  # conftest points RESOLVER_CONFIG at a file that does not exist


def write_config(tmp_path: Path, text: str) -> dict[str, str]:
    folder = tmp_path / "xdg" / "resolver"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(text)
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "RESOLVER_CONFIG": ""}


# --- the file and the variables ------------------------------------------------------------------------


def test_the_config_file_is_found_where_xdg_says(tmp_path: Path) -> None:
    home = Path.home()
    assert config_path({}) == home / ".config" / "resolver" / "config.toml"
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "resolver" / "config.toml"
    assert config_path({"XDG_CONFIG_HOME": "relative/dir"}) == home / ".config" / "resolver" / "config.toml"
    assert config_path({"RESOLVER_CONFIG": str(tmp_path / "x.toml"), "XDG_CONFIG_HOME": "/elsewhere"}) == (
        tmp_path / "x.toml"
    )


def test_a_config_file_is_read_and_typed(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'concurrency = 16\nper_host = 4\ntimeout = 20\nuser-agent = "desk/1.0 (+mailto:desk@example.org)"\n'
        'allow-host = "cms.intranet"\ncache = "/srv/cache.sqlite3"\nallow-private = false\n'
        '[headers]\nFrom = "desk@example.org"\n'
    )
    assert load(path) == {
        "concurrency": 16,
        "per_host": 4,
        "timeout": 20.0,
        "user_agent": "desk/1.0 (+mailto:desk@example.org)",
        "allow_host": ["cms.intranet"],
        "cache": "/srv/cache.sqlite3",
        "allow_private": False,
        "header": ["From: desk@example.org"],
    }
    assert load(tmp_path / "absent.toml") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("concurrency = ", "not valid TOML"),
        ("concurency = 3", "unknown setting 'concurency'"),
        ('concurrency = "8"', "concurrency must be a whole number"),
        ("concurrency = true", "concurrency must be a whole number"),
        ("concurrency = 0", "concurrency: must be from 1 to 512"),
        ("timeout = -1", "timeout: must be at least 0.1"),
        ('header = ["no colon"]', "is not a header like 'Name: value'"),
        ('header = ["Accept-Encoding: zstd"]', "Accept-Encoding is set by resolver itself"),
        ('allow-host = ["http://x"]', "allow-host"),
        ("allow-private = 1", "must be true or false"),
    ],
)
def test_a_bad_config_file_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert message in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_environment_variables_are_typed_and_headers_are_one_a_line() -> None:
    env = {
        "RESOLVER_CONCURRENCY": "8",
        "RESOLVER_TIMEOUT": "2.5",
        "RESOLVER_ALLOW_PRIVATE": "yes",
        "RESOLVER_ALLOW_HOST": "cms.intranet 10.0.0.0/8",
        "RESOLVER_HEADER": "From: desk@example.org\nX-Project: river park, 2025\n",
        "RESOLVER_RETRIES": "",  # empty: unset
    }
    assert from_environment(env) == {
        "concurrency": 8,
        "timeout": 2.5,
        "allow_private": True,
        "allow_host": ["cms.intranet", "10.0.0.0/8"],
        "header": ["From: desk@example.org", "X-Project: river park, 2025"],
    }
    with pytest.raises(ConfigError, match="RESOLVER_PER_HOST='many': must be a whole number"):
        from_environment({"RESOLVER_PER_HOST": "many"})
    with pytest.raises(ConfigError, match="must be from 1 to 50"):
        from_environment({"RESOLVER_MAX_HOPS": "99"})
    env = {"RESOLVER_CONCURENCY": "3", "RESOLVER_TIMEOUT": "1", "RESOLVER_TEST_CLOCK": "0", "PATH": "/bin"}
    assert misspelt_variables(env) == [("RESOLVER_CONCURENCY", "RESOLVER_CONCURRENCY")]


def test_header_parsing() -> None:
    assert parse_header("From:  desk@example.org ") == ("From", "desk@example.org")
    for bad in ("", "No-Colon", "Bad Name: x", ": x", "Host: evil.example", "Content-Length: 3"):
        with pytest.raises(ConfigError):
            parse_header(bad)


# --- every request carries them ---------------------------------------------------------------------------


def _recording(answer: Any) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return httpx.MockTransport(handler), seen


UA = "desk-archiver/1.0 (+mailto:desk@example.org)"
FROM = ("From", "desk@example.org")


def test_platform_fetchers_and_wayback_send_the_runs_headers() -> None:
    cdx = "com,example)/ 20250101000000 https://example.com/ text/html 200 X 1\n"
    transport, seen = _recording(
        lambda r: httpx.Response(200, text=cdx) if "cdx" in r.url.path else httpx.Response(200, json={"title": "T"})
    )

    async def go() -> None:
        async with make_client(transport=transport, user_agent=UA, headers=[FROM]) as client:
            enricher = Enricher(client, MemoryStore(), policy=RetryPolicy(attempts=1))
            await enricher.for_url("https://www.youtube.com/watch?v=pO5L6vXtxsI")
            await Archiver(client, MemoryStore(), ArchiveOptions(cdx_interval=0)).archive("https://example.com/")

    asyncio.run(go())
    oembed, wayback = seen
    for request in seen:
        assert request.headers["user-agent"] == UA and request.headers["from"] == "desk@example.org"
        assert len(request.headers.get_list("user-agent")) == 1
    # A request's own header replaces the default of that name instead of doubling it.
    assert oembed.headers.get_list("accept") == ["application/json"]
    assert wayback.headers["accept"].startswith("text/html")


def test_article_url_sources_send_the_runs_headers() -> None:
    transport, seen = _recording(lambda r: httpx.Response(200, html="<p>hi</p>"))
    fetch_article("https://news.example.org/a", transport=transport, user_agent=UA, headers=[FROM])
    assert seen[0].headers["user-agent"] == UA and seen[0].headers["from"] == "desk@example.org"


def _cli_headers(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Headers]:
    """Every request the CLI's --cassette replay sees (a cassette matches on method and URL only)."""
    seen: list[httpx.Headers] = []
    original = CassetteTransport.handle_async_request

    async def record(self: CassetteTransport, request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return await original(self, request)

    monkeypatch.setattr(CassetteTransport, "handle_async_request", record)
    return seen


def test_resolver_hops_and_post_metadata_from_the_cli_carry_the_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _cli_headers(monkeypatch)
    args = ["resolve", str(ROOT / "examples" / "article.html"), "--no-cache", "-f", "jsonl"]
    args += ["--cassette", str(ROOT / "cassettes" / "scenarios" / "example-article.yaml")]
    result = runner.invoke(app, [*args, "--user-agent", UA, "-H", "From: desk@example.org"], env=CLEAN)
    assert result.exit_code in (0, 1), result.output
    assert len(seen) >= 5  # t.co, bit.ly and their targets, the syndication endpoint, YouTube oEmbed
    assert all(h["user-agent"] == UA and h["from"] == "desk@example.org" for h in seen)


# --- precedence, end to end --------------------------------------------------------------------------------


def _user_agent_seen(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[str, dict[str, str]]:
    with serve() as web:
        got: dict[str, str] = {}

        def page(r: Any) -> None:
            got.update({k.lower(): v for k, v in r.headers.items()})
            r.reply(200, b"<title>ok</title>")

        web.route("/page")(page)
        tmp_path.mkdir(parents=True, exist_ok=True)
        article = tmp_path / "a.md"
        article.write_text(f"See {web.base}/page here.\n")
        base = ["resolve", str(article), "--no-cache", "-q", "-f", "jsonl", "--allow-host", "127.0.0.1"]
        result = runner.invoke(app, [*base, *args], env=env)
        assert result.exit_code == 0, result.output
        return got.get("user-agent", ""), got


def test_command_line_beats_environment_beats_config_file_beats_built_in(tmp_path: Path) -> None:
    builtin, _ = _user_agent_seen(tmp_path / "0", [], CLEAN)
    assert builtin.startswith("resolver/")
    config = write_config(tmp_path / "1", 'user-agent = "from-config/1"\nheader = ["X-Source: config"]\n')
    ua, headers = _user_agent_seen(tmp_path / "1", [], config)
    assert ua == "from-config/1" and headers["x-source"] == "config"
    env = {**config, "RESOLVER_USER_AGENT": "from-env/1"}
    ua, headers = _user_agent_seen(tmp_path / "1", [], env)
    assert ua == "from-env/1" and headers["x-source"] == "config"  # each setting on its own
    ua, headers = _user_agent_seen(tmp_path / "1", ["--user-agent", "from-cli/1", "-H", "X-Source: cli"], env)
    assert ua == "from-cli/1" and headers["x-source"] == "cli"


def test_a_config_value_is_the_default_shown_in_help(tmp_path: Path) -> None:
    env = write_config(tmp_path, "concurrency = 7\n")
    result = runner.invoke(app, ["resolve", "--help"], env=env)
    assert result.exit_code == 0 and "default: 7" in result.output and "RESOLVER_CONCURRENCY" in result.output
    root = runner.invoke(app, ["--help"], env=CLEAN)
    assert "config.toml" in root.output and "RESOLVER_" in root.output


def test_config_values_reach_the_run(tmp_path: Path) -> None:
    env = write_config(tmp_path, "max-hops = 1\n")
    with serve() as web:
        web.route("/a")(lambda r: r.redirect("/b"))
        web.route("/b")(lambda r: r.redirect("/c"))
        article = tmp_path / "a.md"
        article.write_text(f"{web.base}/a\n")
        args = ["resolve", str(article), "--no-cache", "-q", "-f", "jsonl", "--allow-host", "127.0.0.1"]
        result = runner.invoke(app, args, env=env)
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "blocked" and "more than 1" in record["error"]


@pytest.mark.parametrize("command", [["resolve", "x.html"], ["platforms"]])
def test_a_malformed_config_file_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    env = write_config(tmp_path, "timeout = [\n")
    result = runner.invoke(app, command, env=env)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1
    assert lines[0].startswith("resolver: error: config file ") and "not valid TOML" in lines[0]


def test_a_bad_environment_variable_is_one_line_and_exit_2() -> None:
    result = runner.invoke(app, ["platforms"], env={**CLEAN, "RESOLVER_TIMEOUT": "soon"})
    assert result.exit_code == 2 and "RESOLVER_TIMEOUT='soon': must be a number of seconds" in result.stderr
    warned = runner.invoke(app, ["platforms"], env={**CLEAN, "RESOLVER_TIMOUT": "3"})
    assert warned.exit_code == 0 and "RESOLVER_TIMOUT is not a resolver setting (did you mean RESOLVER_TIMEOUT?)" in (
        warned.stderr
    )


def test_a_bad_header_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["resolve", "x.html", "-H", "Accept-Encoding: zstd"], env=CLEAN)
    assert result.exit_code == 2 and "set by resolver itself" in result.output


def test_the_readmes_example_config_is_valid(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```toml\n# ~/.config/resolver/config.toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "config.toml"
    path.write_text(example)
    values = load(path)
    assert values["header"] == ["From: desk@example.org"] and values["user_agent"].startswith("newsroom-archiver/")
