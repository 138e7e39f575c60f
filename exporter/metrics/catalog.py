"""Every metric family the exporter serves: the single source of truth (DESIGN section 4).

The mapping modules write lines for these names only; the renderer takes HELP and TYPE from
here; the README's metric reference and the dashboard and alert checks are tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricType = Literal["gauge", "counter", "histogram"]

REFRESH = " Refreshed every poll interval."

SMS_STATES = (
    "READY",
    "RUNNING",
    "SYNCING",
    "MIGRATE_SUCCESS",
    "SYNC_SUCCESS",
    "MIGRATE_FAIL",
    "SYNC_FAIL",
    "ABORTING",
    "ABORT",
    "SKIPPING",
    "DELETING",
    "RESETING",
    "SYNC_F_ROLLBACKING",
    "SYNC_F_ROLLBACK_SUCCESS",
)

OMS_STATUSES = {
    0: "not_started",
    1: "waiting",
    2: "migrating",
    3: "paused",
    4: "failed",
    5: "succeeded",
    6: "retrying",
    7: "pausing",
}

SMS_ID = ("account", "task_id", "task_name")
OMS_ID = ("account", "region", "task_id", "task_name")
SOURCE = ("account", "service")


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    service: Literal["sms", "oms", "self"]

    @property
    def openmetrics_name(self) -> str:
        """OpenMetrics names a counter family without the `_total` its samples carry."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


def _sms(
    name: str, help_: str, extra: tuple[str, ...] = (), ids: tuple[str, ...] = SMS_ID
) -> Family:
    return Family(f"huaweicloud_sms_{name}", "gauge", help_ + REFRESH, ids + extra, "sms")


def _oms(
    name: str, help_: str, extra: tuple[str, ...] = (), ids: tuple[str, ...] = OMS_ID
) -> Family:
    return Family(f"huaweicloud_oms_{name}", "gauge", help_ + REFRESH, ids + extra, "oms")


def _own(name: str, type_: MetricType, help_: str, labels: tuple[str, ...] = SOURCE) -> Family:
    return Family(f"huaweicloud_migration_{name}", type_, help_, labels, "self")


SUBTASK = ("subtask_id", "subtask")

