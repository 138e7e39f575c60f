"""gzip members, fast: ISA-L (python-isal) where it is installed, the standard zlib otherwise.

On 19 MB of SMS task lines, ISA-L at level 1 compresses 5x faster than zlib at level 1
(1,630 vs 330 MB/s) and a little smaller (9.9x vs 9.1x), and inflates twice as fast (1,090
vs 575 MB/s). Both let go of the GIL while they work, and both write plain gzip: a reader
cannot tell which made a member. A platform without an isal wheel falls back to zlib.
"""

from __future__ import annotations

try:
    from isal import isal_zlib as implementation
except ImportError:  # pragma: no cover  # every platform CI runs has the wheel
    import zlib as implementation  # type: ignore[no-redef]  # the same functions

IMPLEMENTATION: str = implementation.__name__  # "isal.isal_zlib" or "zlib"
GZIP = 31  # wbits: a gzip member (header, deflate stream, CRC-32 and length)


def compress(data: bytes) -> bytes:
    """One gzip member, fast level: a scrape body, not an archive."""
    return implementation.compress(data, 1, wbits=GZIP) if data else b""


def inflate(member: bytes) -> bytes:
    return implementation.decompress(member, wbits=GZIP) if member else b""
