"""Memory and the process: freed heap given back to the system, and start-up objects kept out
of the cyclic collector's way.

A poll allocates and frees tens of MB (pages, decoded tasks, rendered text). CPython frees
them, but glibc's allocator keeps the freed heap for reuse, so the process's resident size
would stay near its peak. `malloc_trim(0)` hands the free pages back; elsewhere than glibc it
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018  # present in glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def freeze_startup_objects() -> None:
    """Leave what exists at start-up (modules, classes, functions: some 60,000 objects) out of
    every later cyclic collection. Each full collection otherwise rescans them all, 50 ms and
    more holding the event loop, several times a poll."""
    gc.collect()
    gc.freeze()


def release_free_memory() -> None:
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
