"""One source's exposition as scrapes serve it: per family, its items' text in chunks, each
held as one gzip member and nothing else.

A gzip stream may be several members one after another (RFC 1952, 2.2); Go's reader, which
Prometheus uses, and Python's read them as one body. So a gzip scrape is the members of the
current chunks concatenated, compressed when a poll changed them and never at scrape time, and
shared by the text format and OpenMetrics: their sample lines are the same, only the
`# HELP`/`# TYPE` headers (a counter loses `_total` in OpenMetrics) and the closing `# EOF`
differ, and those are members prepared once here. A plain scrape inflates the members as it
writes them (Prometheus asks for gzip; curl and browsers may not).

    # HELP huaweicloud_sms_task_state SMS task state: 1 for the current state, 0 for the others.
    # TYPE huaweicloud_sms_task_state gauge
    huaweicloud_sms_task_state{account="prod",task_id="9f1c",task_name="web-01",state="READY"} 0

Holding the text compressed only is what keeps memory near the floor: at 10,000 SMS tasks, their
10,000 source servers and 10,000 OMS tasks the text is some 155 MB, its members some 16 MB.

A page of the list becomes a part of the exposition as soon as it is rendered: one chunk per
family. A page holding the same unchanged items as a part of the last poll keeps that part's
chunks; another is written from its items' new text and, for those unchanged, their text taken
out of last poll's chunks (by where each item's lines end, which it keeps), then compressed,
in a worker thread: so a poll never holds more new text than a few pages', and the event loop
serves scrapes meanwhile.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from exporter.catalog import FAMILIES
from exporter.metrics.family import Family
from exporter.metrics.lines import Block
from exporter.render import ItemRenderer, Rendered

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def compress(data: bytes) -> bytes:
    """One gzip member, fast level: a scrape body, not an archive."""
    return zlib.compress(data, 1, wbits=31) if data else b""


def inflate(member: bytes) -> bytes:
    return zlib.decompress(member, wbits=31) if member else b""


@dataclass(frozen=True, slots=True)
class Chunk:
    gz: bytes  # the text of one part's items in one family, as one gzip member
    length: int  # of the text

    @classmethod
    def of(cls, text: bytes) -> Chunk:
        return cls(compress(text), len(text))


EMPTY = Chunk(b"", 0)


@dataclass(frozen=True, slots=True)
class Part:
    """A page's items as exported: stored (the ends that find each one's text) and their
    text, one chunk per family of the service."""

    items: tuple[Rendered, ...]
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True, slots=True)
class Exposition:
    """What a source (or the exporter itself) exports, as the snapshot holds it."""

    families: Mapping[str, tuple[Chunk, ...]]  # in the list's order; a family without text left out
    parts: tuple[Part, ...] = ()  # the items, where their text is
    _where: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False)

    @property
    def items(self) -> list[Rendered]:
        return [item for part in self.parts for item in part.items]

    def where(self, key: str) -> tuple[int, int] | None:
        """(part, position in it) of the item `key` (an index made on first use)."""
        if not self._where and self.parts:
            self._where.update(
                (item.key, (k, n))
                for k, part in enumerate(self.parts)
                for n, item in enumerate(part.items)
                if item.key is not None
            )
        return self._where.get(key)


NOTHING = Exposition({})


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def header(family: Family, openmetrics: bool) -> bytes:
    name = family.openmetrics_name if openmetrics else family.name
    help_ = _escape_help(family.help)
    return f"# HELP {name} {help_}\n# TYPE {name} {family.type}\n".encode()


HEADERS = {
    openmetrics: {family.name: header(family, openmetrics) for family in FAMILIES}
    for openmetrics in (False, True)
}
GZ_HEADERS = {
    openmetrics: {name: compress(text) for name, text in headers.items()}
    for openmetrics, headers in HEADERS.items()
}
EOF = b"# EOF\n"
GZ_EOF = compress(EOF)


def of_block(block: Block, previous: Exposition | None = None) -> Exposition:
    """A small exposition (the exporter's own families, a source's counts) as one chunk per
    family, compressed here, on the caller's thread; an unchanged family keeps its member."""
    families: dict[str, tuple[Chunk, ...]] = {}
    for name, data in block.items():
        text = b"".join(data)
        if not text:
            continue
        old = previous.families.get(name) if previous is not None else None
        same = old is not None and old[0].length == len(text) and inflate(old[0].gz) == text
        families[name] = old if same and old is not None else (Chunk.of(text),)
    return Exposition(families)


# Where a piece of a chunk's text comes from: (an item's text rendered this poll, start, end),
# or (the chunk holding it already, start, end).
Source = tuple[bytes | Chunk, int, int]


