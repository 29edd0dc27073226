"""One address judgement for every request the program makes.

A stranger's article chooses the URLs this program fetches, so a URL is judged on the host the connection
will really go to, not on the host as written. Three places apply the same rules:

1. **Before the request** (:meth:`AddressGuard.judge`): the URL is parsed once as a browser parses it (the
   WHATWG URL standard, through ada): percent-decoding, IDNA/UTS-46 mapping (``127。0。0。1``,
   ``１２７.０.０.１``), every IPv4 spelling (``0x7f.1``, ``2130706433``, ``0177.0.0.1``, a trailing dot), IPv6
   canonical form. The request is then sent to *that* serialisation, so the host judged and the host
   connected cannot differ, whatever the HTTP stack would have made of the original spelling.
2. **After DNS** (:func:`guarded_resolver`): every answer of every family is judged; non-public ones are
   dropped, and a name with nothing left is refused (DNS rebinding gains nothing: each lookup is judged).
3. **At connect** (:class:`ConnectGuard.socket_factory`): the address the socket is about to connect to is
   judged once more, so nothing reaches a socket that the rules refuse.

Public means globally routable unicast. IPv4-mapped, NAT64 (64:ff9b::/96), 6to4 and Teredo addresses are
judged by the IPv4 addresses they carry. ``--allow-private`` lifts the address rules; ``--allow-host``
(:class:`AllowRule`) lifts them for one name, address or network, optionally on one port only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..errors import BlockedError

PRIVATE_REFUSAL = "refused: non-public address"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Names that are loopback by definition (RFC 6761) or by every distribution's /etc/hosts.
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


# --- judging one address --------------------------------------------------------------------------------


def _plain_public(ip: IPAddress) -> bool:
    if ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback or ip.is_unspecified:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return False
    return bool(ip.is_global)


@lru_cache(maxsize=4096)
def is_public(ip: IPAddress) -> bool:
    """True only for globally routable unicast; addresses that carry an IPv4 address are judged by it."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _plain_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return _plain_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return _plain_public(ip.sixtofour)
        if ip.teredo is not None:
            server, client = ip.teredo
            return _plain_public(server) and _plain_public(client)
    return _plain_public(ip)


def is_public_ip(address: str) -> bool:
    """:func:`is_public` for an address written as text (brackets and a zone id tolerated)."""
    try:
        return is_public(ipaddress.ip_address(address.split("%", 1)[0].strip("[]")))
    except ValueError:
        return False


# --- the URL as the connection sees it ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A URL as it will be requested: the WHATWG serialisation, and the host and port it connects to."""

    url: str
    scheme: str
    host: str  # a domain (ASCII, lower case) or an address (IPv6 without brackets)
    port: int
    ip: IPAddress | None  # the host, when it is an address
    authority: str = ""  # host and non-default port as serialised, what a Host header says

    @property
    def name(self) -> str:
        """The host as a DNS name: trailing dots dropped (``localhost.`` is ``localhost``)."""
        return self.host.rstrip(".")


@lru_cache(maxsize=8192)
def normalise(url: str) -> Target:
    """Parse ``url`` as a browser does and say exactly where a request for it goes.

    Raises BlockedError for a scheme other than http/https and for a URL no browser would request (a host
    that is not a valid name or address, an IPv6 zone id, a port out of range).
    """
    import ada_url

    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    if scheme not in _DEFAULT_PORTS:
        raise BlockedError(f"refused: only http and https are followed, not {scheme or url[:80]}")
    try:
        parsed = ada_url.parse_url(url, attributes=_ATTRIBUTES)
    except ValueError:
        raise BlockedError(f"refused: not a valid URL: {_shorten(url)}") from None
    host = parsed["hostname"]
    if not host:
        raise BlockedError(f"refused: no host in {_shorten(url)}")
    ip: IPAddress | None = None
    if host.startswith("["):
        host = host[1:-1]
        ip = ipaddress.IPv6Address(host)
    elif host[-1].isdigit():  # WHATWG: a host ending in a number is an IPv4 address, already canonical
        try:
            ip = ipaddress.IPv4Address(host)
        except ValueError:
            ip = None
    port = int(parsed["port"]) if parsed["port"] else _DEFAULT_PORTS[scheme]
    href = parsed["href"]
    if parsed["username"] or parsed["password"]:  # credentials found in an article are not sent anywhere
        whole = ada_url.URL(href)
        whole.username = ""
        whole.password = ""
        href = whole.href
    return Target(href.split("#", 1)[0], scheme, host, port, ip, parsed["host"])


_ATTRIBUTES = ("href", "host", "hostname", "port", "username", "password")


def _shorten(url: str) -> str:
    one_line = " ".join(url.split())
    return one_line if len(one_line) <= 120 else one_line[:117] + "..."


