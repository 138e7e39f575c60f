"""The pre-rendered exposition every scrape reads, swapped whole by the pollers.

A scrape never maps tasks or calls an API: it joins bytes prepared by the last polls, and the
joined (and gzipped) body is cached until the next swap.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping

from exporter.metrics import render

SourceKey = tuple[str, str]  # (account, service)


class Snapshot:
    def __init__(self) -> None:
        self._sources: dict[SourceKey, Mapping[str, bytes]] = {}
        self._own: Mapping[str, bytes] = {}
        self.version = 0
        self._cache: dict[tuple[bool, bool], tuple[int, bytes]] = {}

    def set_source(self, key: SourceKey, families: Mapping[str, bytes]) -> None:
        """Replace one source's task families (one assignment: scrapes see old or new)."""
        self._sources = {**self._sources, key: families}
        self.version += 1

    def drop_source(self, key: SourceKey) -> None:
        if key in self._sources:
            self._sources = {k: v for k, v in self._sources.items() if k != key}
            self.version += 1

    def has_source(self, key: SourceKey) -> bool:
        return key in self._sources

    def set_own(self, families: Mapping[str, bytes]) -> None:
        self._own = families
        self.version += 1

    def body(self, *, openmetrics: bool, gzipped: bool) -> bytes:
        cache_key = (openmetrics, gzipped)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        version = self.version
        blocks = [self._sources[key] for key in sorted(self._sources)]
        body = render.join([*blocks, self._own], openmetrics)
        if gzipped:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        self._cache[cache_key] = (version, body)
        return body
