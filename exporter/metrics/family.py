"""What a metric family is: its name, type, help and labels, and the service it belongs to.

Each service module declares its own families beside the code that writes them;
`catalog.py` gathers them, with the exporter's own, into the one catalogue the
renderer, the README and the dashboard checks read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MetricType = Literal["gauge", "counter", "histogram"]

REFRESH = " Refreshed every poll interval."


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    service: str  # the list service that fills it ("sms", "oms", "sms_sources"), or "self"

    @property
    def openmetrics_name(self) -> str:
        """OpenMetrics names a counter family without the `_total` its samples carry."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


GaugeMaker = Callable[..., Family]


def gauges(prefix: str, ids: tuple[str, ...], service: str) -> GaugeMaker:
    """A maker of one service's per-item gauges: `prefix` + name, `ids` first among labels.

    gauge = gauges("huaweicloud_oms_", ("account", "task_id"), "oms")
    gauge("task_progress_ratio", "OMS task progress, 0..1.")
    """

    def gauge(
        name: str, help_: str, extra: tuple[str, ...] = (), ids: tuple[str, ...] = ids
    ) -> Family:
        return Family(f"{prefix}{name}", "gauge", help_ + REFRESH, ids + extra, service)

    return gauge


def names(families: tuple[Family, ...]) -> tuple[str, ...]:
    return tuple(family.name for family in families)
