"""Listed items -> their exposition text, one page at a time, rendering only what changed.

An item is rendered on its own into its text: the text format's sample lines (the same in
OpenMetrics) of each family of its service, one family after another, and where each family's
lines end. What is kept of it afterwards is small: a fingerprint of its raw JSON and those
ends; the text itself lives only in the exposition, compressed (`exposition.py`). At the next
poll an item whose JSON is byte-identical is not decoded, mapped or encoded again: its text is
found in the previous exposition by those ends. With tasks progressing, a third or more of them
are unchanged between polls; when nothing changed, a poll renders nothing (and a page whose
JSON is the same as at the last poll is not even listed: `exposition.Assembly`).

    renderer = ItemRenderer(names, SERVICE.mapper("prod", opts), label_limit=128)
    rendered = renderer.page(listed_items)   # as each page arrives
    renderer.commit(exposition.items)        # after a successful poll: reuse those next time
"""

from __future__ import annotations

import gc
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import accumulate
from typing import Any, Protocol

import msgspec
import structlog

from exporter.exposition import fingerprint
from exporter.huawei.payload import UNREADABLE
from exporter.metrics.family import Mapper
from exporter.metrics.lines import truncate

log = structlog.get_logger(__name__)


class Item(Protocol):
    """A listed item: its id, its small decoded part, its raw JSON and the whole of it."""

    @property
    def key(self) -> str | None: ...
    @property
    def ref(self) -> Any: ...
    @property
    def raw(self) -> msgspec.Raw | None: ...
    def load(self) -> Any: ...


class Rendered(msgspec.Struct, gc=False, frozen=True):
    """An item as exported. gc=False: it holds no cycles, and there are tens of thousands."""

    key: str | None  # its label identity (the id cut to the label length); None: no id
    ref: Any  # what counting needs: id and state
    # Per family of the service, where its lines end in the item's text: native unsigned ints,
    # packed (bytes, not an array: the cyclic GC would track 30,000 arrays and rescan them).
    ends: bytes
    # Rendered by this poll: its text, one piece per family (b"" where none). None: unchanged,
    # the text is in the previous exposition (and, once assembled, in the current one).
    pieces: tuple[bytes, ...] | None = None
    digest: bytes | None = None  # fingerprint of the raw JSON; None: not to be reused
    failed: bool = False  # the mapping could not take it: not exported, counted
    # Values the mapping left out as outside their domain (a ratio past 0..1, a negative
    # size): carried with the item, so an unchanged item reused next poll counts them still.
    out_of_domain: int = 0

    def offsets(self) -> memoryview:
        """`ends` as numbers."""
        return memoryview(self.ends).cast("I")

    def span(self, index: int) -> tuple[int, int]:
        """Where the lines of family number `index` are in the item's text."""
        ends = self.offsets()
        return (ends[index - 1] if index else 0), ends[index]

    @property
    def exported(self) -> bool:
        """Whether it has any line at all."""
        return not self.ends.endswith(b"\0\0\0\0")

    def stored(self) -> Rendered:
        """What is kept once the exposition holds the text."""
        return self if self.pieces is None else msgspec.structs.replace(self, pieces=None)


class ItemRenderer:
    """One source's items -> their text, rendering only those changed since the last poll."""

    def __init__(
        self,
        names: tuple[str, ...],
        mapper: Mapper,
        label_limit: int,
    ) -> None:
        self.names = names  # the service's families, in exposition order
        self._map = mapper
        self._limit = label_limit
        self._nothing = bytes(4 * len(names))
        self._cache: dict[str, Rendered] = {}
        self._bugs_seen: set[type[BaseException]] = set()
        self.cpu = 0.0  # CPU seconds spent rendering since `start`
        self.rendered = 0  # items mapped since `start` (the others reused their pieces)

    def start(self) -> None:
        """A poll begins: reset the per-poll figures."""
        self.cpu = 0.0
        self.rendered = 0

    def page(self, items: Iterable[Item]) -> list[Rendered]:
        """Render one page's items (synchronously: a page is a few milliseconds of work)."""
        started = time.process_time()
        out = []
        with paused_gc():
            for item in items:
                out.append(self._one(item))
        self.cpu += time.process_time() - started
        return out

    def _one(self, item: Item) -> Rendered:
        key = item.key
        if key is None:
            return Rendered(None, item.ref, self._nothing)
        key = truncate(key, self._limit)
        raw = item.raw
        found = None if raw is None else fingerprint.of_item(raw)
        if found is not None:
            cached = self._cache.get(key)
            if cached is not None and cached.digest == found:
                return cached  # same JSON: same id, state and lines
        self.rendered += 1
        try:
            texts, dropped = self._map(item.load())
            pieces, ends = self._text(texts)
        except UNREADABLE as exc:  # a field of the wrong type: the API's doing, no bug
            log.debug("item not exported: unreadable", item=key[:64], error=str(exc)[:200])
            return Rendered(key, item.ref, self._nothing, failed=True)
        except Exception as exc:  # a broad catch: a bug of ours loses this item, not the others
            first = type(exc) not in self._bugs_seen
            self._bugs_seen.add(type(exc))
            log.error(
                "item not exported: the mapping failed",
                item=key[:64],
                error=f"unexpected {type(exc).__name__} in the exporter",
                exc_info=exc if first else None,
            )
            return Rendered(key, item.ref, self._nothing, failed=True)
        if dropped:
            log.debug(
                "values out of their domain left out",
                item=key[:64],
                families=sorted(set(dropped))[:8],
            )
        return Rendered(key, item.ref, ends, pieces, found, out_of_domain=len(dropped))

    def _text(self, texts: list[str]) -> tuple[tuple[bytes, ...], bytes]:
        if len(texts) != len(self.names):
            raise ValueError(f"{len(texts)} families mapped, the service has {len(self.names)}")
        # Lone surrogates (JSON allows "\ud800") cannot be UTF-8: replaced rather than fail.
        pieces = tuple([text.encode("utf-8", "replace") if text else b"" for text in texts])
        return pieces, array("I", accumulate(map(len, pieces))).tobytes()

    def commit(self, items: Sequence[Rendered]) -> None:
        """A poll succeeded with `items` (as stored): reuse them next time, and only them."""
        self._cache = {
            item.key: item for item in items if item.key is not None and item.digest is not None
        }

    def forget(self) -> None:
        """The source's series were dropped: render everything afresh next time."""
        self._cache = {}


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic GC while rendering: it allocates hundreds of thousands of small acyclic
    containers, which trigger full collections that rescan every live object (up to 2x a
    10,000-task poll's CPU). Reference counting still frees everything; the collector runs
    again afterwards. Only around code that does not await: another poll must not run
    with the collector off for good."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
