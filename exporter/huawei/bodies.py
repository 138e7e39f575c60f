"""Reading a response body without trusting it: bounded after decompression, per poll too.

The session does not decompress (`auto_decompress=False`): a gzip body is inflated here, a
piece at a time with `max_length`, so a 1 MB bomb that would inflate to 1 GB stops at the
cap having held at most the cap. `Content-Length` is a hint, never the check.

    body = await read_body(response, limit=32 << 20, budget=poll_budget)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import aiohttp

from exporter.huawei.errors import BadResponseError

CHUNK = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"  # what read_body can inflate; sent with every request


@dataclass(slots=True)
class ByteBudget:
    """What one poll may hold in total, across all its pages (`api.max_poll_bytes`)."""

    limit: int
    used: int = 0

    def charge(self, size: int, status: int | None) -> None:
        self.used += size
        if self.used > self.limit:
            raise BadResponseError(
                f"responses of one poll exceed api.max_poll_bytes ({self.limit} bytes)",
                status=status,
            )


class _Inflater:
    """gzip (every member, as HTTP allows several) or deflate, inflated at most `room` at a
    time."""

    def __init__(self, encoding: str) -> None:
        # 47: zlib or gzip header, detected; raw deflate (a common server mistake) is retried.
        self._wbits = 31 if encoding in ("gzip", "x-gzip") else 47
        self._inflate = zlib.decompressobj(self._wbits)
        self._first = True

    def feed(self, data: bytes, room: int) -> tuple[bytes, bytes]:
        """Inflate up to `room` + 1 bytes of `data`; what it produced and what is left."""
        try:
            out = self._inflate.decompress(data, room + 1)
        except zlib.error:
            if not (self._first and self._wbits == 47):
                raise
            self._wbits = -zlib.MAX_WBITS
            self._inflate = zlib.decompressobj(self._wbits)
            out = self._inflate.decompress(data, room + 1)
        self._first = False
        rest = self._inflate.unconsumed_tail
        if self._inflate.eof and self._inflate.unused_data:  # the next gzip member
            rest = self._inflate.unused_data + rest
            self._inflate = zlib.decompressobj(self._wbits)
        return out, rest


async def read_body(
    response: aiohttp.ClientResponse, *, limit: int, budget: ByteBudget | None = None
) -> bytearray:
    """The whole body, decoded; BadResponseError once it would exceed `limit` (or the poll's
    `budget`), having read no more than that. One growing buffer, no joined copy: msgspec
    decodes it as it is."""
    try:
        return await _read(response, limit, budget)
    except BadResponseError:
        # Closed, not released: a connection given back to the pool with the rest of a hostile
        # body still arriving would buffer it, unread (300 MB in 60 ms seen on loopback).
        response.close()
        raise


async def _read(
    response: aiohttp.ClientResponse, limit: int, budget: ByteBudget | None
) -> bytearray:
    status = response.status
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
        raise BadResponseError(f"unsupported Content-Encoding {encoding[:32]!r}", status=status)
    too_large = f"response body exceeds api.max_response_bytes ({limit} bytes)"
    declared = response.content_length
    if encoding in ("identity", "") and declared is not None and declared > limit:
        raise BadResponseError(too_large, status=status)
    inflater = _Inflater(encoding) if encoding not in ("identity", "") else None
    body = bytearray()
    try:
        async for chunk in response.content.iter_chunked(CHUNK):
            pending = chunk
            while pending:
                if inflater is None:
                    piece, pending = pending, b""
                else:
                    piece, pending = inflater.feed(pending, limit - len(body))
                if len(body) + len(piece) > limit:
                    raise BadResponseError(too_large, status=status)
                if budget is not None:
                    budget.charge(len(piece), status)
                body += piece
                if not piece:
                    break  # the inflater holds it all: wait for more input
    except zlib.error:
        raise BadResponseError("response body is not valid gzip/deflate", status=status) from None
    return body