FAMILIES: tuple[Family, ...] = (
    # ---- SMS ----
    _sms(
        "task_info",
        "SMS migration task metadata, value 1.",
        (
            "type",
            "os_type",
            "priority",
            "source_server_id",
            "source_server_name",
            "source_server_ip",
            "source_os_version",
            "target_server_id",
            "target_vm_id",
            "target_server_name",
            "migration_ip",
            "enterprise_project_id",
        ),
    ),
    _sms("task_state", "SMS task state: 1 for the current state, 0 for the others.", ("state",)),
    _sms("source_server_state", "SMS source server state as reported, value 1.", ("state",)),
    _sms("task_migrate_speed_bytes_per_second", "SMS task migration speed."),
    _sms("task_speed_limit_bytes_per_second", "SMS task speed limit; 0 means unlimited."),
    _sms("task_compress_rate", "SMS task compression rate as reported by the API."),
    _sms("task_created_timestamp_seconds", "SMS task creation time."),
    _sms("task_estimated_completion_timestamp_seconds", "SMS task estimated completion time."),
    _sms("task_duration_seconds", "SMS task running time so far."),
    _sms("task_syncing", "1 when incremental synchronisation is enabled for the SMS task."),
    _sms(
        "task_error_info", "SMS task error code parsed from error_json, value 1.", ("error_code",)
    ),
    _sms("agent_cpu_usage_ratio", "CPU usage of the SMS agent on the source server, 0..1."),
    _sms("agent_memory_usage_bytes", "Memory used by the SMS agent on the source server."),
    _sms("agent_disk_io_bytes_per_second", "Disk IO of the SMS agent on the source server."),
    _sms("source_cpu_usage_ratio", "Total CPU usage of the source server, 0..1."),
    _sms("source_memory_usage_bytes", "Total memory used on the source server."),
    _sms("source_disk_io_bytes_per_second", "Total disk IO of the source server."),
    _sms("subtask_progress_ratio", "SMS sub-task progress, 0..1.", SUBTASK),
    _sms("subtask_start_timestamp_seconds", "SMS sub-task start time.", SUBTASK),
    _sms("subtask_end_timestamp_seconds", "SMS sub-task end time; absent while running.", SUBTASK),
    _sms("network_latency_seconds", "Network latency measured by the SMS network check."),
    _sms("network_jitter_seconds", "Network jitter measured by the SMS network check."),
    _sms("network_bandwidth_bytes_per_second", "Bandwidth measured by the SMS network check."),
    _sms("network_packet_loss_ratio", "Packet loss measured by the SMS network check, 0..1."),
    _sms(
        "network_connectivity",
        "1 when the SMS network check reached the target (check=domain|destination).",
        ("check",),
    ),
    _sms("tasks", "Number of SMS tasks per state.", ("state",), ids=("account",)),
    # ---- OMS ----
    _oms(
        "task_info",
        "OMS migration task metadata, value 1.",
        (
            "project_id",
            "task_type",
            "group_id",
            "group_type",
            "src_cloud",
            "src_region",
            "src_bucket",
            "dst_region",
            "dst_bucket",
            "task_priority",
        ),
    ),
    _oms(
        "task_status", "OMS task status: 1 for the current status, 0 for the others.", ("status",)
    ),
    _oms("task_progress_ratio", "OMS task progress, 0..1."),
    _oms("task_size_bytes", "Bytes the OMS task has to migrate."),
    _oms("task_completed_bytes", "Bytes the OMS task has processed."),
    _oms("task_migrated_bytes", "Bytes the OMS task has migrated, skipped objects excluded."),
    _oms("task_total_objects", "Objects the OMS task has to migrate."),
    _oms(
        "task_processed_objects",
        "Objects the OMS task has processed, by result (succeeded|failed|skipped).",
        ("result",),
    ),
    _oms("task_migrate_speed_bytes_per_second", "OMS task migration speed."),
    _oms("task_remaining_seconds", "OMS task estimated remaining time."),
    _oms("task_duration_seconds", "OMS task running time so far."),
    _oms("task_start_timestamp_seconds", "OMS task start time; absent before it starts."),
    _oms("task_listing_complete", "1 when OMS has finished listing the source objects."),
    _oms(
        "task_bandwidth_limit_bytes_per_second",
        "OMS task bandwidth limit in the daily window [start, end).",
        ("start", "end"),
    ),
    _oms("task_error_info", "OMS task error code, value 1.", ("error_code",)),
    _oms("tasks", "Number of OMS tasks per status.", ("status",), ids=("account", "region")),
    # ---- the exporter itself ----
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
        "Failed polls by reason: auth, forbidden, throttled, server, timeout, network, "
        "bad_response.",
        (*SOURCE, "reason"),
    ),
    _own(
        "tasks_not_exported",
        "gauge",
        "Tasks not exported: past max_tasks_per_source or the API offset ceiling, or unreadable.",
    ),
    _own(
        "task_state_changes_total",
        "counter",
        "Task state transitions observed between polls, by new state.",
        (*SOURCE, "to"),
    ),
    _own(
        "exporter_build_info",
        "gauge",
        "Exporter build information, value 1.",
        ("version", "python_version", "shard", "total_shards"),
    ),
)

BY_NAME = {family.name: family for family in FAMILIES}
HISTOGRAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def family(name: str) -> Family:
    return BY_NAME[name]


def sample_names() -> set[str]:
    """Every name that can appear on a sample line (histograms add their suffixes)."""
    names = set()
    for fam in FAMILIES:
        if fam.type == "histogram":
            names |= {fam.name + suffix for suffix in ("_bucket", "_sum", "_count")}
        else:
            names.add(fam.name)
    return names
