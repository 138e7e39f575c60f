"""SMS tasks -> exposition lines. Pure: no I/O, no clock.

    huaweicloud_sms_task_state{account="prod",task_id="9f1c…",task_name="web-01",state="RUNNING"} 1
    huaweicloud_sms_task_migrate_speed_bytes_per_second{…,task_name="web-01"} 52500000.0
    huaweicloud_sms_subtask_progress_ratio{…,subtask_id="12",subtask="MIGRATE_BLOCK"} 0.4

This runs over every task every poll (10,000 tasks, 580,000 lines), so it is written for
speed: table-driven simple gauges, each task's label text built once and shared by its lines,
a task's whole stateset written by one join, no per-sample helper calls. A number outside its
domain (a ratio past 0..1, a negative size, speed or duration, a date before 1970) costs one
comparison: it is left out, and its family listed under `OUT_OF_DOMAIN` for the count.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from exporter.huawei.payload import Text, text
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
from exporter.services.sms_tasks.payload import SmsTask

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

SMS_ID = ("account", "task_id", "task_name")
SUBTASK = ("subtask_id", "subtask")
_gauge = gauges("huaweicloud_sms_", SMS_ID, "sms")

FAMILIES: tuple[Family, ...] = (
    _gauge(
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
    _gauge("task_state", "SMS task state: 1 for the current state, 0 for the others.", ("state",)),
    _gauge("source_server_state", "SMS source server state as reported, value 1.", ("state",)),
    _gauge("task_migrate_speed_bytes_per_second", "SMS task migration speed."),
    _gauge("task_speed_limit_bytes_per_second", "SMS task speed limit; 0 means unlimited."),
    _gauge("task_compress_rate", "SMS task compression rate as reported by the API."),
    _gauge("task_created_timestamp_seconds", "SMS task creation time."),
    _gauge("task_estimated_completion_timestamp_seconds", "SMS task estimated completion time."),
    _gauge("task_duration_seconds", "SMS task running time so far."),
    _gauge("task_syncing", "1 when incremental synchronisation is enabled for the SMS task."),
    _gauge(
        "task_error_info", "SMS task error code parsed from error_json, value 1.", ("error_code",)
    ),
    _gauge("agent_cpu_usage_ratio", "CPU usage of the SMS agent on the source server, 0..1."),
    _gauge("agent_memory_usage_bytes", "Memory used by the SMS agent on the source server."),
    _gauge("agent_disk_io_bytes_per_second", "Disk IO of the SMS agent on the source server."),
    _gauge("source_cpu_usage_ratio", "Total CPU usage of the source server, 0..1."),
    _gauge("source_memory_usage_bytes", "Total memory used on the source server."),
    _gauge("source_disk_io_bytes_per_second", "Total disk IO of the source server."),
    _gauge("subtask_progress_ratio", "SMS sub-task progress, 0..1.", SUBTASK),
    _gauge("subtask_start_timestamp_seconds", "SMS sub-task start time.", SUBTASK),
    _gauge(
        "subtask_end_timestamp_seconds", "SMS sub-task end time; absent while running.", SUBTASK
    ),
    _gauge("network_latency_seconds", "Network latency measured by the SMS network check."),
    _gauge("network_jitter_seconds", "Network jitter measured by the SMS network check."),
    _gauge("network_bandwidth_bytes_per_second", "Bandwidth measured by the SMS network check."),
    _gauge("network_packet_loss_ratio", "Packet loss measured by the SMS network check, 0..1."),
    _gauge(
        "network_connectivity",
        "1 when the SMS network check reached the target (check=domain|destination).",
        ("check",),
    ),
    _gauge("tasks", "Number of SMS tasks per state.", ("state",), ids=("account",)),
)
NAMES = names(FAMILIES)
MIB = 1_048_576.0
SPEED = -1.0  # in the table below: "multiply by the configured speed unit"
# Every SDK model that names the unit of `speed_limit` says Mbit/s: it does not follow
# sms_speed_unit, which exists because the documents disagree on the speeds themselves.
MBIT = 125_000.0
_STATE = "huaweicloud_sms_task_state"
_INFO = "huaweicloud_sms_task_info"
_ERROR = "huaweicloud_sms_task_error_info"
_PROGRESS = "huaweicloud_sms_subtask_progress_ratio"
_START = "huaweicloud_sms_subtask_start_timestamp_seconds"
_END = "huaweicloud_sms_subtask_end_timestamp_seconds"
_SOURCE_STATE = "huaweicloud_sms_source_server_state"
_SYNCING = "huaweicloud_sms_task_syncing"
_CONNECTIVITY = "huaweicloud_sms_network_connectivity"
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,31}$")

# family, task attribute, multiply, divide, domain: value * multiply / divide, omitted when
# null, and left out (counted) when outside its domain: a ratio past 0..1, a negative size.
_GAUGES = (
    (
        "huaweicloud_sms_task_migrate_speed_bytes_per_second",
        "migrate_speed",
        SPEED,
        1.0,
        NON_NEGATIVE,
    ),
    ("huaweicloud_sms_task_speed_limit_bytes_per_second", "speed_limit", MBIT, 1.0, NON_NEGATIVE),
    # Whatever it means (a ratio of sizes, a percent), a compression rate is not negative.
    ("huaweicloud_sms_task_compress_rate", "compress_rate", 1.0, 1.0, NON_NEGATIVE),
    ("huaweicloud_sms_task_duration_seconds", "total_time", 1.0, 1000.0, NON_NEGATIVE),
    ("huaweicloud_sms_agent_cpu_usage_ratio", "agent_cpu_usage", 1.0, 100.0, RATIO),
    ("huaweicloud_sms_agent_memory_usage_bytes", "agent_mem_usage", MIB, 1.0, NON_NEGATIVE),
    ("huaweicloud_sms_agent_disk_io_bytes_per_second", "agent_disk_io", SPEED, 1.0, NON_NEGATIVE),
    ("huaweicloud_sms_source_cpu_usage_ratio", "total_cpu_usage", 1.0, 100.0, RATIO),
    ("huaweicloud_sms_source_memory_usage_bytes", "total_mem_usage", MIB, 1.0, NON_NEGATIVE),
    ("huaweicloud_sms_source_disk_io_bytes_per_second", "total_disk_io", SPEED, 1.0, NON_NEGATIVE),
)
# Dates, epoch ms: omitted when null, and when 0, which means "not set" (not 1970).
_DATES = (
    ("huaweicloud_sms_task_created_timestamp_seconds", "create_date"),
    ("huaweicloud_sms_task_estimated_completion_timestamp_seconds", "estimate_complete_time"),
)
_NETWORK = (
    ("huaweicloud_sms_network_latency_seconds", "network_delay", 1.0, 1000.0, NON_NEGATIVE),
    ("huaweicloud_sms_network_jitter_seconds", "network_jitter", 1.0, 1000.0, NON_NEGATIVE),
    (
        "huaweicloud_sms_network_bandwidth_bytes_per_second",
        "migration_speed",
        SPEED,
        1.0,
        NON_NEGATIVE,
    ),
    ("huaweicloud_sms_network_packet_loss_ratio", "loss_percentage", 1.0, 100.0, RATIO),
)


@dataclass(frozen=True, slots=True)
class SmsOptions:
    speed_factor: float = 125_000.0  # bytes/s per API speed unit (Mbit/s)
    max_label_length: int = 128
    subtasks: bool = True
    network_check: bool = True
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    finished_details: bool = True  # False: a finished task exports _info and state only
    inactive_states: bool = True  # False: the current state's series only, no zeros


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


def sms_lines(account: str, tasks: Sequence[SmsTask], opts: SmsOptions) -> Lines:
    """Every SMS family for the tasks of one account, plus the per-state task counts."""
    out = task_lines(account, tasks, opts)
    out["huaweicloud_sms_tasks"] = state_counts(account, tasks, opts)["huaweicloud_sms_tasks"]
    return out


_STATES = StateSet(_STATE, "state", SMS_STATES)
FINAL = frozenset({"MIGRATE_SUCCESS", "ABORT"})  # states a task does not leave by itself


Gauges = list[tuple[Callable[[str], None], str, str, float, float, float, float]]
Row = tuple[str, str, float, float, tuple[float, float]]


def _table(rows: tuple[Row, ...], out: Lines, speed: float) -> Gauges:
    """Gauge rows made ready for the loop: where to append, name + "{", attribute, factors,
    the domain's bounds."""
    return [
        (out[n].append, n + "{", a, speed if m == SPEED else m, d, low, high)
        for n, a, m, d, (low, high) in rows
    ]


