"""SMS tasks -> their families, one row each. Pure: no I/O, no clock.

    huaweicloud_sms_task_state{account="prod",task_id="9f1c…",task_name="web-01",state="RUNNING"} 1
    huaweicloud_sms_task_migrate_speed_bytes_per_second{…,task_name="web-01"} 52500000.0
    huaweicloud_sms_subtask_progress_ratio{…,subtask_id="12",subtask="MIGRATE_BLOCK"} 0.4

This runs over every task every poll (10,000 tasks, 580,000 lines), so the writers bound from
these rows do the least per task: the task's label text is built once and shared by its lines,
its whole stateset is one join, a value outside its domain (a ratio past 0..1, a negative
size, speed or duration, a date before 1970) costs one comparison: it is left out, counted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.huawei.payload import text
from exporter.metrics.family import Bad, GroupWrite, Rows, Table, Write, identity, names
from exporter.metrics.lines import (
    POSITIVE,
    RATIO,
    Lines,
    StateSet,
    escape,
    labels_text,
    number,
    truncate,
)
from exporter.services.sms_tasks.payload import SmsRef, SmsTask

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
FINISHED = frozenset({"MIGRATE_SUCCESS", "ABORT"})  # states a task does not leave by itself
MIB = 1_048_576.0
# Every SDK model that names the unit of `speed_limit` says Mbit/s: it does not follow
# sms_speed_unit, which exists because the documents disagree on the speeds themselves.
MBIT = 125_000.0
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,31}$")
SUBTASK = ("subtask_id", "subtask")


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


def _info(task: SmsTask, opts: SmsOptions) -> tuple[str | int | float | None, ...]:
    source = task.source_server
    target = task.target_server
    return (
        task.type,
        task.os_type,
        task.priority,
        source.id if source else None,
        source.name if source else None,
        source.ip if source else None,
        source.os_version if source else None,
        target.id if target else None,
        target.vm_id if target else None,
        target.name if target else None,
        task.migration_ip,
        task.enterprise_project_id,
        # The API documents the field as the migration project's id (DESIGN.md section 12):
        # the join to huaweicloud_sms_migration_project_*; enterprise_project_id stays.
        task.enterprise_project_id,
        None if task.need_migration_test is None else str(task.need_migration_test).lower(),
    )


def _source_state(name: str, opts: SmsOptions) -> Write:
    limit = opts.max_label_length

    def write(task: SmsTask, labels: str, bad: Bad) -> str:
        source = task.source_server
        if source is None or source.state is None:
            return ""
        return f'{name}{{{labels},state="{escape(truncate(source.state, limit))}"}} 1\n'

    return write


def _error(name: str, opts: SmsOptions) -> Write:
    limit = opts.max_label_length

    def write(task: SmsTask, labels: str, bad: Bad) -> str:
        code = error_code(text(task.error_json))
        if code is None:
            return ""
        return f'{name}{{{labels},error_code="{escape(truncate(code, limit))}"}} 1\n'

    return write


def _subtasks(names: tuple[str, ...], opts: SmsOptions) -> GroupWrite | None:
    """Progress, start and end of each sub-task, in one pass: 100,000 sub-tasks a poll at
    10,000 tasks, so the fast paths are inline."""
    if not opts.subtasks:
        return None
    on = opts.families
    progress_name, start_name, end_name = names
    progress, starts, ends = (name in on for name in names)
    limit = opts.max_label_length
    after, before = POSITIVE  # a date's domain

    def write(task: SmsTask, labels: str, bad: Bad) -> tuple[str, str, str]:
        if not task.sub_tasks:
            return "", "", ""
        done: set[str] = set()
        got: tuple[list[str], list[str], list[str]] = ([], [], [])
        progress_lines, start_lines, end_lines = got
        for sub in task.sub_tasks:
            if sub is None or sub.id is None:
                continue
            sub_id = sub.id
            sub_id = (
                str(sub_id)
                if sub_id.__class__ is int and 0 <= sub_id < 10**15
                else truncate(sub_id, limit)
            )
            if sub_id in done:
                continue
            done.add(sub_id)
            sub_name = sub.name
            if sub_name.__class__ is not str or len(sub_name) > limit:
                sub_name = truncate(sub_name, limit)
            both = f'{labels},subtask_id="{escape(sub_id)}",subtask="{escape(sub_name)}"}} '
            # Each value in its domain (one comparison each: this is the hottest loop).
            percent = sub.progress
            if progress and percent is not None:
                if 0.0 <= percent <= 100.0:
                    progress_lines.append(f"{progress_name}{{{both}{number(percent / 100)}\n")
                else:
                    bad(progress_name)
            date = sub.start_date
            if starts and date:  # null or 0: not set
                if after <= date <= before:
                    start_lines.append(f"{start_name}{{{both}{number(date / 1000)}\n")
                else:
                    bad(start_name)
            date = sub.end_date
            if ends and date:
                if after <= date <= before:
                    end_lines.append(f"{end_name}{{{both}{number(date / 1000)}\n")
                else:
                    bad(end_name)
        return "".join(progress_lines), "".join(start_lines), "".join(end_lines)

    return write


def _connectivity(name: str, opts: SmsOptions) -> Write | None:
    if not opts.network_check:
        return None

    def write(task: SmsTask, labels: str, bad: Bad) -> str:
        check = task.network_check_info
        if check is None:
            return ""
        lines = ""
        for kind, reached in (
            ("domain", check.domain_connectivity),
            ("destination", check.destination_connectivity),
        ):
            if reached is not None:
                lines += f'{name}{{{labels},check="{kind}"}} {1 if reached else 0}\n'
        return lines

    return write


def _speed(opts: SmsOptions) -> float:
    return opts.speed_factor


def _network(opts: SmsOptions) -> bool:
    return opts.network_check


_rows: Rows[SmsOptions] = Rows("huaweicloud_sms_", ("account", "task_id", "task_name"), "sms")
TABLE: Table[SmsOptions] = Table(
    rows=(
        _rows.info(
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
                "migration_project_id",
                "need_migration_test",
            ),
            _info,
        ),
        _rows.stateset(
            "task_state",
            "SMS task state: 1 for the current state, 0 for the others.",
            "state",
            SMS_STATES,
            lambda task: text(task.state),
        ),
        _rows.custom(
            "source_server_state",
            "SMS source server state as reported, value 1.",
            ("state",),
            _source_state,
        ),
        _rows.gauge(
            "task_migrate_speed_bytes_per_second",
            "SMS task migration speed.",
            "migrate_speed",
            scale=_speed,
        ),
        _rows.gauge(
            "task_speed_limit_bytes_per_second",
            "SMS task speed limit; 0 means unlimited.",
            "speed_limit",
            scale=MBIT,
        ),
        # Whatever it means (a ratio of sizes, a percent), a compression rate is not negative.
        _rows.gauge(
            "task_compress_rate",
            "SMS task compression rate as reported by the API.",
            "compress_rate",
        ),
        _rows.date("task_created_timestamp_seconds", "SMS task creation time.", "create_date"),
        _rows.date(
            "task_estimated_completion_timestamp_seconds",
            "SMS task estimated completion time.",
            "estimate_complete_time",
        ),
        _rows.gauge(
            "task_duration_seconds", "SMS task running time so far.", "total_time", divide=1000.0
        ),
        _rows.flag(
            "task_syncing",
            "1 when incremental synchronisation is enabled for the SMS task.",
            "syncing",
        ),
        _rows.custom(
            "task_error_info",
            "SMS task error code parsed from error_json, value 1.",
            ("error_code",),
            _error,
        ),
        _rows.gauge(
            "agent_cpu_usage_ratio",
            "CPU usage of the SMS agent on the source server, 0..1.",
            "agent_cpu_usage",
            divide=100.0,
            domain=RATIO,
        ),
        _rows.gauge(
            "agent_memory_usage_bytes",
            "Memory used by the SMS agent on the source server.",
            "agent_mem_usage",
            scale=MIB,
        ),
        _rows.gauge(
            "agent_disk_io_bytes_per_second",
            "Disk IO of the SMS agent on the source server.",
            "agent_disk_io",
            scale=_speed,
        ),
        _rows.gauge(
            "source_cpu_usage_ratio",
            "Total CPU usage of the source server, 0..1.",
            "total_cpu_usage",
            divide=100.0,
            domain=RATIO,
        ),
        _rows.gauge(
            "source_memory_usage_bytes",
            "Total memory used on the source server.",
            "total_mem_usage",
            scale=MIB,
        ),
        _rows.gauge(
            "source_disk_io_bytes_per_second",
            "Total disk IO of the source server.",
            "total_disk_io",
            scale=_speed,
        ),
        _rows.group(
            (
                ("subtask_progress_ratio", "SMS sub-task progress, 0..1.", SUBTASK),
                ("subtask_start_timestamp_seconds", "SMS sub-task start time.", SUBTASK),
                (
                    "subtask_end_timestamp_seconds",
                    "SMS sub-task end time; absent while running.",
                    SUBTASK,
                ),
            ),
            _subtasks,
        ),
        _rows.gauge(
            "network_latency_seconds",
            "Network latency measured by the SMS network check.",
            "network_delay",
            of="network_check_info",
            divide=1000.0,
            when=_network,
        ),
        _rows.gauge(
            "network_jitter_seconds",
            "Network jitter measured by the SMS network check.",
            "network_jitter",
            of="network_check_info",
            divide=1000.0,
            when=_network,
        ),
        _rows.gauge(
            "network_bandwidth_bytes_per_second",
            "Bandwidth measured by the SMS network check.",
            "migration_speed",
            of="network_check_info",
            scale=_speed,
            when=_network,
        ),
        _rows.gauge(
            "network_packet_loss_ratio",
            "Packet loss measured by the SMS network check, 0..1.",
            "loss_percentage",
            of="network_check_info",
            divide=100.0,
            domain=RATIO,
            when=_network,
        ),
        _rows.custom(
            "network_connectivity",
            "1 when the SMS network check reached the target (check=domain|destination).",
            ("check",),
            _connectivity,
        ),
    ),
    counted=(_rows.counted("tasks", "Number of SMS tasks per state.", ("account", "state")),),
    identity=identity("task_id", "task_name"),
)
FAMILIES = TABLE.families
NAMES = names(FAMILIES)
_TASKS = "huaweicloud_sms_tasks"


@dataclass(frozen=True, slots=True)
class SmsOptions:
    speed_factor: float = 125_000.0  # bytes/s per API speed unit (Mbit/s)
    max_label_length: int = 128
    subtasks: bool = True
    network_check: bool = True
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    finished_details: bool = True  # False: a finished task exports _info and state only
    inactive_states: bool = True  # False: the current state's series only, no zeros


_STATES = StateSet("huaweicloud_sms_task_state", "state", SMS_STATES)


def counts(account: str, refs: Sequence[SmsRef], opts: SmsOptions) -> Lines:
    """`huaweicloud_sms_tasks`: tasks per state, every known state present (0 included);
    each once (paging de-duplicates)."""
    if _TASKS not in opts.families:
        return {}
    counts: Counter[str] = Counter()
    for raw, n in Counter(ref.state for ref in refs).items():
        state = text(raw)  # a few distinct states: each is cut once
        if state is not None:
            counts[truncate(state, opts.max_label_length)] += n
    labels = labels_text([("account", account)])
    return {_TASKS: _STATES.count_lines(_TASKS, labels, counts)}
