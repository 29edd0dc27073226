"""resolver.net as a package: its public names, and what importing it costs a module that needs little of it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import resolver.net


def _isort_order(name: str) -> tuple[int, str]:
    """The order of every ``__all__`` in the package: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_names_are_sorted_and_each_one_is_there() -> None:
    names = resolver.net.__all__
    assert names == sorted(names, key=_isort_order)
    for name in names:
        assert getattr(resolver.net, name) is not None, name
    assert set(names) <= set(dir(resolver.net))


def test_a_name_it_does_not_have_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'fetch_article'"):
        _ = resolver.net.fetch_article  # reading an article is the read stage's job (resolver.read.fetch)


def test_the_scanner_gets_sites_without_the_http_machinery() -> None:
    """``resolver.net.sites`` (hosts, registrable domains) is beneath the scanner too: importing it must not
    drag in httpx or tenacity through the package's ``__init__``."""
    probe = "import sys, resolver.net.sites; print(sorted({'httpx', 'tenacity'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_public_name_once_loaded_is_the_module_own_object() -> None:
    from resolver.net.retry import RetryPolicy

    assert resolver.net.RetryPolicy is RetryPolicy


NET = Path(resolver.net.__file__).parent


def _is_private(name: object) -> bool:
    return isinstance(name, str) and name.startswith("_") and not name.startswith("__")


def _private_reads(source: str) -> list[str]:
    """``x._name`` where ``x`` is not ``self`` or ``cls`` (a reach into another object's internals), and
    ``hasattr``/``getattr``/``setattr`` with such a name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) > 1:
            name = node.args[1]
            reflective = node.func.id in ("hasattr", "getattr", "setattr")
            if reflective and isinstance(name, ast.Constant) and _is_private(name.value):
                found.append(f"line {node.lineno}: {node.func.id}(…, {name.value!r})")
    return found


@pytest.mark.parametrize("path", sorted(NET.glob("*.py")), ids=lambda p: p.name)
def test_the_http_seam_uses_public_interfaces_only(path: Path) -> None:
    """No private attribute of httpx, aiohttp or any other object is read or set (issue 10)."""
    assert _private_reads(path.read_text("utf-8")) == []


def test_the_private_access_check_is_not_vacuous() -> None:
    source = "client._cookies = None\nok = self._own\nif hasattr(response, '_content'): pass\n"
    assert _private_reads(source) == ["line 1: ._cookies", "line 3: hasattr(…, '_content')"]
