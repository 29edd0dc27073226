"""The HTTP seam beneath every stage: the only code that sends a request.

In: a URL, and the client it goes through — a :class:`Session` from :func:`make_client` (the guarded
aiohttp transport, or one given: ``--cassette`` replay, ``httpx.MockTransport`` in tests), or an
``httpx.AsyncClient`` the caller brings. Out: a :class:`HopResponse` (status, headers, the body capped by
its decoded size), or a :class:`~resolver.errors.FetchError` naming the real cause in one line
(BlockedError for the guard's refusals, NetworkError, RetryLater, ItemTimeUp).

One module a role:

* ``client`` — :class:`Session` and :func:`make_client`: default headers, one request's time limit, the
  guard's rules; requests go straight to the default aiohttp transport, or to any other through httpx's
  public transport interface.
* ``transport`` — the default transport: one aiohttp session, the guard on DNS answers and sockets.
* ``answer`` — what one request answered (status, headers, the raw body stream), from either.
* ``guard`` — :class:`AddressGuard`: what may be reached, judged on the URL as a browser parses it.
* ``hop`` — :func:`fetch_once`: one request, redirects off, under one time limit, its body capped.
* ``bodies`` — decoding a body within a cap on its decoded size (compression bombs refused).
* ``failures`` — one line naming why a request failed.
* ``retry`` — :class:`RetryPolicy` and :func:`fetch_with_retry`: which failures are retried, waits,
  ``Retry-After``.
* ``timing`` — :class:`Deadline` (the run's), :class:`Budget` (one item's), :func:`within`.
* ``limits`` — :class:`HostLimiter`: requests in flight to one host.
* ``rates`` — :class:`RateMeter`: request starts a second per site, every attempt of every hop
  (:class:`LocalRateMeter` in one process; the cluster run shares one through Redis).
* ``cassette`` — :class:`CassetteTransport`: vcrpy cassettes replayed through the transport seam.
* ``sites`` — hosts and registrable domains (no HTTP: the scanner uses it too).

The names below are loaded when first used, so that a module needing only ``sites`` (the scanner) imports
neither httpx nor tenacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cassette import CassetteTransport
    from .client import USER_AGENT, Client, Session, guard_of, make_client, request_seconds
    from .guard import PRIVATE_REFUSAL, AddressGuard, AllowRule, is_public_ip
    from .hop import HopResponse, fetch_once
    from .limits import HostLimiter
    from .rates import LocalRateMeter, RateMeter, Unmetered
    from .retry import RETRY_STATUSES, RetryableStatus, RetryPolicy, fetch_with_retry, retry_after_seconds
    from .timing import Budget, Deadline, ItemTimeUp, within

__all__ = [
    "PRIVATE_REFUSAL",
    "RETRY_STATUSES",
    "USER_AGENT",
    "AddressGuard",
    "AllowRule",
    "Budget",
    "CassetteTransport",
    "Client",
    "Deadline",
    "HopResponse",
    "HostLimiter",
    "ItemTimeUp",
    "LocalRateMeter",
    "RateMeter",
    "RetryPolicy",
    "RetryableStatus",
    "Session",
    "Unmetered",
    "fetch_once",
    "fetch_with_retry",
    "guard_of",
    "is_public_ip",
    "make_client",
    "request_seconds",
    "retry_after_seconds",
    "within",
]

# Where each public name lives.
_HOME = {
    "CassetteTransport": "cassette",
    **dict.fromkeys(["USER_AGENT", "Client", "Session", "guard_of", "make_client", "request_seconds"], "client"),
    **dict.fromkeys(["PRIVATE_REFUSAL", "AddressGuard", "AllowRule", "is_public_ip"], "guard"),
    **dict.fromkeys(["HopResponse", "fetch_once"], "hop"),
    "HostLimiter": "limits",
    **dict.fromkeys(["LocalRateMeter", "RateMeter", "Unmetered"], "rates"),
    **dict.fromkeys(
        ["RETRY_STATUSES", "RetryableStatus", "RetryPolicy", "fetch_with_retry", "retry_after_seconds"], "retry"
    ),
    **dict.fromkeys(["Budget", "Deadline", "ItemTimeUp", "within"], "timing"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # The import statement's machinery (not importlib's), so that ``python -X importtime`` shows the load.
    value = getattr(__import__(f"{__name__}.{home}", fromlist=[name]), name)
    globals()[name] = value  # later look-ups are plain ones
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
