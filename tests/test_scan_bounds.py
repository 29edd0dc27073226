"""HTML scanning stays within bounds on pages built to break it (issue 8): memory within a small multiple
of the page, every path linear (no regular expression that backtracks, no rescan per finding).

Memory is the whole `resolver scan` process's peak, read from the kernel's accounting of the child
(``wait4``), less the peak of the same command on a page of one paragraph.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from resolver import Link, scan
from resolver.models import Document


def _peak_kib(page: Path, out: Path) -> int:
    with out.open("wb") as sink, out.with_suffix(".err").open("wb") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "resolver", "scan", str(page), "--format", "jsonl", "-q"],
            stdout=sink,
            stderr=errors,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    assert proc.returncode == 0, out.with_suffix(".err").read_text()
    return usage.ru_maxrss  # KiB on Linux


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs the kernel's accounting of a child (wait4)")
def test_a_page_dense_with_links_is_scanned_in_bounded_memory(tmp_path: Path) -> None:
    # 200,000 links in 13 MB: libxml2's tree alone would cost some 20 times that.
    page = tmp_path / "dense.html"
    n = 200_000
    with page.open("w") as f:
        f.write("<html><body>\n")
        f.writelines(f'<p>x <a href="https://example.org/s/{i}?a&amp;b">l{i}</a></p>\n' for i in range(n))
        f.write("</body></html>\n")
    tiny = tmp_path / "tiny.html"
    tiny.write_text("<html><body><p>x</p></body></html>\n")
    floor = _peak_kib(tiny, tmp_path / "tiny.jsonl")
    peak = _peak_kib(page, tmp_path / "dense.jsonl")
    size_kib = page.stat().st_size // 1024
    assert (tmp_path / "dense.jsonl").read_bytes().count(b"\n") == n
    assert peak - floor < 10 * size_kib, f"peak {peak} KiB, floor {floor} KiB, page {size_kib} KiB"


HOSTILE = {
    "unclosed attribute quote": '<a href="x' + "y" * 200_000,
    "unclosed comment": "<!--" + "-" * 200_000,
    "comment of dashes and bangs": "<!--" + "--!" * 70_000 + "-->",
    "unclosed script": "<script>" + "<" * 200_000,
    "script of false ends": "<script>" + "</scrip" * 30_000 + "</script>",
    "escaped script": "<script><!--" + "<script>" * 20_000 + "</script>",
    "tag starts without ends": "x<a" * 70_000,
    "attributes without end": "<a " + 'x="y" ' * 40_000,
    "equals signs": "<a" + " =x" * 60_000 + ">",
    "nested links": "<a href='https://e.example/'>" * 30_000,
    "text URLs in deep nesting": ("<div>http://e.example/x " * 3_000) + "</div>" * 3_000,
    "text URLs in nested tails": "<div>" * 2_000 + "x" + "</div> http://e.example/t " * 2_000,
    "many tiny comments": "<!---->" * 50_000 + "<a href='https://e.example/end'>e</a>",
    "end tags for html": "</html><p><a href='https://e.example/z'>z</a></p>" * 5_000,
}


@pytest.mark.parametrize("body", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_markup_is_read_in_linear_time_and_spans_hold(body: str) -> None:
    # No time is asserted (the machine is shared): a quadratic or backtracking path makes these take
    # minutes where they take a fraction of a second, and the spans must still be the source's.
    html = f"<html><body>{body}</body></html>"
    doc = Document("t", html, "html")
    for finding in scan(doc, whole_page=True):
        if isinstance(finding, Link):
            assert html[finding.span[0] : finding.span[1]] == finding.raw
