"""One source's exposition as scrapes serve it: per family, its items' text in chunks, and each
chunk's text compressed once as a gzip member.

A gzip stream may be several members one after another (RFC 1952, 2.2); Go's reader, which
Prometheus uses, and Python's read them as one body. So a gzip scrape is the members of the
current chunks concatenated, compressed when a poll changed them and never at scrape time, and
shared by the text format and OpenMetrics: their sample lines are the same, only the
`# HELP`/`# TYPE` headers (a counter loses `_total` in OpenMetrics) and the closing `# EOF`
differ, and those are members prepared once here.

    # HELP huaweicloud_sms_task_state SMS task state: 1 for the current state, 0 for the others.
    # TYPE huaweicloud_sms_task_state gauge
    huaweicloud_sms_task_state{account="prod",task_id="9f1c",task_name="web-01",state="READY"} 0
    ...

A chunk holds the items at positions [k * CHUNK_ITEMS, (k + 1) * CHUNK_ITEMS) of the source's
list, so an item that changed costs the recompression of its chunks only: an unchanged chunk
keeps its member from the previous poll.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from exporter.catalog import FAMILIES
from exporter.metrics.family import Family
from exporter.metrics.lines import Block
from exporter.render import Rendered

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

CHUNK_ITEMS = 256  # items per gzip member: members of ~10-500 KB compress as well as one stream
SLICE_SECONDS = 0.02  # the longest the event loop is held between two yields


def compress(data: bytes) -> bytes:
    """One gzip member, fast level: a scrape body, not an archive."""
    return zlib.compress(data, 1, wbits=31) if data else b""


@dataclass(frozen=True, slots=True)
class Chunk:
    pieces: tuple[bytes, ...]  # the text of up to CHUNK_ITEMS items, in order
    length: int
    gz: bytes  # the same text as one gzip member

    @classmethod
    def of(cls, pieces: tuple[bytes, ...], gz: bytes | None = None) -> Chunk:
        if gz is None:
            gz = compress(b"".join(pieces))
        return cls(pieces, sum(map(len, pieces)), gz)


EMPTY = Chunk((), 0, b"")

# family name -> its chunks, in the list's order; a family without any line is left out.
Exposition = Mapping[str, tuple[Chunk, ...]]


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
    family, compressed here, on the caller's thread; a family unchanged keeps its member."""
    out: dict[str, tuple[Chunk, ...]] = {}
    for name, data in block.items():
        pieces = tuple(piece for piece in data if piece)
        if not pieces:
            continue
        old = previous.get(name) if previous is not None else None
        out[name] = old if old is not None and old[0].pieces == pieces else (Chunk.of(pieces),)
    return out


async def assemble(
    items: Sequence[Rendered],
    names: tuple[str, ...],
    summary: Block,
    previous: Exposition | None,
) -> Exposition:
    """A source's exposition from its rendered items (in list order) and its summary families.

    Chunks equal to the previous exposition's keep their gzip member; the others are
    compressed in a worker thread, so the event loop serves scrapes meanwhile. The loop is
    never held longer than about SLICE_SECONDS at a stretch.
    """
    planned: dict[str, list[Chunk | tuple[bytes, ...]]] = {}
    todo: list[tuple[bytes, ...]] = []
    resume = time.monotonic() + SLICE_SECONDS
    starts = range(0, len(items), CHUNK_ITEMS)
    for index, name in enumerate(names):
        old = previous.get(name, ()) if previous is not None else ()
        chunks: list[Chunk | tuple[bytes, ...]] = []
        for k, start in enumerate(starts):
            batch = items[start : start + CHUNK_ITEMS]
            pieces = tuple([piece for item in batch if (piece := item.pieces[index])])
            if not pieces:
                chunks.append(EMPTY)
            elif k < len(old) and old[k].pieces == pieces:  # identical objects: a fast compare
                chunks.append(old[k])
            else:
                chunks.append(pieces)
                todo.append(pieces)
        if any(chunk is not EMPTY for chunk in chunks):
            planned[name] = chunks
        if time.monotonic() > resume:
            await asyncio.sleep(0)
            resume = time.monotonic() + SLICE_SECONDS
    members = iter(await asyncio.to_thread(_compress_all, todo) if todo else ())
    out: dict[str, tuple[Chunk, ...]] = {
        name: tuple(
            chunk if isinstance(chunk, Chunk) else Chunk.of(chunk, next(members))
            for chunk in chunks
        )
        for name, chunks in planned.items()
    }
    out.update(of_block(summary, previous))
    return out


def _compress_all(jobs: list[tuple[bytes, ...]]) -> list[bytes]:
    """Run in a worker thread: zlib lets go of the GIL while it deflates."""
    return [compress(b"".join(pieces)) for pieces in jobs]
