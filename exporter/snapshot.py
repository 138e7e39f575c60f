"""The pre-rendered exposition every scrape reads, swapped per source by the pollers.

A scrape never maps tasks or calls an API. A plain scrape streams the prepared bytes of each
family in order (no joined copy: at 20,000 tasks the exposition is about 100 MB); a gzip
scrape gets a body compressed once per snapshot version, off the event loop.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping

from exporter.metrics import render

SourceKey = tuple[str, str]  # (account, service)


class Snapshot:
    def __init__(self) -> None:
        self._sources: dict[SourceKey, Mapping[str, list[bytes]]] = {}
        self._own: Mapping[str, list[bytes]] = {}
        self.version = 0
        self._gzip: dict[bool, tuple[int, list[bytes]]] = {}
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
        self._gzip.clear()  # a stale compressed body must not outlive the data it holds

    def chunks(self, *, openmetrics: bool) -> list[bytes]:
        """The exposition as consecutive pieces; their concatenation is the body."""
        blocks = [self._sources[key] for key in sorted(self._sources)]
        return render.chunks([*blocks, self._own], openmetrics)

    def body(self, *, openmetrics: bool) -> bytes:
        """The whole plain body at once (tests, --once); scrapes stream `chunks` instead."""
        return b"".join(self.chunks(openmetrics=openmetrics))

    async def gzipped(self, *, openmetrics: bool) -> list[bytes]:
        """The gzip body of the current version (in pieces), compressed off the loop once."""
        async with self._gzip_locks[openmetrics]:
            cached = self._gzip.get(openmetrics)
            if cached is not None and cached[0] == self.version:
                return cached[1]
            version = self.version
            pieces = self.chunks(openmetrics=openmetrics)
            body = await asyncio.to_thread(compress, pieces)
            if version == self.version:
                self._gzip[openmetrics] = (version, body)
            return body


def compress(pieces: list[bytes]) -> list[bytes]:
    """gzip of the concatenated pieces, fast level: a scrape body, not an archive.

    One gzip stream, returned in pieces (not joined: no second copy of the body)."""
    compressor = zlib.compressobj(level=1, wbits=31)  # wbits 31: gzip container
    out = [compressor.compress(piece) for piece in pieces]
    out.append(compressor.flush())
    return [piece for piece in out if piece]