def task_lines(account: str, tasks: Sequence[SmsTask], opts: SmsOptions) -> Lines:
    """The per-task SMS families (everything but the per-state counts); a family left out of
    `opts.families` costs nothing here."""
    on = opts.families
    out = new_lines(NAMES)
    limit = opts.max_label_length
    gauges = _table(tuple(r for r in _GAUGES if r[0] in on), out, opts.speed_factor)
    network = _table(tuple(r for r in _NETWORK if r[0] in on), out, opts.speed_factor)
    dates = [(name, attr) for name, attr in _DATES if name in on]
    info = out[_INFO].append if _INFO in on else None
    states = out[_STATE].append if _STATE in on else None
    stateset = _STATES.lines if opts.inactive_states else _STATES.current
    source_state = out[_SOURCE_STATE].append if _SOURCE_STATE in on else None
    syncing = out[_SYNCING].append if _SYNCING in on else None
    errors = out[_ERROR].append if _ERROR in on else None
    progress = out[_PROGRESS].append if _PROGRESS in on else None
    starts = out[_START].append if _START in on else None
    ends = out[_END].append if _END in on else None
    connectivity = out[_CONNECTIVITY].append if _CONNECTIVITY in on else None
    subtasks = opts.subtasks and (progress or starts or ends) is not None
    network_check = opts.network_check and (network or connectivity is not None)
    finished_details = opts.finished_details
    prefix = f'account="{escape(account)}",task_id="'
    dropped: list[str] = []  # the families of values left out as outside their domain
    bad = dropped.append
    after, before = POSITIVE  # a date's domain
    seen: set[str] = set()
    for task in tasks:
        # De-duplicated on the label value: two long ids that truncate alike would otherwise
        # be one series twice, and Prometheus rejects such a scrape whole.
        key = None if task.key is None else truncate(task.key, limit)
        if key is None or key in seen:
            continue
        seen.add(key)
        name = task.name
        if name.__class__ is not str or len(name) > limit:
            name = truncate(name, limit)
        labels = f'{prefix}{escape(key)}",task_name="{escape(name)}"'
        if info is not None:
            info(f"{_INFO}{{{labels},{_info(task, limit)}}} 1\n")
        state = text(task.state)
        if states is not None:
            states(stateset(labels, state, limit))
        if not finished_details and state in FINAL:
            continue
        source = task.source_server
        if source_state is not None and source is not None and source.state is not None:
            server = escape(truncate(source.state, limit))
            source_state(f'{_SOURCE_STATE}{{{labels},state="{server}"}} 1\n')
        _write_gauges(gauges, task, labels, bad)
        for family, attr in dates:
            value = getattr(task, attr)
            if value:  # null or 0: not set
                value /= 1000
                if after <= value <= before:
                    out[family].append(f"{family}{{{labels}}} {number(value)}\n")
                else:
                    bad(family)
        if syncing is not None and task.syncing is not None:
            syncing(f"{_SYNCING}{{{labels}}} {1 if task.syncing else 0}\n")
        if errors is not None:
            code = error_code(text(task.error_json))
            if code is not None:
                errors(f'{_ERROR}{{{labels},error_code="{escape(truncate(code, limit))}"}} 1\n')
        if subtasks and task.sub_tasks:
            done: set[str] = set()
            for sub in task.sub_tasks:
                if sub is None or sub.id is None:
                    continue
                sub_id = sub.id
                # Inline fast paths: 100,000 sub-tasks a poll at 10,000 tasks.
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
                if progress is not None and percent is not None:
                    if 0.0 <= percent <= 100.0:
                        progress(f"{_PROGRESS}{{{both}{number(percent / 100)}\n")
                    else:
                        bad(_PROGRESS)
                date = sub.start_date
                if starts is not None and date:  # null or 0: not set
                    if after <= date <= before:
                        starts(f"{_START}{{{both}{number(date / 1000)}\n")
                    else:
                        bad(_START)
                date = sub.end_date
                if ends is not None and date:
                    if after <= date <= before:
                        ends(f"{_END}{{{both}{number(date / 1000)}\n")
                    else:
                        bad(_END)
        check = task.network_check_info
        if network_check and check is not None:
            _write_gauges(network, check, labels, bad)
            if connectivity is not None:
                for kind, reached in (
                    ("domain", check.domain_connectivity),
                    ("destination", check.destination_connectivity),
                ):
                    if reached is not None:
                        connectivity(
                            f'{_CONNECTIVITY}{{{labels},check="{kind}"}} {1 if reached else 0}\n'
                        )
    if dropped:
        out[OUT_OF_DOMAIN] = dropped
    return out


