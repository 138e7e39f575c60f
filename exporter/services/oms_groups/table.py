"""OMS task groups -> their families, one row each. Pure: no I/O, no clock.

    huaweicloud_oms_task_group_status{account="prod",region="ap-southeast-3",group_id="…",
                                      status="create_failed"} 1
    huaweicloud_oms_task_group_tasks{…,state="completed"} 12

A task group is the OMS side of a wave: every OMS task names its group in `group_id`. **Its
status table is its own:** 5 is a failed group, where for a task 5 means succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.huawei.payload import Text
from exporter.metrics.family import Rows, Table, identity, names
from exporter.metrics.lines import NON_NEGATIVE, Lines, truncate
from exporter.services.oms_groups.payload import GroupRef, TaskGroup
from exporter.services.oms_tasks.table import failed_object_list

GROUP_STATUSES = {
    0: "waiting",
    1: "executing",  # creating its tasks
    2: "monitoring",  # its tasks running
    3: "paused",
    4: "create_failed",  # creating its tasks failed
    5: "failed",  # migration failed
    6: "completed",
    7: "pausing",
    8: "waiting_deletion",
    9: "deleted",
}
FINISHED = frozenset({GROUP_STATUSES[6]})  # a completed group does not change again
TASKS = (
    ("total_task_num", "total"),
    ("create_task_num", "created"),
    ("waiting_task_num", "waiting"),
    ("executing_task_num", "executing"),
    ("paused_task_num", "paused"),
    ("failed_task_num", "failed"),
    ("complete_task_num", "completed"),
)
OBJECTS = (
    ("total_num", "total"),
    ("create_complete_num", "created"),
    ("success_num", "succeeded"),
    ("fail_num", "failed"),
    ("skip_num", "skipped"),
)
_LOW, _HIGH = NON_NEGATIVE


def group_status_name(status: int | None) -> str | None:
    """`5` -> `failed` (a task's 5 is `succeeded`); an unknown code -> its number as text."""
    if status is None:
        return None
    return GROUP_STATUSES.get(status, str(status))


def _info(group: TaskGroup, opts: GroupOptions) -> tuple[Text, ...]:
    src, dst = group.src_node, group.dst_node
    return (
        group.task_type,
        src.cloud_type if src else None,
        src.region if src else None,
        src.bucket if src else None,
        dst.region if dst else None,
        dst.bucket if dst else None,
    )


def _source(account: str, opts: GroupOptions) -> tuple[tuple[str, str], ...]:
    return (("account", account), ("region", truncate(opts.region, opts.max_label_length)))


_rows: Rows[GroupOptions] = Rows(
    "huaweicloud_oms_task_group_", ("account", "region", "group_id"), "oms_groups"
)
TABLE: Table[GroupOptions] = Table(
    rows=(
        _rows.info(
            "info",
            "OMS task group metadata: its source and destination (cloud, region, bucket only),"
            " value 1.",
            ("task_type", "src_cloud", "src_region", "src_bucket", "dst_region", "dst_bucket"),
            _info,
        ),
        _rows.stateset(
            "status",
            "OMS task group status (the group table: 4 create_failed, 5 failed, 6 completed):"
            " 1 for the current status, 0 for the others.",
            "status",
            tuple(GROUP_STATUSES.values()),
            lambda group: group_status_name(group.status),
        ),
        _rows.split(
            "tasks",
            "Tasks of the OMS task group by state (total|created|waiting|executing|paused|"
            "failed|completed).",
            "state",
            TASKS,
        ),
        _rows.split(
            "objects",
            "Objects of the OMS task group by result (total|created|succeeded|failed|skipped).",
            "result",
            OBJECTS,
        ),
        _rows.gauge(
            "size_bytes", "Bytes the OMS task group has to migrate.", "total_size", finished=True
        ),
        _rows.gauge(
            "created_bytes",
            "Bytes of the OMS task group's tasks created so far.",
            "create_complete_size",
            finished=True,
        ),
        _rows.gauge(
            "completed_bytes",
            "Bytes the OMS task group has migrated.",
            "complete_size",
            finished=True,
        ),
        _rows.gauge(
            "migrate_speed_bytes_per_second", "OMS task group migration speed.", "migrate_speed"
        ),
        _rows.date(
            "start_timestamp_seconds",
            "OMS task group start time; absent before it starts.",
            "start_time",
        ),
        _rows.gauge(
            "duration_seconds",
            "OMS task group running time so far.",
            "total_time",
            divide=1000.0,
        ),
        _rows.custom(
            "failed_object_list_info",
            "Where the OMS task group's list of failed objects went, and the code of its upload"
            " (empty: uploaded), value 1.",
            ("list_file_key", "upload_error_code"),
            failed_object_list,
        ),
    ),
    counted=(),
    identity=identity("group_id", None, _source),
)
FAMILIES = TABLE.families
NAMES = names(FAMILIES)


@dataclass(frozen=True, slots=True)
class GroupOptions:
    region: str
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    finished_details: bool = True  # False: a completed group exports _info, status and bytes
    inactive_states: bool = True  # False: the current status's series only, no zeros


def counts(account: str, refs: Sequence[GroupRef], opts: GroupOptions) -> Lines:
    """No family over all groups: each group's series are its counts."""
    return {}
