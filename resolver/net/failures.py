"""Why a request failed, in one line naming the real cause: refused, reset, DNS, TLS, malformed, timeout.

The transport's exception is read as a whole chain (``__cause__``, ``__context__``, aiohttp's ``os_error``),
so the cause is found however deeply the HTTP stack wrapped it. The guard's refusals become BlockedError;
everything else a :class:`~resolver.errors.NetworkError`, marked retryable or not and as a timeout or not.
"""

from __future__ import annotations

import asyncio
import sys

import httpx

from ..errors import BlockedError, FetchError, NetworkError
from .guard import Target, refusal_in

# aiohttp's (and h11's) names for an answer that is not HTTP: matched by name, so no import is needed.
_MALFORMED = frozenset(
    {
        "ClientResponseError",
        "BadHttpMessage",
        "BadStatusLine",
        "LineTooLong",
        "InvalidHeader",
        "TransferEncodingError",
        "HttpProcessingError",
        "LocalProtocolError",
        "RemoteProtocolError",
    }
)


def failure_of(exc: BaseException, target: Target) -> FetchError:
    """One line naming the real cause of a transport failure, from the whole chain of wrapped errors."""
    if refusal := refusal_in(exc):
        return BlockedError(refusal)
    place = where(target)
    chain = _chain(exc)
    names = {type(e).__name__ for e in chain}
    if names & {"InvalidURL", "InvalidUrlClientError"}:  # aiohttp's URL parser declined what the guard accepted
        return BlockedError(f"refused: not a valid URL: {target.url[:120]}")
    texts = [t for e in chain if (t := _one_line(e))]
    detail = texts[-1] if texts else type(exc).__name__

    def has(*kinds: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kinds)), None)

    import ssl

    if own := next((t for t in texts if t.startswith("DNS lookup of")), None):  # the guard's bound on a lookup
        return NetworkError(own, timeout=True)
    if "ClientConnectorDNSError" in names or "DNSError" in names or has(_gaierror()):
        dns_errors = [e for e in chain if type(e).__name__ in ("DNSError", "gaierror")]
        dns_text = next((str(e.args[1]) for e in dns_errors if len(e.args) > 1 and e.args[1]), detail)
        if "timed out" in dns_text.lower() or "timeout" in dns_text.lower():
            return NetworkError(f"DNS lookup of {target.host} timed out: no answer from the DNS servers", timeout=True)
        return NetworkError(f"DNS lookup of {target.host} failed: {_dns_reason(dns_text)}", retryable=False)
    if has(ssl.SSLCertVerificationError) or "ClientConnectorCertificateError" in names:
        return NetworkError(f"TLS certificate of {place} not accepted: {_ssl_reason(chain)}", retryable=False)
    if has(ssl.SSLError) or "ClientConnectorSSLError" in names or "ClientSSLError" in names:
        return NetworkError(f"TLS handshake with {place} failed: {_ssl_reason(chain)}", retryable=False)
    if has(ConnectionRefusedError):
        return NetworkError(f"connection refused by {place}")
    if has(ConnectionResetError, BrokenPipeError):
        return NetworkError(f"connection reset by {place} before a complete answer")
    if "ServerDisconnectedError" in names:
        return NetworkError(f"{place} closed the connection without a complete answer")
    if names & {"ContentLengthError", "ClientPayloadError", "IncompleteRead"}:
        return NetworkError(f"the answer from {place} was cut off: {_malformed_reason(chain, detail)}")
    if has(_zlib_error()) or "brotli" in {type(e).__module__ for e in chain} or "DecodingError" in names:
        return NetworkError(f"the compressed body from {place} cannot be decoded: {detail}", retryable=False)
    if names & _MALFORMED:
        return NetworkError(f"malformed HTTP answer from {place}: {_malformed_reason(chain, detail)}", retryable=False)
    if has(TimeoutError, asyncio.TimeoutError) or isinstance(exc, httpx.TimeoutException):
        return NetworkError(f"timed out waiting for {place}", timeout=True)
    if os_error := has(OSError):
        return NetworkError(f"could not connect to {place}: {_one_line(os_error) or type(os_error).__name__}")
    return NetworkError(f"request to {place} failed: {type(exc).__name__}: {detail}")


def where(target: Target) -> str:
    """``host:port`` as a failure names it (an IPv6 address in brackets)."""
    host = f"[{target.host}]" if target.ip is not None and target.ip.version == 6 else target.host
    return f"{host}:{target.port}"


def is_transport_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the network's doing (then :func:`failure_of` names it), not a bug of ours."""
    if isinstance(exc, (httpx.TransportError, httpx.DecodingError, OSError, asyncio.TimeoutError, EOFError)):
        return True
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(exc, aiohttp.ClientError):
        return True
    import zlib

    return isinstance(exc, zlib.error) or (type(exc).__name__ == "error" and type(exc).__module__ == "brotli")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or any(current is seen for seen in out):
            continue
        out.append(current)
        stack += [getattr(current, "os_error", None), current.__context__, current.__cause__]
    return out


def _one_line(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, OSError) and exc.strerror and exc.errno is not None:
        return str(exc.strerror)
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else ""


def _gaierror() -> type[BaseException]:
    import socket

    return socket.gaierror


def _zlib_error() -> type[BaseException]:
    import zlib

    return zlib.error


def _dns_reason(text: str) -> str:
    text = text.replace("[Errno None] ", "")
    return {"Domain name not found": "no such name (NXDOMAIN)"}.get(text, text)


def _ssl_reason(chain: list[BaseException]) -> str:
    import ssl

    for exc in chain:
        if isinstance(exc, ssl.SSLError) and (reason := getattr(exc, "reason", None)):
            return str(reason).lower().replace("_", " ")
    return next((t for e in chain if isinstance(e, ssl.SSLError) and (t := _one_line(e))), "TLS error")


def _malformed_reason(chain: list[BaseException], detail: str) -> str:
    """aiohttp's parser messages quote the offending bytes on a second line with a caret: keep line one."""
    for exc in chain:
        message = getattr(exc, "message", None)
        if isinstance(message, str) and message.strip():
            lines = [line.strip() for line in message.splitlines() if line.strip(" ^\t")]
            return " ".join(" ".join(lines).split())[:200]
    return detail[:200]
