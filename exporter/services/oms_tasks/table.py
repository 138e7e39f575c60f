"""OMS tasks -> their families, one row each. Pure: no I/O, no clock.

huaweicloud_oms_task_status{account="prod",region="ap-southeast-3",task_id="1000042",
                            task_name="logs",status="failed"} 1
huaweicloud_oms_task_completed_bytes{…,task_id="1000042",task_name="logs"} 5368709120.0
huaweicloud_oms_task_processed_objects{…,result="skipped"} 12
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.huawei.payload import text
from exporter.metrics.family import Bad, Options, Rows, Table, Write, identity, names
from exporter.metrics.lines import (
    NON_NEGATIVE,
    RATIO,
    Lines,
    StateSet,
    escape,
    labels_text,
    number,
    truncate,
)
from exporter.services.oms_tasks.payload import OmsErrorReason, OmsRef, OmsTask

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
FINISHED = frozenset({OMS_STATUSES[5]})  # a succeeded task does not change again
_RESULTS = (("successful_num", "succeeded"), ("failed_num", "failed"), ("skipped_num", "skipped"))
_ERROR_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
_LOW, _HIGH = NON_NEGATIVE


def status_name(status: int | None) -> str | None:
    """`4` -> `failed`; `0` -> `not_started`; an unknown code -> its number as text."""
    if status is None:
        return None
    return OMS_STATUSES.get(status, str(status))


def _info(task: OmsTask, opts: OmsOptions) -> tuple[str | int | float | None, ...]:
    src = task.src_node
    dst = task.dst_node
    return (
        opts.project_id,
        task.task_type,
        task.group_id,
        task.group_type,
        src.cloud_type if src else None,
        src.region if src else None,
        src.bucket if src else None,
        dst.region if dst else None,
        dst.bucket if dst else None,
        task.task_priority,
    )


def _bandwidth(name: str, opts: OmsOptions) -> Write:
    limit = opts.max_label_length

    def write(task: OmsTask, labels: str, bad: Bad) -> str:
        lines = ""
        windows: set[tuple[str, str]] = set()
        for policy in task.bandwidth_policy or ():
            if policy is None or policy.max_bandwidth is None:
                continue
            if not _LOW <= policy.max_bandwidth <= _HIGH:
                bad(name)
                continue
            window = (truncate(policy.start, limit), truncate(policy.end, limit))
            if window not in windows:  # two rules for one window would be one series twice
                windows.add(window)
                lines += (
                    f'{name}{{{labels},start="{escape(window[0])}",'
                    f'end="{escape(window[1])}"}} {number(policy.max_bandwidth)}\n'
                )
        return lines

    return write


def _error(name: str, opts: OmsOptions) -> Write:
    limit = opts.max_label_length

    def write(task: OmsTask, labels: str, bad: Bad) -> str:
        code = _error_code(task.error_reason)
        if code is None:
            return ""
        return f'{name}{{{labels},error_code="{escape(truncate(code, limit))}"}} 1\n'

    return write


def _error_code(reason: OmsErrorReason | str | None) -> str | None:
    if not isinstance(reason, OmsErrorReason):
        return None
    code = (text(reason.error_code) or "").strip()
    if not code:
        return None
    return code if _ERROR_CODE.match(code) else "unknown"


def failed_object_list(name: str, opts: Options) -> Write:
    """`_failed_object_list_info{list_file_key, upload_error_code}` of an OMS task or group
    with a `failed_object_record` naming its list file: where the list of the objects that
    failed went, and the code of uploading it (empty when none was given)."""
    limit = opts.max_label_length

    def write(item: OmsTask, labels: str, bad: Bad) -> str:
        record = item.failed_object_record
        if record is None:
            return ""
        key = text(record.list_file_key)
        if not key:
            return ""
        code = (text(record.error_code) or "").strip()
        if code and not _ERROR_CODE.match(code):
            code = "unknown"
        return (
            f'{name}{{{labels},list_file_key="{escape(truncate(key, limit))}",'
            f'upload_error_code="{escape(truncate(code, limit))}"}} 1\n'
        )

    return write


def _source(account: str, opts: OmsOptions) -> tuple[tuple[str, str], ...]:
    return (("account", account), ("region", truncate(opts.region, opts.max_label_length)))


_rows: Rows[OmsOptions] = Rows(
    "huaweicloud_oms_", ("account", "region", "task_id", "task_name"), "oms"
)
TABLE: Table[OmsOptions] = Table(
    rows=(
        _rows.info(
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
            _info,
        ),
        _rows.stateset(
            "task_status",
            "OMS task status: 1 for the current status, 0 for the others.",
            "status",
            tuple(OMS_STATUSES.values()),
            lambda task: status_name(task.status),
        ),
        # Out of domain is a progress of -5 or 1.2e29, a negative size.
        _rows.gauge("task_progress_ratio", "OMS task progress, 0..1.", "progress", domain=RATIO),
        # A finished task keeps its byte totals.
        _rows.gauge(
            "task_size_bytes", "Bytes the OMS task has to migrate.", "total_size", finished=True
        ),
        _rows.gauge(
            "task_completed_bytes",
            "Bytes the OMS task has processed.",
            "complete_size",
            finished=True,
        ),
        _rows.gauge(
            "task_migrated_bytes",
            "Bytes the OMS task has migrated, skipped objects excluded.",
            "real_size",
            finished=True,
        ),
        _rows.gauge("task_total_objects", "Objects the OMS task has to migrate.", "total_num"),
        _rows.split(
            "task_processed_objects",
            "Objects the OMS task has processed, by result (succeeded|failed|skipped).",
            "result",
            _RESULTS,
        ),
        _rows.gauge(
            "task_migrate_speed_bytes_per_second", "OMS task migration speed.", "migrate_speed"
        ),
        _rows.gauge(
            "task_remaining_seconds",
            "OMS task estimated remaining time.",
            "left_time",
            divide=1000.0,
        ),
        _rows.gauge(
            "task_duration_seconds", "OMS task running time so far.", "total_time", divide=1000.0
        ),
        _rows.date(
            "task_start_timestamp_seconds",
            "OMS task start time; absent before it starts.",
            "start_time",
        ),
        _rows.flag(
            "task_listing_complete",
            "1 when OMS has finished listing the source objects.",
            "is_query_over",
        ),
        _rows.custom(
            "task_bandwidth_limit_bytes_per_second",
            "OMS task bandwidth limit in the daily window [start, end).",
            ("start", "end"),
            _bandwidth,
        ),
        _rows.custom("task_error_info", "OMS task error code, value 1.", ("error_code",), _error),
        _rows.custom(
            "task_failed_object_list_info",
            "Where the OMS task's list of failed objects went, and the code of its upload"
            " (empty: uploaded), value 1.",
            ("list_file_key", "upload_error_code"),
            failed_object_list,
        ),
    ),
    counted=(
        _rows.counted("tasks", "Number of OMS tasks per status.", ("account", "region", "status")),
    ),
    identity=identity("task_id", "task_name", _source),
)
FAMILIES = TABLE.families
NAMES = names(FAMILIES)
_TASKS = "huaweicloud_oms_tasks"
_STATUSES = StateSet("huaweicloud_oms_task_status", "status", OMS_STATUSES.values())


@dataclass(frozen=True, slots=True)
class OmsOptions:
    region: str
    project_id: str
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    finished_details: bool = True  # False: a succeeded task exports _info, status and bytes
    inactive_states: bool = True  # False: the current status's series only, no zeros


def counts(account: str, refs: Sequence[OmsRef], opts: OmsOptions) -> Lines:
    """`huaweicloud_oms_tasks`: tasks per status, every known status present (0 included);
    each once (paging de-duplicates)."""
    if _TASKS not in opts.families:
        return {}
    limit = opts.max_label_length
    counts: Counter[str] = Counter()
    for raw, n in Counter(ref.status for ref in refs).items():
        name = status_name(raw)  # a few distinct statuses: each is named once
        if name is not None:
            counts[truncate(name, limit)] += n
    labels = labels_text(_source(account, opts))
    return {_TASKS: _STATUSES.count_lines(_TASKS, labels, counts)}
