"""The format and encoding of a scrape, chosen from `Accept` and `Accept-Encoding` by q-value.

Served: OpenMetrics 1.0.0 and the text format 0.0.4 (whose lines are also valid text 1.0.0:
every name here is a classic one). Whatever a client asks, it gets one of them, never a 406:

    Prometheus 3 (OpenMetrics q=0.6 first)          -> OpenMetrics
    protobuf first (scrape_native_histograms)       -> OpenMetrics, the best one served
    text/plain;version=1.0.0, */*, nothing at all   -> text 0.0.4
"""

from __future__ import annotations

import math
from collections.abc import Iterator

OPENMETRICS = "application/openmetrics-text"
TEXT = "text/plain"


def preferences(header: str) -> Iterator[tuple[str, dict[str, str], float]]:
    """Each item of an `Accept`-style header: its value (lower case), parameters, q-value.
    A q-value that is not a number in [0, 1] reads as 0: the item is not wanted."""
    for item in header.split(","):
        value, *raw = (part.strip() for part in item.split(";"))
        if not value:
            continue
        params: dict[str, str] = {}
        for param in raw:
            key, _, val = param.partition("=")
            params[key.strip().lower()] = val.strip().strip('"')
        yield value.lower(), params, _quality(params.pop("q", "1"))


def _quality(text: str) -> float:
    try:
        q = float(text)
    except ValueError:
        return 0.0
    return min(q, 1.0) if math.isfinite(q) and q > 0 else (1.0 if q == math.inf else 0.0)


def _served(media: str, params: dict[str, str]) -> str | None:
    """Which of our formats a media range names, if any."""
    version = params.get("version")
    if media == OPENMETRICS and version in (None, "1.0.0", "0.0.1"):
        return OPENMETRICS
    if media in (TEXT, "text/*", "*/*") and version in (None, "0.0.4", "1.0.0"):
        return TEXT
    return None


def wants_openmetrics(accept: str) -> bool:
    """True when OpenMetrics is the served format the client prefers most (ties: the one it
    named first)."""
    best, best_q = TEXT, 0.0
    for media, params, q in preferences(accept):
        served = _served(media, params)
        if served is not None and q > best_q:
            best, best_q = served, q
    return best == OPENMETRICS


def accepts_gzip(accept_encoding: str) -> bool:
    """True when gzip is acceptable and not less wanted than no encoding at all."""
    gzip = identity = wildcard = None
    for coding, _, q in preferences(accept_encoding):
        if coding in ("gzip", "x-gzip"):
            gzip = max(gzip or 0.0, q)
        elif coding == "identity":
            identity = q
        elif coding == "*":
            wildcard = q
    chosen = gzip if gzip is not None else wildcard
    if not chosen:
        return False
    return identity is None or chosen >= identity
