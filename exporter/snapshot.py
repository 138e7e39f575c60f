"""What every scrape reads: each source's exposition, replaced whole by its poller.

A scrape never maps tasks, compresses or calls an API: it writes the chunks of the current
version in catalogue order (each family's header once, then every source's chunks of it): as
their gzip members, or their text unpacked on the way for a client that does not take gzip.
The list of what to write is made once per version.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, cast

from exporter.catalog import FAMILIES
from exporter.exposition import (
    EOF,
    GZ_EOF,
    GZ_HEADERS,
    HEADERS,
    NOTHING,
    Chunk,
    Exposition,
    of_block,
)
from exporter.metrics.lines import Block
from exporter.telemetry import SourceKey

WRITE_SIZE = 1024 * 1024  # bytes of one write of a scrape


class Body(NamedTuple):
    """A response body as the writes a scrape makes, in order, each of about WRITE_SIZE bytes:
    a slow scraper holds back little, and nothing the size of the body is ever copied. Each
    write is the parts that make it: bytes as they are (headers, gzip members), or chunks
    whose text is unpacked on the way (a plain body). Made once per version, so that a scrape
    does no more than join each write's parts."""

    writes: list[list[bytes | Chunk]]
    length: int
    gzip: bool

    def joined(self, parts: list[bytes | Chunk]) -> bytes:
        """The bytes of one write."""
        if self.gzip:  # gzip members and headers only, put in when the body was made
            return b"".join(cast("list[bytes]", parts))
        return b"".join([part if isinstance(part, bytes) else part.text() for part in parts])

    def pieces(self) -> Iterator[bytes]:
        """The body's bytes in order, a write at a time (tests, --once)."""
        return map(self.joined, self.writes)


class Snapshot:
    def __init__(self) -> None:
        self._sources: dict[SourceKey, Exposition] = {}
        self._own: Exposition = NOTHING
        self.version = 0
        self._bodies: dict[tuple[bool, bool], Body] = {}  # (openmetrics, gzip) -> this version's
        self._asked: set[tuple[bool, bool]] = set()  # the kinds scraped since the last change

    def replace(self, key: SourceKey, exposition: Exposition | None) -> None:
        """Put in one source's new exposition, or take it out (None): one synchronous step,
        so a scrape sees the old one or the new one, never none."""
        sources = dict(self._sources)
        if exposition is None:
            if sources.pop(key, None) is None:
                return
        else:
            sources[key] = exposition
        self._sources = sources
        self._changed()

    def has_source(self, key: SourceKey) -> bool:
        return key in self._sources

    def held_bytes(self) -> dict[str, int]:
        """What the current version holds of the text, by form: gzip members, LZ4 blocks, and
        the text they stand for (never held as such)."""
        chunks = [
            chunk
            for exposition in (*self._sources.values(), self._own)
            for family in exposition.families.values()
            for chunk in family
        ]
        return {
            "gzip": sum(len(chunk.gz) for chunk in chunks),
            "lz4": sum(len(chunk.packed) for chunk in chunks),
            "text": sum(chunk.length for chunk in chunks),
        }

    def set_own(self, families: Block) -> None:
        """The exporter's own families: small, compressed here."""
        self._own = of_block(families, self._own)
        self._changed()

    def _changed(self) -> None:
        """A new version. A body must not outlive the data it holds: those of the kinds
        scraped since the last change are made again now (some 2 ms at 30,000 items), so that
        the first scrape after a poll costs no more than a later one; the others when asked."""
        self.version += 1
        asked, self._asked = self._asked, set()
        self._bodies = {kind: self._body(*kind) for kind in asked}

    def prepared(self, *, openmetrics: bool, gzip: bool) -> Body:
        """What a scrape writes for the current version, made once per version."""
        kind = (openmetrics, gzip)
        self._asked.add(kind)
        found = self._bodies.get(kind)
        if found is None:
            found = self._bodies[kind] = self._body(openmetrics, gzip)
        return found

    def _body(self, openmetrics: bool, gzip: bool) -> Body:
        expositions = [self._sources[key] for key in sorted(self._sources)]
        expositions.append(self._own)
        headers = (GZ_HEADERS if gzip else HEADERS)[openmetrics]
        writes: list[list[bytes | Chunk]] = []
        length = size = 0

        def add(part: bytes | Chunk, part_size: int) -> None:
            nonlocal length, size
            if not writes or size >= WRITE_SIZE:
                writes.append([])
                size = 0
            writes[-1].append(part)
            size += part_size
            length += part_size

        for family in FAMILIES:
            chunks = [c for e in expositions for c in e.families.get(family.name, ()) if c.length]
            if not chunks:
                continue
            add(headers[family.name], len(headers[family.name]))
            for chunk in chunks:
                if gzip:
                    add(chunk.gz, len(chunk.gz))
                else:
                    add(chunk, chunk.length)
        if openmetrics:
            end = GZ_EOF if gzip else EOF
            add(end, len(end))
        return Body(writes, length, gzip)

    def body(self, *, openmetrics: bool) -> bytes:
        """The whole plain body at once (tests, --once); scrapes stream `prepared` instead."""
        return b"".join(self.prepared(openmetrics=openmetrics, gzip=False).pieces())
