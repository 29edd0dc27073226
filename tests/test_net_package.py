"""resolver.net as a package: its public names, and what importing it costs a module that needs little of it."""

from __future__ import annotations

import subprocess
import sys

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
