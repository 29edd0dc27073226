"""Reading a response body within a cap on its *decoded* size.

A few kilobytes of gzip can inflate to gigabytes (and gzip inside gzip to far more), so the cap must count
what decompression produces, and decompression must stop producing once the cap is reached instead of
inflating a whole chunk first. Each coding layer here is asked for at most the bytes still wanted; what it
could not yet emit stays compressed. A body that inflates more than :data:`MAX_RATIO`-fold is refused as a
compression bomb: no real page compresses like that.

Only the codings this module can bound are advertised in ``Accept-Encoding``: gzip and deflate always,
brotli when the ``brotli`` module offers a bounded ``process`` (1.1 and later).
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

from ..errors import BlockedError

MAX_RATIO = 200  # decoded bytes per byte received; real pages stay far below (text gzips ~5-10:1)
RATIO_FLOOR = 128 * 1024  # small bodies may compress absurdly (a page of spaces) without harm
_STEP = 64 * 1024  # how much one layer hands the next at a time


class _Layer(Protocol):
    consumed: int  # input bytes decoded so far (what the ratio is measured against)

    def push(self, data: bytes) -> None: ...
    def pull(self, n: int) -> bytes: ...


class _Identity:
    def __init__(self) -> None:
        self._pending = b""
        self.consumed = 0

    def push(self, data: bytes) -> None:
        self._pending += data

    def pull(self, n: int) -> bytes:
        out, self._pending = self._pending[:n], self._pending[n:]
        self.consumed += len(out)
        return out


class _Zlib:
    """gzip (members concatenated, as RFC 1952 allows) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._pending = b""
        self._started = False
        self._ended = False
        self.consumed = 0

    def push(self, data: bytes) -> None:
        if not self._ended:
            self._pending += data

    def pull(self, n: int) -> bytes:
        if not self._pending:
            return b""
        try:
            out = self._inflater.decompress(self._pending, n)
        except zlib.error:
            if self._coding != "deflate" or self._started:
                raise
            self._wbits = -zlib.MAX_WBITS  # deflate without the zlib wrapper
            self._inflater = zlib.decompressobj(self._wbits)
            out = self._inflater.decompress(self._pending, n)
        self._started = True
        before = len(self._pending)
        self._pending = self._inflater.unconsumed_tail
        self.consumed += before - len(self._pending) - len(self._inflater.unused_data)
        if self._inflater.eof:
            # Another gzip member may follow (RFC 1952); anything else after the end is ignored, as browsers do.
            rest = self._inflater.unused_data
            if self._coding == "gzip" and rest.startswith(b"\x1f\x8b"):
                self._inflater = zlib.decompressobj(self._wbits)
                self._pending = rest
            else:
                self._ended = True
                self._pending = b""
        return out


class _Brotli:
    def __init__(self, module: Any) -> None:
        self._decompressor = module.Decompressor()
        self._pending = b""
        self.consumed = 0  # brotli takes all input it is given into its own buffers

    def push(self, data: bytes) -> None:
        self._pending += data

    def pull(self, n: int) -> bytes:
        if self._decompressor.can_accept_more_data():
            if not self._pending:
                return b""
            data, self._pending = self._pending, b""
            self.consumed += len(data)
            return bytes(self._decompressor.process(data, output_buffer_limit=n))
        return bytes(self._decompressor.process(b"", output_buffer_limit=n))


def _bounded_brotli() -> Any:
    try:
        import brotli
    except ImportError:
        return None
    decompressor = getattr(brotli, "Decompressor", None)
    return brotli if decompressor is not None and hasattr(decompressor, "can_accept_more_data") else None


_BROTLI = _bounded_brotli()
ACCEPT_ENCODING = "gzip, deflate, br" if _BROTLI is not None else "gzip, deflate"


def _layer(coding: str) -> _Layer:
    if coding in ("gzip", "x-gzip"):
        return _Zlib("gzip")
    if coding == "deflate":
        return _Zlib("deflate")
    if coding == "br" and _BROTLI is not None:
        return _Brotli(_BROTLI)
    return _Identity()  # identity, or a coding we never asked for: passed through as httpx does


class BodyTooLarge(BlockedError):
    """The body inflates beyond any real page: a compression bomb."""


class Inflater:
    """Decodes a body given as raw chunks, never producing more than ``limit`` bytes in all."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        if len(codings) > 3:
            raise BodyTooLarge(f"refused: body too large: {len(codings)} layers of Content-Encoding")
        # The codings are listed in the order they were applied: undo them last first.
        self._layers = [_layer(c) for c in reversed(codings)] or [_Identity()]
        self.limit = limit
        self.received = 0
        self.produced = 0

    @property
    def full(self) -> bool:
        return self.produced >= self.limit

    def feed(self, raw: bytes) -> bytes:
        """Decoded bytes for one more raw chunk (at most what the limit leaves)."""
        self.received += len(raw)
        self._layers[0].push(raw)
        out: list[bytes] = []
        while not self.full:
            got = self._pull(len(self._layers) - 1, min(_STEP, self.limit - self.produced))
            if not got:
                break
            out.append(got)
            self.produced += len(got)
            self._check_ratio()
        return b"".join(out)

    def _pull(self, index: int, n: int) -> bytes:
        layer = self._layers[index]
        while True:
            got = layer.pull(n)
            if got or index == 0:
                return got
            upstream = self._pull(index - 1, _STEP)
            if not upstream:
                return b""
            layer.push(upstream)

    def _check_ratio(self) -> None:
        # Measured against the input decoded so far, not merely received: a bomb's first chunk alone can
        # fill the cap, and that chunk's first few hundred bytes are what produced it.
        consumed = max(self._layers[0].consumed, 1)
        if self.produced > RATIO_FLOOR and self.produced > MAX_RATIO * consumed:
            raise BodyTooLarge(
                f"refused: body too large: it inflates more than {MAX_RATIO}-fold ({consumed:,} bytes gave "
                f"{self.produced:,}), a compression bomb"
            )
