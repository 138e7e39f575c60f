"""The standard process metrics every Prometheus exporter serves, read at scrape time.

    process_cpu_seconds_total 12.5
    process_resident_memory_bytes 1.9e+08
    process_open_fds 27.0

They describe the moment of the scrape, so they are read then (from /proc, by client_python's
`ProcessCollector`: some 0.1 ms) and appended to the prepared body as it is, in either format:
a scrape still compresses nothing (`Body.closing`). Elsewhere than Linux there are none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter.metrics.family import Family

_REGISTRY = CollectorRegistry(auto_describe=False)
ProcessCollector(registry=_REGISTRY)


def _family(name: str, type_: str, help_: str) -> Family:
    return Family(name, "counter" if type_ == "counter" else "gauge", help_, (), "process")


# As client_python names and describes them (a test holds the two together).
FAMILIES: tuple[Family, ...] = (
    _family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."),
    _family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes."),
    _family(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
    ),
    _family(
        "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."
    ),
    _family("process_open_fds", "gauge", "Number of open file descriptors."),
    _family("process_max_fds", "gauge", "Maximum number of open file descriptors."),
)


def text(openmetrics: bool) -> bytes:
    """The process families now, headers included, without OpenMetrics' `# EOF` (the body
    ends with its own)."""
    if openmetrics:
        return _OPENMETRICS(_REGISTRY).removesuffix(b"# EOF\n")
    return _TEXT(_REGISTRY)


# client_python's writers are not annotated: their signatures as documented.
_TEXT = cast(Callable[[CollectorRegistry], bytes], generate_latest)
_OPENMETRICS = cast(Callable[[CollectorRegistry], bytes], generate_openmetrics)
