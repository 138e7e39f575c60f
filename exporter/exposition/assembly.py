"""One source's exposition as scrapes serve it: per family, its items' text in chunks, each
held twice, as a piece of a gzip member (raw deflate, `deflate.py`) with its CRC-32, and as an
LZ4 block, and never as text.

A gzip scrape is one gzip member: a header, the pieces of the current chunks one after another,
and a trailer whose CRC-32 is combined from theirs. Pieces are compressed when a poll changed
them, never at scrape time, and shared by the text format and OpenMetrics: their sample lines
are the same, only the `# HELP`/`# TYPE` headers (a counter loses `_total` in OpenMetrics) and
the closing `# EOF` differ, and those are chunks prepared once here. A plain scrape (curl, a
browser) unpacks the LZ4 blocks as it writes them, at memory speed (`exporter.exposition.packing`).

    # HELP huaweicloud_sms_task_state SMS task state: 1 for the current state, 0 for the others.
    # TYPE huaweicloud_sms_task_state gauge
    huaweicloud_sms_task_state{account="prod",task_id="9f1c",task_name="web-01",state="READY"} 0

Holding the text packed is what keeps memory near the floor: at 10,000 SMS tasks, their 10,000
source servers and 10,000 OMS tasks the text is some 155 MB, its members some 15 MB and its
LZ4 blocks some 25 MB.

A page of the list becomes a part of the exposition as soon as it is rendered: one chunk per
family. A page of the same JSON as one of the last poll's (its fingerprint says) is that
part again, its items neither decoded nor rendered: a poll where nothing changed costs little
more than fetching. Another page is written from its items' new text and, for those
unchanged, their text taken out of last poll's chunks (by where each item's lines end, which
it keeps), then compressed, in a worker thread: so a poll never holds more new text than a few
pages', and the event loop serves scrapes meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import sub
from typing import Any, TypeVar

from exporter.catalog import FAMILIES
from exporter.exposition import deflate
from exporter.exposition.fingerprint import of_page
from exporter.exposition.packing import pack, unpack
from exporter.exposition.render import ItemRenderer, Rendered
from exporter.exposition.turns import turn, writing
from exporter.huawei.payload import ListedPage
from exporter.metrics.family import Family
from exporter.metrics.lines import Block

T = TypeVar("T")
R = TypeVar("R")

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


RENDER_BATCH = 25  # items rendered in one turn (a few ms of SMS tasks)


@dataclass(frozen=True, slots=True)
class Chunk:
    """The text of one part's items in one family."""

    deflated: bytes  # as a piece of a gzip member (raw deflate, full flush): gzip scrapes
    crc: int  # the text's CRC-32: the member's trailer is combined from its pieces'
    packed: bytes  # as one LZ4 block: plain scrapes, and the next poll's unchanged items
    length: int  # of the text

    @classmethod
    def of(cls, text: bytes) -> Chunk:
        return cls(deflate.piece(text), deflate.crc32(text), pack(text), len(text))

    def text(self) -> bytes:
        return unpack(self.packed, self.length)


EMPTY = Chunk(b"", 0, b"", 0)


@dataclass(frozen=True, slots=True)
class Part:
    """A page's items as exported: stored, and their text, one chunk per family of the
    service, with where each item's text starts in each chunk."""

    items: tuple[Rendered, ...]
    chunks: tuple[Chunk, ...]
    offsets: array[int]  # (len(items) + 1) * len(chunks): see `_offsets`
    page: bytes | None = None  # fingerprint of the page's JSON; None: not all of a page

    def text(self, index: int) -> memoryview:
        """The text of chunk number `index` (a later poll reuses some of it)."""
        return memoryview(self.chunks[index].text())


@dataclass(frozen=True, slots=True)
class Exposition:
    """What a source (or the exporter itself) exports, as the snapshot holds it."""

    families: Mapping[str, tuple[Chunk, ...]]  # in the list's order; a family without text left out
    parts: tuple[Part, ...] = ()  # the items, where their text is
    _where: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False)
    _pages: dict[bytes, Part] = field(default_factory=dict, compare=False)
    _crcs: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False)

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

    def crc(self, name: str) -> tuple[int, int]:
        """The CRC-32 and length of family `name`'s text, its chunks one after another (made
        on first use: a body combines one per family and source, not one per chunk)."""
        found = self._crcs.get(name)
        if found is None:
            crc = length = 0
            for chunk in self.families.get(name, ()):
                crc, length = deflate.combine(crc, chunk.crc, chunk.length), length + chunk.length
            found = self._crcs[name] = (crc, length)
        return found

    def part_of_page(self, fingerprint: bytes) -> Part | None:
        """The part made of a page of JSON with this fingerprint (an index made on first use)."""
        if not self._pages and self.parts:
            self._pages.update((part.page, part) for part in self.parts if part.page is not None)
        return self._pages.get(fingerprint)


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
    openmetrics: {name: Chunk.of(text) for name, text in headers.items()}
    for openmetrics, headers in HEADERS.items()
}
EOF = b"# EOF\n"


