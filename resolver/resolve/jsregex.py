"""JavaScript regular expressions (as ClearURLs writes them) translated to Python's ``re``.

ClearURLs' rules are ECMAScript patterns compiled without the ``u`` flag. Most of them mean the same in
Python; the differences that matter are rewritten token by token:

* ``$`` is the end of the input in JavaScript (no multiline flag); Python's ``$`` also matches before a
  final newline, so it becomes ``\\Z``.
* ``\\d``, ``\\w`` and ``\\b`` are ASCII-only in JavaScript: patterns compile with ``re.ASCII``.
* ``(?<name>…)`` and ``\\k<name>`` become ``(?P<name>…)`` and ``(?P=name)``.
* ``[^]`` (any character) becomes ``[\\s\\S]``; ``[]`` (never matches) becomes ``(?!)``.
* An escaped letter JavaScript treats as the letter itself (``\\a``, ``\\A``, ``\\Z``, ``\\e``…) becomes the
  letter; ``\\cX`` becomes the control character it names.
* ``{`` that does not start a quantifier JavaScript can read (``x{,3}``) is a literal brace.
* Inside a class, ``[`` and doubled ``&&``, ``||``, ``~~`` are escaped (Python reserves them for set
  operations and warns).

What cannot be translated (a variable-width look-behind, say) raises :class:`UntranslatableRegex`; the
refresh script refuses rule data that holds one, so the vendored data always translates whole.
"""

from __future__ import annotations

import re
import warnings

FLAGS = re.IGNORECASE | re.ASCII  # ClearURLs compiles every pattern with "i"

_JS_ESCAPES = frozenset("dDwWsSbBfnrtvxu")  # the letters whose escape means something in JavaScript
_HEX2 = re.compile(r"[0-9a-fA-F]{2}")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_QUANTIFIER = re.compile(r"\{\d+(?:,\d*)?\}")


class UntranslatableRegex(ValueError):
    """A JavaScript pattern with no faithful Python equivalent."""


def translate(pattern: str) -> str:
    """The Python ``re`` source equivalent to JavaScript ``pattern`` (compile it with :data:`FLAGS`)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise UntranslatableRegex(f"trailing backslash in {pattern!r}")
            text, i = _escape(pattern, i, in_class)
            out.append(text)
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append(c)
            elif c == "[":
                out.append("\\[")
            elif c in "&|~" and out and out[-1] == c:
                out.append("\\" + c)
            else:
                out.append(c)
            i += 1
            continue
        if c == "[":
            if pattern.startswith("[^]", i):
                out.append(r"[\s\S]")
                i += 3
                continue
            if pattern.startswith("[]", i):
                out.append("(?!)")
                i += 2
                continue
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # JavaScript: "[^]" handled above; "[]]" cannot occur here
                out.append("\\]")
                i += 1
            continue
        if c == "$":
            out.append(r"\Z")
        elif c == "{":
            m = _QUANTIFIER.match(pattern, i)
            if m and out:
                out.append(m.group())
                i = m.end()
                continue
            out.append(r"\{")
        elif c == "}":
            out.append(r"\}")
        elif c == "(" and pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(c)
        i += 1
    if in_class:
        raise UntranslatableRegex(f"unterminated character class in {pattern!r}")
    return "".join(out)


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """The ``\\X`` escape at ``pattern[i]`` in Python's spelling, and the index just after it."""
    nxt = pattern[i + 1]
    if nxt == "k" and not in_class and pattern.startswith("k<", i + 1):
        end = pattern.find(">", i + 3)
        if end < 0:
            raise UntranslatableRegex(f"unterminated \\k<name> in {pattern!r}")
        return f"(?P={pattern[i + 3 : end]})", end + 1
    if nxt == "c" and i + 2 < len(pattern) and pattern[i + 2].isalpha():
        return f"\\x{ord(pattern[i + 2].upper()) % 32:02x}", i + 3
    if nxt == "x" and not _HEX2.match(pattern, i + 2):
        return "x", i + 2  # JavaScript without the u flag: "\\x" not followed by two hex digits is "x"
    if nxt == "u" and not _HEX4.match(pattern, i + 2):
        return "u", i + 2
    if nxt.isalpha() and (nxt not in _JS_ESCAPES or (in_class and nxt == "B")):
        return nxt, i + 2  # an identity escape: "\\e" is "e", "\\Z" is "Z"
    if nxt.isdigit() and nxt != "0" and in_class:
        return nxt, i + 2  # no back-references inside a class
    return "\\" + nxt, i + 2


def compile_js(pattern: str) -> re.Pattern[str]:
    """Compile a JavaScript pattern as ClearURLs does (``new RegExp(pattern, "i")``)."""
    try:
        return compile_python(translate(pattern))
    except UntranslatableRegex as exc:
        raise UntranslatableRegex(f"{pattern!r}: {exc}") from None


def compile_python(source: str) -> re.Pattern[str]:
    """Compile translated source with :data:`FLAGS`; anything Python would warn about is refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "possible nested set" warning means Python would read it otherwise
        try:
            return re.compile(source, FLAGS)
        except (re.error, FutureWarning, DeprecationWarning) as exc:
            raise UntranslatableRegex(str(exc)) from None
