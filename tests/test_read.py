from __future__ import annotations

import codecs
import io
import os
from pathlib import Path

import pytest

from resolver import SourceError, decode, detect_kind, read_source
from resolver.read import decode_with_encoding, expand_sources, parse_size, read_capped


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


# --- hostile sources: never read whole, never waited on ---------------------------------------------


def test_devices_fifos_and_links_to_them_are_refused_in_one_line(tmp_path: Path) -> None:
    link = tmp_path / "x.txt"
    link.symlink_to("/dev/zero")
    fifo = tmp_path / "f.txt"
    os.mkfifo(fifo)  # nobody writes: opening it for reading must not wait
    for source, kind in (("/dev/zero", "a character device"), ("/dev/urandom", "a character device"),
                         (str(link), "a character device"), (str(fifo), "a FIFO")):  # fmt: skip
        with pytest.raises(SourceError) as caught:
            read_source(source)
        assert caught.value.reason == f"not a regular file ({kind}); refused"


def test_a_source_over_the_cap_is_refused_not_half_read(tmp_path: Path) -> None:
    page = tmp_path / "big.txt"
    page.write_bytes(b"https://bit.ly/x " * 100)  # 1700 bytes
    assert read_source(str(page), max_bytes=1700).raw == page.read_bytes()  # exactly the cap is fine
    with pytest.raises(SourceError, match=r"larger than 1699 bytes \(--max-source-size\); refused"):
        read_source(str(page), max_bytes=1699)


class Endless(io.RawIOBase):
    """An endless stream that counts what was taken from it."""

    taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.taken += len(buffer)
        return len(buffer)


def test_read_capped_stops_at_cap_plus_one_on_an_endless_stream() -> None:
    endless = Endless()
    assert read_capped(endless, 3 * 2**20) is None  # type: ignore[arg-type]
    assert endless.taken == 3 * 2**20 + 1  # one byte past the cap, and no more


@pytest.mark.parametrize(("text", "size"), [("64M", 64 * 2**20), ("512k", 512 * 2**10), ("1G", 2**30),
                                            ("1048576", 2**20), ("2MiB", 2 * 2**20)])  # fmt: skip
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_directory_walk_skips_link_loops_and_reports_what_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("https://bit.ly/a\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)  # a directory link back up: not followed
    (tmp_path / "sub" / "b.txt").write_text("https://bit.ly/b\n")
    (tmp_path / "sub" / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "notes.bin").write_bytes(b"x")
    listed = list(expand_sources([str(tmp_path)]))
    assert listed == [str(tmp_path / "a.md"), str(tmp_path / "sub" / "b.txt"), str(tmp_path / "sub" / "zero.txt")]
    with pytest.raises(SourceError, match="not a regular file"):
        read_source(listed[2])


def test_an_empty_directory_is_named_not_dropped(tmp_path: Path) -> None:
    assert list(expand_sources([str(tmp_path)])) == [str(tmp_path)]
    with pytest.raises(SourceError, match="a directory with no article files"):
        read_source(str(tmp_path))


# --- encodings: the WHATWG standard, and nothing that is not a text encoding ------------------------


LINK = b'<a href="https://bit.ly/enc">x</a>'


@pytest.mark.parametrize("label", ["idna", "punycode", "rot13", "base64", "zlib", "uu", "hex", "bz2",
                                   "nonsense", "utf-7", "cp037", "ebcdic-cp-us", "utf-32", "iso-2022-kr"])  # fmt: skip
def test_labels_that_are_not_usable_text_encodings_fall_back_like_no_label(label: str) -> None:
    page = b'<html><head><meta charset="' + label.encode() + b'"></head><body>' + LINK + b"</body></html>"
    text, encoding = decode_with_encoding(page)
    assert encoding == "utf-8" and 'href="https://bit.ly/enc"' in text


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be", "unicode", "ucs-2"])
def test_a_meta_declared_utf16_is_read_as_utf8(label: str) -> None:
    page = b"<html><head><meta charset=" + label.encode() + b"></head><body>" + LINK + b"</body></html>"
    assert decode_with_encoding(page) == (page.decode(), "utf-8")


def test_whatwg_labels_map_to_their_encodings() -> None:
    caf = b"<meta charset=latin1><p>caf\xe9 \x93q\x94 \x80</p>"  # latin1 is windows-1252 on the web
    assert decode_with_encoding(caf) == ("<meta charset=latin1><p>café “q” €</p>", "cp1252")
    user = b'<meta http-equiv="Content-Type" content="text/html; charset=x-user-defined"><p>\x93</p>'
    assert decode(user).endswith("<p>“</p>")  # a meta's x-user-defined is windows-1252
    assert decode(b"caf\xe9 \x80", "text/html; charset=x-user-defined") == "caf\uf7e9 \uf780"  # HTTP's is not
    assert decode("żółw".encode("iso-8859-2"), "text/plain; charset=ISO_8859-2") == "żółw"
    assert decode(b"abc", "text/plain; charset=rot13") == "abc"


def test_a_bom_outranks_every_declaration() -> None:
    page = codecs.BOM_UTF8 + '<meta charset="windows-1252"><p>ünï</p>'.encode()
    assert decode_with_encoding(page)[1] == "utf-8-sig" and "ünï" in decode(page, "text/html; charset=latin1")


def test_a_declaration_inside_a_comment_does_not_count() -> None:
    page = b"<!-- <meta charset=iso-8859-7> --><meta charset=utf-8><p>\xc3\xa9</p>"
    assert decode(page).endswith("<p>é</p>")
