from __future__ import annotations

from pathlib import Path

import pytest

from resolver import SourceError, decode, detect_kind, read_source


def test_latin1_and_bom_and_meta_charset(fixtures: Path) -> None:
    assert "café" in read_source(str(fixtures / "latin1.txt")).text
    bom = read_source(str(fixtures / "bom.txt")).text
    assert bom.startswith("BOM text")
    win = read_source(str(fixtures / "win1252.html"))
    assert "“quoted”" in win.text and win.kind == "html"


def test_invalid_utf8_keeps_every_ascii_url() -> None:
    data = "ok ünïcode ".encode() + b"\xff\xfe broken https://t.co/AbCdEfGhIj end"
    assert "https://t.co/AbCdEfGhIj" in decode(data)


def test_utf16_bom() -> None:
    assert decode("https://bit.ly/x".encode("utf-16")) == "https://bit.ly/x"  # Python writes the BOM


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("<!DOCTYPE html><html><body></body></html>", "html"),
        ("---\ntitle: x\n---\nbody", "markdown"),
        ("# Title\n\nSee [a](https://a.com) and\n\n> quote\n", "markdown"),
        ("Just some words.\n— Name (@h) May 1, 2020", "text"),
    ],
)
def test_detect_kind(text: str, kind: str) -> None:
    assert detect_kind(text) == kind


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(str(tmp_path / "nope.html"))
