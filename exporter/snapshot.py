"""What every scrape reads: each source's exposition, replaced whole by its poller.

A scrape never maps tasks, compresses or calls an API: it writes the chunks of the current
version in catalogue order (each family's header once, then every source's chunks of it): as
their gzip members, or inflated on the way for a client that does not take gzip. The list of
what to write is made once per version.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from exporter.catalog import FAMILIES
from exporter.deflate import inflate
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


class Body(NamedTuple):
    """A response body as consecutive parts: bytes as they are, or a chunk whose text (plain)
    or member (gzip) goes there; and the body's length."""

    parts: list[bytes | Chunk]
    length: int
    gzip: bool

    def piece(self, part: bytes | Chunk) -> bytes:
        """The bytes of one part: a chunk's member, or its text inflated (a scrape does that
        off the loop)."""
        if isinstance(part, bytes):
            return part
        return part.gz if self.gzip else inflate(part.gz)

    def size(self, part: bytes | Chunk) -> int:
        """How many bytes `piece(part)` makes, without making them."""
        if isinstance(part, bytes):
            return len(part)
        return len(part.gz) if self.gzip else part.length

    def joined(self, parts: list[bytes | Chunk]) -> bytes:
        return b"".join(map(self.piece, parts))

    def pieces(self) -> Iterator[bytes]:
        """The body's bytes in order (tests, --once)."""
        return map(self.piece, self.parts)


class Snapshot:
    def __init__(self) -> None:
        self._sources: dict[SourceKey, Exposition] = {}
        self._own: Exposition = NOTHING
        self.version = 0
        self._bodies: dict[tuple[bool, bool], Body] = {}  # (openmetrics, gzip) -> this version's

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

    def set_own(self, families: Block) -> None:
        """The exporter's own families: small, compressed here."""
        self._own = of_block(families, self._own)
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._bodies = {}  # a body must not outlive the data it holds

    def prepared(self, *, openmetrics: bool, gzip: bool) -> Body:
        """What a scrape writes for the current version, made once per version."""
        found = self._bodies.get((openmetrics, gzip))
        if found is None:
            found = self._bodies[(openmetrics, gzip)] = self._body(openmetrics, gzip)
        return found

    def _body(self, openmetrics: bool, gzip: bool) -> Body:
        expositions = [self._sources[key] for key in sorted(self._sources)]
        expositions.append(self._own)
        headers = (GZ_HEADERS if gzip else HEADERS)[openmetrics]
        parts: list[bytes | Chunk] = []
        length = 0
        for family in FAMILIES:
            chunks = [c for e in expositions for c in e.families.get(family.name, ()) if c.length]
            if not chunks:
                continue
            parts.append(headers[family.name])
            parts.extend(chunks)
            length += len(headers[family.name])
            length += sum(len(c.gz) for c in chunks) if gzip else sum(c.length for c in chunks)
        if openmetrics:
            end = GZ_EOF if gzip else EOF
            parts.append(end)
            length += len(end)
        return Body(parts, length, gzip)

    def body(self, *, openmetrics: bool) -> bytes:
        """The whole plain body at once (tests, --once); scrapes stream `prepared` instead."""
        return b"".join(self.prepared(openmetrics=openmetrics, gzip=False).pieces())
