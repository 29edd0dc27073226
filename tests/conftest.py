"""Shared fixtures. Tests never touch the network: see test_no_network.py for the guard."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "000_9cb5e36296cee54c.txt"
CORPUS = SHARED / "corpus"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared (maintainers' data) is not present")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


# --- no network: only loopback connections are allowed in tests -------------------------------------

import ipaddress  # noqa: E402
import socket  # noqa: E402

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkUseError(AssertionError):
    pass


def _check_address(address: object) -> None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            raise NetworkUseError(f"tests may only connect to IP literals on loopback, not {host!r}") from None
        if not ip.is_loopback:
            raise NetworkUseError(f"tests may not connect to {host}: only 127.0.0.0/8 and ::1")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_address(address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
