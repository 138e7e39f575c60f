"""`Retry-After`, read as a number of seconds that is safe to wait: finite, not negative.

    retry_after("2", now=...)                              -> 2.0
    retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now=...)  -> seconds until then, 0 if past
    retry_after("nan" | "inf" | "-5" | "1e3" | "  ", now=...) -> None: as if absent

RFC 9110 allows delay-seconds (digits) or an HTTP-date. Anything else is not honoured, above
all `nan`: `asyncio.sleep(nan)` corrupts the event loop's timer heap, and every timer of the
loop (a request's deadline, the server's header timeout) then fires late. What the caller may
wait at most (the poll's remaining time, its policy's cap) is the caller's to apply.
"""

from __future__ import annotations

import math
import re
from datetime import UTC
from email.utils import parsedate_to_datetime

# Digits, and a fraction: not RFC 9110's, but harmless, and the simulator sends "0.3".
_SECONDS = re.compile(r"[0-9]{1,32}(?:\.[0-9]{1,32})?")
_MAX_DATE_LENGTH = 64  # "Sun, 06 Nov 1994 08:49:37 GMT" is 29


def retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value at wall-clock `now`; None when absent or not
    a delay this exporter believes. May be large: the caller bounds it."""
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        seconds = float(text)  # digits only: never nan, never negative, and at most 1e32
        return seconds if math.isfinite(seconds) else None
    if not text or len(text) > _MAX_DATE_LENGTH:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, its zone unsaid (RFC 5322 section 3.3)
        when = when.replace(tzinfo=UTC)
    try:
        seconds = when.timestamp() - now
    except (OverflowError, OSError, ValueError):
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