def _write_gauges(gauges: Gauges, source: object, labels: str, bad: Callable[[str], None]) -> None:
    """One line per gauge whose attribute of `source` is not null: value * mul / div, if in
    its domain; else its family goes to `bad`."""
    for append, head, attr, mul, div, low, high in gauges:
        value = getattr(source, attr)
        if value is not None:
            value = value * mul / div
            if low <= value <= high:
                append(f"{head}{labels}}} {number(value)}\n")
            else:
                bad(head[:-1])


class Listed(Protocol):
    """What counting needs of a task: a decoded one, or one still lazy (ids and states only)."""

    @property
    def key(self) -> str | None: ...

    @property
    def state(self) -> Text: ...


def state_counts(account: str, tasks: Sequence[Listed], opts: SmsOptions) -> Lines:
    """`huaweicloud_sms_tasks`: tasks per state, every known state present (0 included);
    a task listed twice counts once."""
    return count_states(account, first_by_key(tasks, opts.max_label_length, _state), opts)


def count_states(account: str, states: Iterable[Text], opts: SmsOptions) -> Lines:
    """`huaweicloud_sms_tasks` from the state of each task, each task once."""
    if "huaweicloud_sms_tasks" not in opts.families:
        return {}
    counts: Counter[str] = Counter()
    for raw, n in Counter(states).items():  # a few distinct states: each is cut once
        state = text(raw)
        if state is not None:
            counts[truncate(state, opts.max_label_length)] += n
    labels = labels_text([("account", account)])
    return {"huaweicloud_sms_tasks": _STATES.count_lines("huaweicloud_sms_tasks", labels, counts)}


def _state(task: Listed) -> Text:
    return task.state


def _info(task: SmsTask, limit: int) -> str:
    """The `_info` labels past the identity, as label text."""
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
    return label_values_text(values, limit)
