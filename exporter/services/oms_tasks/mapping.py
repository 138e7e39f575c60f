"""OMS tasks -> exposition lines. Pure: no I/O, no clock.

huaweicloud_oms_task_status{account="prod",region="ap-southeast-3",task_id="1000042",
                            task_name="logs",status="failed"} 1
huaweicloud_oms_task_completed_bytes{…,task_id="1000042",task_name="logs"} 5368709120.0
huaweicloud_oms_task_processed_objects{…,result="skipped"} 12
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from exporter.huawei.payload import text
from exporter.metrics.family import Family, gauges, names
from exporter.metrics.lines import (
    NON_NEGATIVE,
    OUT_OF_DOMAIN,
    POSITIVE,
    RATIO,
    Lines,
    StateSet,
    escape,
    first_by_key,
    label_values_text,
    labels_text,
    new_lines,
    number,
    truncate,
)
from exporter.services.oms_tasks.payload import OmsErrorReason, OmsTask

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

OMS_ID = ("account", "region", "task_id", "task_name")
_gauge = gauges("huaweicloud_oms_", OMS_ID, "oms")

FAMILIES: tuple[Family, ...] = (
    _gauge(
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
    _gauge(
        "task_status", "OMS task status: 1 for the current status, 0 for the others.", ("status",)
    ),
    _gauge("task_progress_ratio", "OMS task progress, 0..1."),
    _gauge("task_size_bytes", "Bytes the OMS task has to migrate."),
    _gauge("task_completed_bytes", "Bytes the OMS task has processed."),
    _gauge("task_migrated_bytes", "Bytes the OMS task has migrated, skipped objects excluded."),
    _gauge("task_total_objects", "Objects the OMS task has to migrate."),
    _gauge(
        "task_processed_objects",
        "Objects the OMS task has processed, by result (succeeded|failed|skipped).",
        ("result",),
    ),
    _gauge("task_migrate_speed_bytes_per_second", "OMS task migration speed."),
    _gauge("task_remaining_seconds", "OMS task estimated remaining time."),
    _gauge("task_duration_seconds", "OMS task running time so far."),
    _gauge("task_start_timestamp_seconds", "OMS task start time; absent before it starts."),
    _gauge("task_listing_complete", "1 when OMS has finished listing the source objects."),
    _gauge(
        "task_bandwidth_limit_bytes_per_second",
        "OMS task bandwidth limit in the daily window [start, end).",
        ("start", "end"),
    ),
    _gauge("task_error_info", "OMS task error code, value 1.", ("error_code",)),
    _gauge("tasks", "Number of OMS tasks per status.", ("status",), ids=("account", "region")),
)
NAMES = names(FAMILIES)
_STATUS = "huaweicloud_oms_task_status"
_INFO = "huaweicloud_oms_task_info"
_ERROR = "huaweicloud_oms_task_error_info"
_RESULTS = (
    ("successful_num", ',result="succeeded"} '),
    ("failed_num", ',result="failed"} '),
    ("skipped_num", ',result="skipped"} '),
)
_ERROR_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")

# family, task attribute, divide, domain: value / divide, omitted when null, and left out
# (counted) when outside its domain: a progress of -5 or 1.2e29, a negative size.
_GAUGES = (
    ("huaweicloud_oms_task_progress_ratio", "progress", 1.0, RATIO),
    ("huaweicloud_oms_task_size_bytes", "total_size", 1.0, NON_NEGATIVE),
    ("huaweicloud_oms_task_completed_bytes", "complete_size", 1.0, NON_NEGATIVE),
    ("huaweicloud_oms_task_migrated_bytes", "real_size", 1.0, NON_NEGATIVE),
    ("huaweicloud_oms_task_total_objects", "total_num", 1.0, NON_NEGATIVE),
    ("huaweicloud_oms_task_migrate_speed_bytes_per_second", "migrate_speed", 1.0, NON_NEGATIVE),
    ("huaweicloud_oms_task_remaining_seconds", "left_time", 1000.0, NON_NEGATIVE),
    ("huaweicloud_oms_task_duration_seconds", "total_time", 1000.0, NON_NEGATIVE),
)
_LOW, _HIGH = NON_NEGATIVE
_STARTED_LOW, _STARTED_HIGH = POSITIVE


@dataclass(frozen=True, slots=True)
class OmsOptions:
    region: str
    project_id: str
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    finished_details: bool = True  # False: a succeeded task exports _info, status and bytes
    inactive_states: bool = True  # False: the current status's series only, no zeros


def status_name(status: int | None) -> str | None:
    """`4` -> `failed`; `0` -> `not_started`; an unknown code -> its number as text."""
    if status is None:
        return None
    return OMS_STATUSES.get(status, str(status))


def oms_lines(account: str, tasks: Sequence[OmsTask], opts: OmsOptions) -> Lines:
    """Every OMS family for the tasks of one project, plus the per-status task counts."""
    out = task_lines(account, tasks, opts)
    out["huaweicloud_oms_tasks"] = status_counts(account, tasks, opts)["huaweicloud_oms_tasks"]
    return out


_STATUSES = StateSet(_STATUS, "status", OMS_STATUSES.values())


_BYTES = frozenset(
    {
        "huaweicloud_oms_task_size_bytes",
        "huaweicloud_oms_task_completed_bytes",
        "huaweicloud_oms_task_migrated_bytes",
    }
)
_PROCESSED = "huaweicloud_oms_task_processed_objects"
_STARTED = "huaweicloud_oms_task_start_timestamp_seconds"
_LISTED = "huaweicloud_oms_task_listing_complete"
_BANDWIDTH = "huaweicloud_oms_task_bandwidth_limit_bytes_per_second"
SUCCEEDED = OMS_STATUSES[5]


def task_lines(account: str, tasks: Sequence[OmsTask], opts: OmsOptions) -> Lines:
    """The per-task OMS families (everything but the per-status counts); a family left out
    of `opts.families` costs nothing here."""
    on = opts.families
    out = new_lines(NAMES)
    limit = opts.max_label_length
    rows = [
        (out[name].append, name + "{", attr, div, low, high)
        for name, attr, div, (low, high) in _GAUGES
        if name in on
    ]
    totals = [row for row in rows if row[1][:-1] in _BYTES]  # what a finished task keeps
    info = out[_INFO].append if _INFO in on else None
    statuses = out[_STATUS].append if _STATUS in on else None
    stateset = _STATUSES.lines if opts.inactive_states else _STATUSES.current
    processed = out[_PROCESSED].append if _PROCESSED in on else None
    starts = out[_STARTED].append if _STARTED in on else None
    listing = out[_LISTED].append if _LISTED in on else None
    bandwidth = out[_BANDWIDTH].append if _BANDWIDTH in on else None
    errors = out[_ERROR].append if _ERROR in on else None
    finished_details = opts.finished_details
    prefix = (
        f'account="{escape(account)}",region="{escape(truncate(opts.region, limit))}",task_id="'
    )
    dropped: list[str] = []  # the families of values left out as outside their domain
    bad = dropped.append
    seen: set[str] = set()
    for task in tasks:
        key = None if task.key is None else truncate(task.key, limit)  # unique as a label value
        if key is None or key in seen:
            continue
        seen.add(key)
        labels = f'{prefix}{escape(key)}",task_name="{escape(truncate(task.name, limit))}"'
        if info is not None:
            info(f"{_INFO}{{{labels},{_info(task, opts, limit)}}} 1\n")
        status = status_name(task.status)
        if statuses is not None:
            statuses(stateset(labels, status, limit))
        finished = not finished_details and status == SUCCEEDED
        for append, head, attr, div, low, high in totals if finished else rows:
            value = getattr(task, attr)
            if value is not None:
                value /= div
                if low <= value <= high:
                    append(f"{head}{labels}}} {number(value)}\n")
                else:
                    bad(head[:-1])
        if finished:
            continue  # _info, status and byte totals only
        if processed is not None:
            for attr, result in _RESULTS:
                value = getattr(task, attr)
                if value is not None:
                    if _LOW <= value <= _HIGH:
                        processed(f"{_PROCESSED}{{{labels}{result}{number(value)}\n")
                    else:
                        bad(_PROCESSED)
        if starts is not None and task.start_time:  # 0 means "not started", not 1970
            if _STARTED_LOW <= task.start_time <= _STARTED_HIGH:
                starts(f"{_STARTED}{{{labels}}} {number(task.start_time / 1000)}\n")
            else:
                bad(_STARTED)
        if listing is not None and task.is_query_over is not None:
            listing(f"{_LISTED}{{{labels}}} {1 if task.is_query_over else 0}\n")
        if bandwidth is not None:
            windows: set[tuple[str, str]] = set()
            for policy in task.bandwidth_policy or ():
                if policy is None or policy.max_bandwidth is None:
                    continue
                if not _LOW <= policy.max_bandwidth <= _HIGH:
                    bad(_BANDWIDTH)
                    continue
                window = (truncate(policy.start, limit), truncate(policy.end, limit))
                if window not in windows:  # two rules for one window would be one series twice
                    windows.add(window)
                    bandwidth(
                        f'{_BANDWIDTH}{{{labels},start="{escape(window[0])}",'
                        f'end="{escape(window[1])}"}} {number(policy.max_bandwidth)}\n'
                    )
        if errors is not None:
            code = _error_code(task.error_reason)
            if code is not None:
                errors(f'{_ERROR}{{{labels},error_code="{escape(truncate(code, limit))}"}} 1\n')
    if dropped:
        out[OUT_OF_DOMAIN] = dropped
    return out


class Listed(Protocol):
    """What counting needs of a task: a decoded one, or one still lazy (ids and status only)."""

    @property
    def key(self) -> str | None: ...

    @property
    def status(self) -> int | None: ...


def status_counts(account: str, tasks: Sequence[Listed], opts: OmsOptions) -> Lines:
    """`huaweicloud_oms_tasks`: tasks per status, every known status present (0 included);
    a task listed twice counts once."""
    return count_statuses(account, first_by_key(tasks, opts.max_label_length, _status), opts)


def count_statuses(account: str, statuses: Iterable[int | None], opts: OmsOptions) -> Lines:
    """`huaweicloud_oms_tasks` from the status of each task, each task once."""
    if "huaweicloud_oms_tasks" not in opts.families:
        return {}
    counts: Counter[str] = Counter()
    for raw, n in Counter(statuses).items():  # a few distinct statuses: each is named once
        status = _status_label(raw, opts.max_label_length)
        if status is not None:
            counts[status] += n
    labels = labels_text(
        [("account", account), ("region", truncate(opts.region, opts.max_label_length))]
    )
    return {"huaweicloud_oms_tasks": _STATUSES.count_lines("huaweicloud_oms_tasks", labels, counts)}


def _status(task: Listed) -> int | None:
    return task.status


def _status_label(status: int | None, limit: int) -> str | None:
    name = status_name(status)
    return None if name is None else truncate(name, limit)


def _info(task: OmsTask, opts: OmsOptions, limit: int) -> str:
    """The `_info` labels past the identity, as label text."""
    src = task.src_node
    dst = task.dst_node
    values = (
        ("project_id", opts.project_id),
        ("task_type", task.task_type),
        ("group_id", task.group_id),
        ("group_type", task.group_type),
        ("src_cloud", src.cloud_type if src else None),
        ("src_region", src.region if src else None),
        ("src_bucket", src.bucket if src else None),
        ("dst_region", dst.region if dst else None),
        ("dst_bucket", dst.bucket if dst else None),
        ("task_priority", task.task_priority),
    )
    return label_values_text(values, limit)


def _error_code(reason: OmsErrorReason | str | None) -> str | None:
    if not isinstance(reason, OmsErrorReason):
        return None
    code = (text(reason.error_code) or "").strip()
    if not code:
        return None
    return code if _ERROR_CODE.match(code) else "unknown"