def of_block(block: Block, previous: Exposition | None = None) -> Exposition:
    """A small exposition (the exporter's own families, a source's counts) as one chunk per
    family, compressed here, on the caller's thread; an unchanged family keeps its member."""
    families: dict[str, tuple[Chunk, ...]] = {}
    for name, data in block.items():
        text = b"".join(data)
        if not text:
            continue
        old = previous.families.get(name) if previous is not None else None
        same = old is not None and old[0].length == len(text) and old[0].text() == text
        families[name] = old if same and old is not None else (Chunk.of(text),)
    return Exposition(families)


# Where the text of a part's items comes from, in order: an item rendered this poll (its own
# text), or a run of items [first, stop) of a part that holds their text already.
Segment = Rendered | tuple[Part, int, int]


class Assembly:
    """One poll of one source: its pages made parts as they arrive, then the exposition."""

    def __init__(self, renderer: ItemRenderer, previous: Exposition | None) -> None:
        self.renderer = renderer
        self.previous = previous or NOTHING
        self._parts: dict[int, Part] = {}  # by the page's offset
        self.pages_kept = 0  # pages of last poll's JSON: their parts kept whole

    async def page(self, offset: int, page: ListedPage[Any, Any]) -> list[Rendered]:
        """Render one page, a few items at a time, and write its part (off the loop); its
        items, as stored. A page of the same JSON as one of the last poll's is that page's
        part again: its items are neither decoded nor rendered."""
        async with turn():
            fingerprint = of_page(page.raws)
            part = self.previous.part_of_page(fingerprint)
            listed = page.listed() if part is None else []
        if part is None:
            async with writing():  # the new text waiting for the compressing thread is bounded
                part = await self._new_part(listed, fingerprint)
        else:
            self.pages_kept += 1
        self._parts[offset] = part
        return list(part.items)

    async def _new_part(self, listed: list[Any], fingerprint: bytes) -> Part:
        """The page's part: its items rendered a few at a time, then written."""
        rendered: list[Rendered] = []
        for start in range(0, len(listed), RENDER_BATCH):
            async with turn():
                rendered += self.renderer.page(listed[start : start + RENDER_BATCH])
        async with turn():
            stored = tuple(item.stored() for item in rendered)
            segments = self._segments(rendered)
        # An item the mapping failed on is tried again next time, as the renderer does.
        whole = None if any(item.failed for item in stored) else fingerprint
        return await _write(segments, stored, len(self.renderer.names), whole)

    def _segments(self, rendered: Sequence[Rendered]) -> list[Segment]:
        """Where each item's text is: its own, new; or, unchanged, in last poll's part (items
        next to each other there make one run)."""
        out: list[Segment] = []
        for item in rendered:
            if item.pieces is not None:
                out.append(item)
                continue
            if item.key is None or not item.exported:  # no id, or nothing to export
                continue
            found = self.previous.where(item.key)
            assert found is not None  # an item not rendered afresh was in the last poll
            part = self.previous.parts[found[0]]
            last = out[-1] if out else None
            if isinstance(last, tuple) and last[0] is part and last[2] == found[1]:
                out[-1] = (part, last[1], found[1] + 1)
            else:
                out.append((part, found[1], found[1] + 1))
        return out

    async def finish(self, items: Sequence[Rendered], summary: Block) -> Exposition:
        """The exposition of `items`, the listing's (in order, each id once, capped): a part
        that lost an item (listed twice, or past the cap) is written again without it."""
        expected = iter(item for item in items if item.key is not None)
        want = next(expected, None)
        parts: list[Part] = []
        for offset in sorted(self._parts):
            part = self._parts[offset]
            keep = []
            async with turn():
                for n, item in enumerate(part.items):
                    if want is not None and item is want:
                        keep.append(n)
                        want = next(expected, None)
            if len(keep) != len(part.items):
                runs: list[Segment] = [(part, n, n + 1) for n in keep]
                kept = tuple(part.items[n] for n in keep)
                part = await _write(runs, kept, len(self.renderer.names))
            if part.items:
                parts.append(part)
        families: dict[str, tuple[Chunk, ...]] = {}
        for index, name in enumerate(self.renderer.names):
            chunks = tuple(part.chunks[index] for part in parts)
            if any(chunk.length for chunk in chunks):
                families[name] = chunks
        families.update(of_block(summary, self.previous).families)
        return Exposition(families, tuple(parts))


