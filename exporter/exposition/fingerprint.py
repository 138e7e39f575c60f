"""Whether JSON changed since the last poll: 128-bit XXH3 fingerprints of an item's raw JSON
and of a page's items.

A fingerprint tells change apart, it defends nothing: the API that could make two texts
collide sends what it wants anyway. Two different texts share one with odds of 2^-128. XXH3
is 20-30x faster than BLAKE2b here: 1 ms, not 22-65 ms, for 10,000 items.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import xxhash


def of_item(raw: msgspec.Raw) -> bytes:
    return xxhash.xxh3_128_digest(raw)


def of_page(raws: Sequence[msgspec.Raw]) -> bytes:
    """Of the items in order, each after its length (so that no two lists of texts read as
    one): equal only for the same items' JSON, byte for byte, in the same order."""
    hasher = xxhash.xxh3_128()
    for raw in raws:
        hasher.update(len(raw).to_bytes(8, "little"))
        hasher.update(raw)
    return hasher.digest()
