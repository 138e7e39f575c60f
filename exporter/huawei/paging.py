"""Listing every item behind an offset/limit API, fast and without double counting.

Page 1 tells the total (`count`); the other pages are requested at once (the HTTP layer
bounds how many are in flight), and each page is handed on as it arrives (page 1 too, while
the others are on their way). The list may change between pages, so items are de-duplicated
by id, and when the last page comes back full although `count` said it was the last, paging
goes on one page at a time until a short page.

`count` is believed only as far as the pages bear it out. A page that comes back short ends
the list (page 1 short: no other page is asked for, whatever `count` says), and then only
`max_items` can have cut items. Only when paging stopped at the offset ceiling or `max_items`
on full pages may there be more than was seen, and then `count` says how many, up to
`MAX_BELIEVED_COUNT`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class HasKey(Protocol):
    @property
    def key(self) -> str | None: ...  # the item's id as text


T = TypeVar("T", bound=HasKey)
P = TypeVar("P")

# No list holds more items than this (SMS lists stop being listable at 65,735): a larger
# `count` is a lie, not a number of tasks left out.
MAX_BELIEVED_COUNT = 1_000_000


@dataclass(frozen=True, slots=True)
class Page(Generic[P]):
    """A page as fetched, before its items are made anything of."""

    count: int | None  # the total the API says there is
    size: int  # items on the page, as sent
    items: P  # the page's items, as the page hook takes them


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    items: list[T]
    count: int  # how many there are, as far as the pages bear `count` out
    not_fetched: int  # items beyond the offset ceiling or `max_items`
    pages: int


FetchPage = Callable[[int, int], Awaitable[Page[P]]]  # (offset, limit) -> page
EachPage = Callable[[int, P], Awaitable[Sequence[T]]]  # (offset, items) -> what they became


async def list_all(
    fetch: FetchPage[P],
    each_page: EachPage[P, T],
    *,
    limit: int,
    max_offset: int | None,
    max_items: int,
) -> Listing[T]:
    """Every item once, in API order; `max_offset` is the largest offset the API accepts."""
    sizes: dict[int, int] = {}
    # What the pages became goes straight in here, not into a gathered result list: a finished
    # `gather` future sits in a reference cycle that only the cyclic GC frees, and it would
    # keep every decoded item alive long after the poll (tens of MB at 10,000 tasks).
    made: dict[int, Sequence[T]] = {}

    async def each(offsets: list[int], fetched: Page[P] | None = None) -> None:
        """Fetch every offset at once (but `fetched`, the page at the first offset) and hand
        each page on as it arrives; the first failure cancels the rest."""

        async def one(offset: int, page: Page[P] | None) -> None:
            page = page or await fetch(offset, limit)
            sizes[offset] = page.size
            made[offset] = await each_page(offset, page.items)

        try:
            async with asyncio.TaskGroup() as group:
                for n, offset in enumerate(offsets):
                    group.create_task(one(offset, fetched if n == 0 else None))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None

    first = await fetch(0, limit)
    count = first.count if first.count is not None else first.size
    # A short page 1 is the whole list: the pages `count` claims beyond it hold nothing.
    reachable = _reachable(count, limit, max_offset, max_items) if first.size >= limit else 0
    await each([0, *_offsets(limit, reachable, max_offset)], first)
    del first
    # `count` may be stale: a full last page that reaches past it means there may be more.
    last = max(sizes)
    while sizes[last] >= limit > 0 and last + limit > count:
        offset = last + limit
        if (max_offset is not None and offset > max_offset) or offset >= max_items:
            break
        await each([offset])
        last = offset
    seen: dict[str, T] = {}
    anonymous: list[T] = []
    for offset in sorted(made):
        for item in made[offset]:
            key = item.key
            if key is None:
                anonymous.append(item)
            else:
                seen.setdefault(key, item)
    items = [*seen.values(), *anonymous]
    kept = items[:max_items]
    total = len(items)
    if all(size >= limit for size in sizes.values()):
        # Paging stopped on full pages (the ceiling, max_items): `count` may tell the rest.
        total = max(min(count, MAX_BELIEVED_COUNT), total)
    return Listing(items=kept, count=total, not_fetched=total - len(kept), pages=len(made))


def pages_of(limit: int, max_offset: int | None, max_items: int) -> int:
    """The requests `list_all` makes of a list holding `max_items` items or more: what one poll
    of a full list costs.

    >>> pages_of(200, 65535, 10_000), pages_of(200, 65535, 100_000), pages_of(100, 10_000, 10**6)
    (50, 329, 101)
    """
    reachable = _reachable(max_items, limit, max_offset, max_items)
    return 1 + len(_offsets(limit, reachable, max_offset))


def _reachable(count: int, limit: int, max_offset: int | None, max_items: int) -> int:
    ceiling = count if max_offset is None else min(count, max_offset + limit)
    return min(ceiling, max_items)


def _offsets(limit: int, reachable: int, max_offset: int | None) -> list[int]:
    if limit <= 0:
        return []
    offsets = list(range(limit, reachable, limit))
    if max_offset is not None:
        offsets = [o for o in offsets if o <= max_offset]
        # One last page at the ceiling itself reaches the items just past it.
        if offsets and reachable > max_offset and offsets[-1] < max_offset:
            offsets.append(max_offset)
    return offsets
