"""The pre-rendered exposition every scrape reads, swapped per source by the pollers.

A scrape never maps tasks or calls an API. A plain scrape streams the prepared bytes of each
family in order (no joined copy: at 20,000 tasks the exposition is about 100 MB); a gzip
scrape gets a body compressed once per snapshot version, off the event loop.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping
from typing import NamedTuple

from exporter import render
from exporter.telemetry import SourceKey


class Body(NamedTuple):
    """A response body as consecutive pieces, and its length: what a scrape writes out."""

    pieces: list[bytes]
    length: int


def _body(pieces: list[bytes]) -> Body:
    return Body(pieces, sum(len(piece) for piece in pieces))


class Snapshot:
    def __init__(self) -> None:
        self._sources: dict[SourceKey, Mapping[str, list[bytes]]] = {}
        self._own: Mapping[str, list[bytes]] = {}
        self.version = 0
        self._plain: dict[bool, Body] = {}  # by openmetrics; both caches emptied on every change
        self._gzip: dict[bool, tuple[int, Body]] = {}
        self._gzip_locks = {False: asyncio.Lock(), True: asyncio.Lock()}

    def set_source(self, key: SourceKey, families: Mapping[str, list[bytes]]) -> None:
        """Replace one source's task families (one assignment: scrapes see old or new)."""
        self._sources = {**self._sources, key: families}
        self._changed()

    def drop_source(self, key: SourceKey) -> None:
        if key in self._sources:
            self._sources = {k: v for k, v in self._sources.items() if k != key}
            self._changed()

    def has_source(self, key: SourceKey) -> bool:
        return key in self._sources

    def set_own(self, families: Mapping[str, list[bytes]]) -> None:
        self._own = families
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._plain.clear()
        self._gzip.clear()  # a stale body must not outlive the data it holds

    def plain(self, *, openmetrics: bool) -> Body:
        """The uncompressed exposition of the current version, assembled once per version."""
        cached = self._plain.get(openmetrics)
        if cached is None:
            blocks = [self._sources[key] for key in sorted(self._sources)]
            cached = self._plain[openmetrics] = _body(
                render.chunks([*blocks, self._own], openmetrics)
            )
        return cached

    def body(self, *, openmetrics: bool) -> bytes:
        """The whole plain body at once (tests, --once); scrapes stream `plain` instead."""
        return b"".join(self.plain(openmetrics=openmetrics).pieces)

    async def gzipped(self, *, openmetrics: bool) -> Body:
        """The gzip body of the current version, compressed off the loop once per version."""
        async with self._gzip_locks[openmetrics]:
            cached = self._gzip.get(openmetrics)
            if cached is not None and cached[0] == self.version:
                return cached[1]
            version = self.version
            pieces = self.plain(openmetrics=openmetrics).pieces
            body = _body(await asyncio.to_thread(compress, pieces))
            if version == self.version:  # the data did not change while compressing
                self._gzip[openmetrics] = (version, body)
            return body


def compress(pieces: list[bytes]) -> list[bytes]:
    """gzip of the concatenated pieces, fast level: a scrape body, not an archive.

    One gzip stream, returned in pieces (not joined: no second copy of the body)."""
    compressor = zlib.compressobj(level=1, wbits=31)  # wbits 31: gzip container
    out = [compressor.compress(piece) for piece in pieces]
    out.append(compressor.flush())
    return [piece for piece in out if piece]
