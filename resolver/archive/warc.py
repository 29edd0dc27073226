"""A local WARC of the cited sources (``--warc PATH``): every response fetched for a cited source, redirect
hops included, written with warcio as request/response records (payload digests included) that pywb and
ReplayWeb.page open. A torn tail (a kill, a full disk) is cut on open; what was written is remembered in the
store, so a rerun does not capture a URL twice."""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import ResolverError
from ..models import ResolvedRecord
from ..net import Client
from ..store import Ledger


class WarcError(ResolverError):
    """The WARC could not be written (a full disk, …); the message goes on the record's ``archive.error``."""


class WarcRecorder:
    """Writes request/response records for a cited source's chain (each hop, then the page) with warcio.

    What a kill or a full disk leaves is repaired when the file is opened: every record is written with one
    ``write`` and its end noted in the store, so the file is checked from the last end known to be whole;
    a torn record after it is cut off (``repaired`` says so), whole records the store did not hear of are
    taken in. The store remembers which URL went to which record of this file, so a re-run never writes a
    URL twice. A failed write is undone and ends the WARC's part of the run (``broken``).
    """

    def __init__(
        self,
        path: Path,
        client: Client,
        *,
        allow_private: bool = False,
        max_body: int = 32 * 1024 * 1024,
        store: Ledger | None = None,
    ) -> None:
        from ..store import MemoryStore

        self.path = path
        self.client = client
        self.allow_private = allow_private
        self.max_body = max_body
        self.gzip = path.suffix == ".gz" or path.name.endswith(".warc.gz")
        self.store: Ledger = store if store is not None else MemoryStore()
        self.repaired: str | None = None
        self.broken: str | None = None
        try:
            if path.exists() and not path.is_file():  # a device or a FIFO cannot be checked, cut or resumed
                raise OSError(0, "not a regular file")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._key = str(path.resolve())
            self._written = self._check_tail()
            self._file = path.open("ab")
        except OSError as exc:
            raise WarcError(f"cannot use the WARC {path}: {exc.strerror or exc}") from None

    def _check_tail(self) -> dict[str, str]:
        """Cut a torn last record off; return URL → record id of every response the file holds."""
        size = self.path.stat().st_size if self.path.exists() else 0
        known = self.store.warc_end(self._key) or 0
        if known > size:  # shorter than when we last wrote: replaced or cut by someone else
            self.store.forget_warc(self._key)
            known = 0
        written = self.store.warc_captures(self._key) if known else {}
        good = known
        with self.path.open("rb") if size else open(os.devnull, "rb") as handle:
            for _start, end, headers in whole_records(handle, known, gzip=self.gzip):
                if headers.get("warc-type") == "response":
                    url, record_id = headers.get("warc-target-uri"), headers.get("warc-record-id")
                    if url and record_id and url not in written:
                        written[url] = record_id
                        self.store.note_warc_capture(self._key, url, record_id, end)
                good = end
        if good < size:
            if good == 0 and not _looks_like_warc(self.path, self.gzip):
                raise OSError(0, "it is not a WARC file; refusing to append to it")
            os.truncate(self.path, good)
            self.repaired = f"{self.path}: cut off a torn record at its end ({size - good} bytes) left by a stopped run"
        return written

    def close(self) -> None:
        self._file.close()

    async def capture(self, record: ResolvedRecord) -> dict[str, str] | None:
        """Fetch and write every URL of the record's chain; the id of the cited page's response record."""
        from ..net import fetch_once

        res = record.resolution
        if res is None:
            return None
        chain = [h.url for h in res.hops]
        if res.final_url and res.final_url not in chain:
            chain.append(res.final_url)
        last_id = None
        for url in chain:
            if url in self._written:
                last_id = self._written[url]
                continue
            if self.broken:
                raise WarcError(self.broken)
            response = await fetch_once(
                self.client, url, max_body=self.max_body, allow_private=self.allow_private, read_body=lambda _: True
            )
            if url in self._written:  # another task wrote it while this one was fetching
                last_id = self._written[url]
                continue
            last_id = self._write(url, response)
        return {"file": str(self.path), "record_id": last_id} if last_id else None

    def _write(self, url: str, response: Any) -> str:
        from io import BytesIO
        from urllib.parse import urlsplit

        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        # httpx hands over decoded bodies: drop the encodings that no longer apply and state the true length.
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")
        ]
        headers.append(("Content-Length", str(len(response.body))))
        reason = response.reason or "OK"
        http_headers = StatusAndHeaders(f"{response.status} {reason}", headers, protocol="HTTP/1.1")
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=self.gzip)
        response_record = writer.create_warc_record(
            url, "response", payload=BytesIO(response.body), length=len(response.body), http_headers=http_headers
        )
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = list(response.request_headers.multi_items()) if response.request_headers is not None else []
        request_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", sent, is_http_request=True)
        request_record = writer.create_warc_record(
            url, "request", payload=BytesIO(b""), length=0, http_headers=request_headers
        )
        record_id = str(response_record.rec_headers.get_header("WARC-Record-ID"))
        request_record.rec_headers.add_header("WARC-Concurrent-To", record_id)
        writer.write_record(response_record)
        writer.write_record(request_record)
        start = self._file.tell()
        try:  # the pair in one write: a kill leaves the file whole or with one torn tail, never a gap
            self._file.write(buffer.getvalue())
            self._file.flush()
        except OSError as exc:
            self.broken = f"warc: not written: {exc.strerror or exc}"
            with contextlib.suppress(OSError):
                self._file.truncate(start)  # undo the part that made it, so the file stays whole
            raise WarcError(self.broken) from None
        end = self._file.tell()
        self._written[url] = record_id
        self.store.note_warc_capture(self._key, url, record_id, end)
        return record_id


