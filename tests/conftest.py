"""Shared fixtures. Tests never touch the network: see test_no_network.py for the guard."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "000_9cb5e36296cee54c.txt"
CORPUS = SHARED / "corpus"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared (maintainers' data) is not present")

_SESSION_TMPDIR: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """The commands the tests start keep their temporary files in a directory of this session's, removed at
    its end: a run the tests SIGKILL leaves its ``resolver-run-*`` directory behind, as documented, and that
    must not pile up in the machine's /tmp. Set before the test modules are imported, as some copy the
    environment then."""
    import os
    import tempfile

    directory = tempfile.mkdtemp(prefix="resolver-tests-")
    _SESSION_TMPDIR.append(directory)
    os.environ["TMPDIR"] = directory


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    for directory in _SESSION_TMPDIR:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own ~/.config/resolver/config.toml and RESOLVER_* variables must not steer a test."""
    import os

    for name in [n for n in os.environ if n.startswith("RESOLVER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RESOLVER_CONFIG", "/nonexistent/resolver-tests/config.toml")
    # A command the tests start gets stdout as users do: block-buffered on a pipe. A shell or CI that sets
    # PYTHONUNBUFFERED would hide output that is not flushed when it should be.
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)


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


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """c-ares sends its queries from C, past the socket guard above: point it at a loopback port nobody
    answers, so no test can ask the machine's real DNS server (tests that need names run tests.webserver's
    FakeDNS and pass it explicitly)."""
    import resolver.net.transport

    monkeypatch.setattr(resolver.net.transport, "DEFAULT_DNS_SERVERS", ("127.0.0.1:9",))


class ConnectRecorder:
    """Every address a socket of this process tried to connect to (after the guard above let it)."""

    def __init__(self) -> None:
        self.addresses: list[tuple[str, int]] = []

    def others_than(self, *allowed: tuple[str, int]) -> list[tuple[str, int]]:
        return [a for a in self.addresses if a not in allowed]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> ConnectRecorder:
    recorder = ConnectRecorder()
    guarded, guarded_ex = socket.socket.connect, socket.socket.connect_ex

    def record(address: object) -> None:
        if isinstance(address, tuple) and len(address) >= 2:
            recorder.addresses.append((str(address[0]), int(address[1])))

    def connect(self: socket.socket, address: object) -> None:
        record(address)
        return guarded(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        record(address)
        return guarded_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return recorder
