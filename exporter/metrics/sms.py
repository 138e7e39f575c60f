"""SMS tasks -> samples. Pure: no I/O, no clock.

huaweicloud_sms_task_state{account="prod",task_id="9f1c…",task_name="web-01",state="RUNNING"} 1
huaweicloud_sms_task_migrate_speed_bytes_per_second{…,task_name="web-01"} 52500000.0
huaweicloud_sms_subtask_progress_ratio{…,subtask_id="12",subtask="MIGRATE_BLOCK"} 0.4
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.huawei.models import SmsTask
from exporter.metrics.catalog import FAMILIES, SMS_STATES
from exporter.metrics.samples import LabelPairs, Labels, Samples, new_samples, truncate

NAMES = tuple(f.name for f in FAMILIES if f.service == "sms")
MIB = 1_048_576.0
_STATE_PAIRS = {state: (("state", state),) for state in SMS_STATES}
_CONNECTIVITY = {check: (("check", check),) for check in ("domain", "destination")}
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,31}$")


@dataclass(frozen=True, slots=True)
class SmsOptions:
    speed_factor: float = 125_000.0  # bytes/s per API speed unit (Mbit/s)
    max_label_length: int = 128
    subtasks: bool = True
    network_check: bool = True


def error_code(error_json: str | None) -> str | None:
    """`{"error_code": "SMS.6403", ...}` -> `SMS.6403`; empty -> None; anything else -> `unknown`.

    The code becomes a label value, so only short, code-shaped strings are kept.
    """
    if not error_json or not error_json.strip():
        return None
    try:
        parsed = json.loads(error_json)
    except ValueError:
        return "unknown"
    if isinstance(parsed, dict):
        for key in ("error_code", "errorCode", "code"):
            value = parsed.get(key)
            if isinstance(value, str) and _ERROR_CODE.match(value):
                return value
    return "unknown"


def sms_samples(account: str, tasks: Sequence[SmsTask], opts: SmsOptions) -> Samples:
    """Every SMS family for the tasks of one account, plus the per-state task counts."""
    out = new_samples(NAMES)
    limit = opts.max_label_length
    speed = opts.speed_factor
    states: Counter[str] = Counter()
    seen: set[str] = set()

    def gauge(
        name: str, ident: Labels, value: float | None, mul: float = 1.0, div: float = 1.0
    ) -> None:
        if value is not None:
            out[name].append((ident, (), value * mul / div))

    for task in tasks:
        if task.id is None or task.id in seen:
            continue
        seen.add(task.id)
        ident = Labels(
            (
                ("account", account),
                ("task_id", truncate(task.id, limit)),
                ("task_name", truncate(task.name, limit)),
            )
        )
        out["huaweicloud_sms_task_info"].append((ident, _info(task, limit), 1))
        _state(out["huaweicloud_sms_task_state"], ident, task.state, limit)
        if task.state is not None:
            states[truncate(task.state, limit)] += 1
        source = task.source_server
        if source is not None and source.state:
            pairs = (("state", truncate(source.state, limit)),)
            out["huaweicloud_sms_source_server_state"].append((ident, pairs, 1))
        gauge(
            "huaweicloud_sms_task_migrate_speed_bytes_per_second", ident, task.migrate_speed, speed
        )
        gauge("huaweicloud_sms_task_speed_limit_bytes_per_second", ident, task.speed_limit, speed)
        gauge("huaweicloud_sms_task_compress_rate", ident, task.compress_rate)
        gauge("huaweicloud_sms_task_created_timestamp_seconds", ident, task.create_date, div=1000)
        gauge(
            "huaweicloud_sms_task_estimated_completion_timestamp_seconds",
            ident,
            task.estimate_complete_time,
            div=1000,
        )
        gauge("huaweicloud_sms_task_duration_seconds", ident, task.total_time, div=1000)
        if task.syncing is not None:
            gauge("huaweicloud_sms_task_syncing", ident, 1 if task.syncing else 0)
        code = error_code(task.error_json)
        if code is not None:
            out["huaweicloud_sms_task_error_info"].append((ident, (("error_code", code),), 1))
        gauge("huaweicloud_sms_agent_cpu_usage_ratio", ident, task.agent_cpu_usage, div=100)
        gauge("huaweicloud_sms_agent_memory_usage_bytes", ident, task.agent_mem_usage, MIB)
        gauge("huaweicloud_sms_agent_disk_io_bytes_per_second", ident, task.agent_disk_io, speed)
        gauge("huaweicloud_sms_source_cpu_usage_ratio", ident, task.total_cpu_usage, div=100)
        gauge("huaweicloud_sms_source_memory_usage_bytes", ident, task.total_mem_usage, MIB)
        gauge("huaweicloud_sms_source_disk_io_bytes_per_second", ident, task.total_disk_io, speed)
        if opts.subtasks:
            _subtasks(out, ident, task, limit)
        if opts.network_check:
            _network(out, ident, task, speed)
    counts = out["huaweicloud_sms_tasks"]
    account_only = Labels((("account", account),))
    for state in (*SMS_STATES, *sorted(set(states) - set(SMS_STATES))):
        counts.append((account_only, _STATE_PAIRS.get(state) or (("state", state),), states[state]))
    return out


def _info(task: SmsTask, limit: int) -> LabelPairs:
    source = task.source_server
    target = task.target_server
    values = (
        ("type", task.type),
        ("os_type", task.os_type),
        ("priority", task.priority),
        ("source_server_id", source.id if source else None),
        ("source_server_name", source.name if source else None),
        ("source_server_ip", source.ip if source else None),
        ("source_os_version", source.os_version if source else None),
        ("target_server_id", target.id if target else None),
        ("target_vm_id", target.vm_id if target else None),
        ("target_server_name", target.name if target else None),
        ("migration_ip", task.migration_ip),
        ("enterprise_project_id", task.enterprise_project_id),
    )
    return tuple((name, truncate(value, limit)) for name, value in values)


def _state(
    rows: list[tuple[Labels, LabelPairs, float]], ident: Labels, state: str | None, limit: int
) -> None:
    for known, pairs in _STATE_PAIRS.items():
        rows.append((ident, pairs, 1 if state == known else 0))
    if state is not None and state not in _STATE_PAIRS:
        rows.append((ident, (("state", truncate(state, limit)),), 1))


def _subtasks(out: Samples, ident: Labels, task: SmsTask, limit: int) -> None:
    progress = out["huaweicloud_sms_subtask_progress_ratio"]
    starts = out["huaweicloud_sms_subtask_start_timestamp_seconds"]
    ends = out["huaweicloud_sms_subtask_end_timestamp_seconds"]
    seen: set[str] = set()
    for sub in task.sub_tasks or ():
        if sub is None or sub.id is None or sub.id in seen:
            continue
        seen.add(sub.id)
        pairs = (("subtask_id", truncate(sub.id, limit)), ("subtask", truncate(sub.name, limit)))
        if sub.progress is not None:
            progress.append((ident, pairs, sub.progress / 100))
        if sub.start_date is not None:
            starts.append((ident, pairs, sub.start_date / 1000))
        if sub.end_date is not None:
            ends.append((ident, pairs, sub.end_date / 1000))


def _network(out: Samples, ident: Labels, task: SmsTask, speed: float) -> None:
    check = task.network_check_info
    if check is None:
        return
    for name, value in (
        ("huaweicloud_sms_network_latency_seconds", _scaled(check.network_delay, div=1000)),
        ("huaweicloud_sms_network_jitter_seconds", _scaled(check.network_jitter, div=1000)),
        (
            "huaweicloud_sms_network_bandwidth_bytes_per_second",
            _scaled(check.migration_speed, speed),
        ),
        ("huaweicloud_sms_network_packet_loss_ratio", _scaled(check.loss_percentage, div=100)),
    ):
        if value is not None:
            out[name].append((ident, (), value))
    connectivity = out["huaweicloud_sms_network_connectivity"]
    for key, flag in (
        ("domain", check.domain_connectivity),
        ("destination", check.destination_connectivity),
    ):
        if flag is not None:
            connectivity.append((ident, _CONNECTIVITY[key], 1 if flag else 0))


def _scaled(value: float | None, mul: float = 1.0, div: float = 1.0) -> float | None:
    return None if value is None else value * mul / div
