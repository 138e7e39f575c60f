"""Listed items -> their exposition text, one page at a time, reusing what did not change.

An item is rendered on its own into one piece of bytes per family of its service (the text
format's sample lines, the same in OpenMetrics). The pieces are kept per item id with a digest
of the item's raw JSON: at the next poll an item whose JSON is byte-identical reuses its
pieces without being decoded, mapped or encoded again. With tasks progressing, a third or more
of them are unchanged between polls; when nothing changed, a poll renders nothing.

    renderer = ItemRenderer(names, lines=partial(task_lines, "prod", opts=opts), label_limit=128)
    rendered = renderer.page(listed_items)   # as each page arrives
    renderer.commit(kept)                    # after a successful poll: the cache is these

The cache costs little memory of its own: the pieces it holds are those the current
exposition serves (a digest and a tuple of references per item).
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import msgspec
import structlog

from exporter.huawei.payload import UNREADABLE
from exporter.metrics.lines import Lines, encode, truncate

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
    pieces: tuple[bytes, ...]  # one per family of the service, b"" where it has none
    digest: bytes | None = None  # of the raw JSON; None: not to be reused
    failed: bool = False  # the mapping could not take it: not exported, counted


def digest(raw: msgspec.Raw) -> bytes:
    """128 bits of BLAKE2b: two different JSON texts of one item never share it in practice."""
    return hashlib.blake2b(raw, digest_size=16).digest()


class ItemRenderer:
    """One source's items -> rendered pieces, with the pieces of its last successful poll."""

    def __init__(
        self,
        names: tuple[str, ...],
        lines: Callable[[Sequence[Any]], Lines],
        label_limit: int,
    ) -> None:
        self.names = names  # the service's families, in exposition order
        self._index = {name: i for i, name in enumerate(names)}
        self._lines = lines
        self._limit = label_limit
        self._empty = (b"",) * len(names)
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
            return Rendered(None, item.ref, self._empty)
        key = truncate(key, self._limit)
        raw = item.raw
        found = None if raw is None else digest(raw)
        if found is not None:
            cached = self._cache.get(key)
            if cached is not None and cached.digest == found:
                return cached  # same JSON: same id, state and lines
        self.rendered += 1
        try:
            pieces = self._pieces(self._lines([item.load()]))
        except UNREADABLE as exc:  # a field of the wrong type: the API's doing, no bug
            log.debug("item not exported: unreadable", item=key[:64], error=str(exc)[:200])
            return Rendered(key, item.ref, self._empty, failed=True)
        except Exception as exc:  # a bug of ours: this item is lost, the others are not
            first = type(exc) not in self._bugs_seen
            self._bugs_seen.add(type(exc))
            log.error(
                "item not exported: the mapping failed",
                item=key[:64],
                error=f"unexpected {type(exc).__name__} in the exporter",
                exc_info=exc if first else None,
            )
            return Rendered(key, item.ref, self._empty, failed=True)
        return Rendered(key, item.ref, pieces, found)

    def _pieces(self, lines: Lines) -> tuple[bytes, ...]:
        pieces = list(self._empty)
        index = self._index
        for name, rows in lines.items():
            if rows:
                pieces[index[name]] = encode(rows)  # KeyError: a family the service lacks
        return tuple(pieces)

    def commit(self, items: Sequence[Rendered]) -> None:
        """A poll succeeded with `items`: reuse their pieces next time, and only theirs."""
        self._cache = {
            item.key: item for item in items if item.key is not None and item.digest is not None
        }

    def forget(self) -> None:
        """The source's series were dropped: so are the pieces kept for them."""
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
