"""The event loop's one turn at CPU work of the polls, and how much new text may wait.

Pages arrive by the dozen at once (32 in flight per list). Were each free to decode and render
as soon as it arrives, one pass of the loop would run them all, some hundreds of
milliseconds, before it looked at a scrape again. Each step of a few milliseconds (decoding a
page, rendering 25 items, `exposition.RENDER_BATCH`, putting a page's text together) takes
its turn instead: a pass runs one such step, and the scrapes waiting are served between two.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")

_TURNS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()
_WRITING: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()

# Pages rendered and not yet compressed, at most, across every poll: their new text (1.5 MB
# a page of 200 SMS tasks) is what a poll holds beyond its raw pages. Rendering outpaces the
# compressing thread when that thread gets little CPU (it runs at a lower priority): without
# a bound the text of every page piled up, 200 MB more at 30,000 items.
PAGES_WRITING = 4


def _lock() -> asyncio.Lock:
    """The running loop's lock for CPU steps."""
    loop = asyncio.get_running_loop()
    lock = _TURNS.get(loop)
    if lock is None:
        lock = _TURNS[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def turn() -> AsyncIterator[None]:
    """`async with turn(): ...`: one CPU step (no await inside), then a pass of the loop with
    the turn still held: what serves the scrapes waiting. One step a pass, whichever task's:
    a free lock is taken without a pass, so steps with no other await between them (a page's
    batches of items, the wave stage's) ran all at once, and two tasks ready in one pass
    each ran a step in it."""
    async with _lock():
        yield
        await asyncio.sleep(0)


def writing() -> asyncio.Semaphore:
    """The running loop's slots for a page from its rendering to its compressed part:
    `async with writing(): ...`."""
    loop = asyncio.get_running_loop()
    slots = _WRITING.get(loop)
    if slots is None:
        slots = _WRITING[loop] = asyncio.Semaphore(PAGES_WRITING)
    return slots


async def in_turns(items: Sequence[T], step: Callable[[Sequence[T]], None], size: int) -> None:
    """`step` over `items`, `size` of them a turn."""
    for start in range(0, len(items), size):
        async with turn():
            step(items[start : start + size])
