"""Replay vcrpy-format YAML cassettes through httpx's transport seam (``--cassette``).

vcrpy itself works by patching HTTP libraries process-wide; a transport is the seam httpx offers, so the
replay lives here and touches nothing global. Interactions match on method and full URL; the same request
may be replayed any number of times. A request the cassette lacks raises CassetteMissError naming the
method and URL. Gzip bodies (``content-encoding: gzip`` with ``!!binary`` bodies) are decoded by httpx as on
the wire.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import yaml

from ..errors import CassetteMissError, ResolverError


def _key(method: str, url: str) -> tuple[str, str]:
    """Method and URL, with the query in a canonical order and encoding (clients differ in both)."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    host = (parts.hostname or "").lower()
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return method.upper(), urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads the python/tuple tags some vcrpy versions write."""


_Loader.add_constructor("tag:yaml.org,2002:python/tuple", lambda loader, node: tuple(loader.construct_sequence(node)))  # type: ignore[arg-type]


class CassetteTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers only from recorded interactions."""

    def __init__(self, interactions: Iterable[dict[str, Any]]) -> None:
        self._responses: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._played: dict[tuple[str, str], int] = defaultdict(int)
        self.requests: list[tuple[str, str]] = []
        for interaction in interactions:
            request = interaction["request"]
            self._responses[_key(request["method"], request["uri"])].append(interaction["response"])

    @classmethod
    def from_paths(cls, *paths: str | Path) -> CassetteTransport:
        """Load cassette files; a directory stands for every ``.yaml``/``.yml`` file under it."""
        interactions: list[dict[str, Any]] = []
        for path in _expand(paths):
            try:
                data = yaml.load(path.read_text("utf-8"), Loader=_Loader)  # SafeLoader subclass
                found = (data or {}).get("interactions") or []
                for interaction in found:
                    _key(interaction["request"]["method"], interaction["request"]["uri"])
            except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ResolverError(f"cassette {path}: not a readable vcrpy cassette ({reason})") from None
            interactions.extend(found)
        return cls(interactions)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = _key(request.method, str(request.url))
        self.requests.append(key)
        recorded = self._responses.get(key)
        if not recorded:
            raise CassetteMissError(request.method, str(request.url))
        # Repeated requests walk through repeated recordings, then keep replaying the last one.
        index = min(self._played[key], len(recorded) - 1)
        self._played[key] += 1
        response = recorded[index]
        body = response.get("body", {})
        content = body.get("string", b"") if isinstance(body, dict) else body
        if isinstance(content, str):
            content = content.encode("utf-8")
        headers = [
            (name, value) for name, values in (response.get("headers") or {}).items() for value in _listify(values)
        ]
        headers = [(n, v) for n, v in headers if n.lower() not in ("transfer-encoding", "content-length")]
        status = response.get("status", {})
        code = int(status.get("code", 200) if isinstance(status, dict) else status)
        return httpx.Response(code, headers=headers, stream=httpx.ByteStream(content or b""), request=request)


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            out.append(path)
    return out


def _listify(values: Any) -> list[str]:
    return [str(v) for v in values] if isinstance(values, list) else [str(values)]
