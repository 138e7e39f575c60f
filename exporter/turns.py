"""The event loop's one turn at CPU work of the polls.

Pages arrive by the dozen at once (32 in flight per list). Were each free to decode and render
as soon as it arrives, one pass of the loop would run them all, some hundreds of
milliseconds, before it looked at a scrape again. Each step of a few milliseconds (decoding a
page, rendering 50 items, putting a page's text together) takes its turn instead: a pass runs
one such step, and the scrapes waiting are served between two.
"""

from __future__ import annotations

import asyncio
from weakref import WeakKeyDictionary

_TURNS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


def turn() -> asyncio.Lock:
    """The running loop's lock for CPU steps: `async with turn(): ...` (one step, no await)."""
    loop = asyncio.get_running_loop()
    lock = _TURNS.get(loop)
    if lock is None:
        lock = _TURNS[loop] = asyncio.Lock()
    return lock
