"""OMS tasks -> samples. Pure: no I/O, no clock.

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

from exporter.huawei.models import OmsErrorReason, OmsTask
from exporter.metrics.catalog import FAMILIES, OMS_STATUSES
from exporter.metrics.samples import LabelPairs, Labels, Samples, new_samples, truncate

NAMES = tuple(f.name for f in FAMILIES if f.service == "oms")
_STATUS_PAIRS = {name: (("status", name),) for name in OMS_STATUSES.values()}
_RESULT_PAIRS = {result: (("result", result),) for result in ("succeeded", "failed", "skipped")}
_ERROR_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")


@dataclass(frozen=True, slots=True)
class OmsOptions:
    region: str
    project_id: str
    max_label_length: int = 128


def status_name(status: int | None) -> str | None:
    """`4` -> `failed`; `0` -> `not_started`; an unknown code -> its number as text."""
    if status is None:
        return None
    return OMS_STATUSES.get(status, str(status))


def oms_samples(account: str, tasks: Sequence[OmsTask], opts: OmsOptions) -> Samples:
    """Every OMS family for the tasks of one project, plus the per-status task counts."""
    out = new_samples(NAMES)
    limit = opts.max_label_length
    region = truncate(opts.region, limit)
    statuses: Counter[str] = Counter()
    seen: set[str] = set()

    def gauge(name: str, ident: Labels, value: float | None, div: float = 1.0) -> None:
        if value is not None:
            out[name].append((ident, (), value / div))

    for task in tasks:
        if task.id is None or task.id in seen:
            continue
        seen.add(task.id)
        ident = Labels(
            (
                ("account", account),
                ("region", region),
                ("task_id", truncate(task.id, limit)),
                ("task_name", truncate(task.name, limit)),
            )
        )
        out["huaweicloud_oms_task_info"].append((ident, _info(task, opts, limit), 1))
        status = status_name(task.status)
        rows = out["huaweicloud_oms_task_status"]
        for known, pairs in _STATUS_PAIRS.items():
            rows.append((ident, pairs, 1 if status == known else 0))
        if status is not None:
            statuses[status] += 1
            if status not in _STATUS_PAIRS:
                rows.append((ident, (("status", status),), 1))
        gauge("huaweicloud_oms_task_progress_ratio", ident, task.progress)
        gauge("huaweicloud_oms_task_size_bytes", ident, task.total_size)
        gauge("huaweicloud_oms_task_completed_bytes", ident, task.complete_size)
        gauge("huaweicloud_oms_task_migrated_bytes", ident, task.real_size)
        gauge("huaweicloud_oms_task_total_objects", ident, task.total_num)
        processed = out["huaweicloud_oms_task_processed_objects"]
        for result, value in (
            ("succeeded", task.successful_num),
            ("failed", task.failed_num),
            ("skipped", task.skipped_num),
        ):
            if value is not None:
                processed.append((ident, _RESULT_PAIRS[result], value))
        gauge("huaweicloud_oms_task_migrate_speed_bytes_per_second", ident, task.migrate_speed)
        gauge("huaweicloud_oms_task_remaining_seconds", ident, task.left_time, 1000)
        gauge("huaweicloud_oms_task_duration_seconds", ident, task.total_time, 1000)
        if task.start_time:  # 0 means "not started", not 1970
            gauge("huaweicloud_oms_task_start_timestamp_seconds", ident, task.start_time, 1000)
        if task.is_query_over is not None:
            gauge("huaweicloud_oms_task_listing_complete", ident, 1 if task.is_query_over else 0)
        _bandwidth(out, ident, task, limit)
        code = _error_code(task.error_reason)
        if code is not None:
            out["huaweicloud_oms_task_error_info"].append((ident, (("error_code", code),), 1))
    counts = out["huaweicloud_oms_tasks"]
    scope = Labels((("account", account), ("region", region)))
    for status in (*_STATUS_PAIRS, *sorted(set(statuses) - set(_STATUS_PAIRS))):
        counts.append((scope, _STATUS_PAIRS.get(status) or (("status", status),), statuses[status]))
    return out


def _info(task: OmsTask, opts: OmsOptions, limit: int) -> LabelPairs:
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
    return tuple((name, truncate(value, limit)) for name, value in values)


def _bandwidth(out: Samples, ident: Labels, task: OmsTask, limit: int) -> None:
    rows = out["huaweicloud_oms_task_bandwidth_limit_bytes_per_second"]
    seen: set[tuple[str, str]] = set()
    for policy in task.bandwidth_policy or ():
        if policy is None or policy.max_bandwidth is None:
            continue
        window = (truncate(policy.start, limit), truncate(policy.end, limit))
        if window in seen:  # two rules for one window would be one series twice
            continue
        seen.add(window)
        rows.append((ident, (("start", window[0]), ("end", window[1])), policy.max_bandwidth))


def _error_code(reason: OmsErrorReason | str | None) -> str | None:
    if not isinstance(reason, OmsErrorReason) or not reason.error_code:
        return None
    code = reason.error_code.strip()
    if not code:
        return None
    return code if _ERROR_CODE.match(code) else "unknown"
