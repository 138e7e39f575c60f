"""What every scrape reads: each source's exposition, replaced whole by its poller.

A scrape never maps tasks, compresses or calls an API: it writes the chunks of the current
version in catalogue order (each family's header once, then every source's chunks of it): as
the pieces of one gzip member (its header first, its trailer last, with the CRC-32 combined
from the pieces'), or their text unpacked on the way for a client that does not take gzip.
The list of what to write, and the CRC, are made once per version.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

from exporter.catalog import FAMILIES
from exporter.exposition import deflate
from exporter.exposition.assembly import (
    EOF,
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


class Write:
    """The bytes of one write, shared by every scrape sending it at the time (weakly held by
    the body: the last scrape past it frees them)."""

    __slots__ = ("__weakref__", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data


@dataclass(eq=False, slots=True)
class Body:
    """A response body as the writes a scrape makes, in order, each of about WRITE_SIZE bytes:
    a slow scraper holds back little, and nothing the size of the body is ever copied. Each
    write is the parts that make it: bytes as they are (headers, gzip pieces), or chunks
    whose text is unpacked on the way (a plain body). Made once per version, so that a scrape
    does no more than join each write's parts; then `closing` ends it."""

    writes: list[list[bytes | Chunk]]
    length: int  # of the writes, in bytes as sent
    gzip: bool
    openmetrics: bool
    crc: int = 0  # of the writes' text, for the gzip trailer
    text_length: int = 0  # and its length
    _sending: weakref.WeakValueDictionary[int, Write] = field(
        default_factory=weakref.WeakValueDictionary
    )

    def joined(self, parts: list[bytes | Chunk]) -> bytes:
        """The bytes of one write."""
        if self.gzip:  # the header and pieces only, put in when the body was made
            return b"".join(cast("list[bytes]", parts))
        return b"".join([part if isinstance(part, bytes) else part.text() for part in parts])

    def write(self, index: int) -> Write:
        """Write number `index`, joined once for all the scrapes sending it at once: 500
        scrapes stalled on the same write hold one copy of it, not 500."""
        found = self._sending.get(index)
        if found is None:
            found = Write(self.joined(self.writes[index]))
            self._sending[index] = found
        return found

    def closing(self, extra: bytes = b"") -> bytes:
        """What a scrape sends after the writes: `extra` text read at scrape time (the process
        metrics), OpenMetrics' `# EOF`, and for gzip the member's end: that text in stored
        blocks (a scrape compresses nothing) and the trailer."""
        text = extra + EOF if self.openmetrics else extra
        if not self.gzip:
            return text
        crc = deflate.combine(self.crc, deflate.crc32(text), len(text))
        return deflate.ending(text) + deflate.trailer(crc, self.text_length + len(text))

    def pieces(self) -> Iterator[bytes]:
        """The body's bytes in order, a write at a time, then its closing (tests, --once)."""
        yield from map(self.joined, self.writes)
        yield self.closing()


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
        """What the current version holds of the text, by form: gzip pieces, LZ4 blocks, and
        the text they stand for (never held as such)."""
        chunks = [
            chunk
            for exposition in (*self._sources.values(), self._own)
            for family in exposition.families.values()
            for chunk in family
        ]
        return {
            "gzip": sum(len(chunk.deflated) for chunk in chunks),
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
        writes: list[list[bytes | Chunk]] = [[deflate.HEADER]] if gzip else [[]]
        length = size = len(deflate.HEADER) if gzip else 0
        crc = text_length = 0

        def add(part: bytes | Chunk, part_size: int) -> None:
            nonlocal length, size
            if size >= WRITE_SIZE:
                writes.append([])
                size = 0
            writes[-1].append(part)
            size += part_size
            length += part_size

        for family in FAMILIES:
            chunks = [c for e in expositions for c in e.families.get(family.name, ()) if c.length]
            if not chunks:
                continue
            if gzip:
                header = GZ_HEADERS[openmetrics][family.name]
                add(header.deflated, len(header.deflated))
                crc = deflate.combine(crc, header.crc, header.length)
                text_length += header.length
                for chunk in chunks:
                    add(chunk.deflated, len(chunk.deflated))
                for exposition in expositions:  # one CRC per family and source, made once
                    if family.name in exposition.families:
                        part_crc, part_length = exposition.crc(family.name)
                        crc = deflate.combine(crc, part_crc, part_length)
                        text_length += part_length
            else:
                header_text = HEADERS[openmetrics][family.name]
                add(header_text, len(header_text))
                for chunk in chunks:
                    add(chunk, chunk.length)
        return Body(writes, length, gzip, openmetrics, crc, text_length)

    def body(self, *, openmetrics: bool) -> bytes:
        """The whole plain body at once (tests, --once); scrapes stream `prepared` instead."""
        return b"".join(self.prepared(openmetrics=openmetrics, gzip=False).pieces())