# --- what may be reached --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllowRule:
    """One ``--allow-host`` entry: a host name (``cms.intranet``, ``*.intranet.example``), an address
    (``10.1.2.3``, ``[fd00::1]``) or a network (``10.0.0.0/8``), optionally with ``:PORT``."""

    text: str
    name: str | None = None  # exact name, or ".suffix" for "*.suffix"
    network: IPNetwork | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowRule:
        """Raises ValueError with a one-line reason for an entry that is none of the forms above."""
        value = text.strip()
        port: int | None = None
        if value.startswith("["):  # [v6] or [v6/len], then maybe :port
            inside, _, rest = value[1:].partition("]")
            if rest:
                port = _port(rest.removeprefix(":"), text)
            value = inside
        elif value.count(":") == 1:  # name:port or v4:port (a bare IPv6 has several colons)
            value, port_text = value.split(":")
            port = _port(port_text, text)
        if not value:
            raise ValueError(f"{text!r}: no host")
        try:
            return cls(text, network=ipaddress.ip_network(value, strict=False), port=port)
        except ValueError:
            pass
        name = value.lower().rstrip(".")
        wildcard = name.startswith("*.")
        if wildcard:
            name = name[1:]
        labels = name.strip(".").split(".")
        if not all(label and all(c.isalnum() or c in "-_" for c in label) for label in labels):
            raise ValueError(f"{text!r} is not a host name, an address or a network")
        return cls(text, name=name, port=port)

    def covers_name(self, name: str, port: int) -> bool:
        if self.name is None or (self.port is not None and port != self.port):
            return False
        name = name.lower().rstrip(".")
        return name.endswith(self.name) if self.name.startswith(".") else name == self.name

    def covers_address(self, ip: IPAddress, port: int) -> bool:
        if self.network is None or (self.port is not None and port != self.port):
            return False
        if ip.version != self.network.version:
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped
            else:
                return False
        return ip in self.network


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{entry!r}: {text!r} is not a port")
    return int(text)


@dataclass(frozen=True)
class AddressGuard:
    """The rules: public addresses only, unless ``allow_private`` or an ``allow`` rule says otherwise."""

    allow_private: bool = False
    allow: tuple[AllowRule, ...] = ()

    @classmethod
    def from_options(cls, *, allow_private: bool = False, allow_hosts: Iterable[str] = ()) -> AddressGuard:
        return cls(allow_private, tuple(AllowRule.parse(h) for h in allow_hosts))

    def name_allowed(self, name: str, port: int) -> bool:
        """Whether a host name is allowed whatever it resolves to (``--allow-host NAME``)."""
        return self.allow_private or any(rule.covers_name(name, port) for rule in self.allow)

    def address_allowed(self, ip: IPAddress | str, port: int) -> bool:
        if self.allow_private:
            return True
        if isinstance(ip, str):
            try:
                ip = ipaddress.ip_address(ip.split("%", 1)[0])
            except ValueError:
                return False
        return is_public(ip) or any(rule.covers_address(ip, port) for rule in self.allow)

    def judge(self, url: str) -> Target:
        """The Target to request for ``url``, or BlockedError saying why it is refused.

        An address is judged here; a name is judged here only when it is loopback by definition
        (``localhost``), and otherwise by every DNS answer at connect time."""
        target = normalise(url)
        if self.allow_private:
            return target
        if target.ip is not None:
            if not self.address_allowed(target.ip, target.port):
                written = _host_as_written(url)
                shown = target.host if written == target.host else f"{written} is {target.host}"
                raise BlockedError(f"{PRIVATE_REFUSAL} ({shown})")
            return target
        name = target.name
        loopback = name in _LOOPBACK_NAMES or name.endswith(".localhost")
        if (
            loopback
            and not self.name_allowed(name, target.port)
            and not any(self.address_allowed(ip, target.port) for ip in _LOOPBACK)
        ):
            raise BlockedError(f"{PRIVATE_REFUSAL} ({name} is loopback)")
        return target


def _host_as_written(url: str) -> str:
    rest = url.split("://", 1)[-1]
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


# --- at connect time (the aiohttp transport) --------------------------------------------------------------


@dataclass
class ConnectGuard:
    """The guard as the aiohttp connector applies it: a DNS resolver wrapper and a socket factory.

    Names allowed by a rule may resolve to private addresses; the addresses they resolved to are
    remembered (with the port) so that the socket factory lets exactly those through."""

    guard: AddressGuard
    _vouched: set[tuple[str, int]] = field(default_factory=set)

    def vouch_for(self, addresses: Iterable[str], port: int) -> None:
        """Let sockets to ``addresses`` on ``port`` through: an allowed name resolved to them."""
        self._vouched.update((address, port) for address in addresses)

    def resolver(self, inner: Any, *, lookup_timeout: float) -> Any:
        return guarded_resolver(inner, self, lookup_timeout)

    def socket_factory(self, addr_info: Any) -> socket.socket:
        family, type_, proto, _, address = addr_info
        host, port = str(address[0]), int(address[1])
        if not self.guard.address_allowed(host, port) and (host, port) not in self._vouched:
            raise OSError(f"{PRIVATE_REFUSAL} (a connection to {host} was stopped)")
        return socket.socket(family=family, type=type_, proto=proto)


def guarded_resolver(inner: Any, connect_guard: ConnectGuard, lookup_timeout: float) -> Any:
    """An aiohttp resolver: ``inner``'s answers, each lookup bounded in time, non-public answers dropped."""
    from aiohttp.abc import AbstractResolver

    class _Guarded(AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
            try:
                results = await asyncio.wait_for(inner.resolve(host, port, family), lookup_timeout)
            except asyncio.TimeoutError:
                raise OSError(f"DNS lookup of {host} timed out after {lookup_timeout:g} s") from None
            guard = connect_guard.guard
            if guard.name_allowed(host, port):
                connect_guard.vouch_for((str(r["host"]) for r in results), port)
                return list(results)
            kept = [r for r in results if guard.address_allowed(str(r["host"]), port)]
            if not kept:
                addresses = ", ".join(sorted({str(r["host"]) for r in results}))
                raise OSError(f"{PRIVATE_REFUSAL} ({host} resolves to {addresses})")
            return kept

        async def close(self) -> None:
            await inner.close()

    return _Guarded()


def refusal_in(exc: BaseException) -> str | None:
    """The guard's refusal message, wherever the transport wrapped it (aiohttp keeps it in ``os_error``)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        text = str(current)
        if PRIVATE_REFUSAL in text:
            return text[text.index(PRIVATE_REFUSAL) :].splitlines()[0].rstrip("]")
        stack += [current.__cause__, current.__context__, getattr(current, "os_error", None)]
    return None
