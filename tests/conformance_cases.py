"""Read the peers' URL-extraction suites from ../shared/conformance as data (nothing is copied here).

Each case is (suite, name, text, expected): ``expected`` is the list of URLs a reader should find, in
order. E-mail cases and the TLD-list enumeration are left out: resolver does not extract e-mail addresses,
and tlds.yml only lists TLDs. Also runnable as a script that prints the score per suite.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance"
_HREF_RE = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


@dataclass(frozen=True)
class Case:
    suite: str
    name: str
    text: str
    expected: tuple[str, ...]
    whole_text: bool = False  # validate-style: the whole text must be exactly one URL (or none)


def _is_email(s: str) -> bool:
    return "@" in s and not re.match(r"(?i)(https?|ftp)://", s) and not s.startswith("//")


def twitter_text_cases() -> Iterator[Case]:
    root = SHARED / "twitter-text"
    extract = yaml.safe_load((root / "extract.yml").read_text("utf-8"))["tests"]
    for section in ("urls", "urls_with_indices", "urls_with_directional_markers", "tco_urls_with_params"):
        for c in extract[section]:
            expected = tuple(e["url"] if isinstance(e, dict) else e for e in c["expected"])
            yield Case(f"twitter-text/extract.{section}", c["description"], c["text"], expected)
    validate = yaml.safe_load((root / "validate.yml").read_text("utf-8"))["tests"]
    for section in ("urls", "urls_without_protocol"):
        for c in validate[section]:
            expected = (c["text"],) if c["expected"] else ()
            yield Case(f"twitter-text/validate.{section}", c["description"], c["text"], expected, True)
    autolink = yaml.safe_load((root / "autolink.yml").read_text("utf-8"))["tests"]
    for section in ("urls", "all"):
        for c in autolink[section]:
            hrefs = tuple(text for href, text in _HREF_RE.findall(c["expected"]) if "class=" not in href)
            anchors = re.findall(r"<a ([^>]*)>(.*?)</a>", c["expected"])
            if section == "all" and not any("url" not in a[0] and "tweet-url" not in a[0] for a in anchors):
                continue
            links = tuple(t for attrs, t in anchors if "tweet-url" not in attrs)
            expected = tuple(html.unescape(t) for t in links or hrefs)
            yield Case(f"twitter-text/autolink.{section}", c["description"], c["text"], expected)


def linkify_cases() -> Iterator[Case]:
    root = SHARED / "linkify-it"
    lines = (root / "links.txt").read_text("utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.startswith("%"):
            i += 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        text = line.split(" % ")[0] if " % " in line else line
        if nxt.strip() and not nxt.startswith("%"):
            expected, i = nxt, i + 2
        else:
            expected, i = text, i + 1
        if _is_email(expected) or expected.lower().startswith("mailto:"):
            continue
        yield Case("linkify-it/links", text, text, (expected,))
    for line in (root / "not_links.txt").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("%"):
            continue
        text = re.split(r"\s{2,}%|\s%\s", line)[0].rstrip()
        if "@" in text and "://" not in text:
            continue  # the "not e-mail" cases
        yield Case("linkify-it/not_links", text, text, ())


def gfm_cases() -> Iterator[Case]:
    spec = (SHARED / "gfm-spec" / "spec.txt").read_text("utf-8")
    section = spec.split("## Autolinks (extension)", 1)[1].split("\n## ", 1)[0]
    fence = "`" * 32
    for block in re.findall(fence + r" example autolink\n(.*?)\n" + fence, section, re.S):
        markdown, rendered = block.split("\n.\n", 1)
        paragraphs = [p for p in markdown.split("\n\n") if p.strip()]
        html_paras = re.findall(r"<p>(.*?)</p>", rendered, re.S)
        for para, html_para in zip(paragraphs, html_paras, strict=True):
            links = tuple(t for href, t in _HREF_RE.findall(html_para) if not href.startswith("mailto:"))
            if any(h.startswith("mailto:") for h, _ in _HREF_RE.findall(html_para)):
                continue
            if "@" in para and not links:
                continue  # e-mail negatives
            yield Case("gfm-spec/autolinks", para, para, tuple(html.unescape(t) for t in links))


def all_cases() -> list[Case]:
    if not SHARED.is_dir():
        return []
    return [*twitter_text_cases(), *linkify_cases(), *gfm_cases()]


def extracted(case: Case) -> tuple[str, ...]:
    from resolver.scan.links import find_urls

    found = tuple(f.raw for f in find_urls(case.text))
    if case.suite.startswith("twitter-text/autolink"):
        # twitter-text's autolinker links only URLs with a scheme unless told otherwise; its extractor
        # (extract.yml) covers the scheme-less ones. Compare like with like.
        found = tuple(f.raw for f in find_urls(case.text) if f.has_scheme)
    if case.whole_text:
        return found if found == (case.text,) else ()
    return found


def passes(case: Case) -> bool:
    got = extracted(case)
    if case.suite.startswith("linkify-it/links"):
        return bool(got) and got[0] == case.expected[0]
    return got == case.expected


if __name__ == "__main__":  # pragma: no cover - a report for humans
    import collections

    cases = all_cases()
    per = collections.Counter(c.suite for c in cases)
    ok = collections.Counter(c.suite for c in cases if passes(c))
    for suite in per:
        print(f"{suite:45} {ok[suite]:4}/{per[suite]:4}")
    print(f"{'total':45} {sum(ok.values()):4}/{len(cases):4} = {sum(ok.values()) / len(cases):.1%}")
    for c in cases:
        if not passes(c):
            print("FAIL", c.suite, repr(c.text)[:100], "expected", c.expected, "got", extracted(c))
