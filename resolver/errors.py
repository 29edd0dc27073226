"""Errors raised by resolver.

Only job-level failures raise; one failing item is data on its record (``status``/``error``)::

    ResolverError
    ├── SourceError          a source cannot be read or decoded (the CLI reports it, goes on, exits 2)
    ├── StoreError           the cache file cannot be opened, is damaged, or could not be written
    ├── OutputError          the output could not be written (a full disk, a closed pipe, …)
    └── FetchError           a request could not be answered (raised inside resolve, caught per item)
        ├── BlockedError     refused on purpose: private address, bad scheme, too many hops, body too large
        ├── CassetteMissError  --cassette replay has no interaction for this method and URL
        ├── NetworkError     the network failed, with the real cause in one line (refused, reset, DNS,
        │                    TLS, malformed answer, timeout)
        └── RetryLater       the server asks to wait longer than the retry policy waits (Retry-After)
"""

from __future__ import annotations


class ResolverError(Exception):
    """Base class of every error resolver raises on purpose."""


class SourceError(ResolverError):
    """A SOURCE could not be read: missing path, unreadable file, failed download."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class StoreError(ResolverError):
    """The cache cannot be used."""


class OutputError(ResolverError):
    """Writing the output failed; nothing half-written is left in its place."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"cannot write {target}: {reason}")
        self.target = target
        self.reason = reason


class FetchError(ResolverError):
    """A request failed in a way that retrying will not mend."""


class BlockedError(FetchError):
    """The request was refused by policy (SSRF guard, scheme, hop limit, size limit)."""


class CassetteMissError(FetchError):
    """A replayed cassette holds no interaction for this request."""

    def __init__(self, method: str, url: str) -> None:
        super().__init__(f"cassette has no interaction for {method} {url}")
        self.method = method
        self.url = url


class NetworkError(FetchError):
    """A request failed on the network. ``str()`` is one line naming the real cause; ``retryable`` says
    whether trying again within this run can help (a refused or reset connection, a timeout) or not (a
    malformed answer, a TLS failure, a name that does not exist)."""

    def __init__(self, reason: str, *, retryable: bool = True, timeout: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.timeout = timeout


class RetryLater(FetchError):
    """The server asked for a pause (``Retry-After``) longer than this run waits: the next run asks again."""

    def __init__(self, reason: str, seconds: float, status: int) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.status = status  # the HTTP status that carried the Retry-After
