"""The exporter's own metrics: per-source poll status, API request counts and latency.

The poller and the HTTP layer record into `Telemetry`; after every poll `render()` turns it
into the pre-rendered `huaweicloud_migration_*` families that `/metrics` serves.
"""

from __future__ import annotations

import bisect
import platform
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from exporter import __version__
from exporter.build import build as this_build
from exporter.huawei.errors import REASONS
from exporter.metrics.family import Family, MetricType
from exporter.metrics.lines import Block, Lines, format_value, labels_text, line, render_families

SourceKey = tuple[str, str]  # (account, service): one list of one account, polled on its own
SOURCE = ("account", "service")
HISTOGRAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _own(name: str, type_: MetricType, help_: str, labels: tuple[str, ...] = SOURCE) -> Family:
    return Family(f"huaweicloud_migration_{name}", type_, help_, labels, "self")


OWN_FAMILIES: tuple[Family, ...] = (
    _own("up", "gauge", "1 when the last poll of this account and service succeeded."),
    _own("last_success_timestamp_seconds", "gauge", "Time of the last successful poll."),
    _own("poll_duration_seconds", "gauge", "Wall time of the last poll."),
    _own(
        "api_requests_total",
        "counter",
        "API requests sent, by HTTP status code (`error` for transport failures).",
        (*SOURCE, "code"),
    ),
    _own(
        "api_request_duration_seconds",
        "histogram",
        "API request latency.",
        ("service",),
    ),
    _own(
        "poll_errors_total",
        "counter",
        f"Failed polls by reason: {', '.join(REASONS)}.",
        (*SOURCE, "reason"),
    ),
    _own(
        "tasks_not_exported",
        "gauge",
        "Tasks not exported: past max_tasks_per_source or the API offset ceiling, or unreadable.",
    ),
    _own(
        "values_out_of_domain",
        "gauge",
        "Values left out of the last successful poll as outside their domain: a ratio outside"
        " 0..1, a negative size, count, speed or duration, a timestamp before 1970.",
    ),
    _own(
        "task_state_changes_total",
        "counter",
        "Task state transitions observed between polls, by new state.",
        (*SOURCE, "to"),
    ),
    _own(
        "exporter_wave_render_errors_total",
        "counter",
        "Renders of the wave families (membership, readiness) that failed: they keep their last"
        " values meanwhile, and the log says why.",
        (),
    ),
    _own(
        "auth_backoff_until_timestamp_seconds",
        "gauge",
        "When the back-off after the account's access key (or password login) was rejected "
        "ends; 0 when there is none. Until then nothing is sent with that key, by any account.",
        ("account",),
    ),
    _own(
        "exporter_build_info",
        "gauge",
        "Exporter build information, value 1.",
        ("version", "revision", "python_version", "shard", "total_shards"),
    ),
    _own(
        "exporter_shard_ordinal",
        "gauge",
        "This replica's shard, 0-based (--shard).",
        ("shard",),
    ),
    _own(
        "exporter_total_shards",
        "gauge",
        "The number of shards this replica believes in (--total-shards).",
        (),
    ),
    _own(
        "config_last_reload_successful",
        "gauge",
        "1 when the last configuration reload succeeded; 0 while a refused one is pending.",
        (),
    ),
    _own(
        "config_last_reload_success_timestamp_seconds",
        "gauge",
        "When the running configuration was loaded.",
        (),
    ),
)


@dataclass
class SourceStatus:
    account: str
    service: str
    polled: bool = False  # at least one poll finished, successfully or not
    up: bool = False
    last_poll: float | None = None  # wall clock
    last_success: float | None = None
    poll_duration: float | None = None
    render_cpu: float | None = (
        None  # CPU seconds the last successful poll spent mapping + rendering
    )
    tasks: int = 0
    running: int = 0  # tasks (servers) running or failed at the last poll
    failed: int = 0
    not_exported: int = 0
    out_of_domain: int = 0  # values left out by the mapping at the last successful poll
    last_error: str | None = None
    last_api_error: str | None = None  # the API's last error code and request id
    requests: Counter[str] = field(default_factory=Counter)  # by HTTP code
    errors: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(REASONS, 0)))
    changes: Counter[str] = field(default_factory=Counter)  # by new state


