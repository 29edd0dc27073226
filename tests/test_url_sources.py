"""Articles and feeds given as URLs go the run's way: through --cassette, the address guard, --allow-host."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from resolver.cli import app

from .conftest import ConnectRecorder
from .webserver import serve

CASSETTE = Path(__file__).resolve().parents[1] / "cassettes" / "scenarios" / "url-sources.yaml"
FEED = "https://news.example.org/feed.xml"


def test_a_feed_and_its_articles_are_replayed_from_the_cassette(connections: ConnectRecorder) -> None:
    result = CliRunner().invoke(app, ["resolve", FEED, "--cassette", str(CASSETTE), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["source"] for r in records} == {
        "https://news.example.org/2026/11/council-votes",
        "https://news.example.org/2026/11/river-park",
    }
    assert {r["canonical_url"] for r in records} == {
        "https://www.example.org/council-minutes",
        "https://www.example.org/river-park",
    }
    assert connections.addresses == []  # nothing left the process


def test_scan_replays_url_sources_too(connections: ConnectRecorder) -> None:
    article = "https://news.example.org/2026/11/council-votes"
    result = CliRunner().invoke(app, ["scan", article, "--cassette", str(CASSETTE), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == ["https://t.co/FeEdArT001"]
    assert connections.addresses == []


def test_a_url_source_missing_from_the_cassette_is_one_line() -> None:
    missing = "https://news.example.org/not-recorded"
    result = CliRunner().invoke(app, ["resolve", missing, "--cassette", str(CASSETTE), "-f", "jsonl"])
    assert result.exit_code == 2
    assert f"resolver: error: {missing}: cassette has no interaction for GET {missing}" in result.stderr


def test_url_sources_on_private_addresses_are_refused_unless_allowed(connections: ConnectRecorder) -> None:
    with serve() as web:
        web.route("/article")(lambda r: r.reply(200, b"<article><a href='https://t.co/x1'>x</a></article>"))
        url = f"{web.base}/article"
        refused = CliRunner().invoke(app, ["scan", url])
        allowed = CliRunner().invoke(app, ["scan", url, "--allow-host", f"127.0.0.1:{web.server_address[1]}"])
        hits = web.hits["/article"]
    assert refused.exit_code == 2 and "refused: non-public address (127.0.0.1)" in refused.stderr
    assert allowed.exit_code == 0 and "t.co/x1" in allowed.stdout
    assert hits == 1
