"""Listing every item behind an offset/limit API, fast and without double counting.

Page 1 tells the total (`count`); the other pages are requested at once (the HTTP layer
bounds how many are in flight). The list may change between pages, so items are
de-duplicated by id, and when the last page comes back full although `count` said it was the
last, paging goes on one page at a time until a short page.
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


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    count: int | None
    items: Sequence[T]


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    items: list[T]
    count: int  # what the API said is there (or what we saw, if more)
    not_fetched: int  # items beyond the offset ceiling or `max_items`
    pages: int


FetchPage = Callable[[int, int], Awaitable[Page[T]]]  # (offset, limit) -> page


async def list_all(
    fetch: FetchPage[T], *, limit: int, max_offset: int | None, max_items: int
) -> Listing[T]:
    """Every item once, in API order; `max_offset` is the largest offset the API accepts."""
    first = await fetch(0, limit)
    pages: dict[int, Page[T]] = {0: first}
    count = first.count if first.count is not None else len(first.items)
    reachable = _reachable(count, limit, max_offset, max_items)
    offsets = _offsets(limit, reachable, max_offset)
    await _fetch_all(fetch, offsets, limit, pages)
    # `count` may be stale: a full last page that reaches past it means there may be more.
    last = max(pages)
    while len(pages[last].items) >= limit > 0 and last + limit > count:
        offset = last + limit
        if (max_offset is not None and offset > max_offset) or offset >= max_items:
            break
        pages[offset] = await fetch(offset, limit)
        last = offset
    seen: dict[str, T] = {}
    anonymous: list[T] = []
    for offset in sorted(pages):
        for item in pages[offset].items:
            key = item.key
            if key is None:
                anonymous.append(item)
            else:
                seen.setdefault(key, item)
    items = [*seen.values(), *anonymous]
    total = max(count, len(items))
    kept = items[:max_items]
    return Listing(items=kept, count=total, not_fetched=total - len(kept), pages=len(pages))


async def _fetch_all(
    fetch: FetchPage[T], offsets: list[int], limit: int, pages: dict[int, Page[T]]
) -> None:
    """Fetch every offset at once into `pages`; the first failure cancels the rest.

    The pages go straight into `pages`, not into a gathered result list: a finished
    `gather` future sits in a reference cycle that only the cyclic GC frees, and it would keep
    every decoded item alive long after the poll (tens of MB at 10,000 tasks).
    """

    async def one(offset: int) -> None:
        pages[offset] = await fetch(offset, limit)

    try:
        async with asyncio.TaskGroup() as group:
            for offset in offsets:
                group.create_task(one(offset))
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


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