@dataclass
class Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * len(HISTOGRAM_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        index = bisect.bisect_left(HISTOGRAM_BUCKETS, seconds)
        if index < len(self.buckets):
            self.buckets[index] += 1
        self.total += seconds
        self.count += 1


def _no_backoffs() -> Mapping[str, float]:
    return {}


@dataclass
class Telemetry:
    shard: int = 0
    total_shards: int = 1
    sources: dict[SourceKey, SourceStatus] = field(default_factory=dict)
    latency: dict[str, Histogram] = field(default_factory=dict)  # by service
    # The configuration: whether the last reload took, and when the running one was loaded.
    reload_ok: bool | None = None
    config_loaded_at: float | None = None
    # Account -> when its credential's back-off ends (wall clock): the process's `Gates`.
    backoffs: Callable[[], Mapping[str, float]] = _no_backoffs
    wave_render_errors: int = 0  # renders of the wave stage that failed

    def source(self, account: str, service: str) -> SourceStatus:
        key = (account, service)
        if key not in self.sources:
            self.sources[key] = SourceStatus(account=account, service=service)
            self.latency.setdefault(service, Histogram())
        return self.sources[key]

    def forget(self, key: SourceKey) -> None:
        """A source that is no longer polled: its series go with it."""
        self.sources.pop(key, None)

    def request(self, account: str, service: str, *, code: str, seconds: float) -> None:
        status = self.sources.get((account, service))
        if status is None:  # a request of a source stopped by a reload, answered late
            return
        status.requests[code] += 1
        self.latency[service].observe(seconds)

    @property
    def ready(self) -> bool:
        return all(status.polled for status in self.sources.values())

    def render(self) -> Block:
        """Every `huaweicloud_migration_*` family, rendered."""
        out: Lines = {}

        def add(name: str, labels: str, value: float) -> None:
            family = f"huaweicloud_migration_{name}"
            out.setdefault(family, []).append(line(family, labels, value))

        for (account, service), status in sorted(self.sources.items()):
            ident = labels_text((("account", account), ("service", service)))
            add("up", ident, 1 if status.up else 0)
            if status.last_success is not None:
                add("last_success_timestamp_seconds", ident, status.last_success)
            if status.poll_duration is not None:
                add("poll_duration_seconds", ident, status.poll_duration)
            for code, count in sorted(status.requests.items()):
                add("api_requests_total", f"{ident},{labels_text([('code', code)])}", count)
            for reason, count in sorted(status.errors.items()):
                add("poll_errors_total", f"{ident},{labels_text([('reason', reason)])}", count)
            add("tasks_not_exported", ident, status.not_exported)
            add("values_out_of_domain", ident, status.out_of_domain)
            for state, count in sorted(status.changes.items()):
                add("task_state_changes_total", f"{ident},{labels_text([('to', state)])}", count)
        if self.latency:
            out["huaweicloud_migration_api_request_duration_seconds"] = self._histograms()
        backoffs = self.backoffs()
        for account in sorted({account for account, _ in self.sources}):
            add(
                "auth_backoff_until_timestamp_seconds",
                labels_text([("account", account)]),
                backoffs.get(account, 0.0),
            )
        build = labels_text(
            (
                ("version", __version__),
                ("revision", this_build().revision),
                ("python_version", platform.python_version()),
                ("shard", str(self.shard)),
                ("total_shards", str(self.total_shards)),
            )
        )
        add("exporter_build_info", build, 1)
        # As kube-state-metrics does: the shard as a number, so alerts can tell a missing one.
        add("exporter_shard_ordinal", labels_text([("shard", str(self.shard))]), self.shard)
        add("exporter_total_shards", "", self.total_shards)
        add("exporter_wave_render_errors_total", "", self.wave_render_errors)
        if self.reload_ok is not None:
            add("config_last_reload_successful", "", 1 if self.reload_ok else 0)
        if self.config_loaded_at is not None:
            add("config_last_reload_success_timestamp_seconds", "", self.config_loaded_at)
        return render_families(out)

    def _histograms(self) -> list[str]:
        """Buckets, sum and count of one service together: OpenMetrics wants them grouped."""
        name = "huaweicloud_migration_api_request_duration_seconds"
        lines = []
        for service, hist in sorted(self.latency.items()):
            ident = labels_text([("service", service)])
            cumulative = 0
            for bound, hits in zip(HISTOGRAM_BUCKETS, hist.buckets, strict=True):
                cumulative += hits
                lines.append(
                    line(f"{name}_bucket", f'{ident},le="{format_value(bound)}"', cumulative)
                )
            lines += [
                line(f"{name}_bucket", f'{ident},le="+Inf"', hist.count),
                line(f"{name}_sum", ident, hist.total),
                line(f"{name}_count", ident, hist.count),
            ]
        return lines