def whole_records(handle: BinaryIO, start: int, *, gzip: bool) -> Iterator[tuple[int, int, dict[str, str]]]:
    """(start, end, WARC headers) of each whole record from ``start`` on; stops at the first torn one."""
    handle.seek(start)
    position = start
    while True:
        found = _next_gzip_member(handle, position) if gzip else _next_plain_record(handle, position)
        if found is None:
            return
        end, block = found
        headers = _whole_warc_record(block, plain_end_checked=not gzip)
        if headers is None:
            return
        yield position, end, headers
        position = end
        handle.seek(position)


def _next_gzip_member(handle: BinaryIO, position: int) -> tuple[int, bytes] | None:
    decompressor = zlib.decompressobj(wbits=31)
    out = bytearray()
    consumed = 0
    while not decompressor.eof:
        chunk = handle.read(1 << 16)
        if not chunk:
            return None  # the member never ended: torn
        consumed += len(chunk)
        try:
            out += decompressor.decompress(chunk)
        except zlib.error:
            return None
    return position + consumed - len(decompressor.unused_data), bytes(out)


def _next_plain_record(handle: BinaryIO, position: int) -> tuple[int, bytes] | None:
    head = handle.read(1 << 16)
    split = head.find(b"\r\n\r\n")
    if not head.startswith(b"WARC/") or split < 0:
        return None
    length = _content_length(head[:split])
    if length is None:
        return None
    total = split + 4 + length + 4
    block = head[:total] if len(head) >= total else head + handle.read(total - len(head))
    if len(block) < total:
        return None
    return position + total, block


def _whole_warc_record(block: bytes, *, plain_end_checked: bool) -> dict[str, str] | None:
    """The headers of a complete WARC record (header block, Content-Length bytes, CRLF CRLF), else None."""
    split = block.find(b"\r\n\r\n")
    if not block.startswith(b"WARC/") or split < 0:
        return None
    length = _content_length(block[:split])
    if length is None or len(block) < split + 4 + length + 4 or block[split + 4 + length :][:4] != b"\r\n\r\n":
        return None
    headers: dict[str, str] = {}
    for line in block[:split].decode("utf-8", "replace").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def _content_length(header_block: bytes) -> int | None:
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


def _looks_like_warc(path: Path, gzip: bool) -> bool:
    with path.open("rb") as handle:
        head = handle.read(5)
    return head.startswith(b"\x1f\x8b") if gzip else head.startswith(b"WARC/")