class Reuse:
    """What one source's next poll may reuse: its items as rendered and its last exposition.

    assembly = reuse.assembly()            # a poll begins: pages render into it
    exposition = await assembly.finish(items, counts)
    snapshot.replace(key, exposition)
    reuse.keep(exposition)                 # it succeeded: the next poll starts from it
    """

    def __init__(self, renderer: ItemRenderer) -> None:
        self.renderer = renderer
        self.last: Exposition | None = None

    def assembly(self) -> Assembly:
        """A new poll's assembly, over the last exposition (the renderer's figures reset)."""
        self.renderer.start()
        return Assembly(self.renderer, self.last)

    def keep(self, exposition: Exposition) -> None:
        """A poll succeeded with `exposition`: the next reuses its items and text, and only them."""
        self.last = exposition
        self.renderer.commit(exposition.items)

    def forget(self) -> None:
        """The source's series were dropped: the next poll renders every item afresh."""
        self.last = None
        self.renderer.forget()


async def _write(
    segments: list[Segment],
    items: tuple[Rendered, ...],
    families: int,
    page: bytes | None = None,
) -> Part:
    """A part of `items`, whose text `segments` say where to find (all of the page whose
    fingerprint is `page`, if it is given). The compressing runs in a worker thread, where
    ISA-L and LZ4 let go of the GIL: the event loop keeps the Python work and the unpacking, a
    few milliseconds a page, and so is never kept waiting for the GIL."""
    async with turn():
        texts = _texts(segments, families)
    chunks = await off_loop(_compress_all, texts)
    async with turn():
        offsets = _offsets(items, families)
    return Part(items, tuple(chunks), offsets, page)


def _texts(segments: list[Segment], families: int) -> list[bytes]:
    """Each family's text of the part: a row of pieces per segment (an item's own, or a run's
    slices of last poll's text), the rows' columns joined."""
    rows: list[Sequence[bytes | memoryview]] = []
    unpacked: dict[tuple[int, int], memoryview] = {}  # (id(part), family): unpacked once
    for segment in segments:
        if isinstance(segment, Rendered):
            assert segment.pieces is not None
            rows.append(segment.pieces)
            continue
        part, first, stop = segment
        row: list[bytes | memoryview] = []
        for index in range(families):
            start = part.offsets[first * families + index]
            end = part.offsets[stop * families + index]
            if end == start:
                row.append(b"")
                continue
            if (text := unpacked.get((id(part), index))) is None:
                text = unpacked[(id(part), index)] = part.text(index)
            row.append(text[start:end])
        rows.append(row)
    if not rows:
        return [b""] * families
    return [b"".join(column) for column in zip(*rows, strict=True)]


def _background() -> None:
    """Lower this thread's priority (Linux: threads have their own niceness): compressing
    is background work, the event loop's scrapes go first."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# One thread for all of it: the compressing for every source, one job after another, at a lower
# priority, keeps the event loop responsive whatever the number of sources polling at once.
_COMPRESSOR = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="compress", initializer=_background
)


async def off_loop(function: Callable[[T], R], argument: T) -> R:
    """`function(argument)` in the compressing thread."""
    return await asyncio.get_running_loop().run_in_executor(_COMPRESSOR, function, argument)


def _compress_all(texts: list[bytes]) -> list[Chunk]:
    return [Chunk.of(text) if text else EMPTY for text in texts]


def _offsets(items: Sequence[Rendered], families: int) -> array[int]:
    """Where each item's lines of each family start in the part's chunk of that family, and
    (after the last item) where the chunks end: `offsets[n * families + f]`. Per family, the
    running sum of its lines' lengths, item after item (each item keeps where its families'
    lines end in its own text)."""
    ends = array("I", b"".join(item.ends for item in items))
    offsets = array("I", bytes(4 * families * (len(items) + 1)))
    for index in range(families):
        stop = ends[index::families]
        start: Iterable[int] = ends[index - 1 :: families] if index else repeat(0)
        offsets[index::families] = array("I", accumulate(map(sub, stop, start), initial=0))
    return offsets
