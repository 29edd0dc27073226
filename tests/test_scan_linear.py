"""Issue 8: every text and Markdown scanner path is linear in its input.

Two kinds of check, neither timed:

* the work done in Python, counted as the line events of resolver's own code (sys.settrace), grows no
  faster than the input: ten times the input may cost at most fifteen times the work (quadratic code
  costs a hundred times);
* what a regular expression does inside the C engine is invisible to that count, so the hostile inputs
  also run at full size (the issue's 16 KB of nested brackets and 1 MB of ')' among them) in a
  subprocess with a generous 20 s bound, as a hang guard: quadratic behaviour at these sizes takes
  minutes, linear takes well under a second each.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import resolver
from resolver import scan
from resolver.models import Document

# name → (the hostile text for a size n, the document kind)
HOSTILE: dict[str, tuple[Callable[[int], str], str]] = {
    "nested link brackets": (lambda n: "[a](" * n, "markdown"),
    "nested links holding URLs": (lambda n: "[a](http://x.com/" * n, "markdown"),
    "nested links as plain text": (lambda n: "[a](http://x.com/" * n, "text"),
    "URL then closing parentheses": (lambda n: "see http://example.com/x" + ")" * n, "text"),
    "URL then opening parentheses": (lambda n: "see http://example.com/x" + "(" * n, "markdown"),
    "URL then entities": (lambda n: "see http://example.com/x" + "&a;" * n, "text"),
    "URLs each opening a parenthesis": (lambda n: "http://x.com/(" * n, "text"),
    "brackets never closed": (lambda n: "[" * n + "](x)", "markdown"),
    "hrefs of nested parentheses": (lambda n: "[a](" + "(" * n + ")" * (n - 1), "markdown"),
    "titles never closed": (lambda n: '[a](x "' * n, "markdown"),
    "handles after dashes": (lambda n: "— a (@x) " * n, "text"),
    "at signs": (lambda n: "(@" * n, "text"),
    "signatures on one line": (lambda n: "text — A (@a) March 1, 2020 " * n, "text"),
    "signature below a long line": (lambda n: "word " * n + "— A (@a) March 1, 2020", "text"),
    "quoted lines above a signature": (lambda n: "> x\n" * n + "> — A (@a) March 1, 2020\n", "markdown"),
    "shortcode never closed": (lambda n: "{{< a" + " " * n, "markdown"),
    "shortcodes never closed": (lambda n: "{{< a" * n, "markdown"),
    "reference labels across lines": (lambda n: "[\n" * n, "markdown"),
    "inline HTML hints": (lambda n: '<div class="' * n, "text"),
    "host labels": (lambda n: "http://" + "a." * n, "text"),
    "IDN dots": (lambda n: "http://" + "a\u3002" * n, "text"),
    "percent escapes in hosts": (lambda n: "http://" + "%41" * n, "text"),
}


def python_work(fn: Callable[[], object]) -> int:
    """Line events executed in resolver's own modules while ``fn`` runs."""
    root = str(Path(resolver.__file__).parent)
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(root) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        fn()
    finally:
        sys.settrace(previous)
    return count


@pytest.mark.parametrize("name", HOSTILE)
def test_work_grows_linearly_with_hostile_input(name: str) -> None:
    build, kind = HOSTILE[name]
    small, large = build(300), build(3000)
    scan(Document("t", small, kind))  # type: ignore[arg-type]  # warm: compiled patterns, the TLD list
    work_small = python_work(lambda: scan(Document("t", small, kind)))  # type: ignore[arg-type]
    work_large = python_work(lambda: scan(Document("t", large, kind)))  # type: ignore[arg-type]
    assert work_large <= 15 * work_small + 1000, (name, work_small, work_large)


def test_the_counter_tells_linear_from_quadratic_work() -> None:
    # The measure must be able to fail: work in resolver's code that grows with n² is caught.
    from resolver.scan.links import normalised_host

    def linear(n: int) -> None:
        for _ in range(n):
            normalised_host("x")

    def quadratic(n: int) -> None:
        for _ in range(n * n // 300):
            normalised_host("x")

    assert python_work(lambda: linear(3000)) <= 15 * python_work(lambda: linear(300))
    assert python_work(lambda: quadratic(3000)) > 50 * python_work(lambda: quadratic(300))


_GUARD = """
import sys
from resolver import scan
from resolver.models import Document
M = 1_000_000
inputs = [
    ("16 KB of nested link brackets", "[a](" * 4096, "markdown"),
    ("16 KB of nested links as text", "[a](" * 4096, "text"),
    ("a URL then 1 MB of ')'", "see http://example.com/x" + ")" * M, "text"),
    ("a URL then 1 MB of ')' in Markdown", "see http://example.com/x" + ")" * M, "markdown"),
    ("1 MB of nested links holding URLs", "[a](http://x.com/" * (M // 17), "markdown"),
    ("1 MB of URLs each opening a parenthesis", "http://x.com/(" * (M // 14), "text"),
    ("1 MB of entities after a URL", "see http://example.com/x" + "&a;" * (M // 3), "text"),
    ("1 MB of unclosed brackets", "[" * M + "](x)", "markdown"),
    ("1 MB of handles after dashes", "— a (@x) " * (M // 9), "text"),
    ("1 MB of one-line signatures", "t — A (@a) March 1, 2020 " * (M // 25), "text"),
    ("1 MB of spaces in a shortcode", "{{< a" + " " * M, "markdown"),
    ("1 MB of reference labels across lines", "[\\n" * (M // 2), "markdown"),
    ("1 MB of inline HTML hints", '<div class="' * (M // 12), "text"),
    ("1 MB of host labels", "http://" + "a." * (M // 2), "text"),
]
for name, text, kind in inputs:
    scan(Document("t", text, kind))
    print(name, flush=True)
print(f"finished all {len(inputs)}", flush=True)
"""


def test_hostile_inputs_at_full_size_finish() -> None:
    proc = subprocess.Popen([sys.executable, "-c", _GUARD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        done = out.splitlines()
        pytest.fail(f"the scan hung (20 s) after {len(done)} inputs; last finished: {done[-1:]}")
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1] == f"finished all {len(lines) - 1}", out