class Assembly:
    """One poll of one source: its pages made parts as they arrive, then the exposition."""

    def __init__(self, renderer: ItemRenderer, previous: Exposition | None) -> None:
        self.renderer = renderer
        self.previous = previous or NOTHING
        self._parts: dict[int, Part] = {}  # by the page's offset
        self._starts: dict[tuple[int, int], list[int]] = {}  # (id of a part, family) -> starts

    async def page(self, offset: int, listed: list[Any]) -> list[Rendered]:
        """Render one page and write its part (off the loop); its items, as stored."""
        rendered = self.renderer.page(listed)
        stored = tuple(item.stored() for item in rendered)
        kept = self._unchanged(stored)
        if kept is None:
            sources = [self._sources(rendered, index) for index in range(len(self.renderer.names))]
            kept = Part(stored, tuple(await asyncio.to_thread(_write, sources)))
        self._parts[offset] = kept
        return list(stored)

    def _unchanged(self, stored: tuple[Rendered, ...]) -> Part | None:
        """Last poll's part holding exactly these unchanged items, if there is one."""
        if not stored or stored[0].key is None:
            return None
        found = self.previous.where(stored[0].key)
        if found is None or found[1] != 0:
            return None
        part = self.previous.parts[found[0]]
        return part if part.items == stored else None

    def _sources(self, rendered: Sequence[Rendered], index: int) -> list[Source]:
        """Where the text of family number `index` of each item is: its new text, or last
        poll's chunk that holds it."""
        out: list[Source] = []
        for item in rendered:
            start, end = item.span(index)
            if start == end:
                continue
            if item.text is not None:
                out.append((item.text, start, end))
                continue
            assert item.key is not None  # only items with an id are kept between polls
            found = self.previous.where(item.key)
            assert found is not None  # an item not rendered afresh was in the last poll
            part = self.previous.parts[found[0]]
            at = self._start(part, found[1], index)
            out.append((part.chunks[index], at, at + end - start))
        return out

    def _start(self, part: Part, n: int, index: int) -> int:
        """Where item `n`'s lines of family number `index` start in the part's chunk."""
        starts = self._starts.get((id(part), index))
        if starts is None:
            lengths = (end - start for start, end in (item.span(index) for item in part.items))
            starts = self._starts[(id(part), index)] = list(accumulate(lengths, initial=0))
        return starts[n]

    async def finish(self, items: Sequence[Rendered], summary: Block) -> Exposition:
        """The exposition of `items`, the listing's (in order, each id once, capped): a part
        that lost an item (listed twice, or past the cap) is written again without it."""
        expected = iter(item for item in items if item.key is not None)
        want = next(expected, None)
        parts: list[Part] = []
        for offset in sorted(self._parts):
            part = self._parts[offset]
            keep = []
            for n, item in enumerate(part.items):
                if want is not None and item is want:
                    keep.append(n)
                    want = next(expected, None)
            if len(keep) != len(part.items):
                part = await self._without(part, keep)
            if part.items:
                parts.append(part)
        families: dict[str, tuple[Chunk, ...]] = {}
        for index, name in enumerate(self.renderer.names):
            chunks = tuple(part.chunks[index] for part in parts)
            if any(chunk.length for chunk in chunks):
                families[name] = chunks
        families.update(of_block(summary, self.previous).families)
        return Exposition(families, tuple(parts))

    async def _without(self, part: Part, keep: list[int]) -> Part:
        items = tuple(part.items[n] for n in keep)
        sources = []
        for index, chunk in enumerate(part.chunks):
            family: list[Source] = []
            for n in keep:
                at = self._start(part, n, index)
                start, end = part.items[n].span(index)
                if end > start:
                    family.append((chunk, at, at + end - start))
            sources.append(family)
        return Part(items, tuple(await asyncio.to_thread(_write, sources)))


def _write(families: list[list[Source]]) -> list[Chunk]:
    """Run in a worker thread: each family's text put together and compressed (zlib lets go
    of the GIL while it inflates and deflates)."""
    made = []
    texts: dict[int, memoryview] = {}  # id of an old chunk -> its text
    for sources in families:
        pieces = []
        for source, start, end in sources:
            if isinstance(source, bytes):
                pieces.append(memoryview(source)[start:end])
                continue
            text = texts.get(id(source))
            if text is None:
                text = texts[id(source)] = memoryview(inflate(source.gz))
            pieces.append(text[start:end])
        made.append(Chunk.of(b"".join(pieces)) if pieces else EMPTY)
        texts.clear()  # the next family's text is in other chunks
    return made
