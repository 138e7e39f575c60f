"""SMS source servers -> exposition lines. Pure: no I/O, no clock.

    huaweicloud_sms_source_server_agent_connected{account="prod",source_server_id="…",…} 0
    huaweicloud_sms_source_server_replicated_bytes{…,source_server_name="web-01"} 1.2e+11
    huaweicloud_sms_source_server_migration_cycle{…,cycle="replicating"} 1

`task_id`/`task_name` on `_info` are the server's current task: the join to the task series.
A `null` value, and a date of 0 ("not set"), leave its sample out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from exporter.huawei.payload import text
from exporter.metrics.family import REFRESH, Family, gauges, names
from exporter.metrics.lines import (
    NON_NEGATIVE,
    OUT_OF_DOMAIN,
    POSITIVE,
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
from exporter.services.sms_sources.payload import SourceServer

CYCLES = ("checking", "setting", "replicating", "syncing", "cutovering", "cutovered")
AGENT = ("connected", "disconnected")

SERVER_ID = ("account", "source_server_id", "source_server_name")
_gauge = gauges("huaweicloud_sms_source_server_", SERVER_ID, "sms_sources")
_INFO = "huaweicloud_sms_source_server_info"
_CYCLE = "huaweicloud_sms_source_server_migration_cycle"
_CONNECTED = "huaweicloud_sms_source_server_agent_connected"
_PROBLEM = "huaweicloud_sms_source_server_check_problem"
_COUNTS = "huaweicloud_sms_source_servers"
_REMAINING = "huaweicloud_sms_source_server_remaining_seconds"
_DONE_AT = "huaweicloud_sms_source_server_estimated_completion_timestamp_seconds"

FAMILIES: tuple[Family, ...] = (
    _gauge(
        "info",
        "SMS source server metadata and its current task, value 1.",
        (
            "source_server_ip",
            "os_type",
            "os_version",
            "enterprise_project_id",
            "task_id",
            "task_name",
        ),
    ),
    _gauge("agent_connected", "1 while the SMS agent on the source server is connected."),
    _gauge(
        "agent_connection_changed_timestamp_seconds",
        "When the SMS agent's connection state last changed.",
    ),
    _gauge("registered_timestamp_seconds", "When the source server registered with SMS."),
    _gauge("replicated_bytes", "Bytes of the source server replicated so far."),
    _gauge("total_bytes", "Bytes of the source server to migrate."),
    _gauge("remaining_seconds", "Estimated time left for the source server's current task."),
    _gauge(
        "estimated_completion_timestamp_seconds",
        "Estimated completion time of the source server's current task.",
    ),
    _gauge(
        "migration_cycle",
        "Source server migration cycle: 1 for the current one, 0 for the others.",
        ("cycle",),
    ),
    _gauge("cpu_cores", "CPU cores of the source server."),
    _gauge("memory_bytes", "Physical memory of the source server."),
    _gauge(
        "check_problem",
        "An environment check of the source server that did not pass, value 1.",
        ("check", "result", "error_code"),
    ),
    Family(
        _COUNTS,
        "gauge",
        "Number of SMS source servers by agent connection (agent=connected|disconnected)."
        + REFRESH,
        ("account", "agent"),
        "sms_sources",
    ),
)
NAMES = names(FAMILIES)

# family, attribute, divide; omitted when null, and dates also when 0 ("not set"); left out
# (counted) when outside their domain: none of these is negative, no date before 1970.
_GAUGES = (
    ("huaweicloud_sms_source_server_replicated_bytes", "replicatesize", 1.0),
    ("huaweicloud_sms_source_server_total_bytes", "totalsize", 1.0),
    ("huaweicloud_sms_source_server_cpu_cores", "cpu_quantity", 1.0),
    ("huaweicloud_sms_source_server_memory_bytes", "memory", 1.0),
)
_DATES = (
    ("huaweicloud_sms_source_server_agent_connection_changed_timestamp_seconds", "last_visit_time"),
    ("huaweicloud_sms_source_server_registered_timestamp_seconds", "add_date"),
)
_CYCLES = StateSet(_CYCLE, "cycle", CYCLES)


@dataclass(frozen=True, slots=True)
class SourceOptions:
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    inactive_states: bool = True  # False: the current cycle's series only, no zeros


def server_lines(account: str, servers: Sequence[SourceServer], opts: SourceOptions) -> Lines:
    """The per-server families (everything but the counts by agent connection); a family
    left out of `opts.families` costs nothing here."""
    on = opts.families
    out = new_lines(NAMES)
    limit = opts.max_label_length
    gauges = [row for row in _GAUGES if row[0] in on]
    dates = [row for row in _DATES if row[0] in on]
    info, connected = _INFO in on, _CONNECTED in on
    cycles, problems = _CYCLE in on, _PROBLEM in on
    remaining, done_at = _REMAINING in on, _DONE_AT in on
    stateset = _CYCLES.lines if opts.inactive_states else _CYCLES.current
    prefix = f'account="{escape(account)}",source_server_id="'
    low, high = NON_NEGATIVE
    after, before = POSITIVE  # a date, in ms
    dropped: list[str] = []  # the families of values left out as outside their domain
    bad = dropped.append
    seen: set[str] = set()
    for server in servers:
        key = None if server.key is None else truncate(server.key, limit)
        if key is None or key in seen:  # one series per label value, as with tasks
            continue
        seen.add(key)
        name = escape(truncate(server.name, limit))
        labels = f'{prefix}{escape(key)}",source_server_name="{name}"'
        if info:
            out[_INFO].append(f"{_INFO}{{{labels},{_info(server, limit)}}} 1\n")
        if connected and server.connected is not None:
            out[_CONNECTED].append(f"{_CONNECTED}{{{labels}}} {1 if server.connected else 0}\n")
        for family, attr, div in gauges:
            value = getattr(server, attr)
            if value is not None:
                if low <= value <= high:
                    out[family].append(f"{family}{{{labels}}} {number(value / div)}\n")
                else:
                    bad(family)
        for family, attr in dates:
            value = getattr(server, attr)
            if value:  # null or 0: not set
                if after <= value <= before:
                    out[family].append(f"{family}{{{labels}}} {number(value / 1000)}\n")
                else:
                    bad(family)
        task = server.current_task
        if task is not None:
            left = task.remain_seconds
            if remaining and left is not None:
                if low <= left <= high:
                    out[_REMAINING].append(f"{_REMAINING}{{{labels}}} {number(left)}\n")
                else:
                    bad(_REMAINING)
            done = task.estimate_complete_time
            if done_at and done:  # null or 0: not set
                if after <= done <= before:
                    out[_DONE_AT].append(f"{_DONE_AT}{{{labels}}} {number(done / 1000)}\n")
                else:
                    bad(_DONE_AT)
        cycle = text(server.migration_cycle)
        if cycles and cycle is not None:
            out[_CYCLE].append(stateset(labels, cycle, limit))
        if problems:
            _problems(out[_PROBLEM], labels, server, limit)
    if dropped:
        out[OUT_OF_DOMAIN] = dropped
    return out


def _problems(lines: list[str], labels: str, server: SourceServer, limit: int) -> None:
    """One series per check whose result is not OK (a null result says nothing: left out)."""
    seen: set[tuple[str, str, str]] = set()
    for check in server.checks or ():
        result = None if check is None else text(check.result)
        if check is None or result is None or result.upper() == "OK":
            continue
        found = (
            truncate(check.name, limit),
            truncate(result, limit),
            truncate(check.error_code, limit),
        )
        if found not in seen:  # two entries alike would be one series twice
            seen.add(found)
            name, result_, code = (escape(v) for v in found)
            lines.append(
                f'{_PROBLEM}{{{labels},check="{name}",result="{result_}",error_code="{code}"}} 1\n'
            )


def _info(server: SourceServer, limit: int) -> str:
    """The `_info` labels past the identity, as label text."""
    task = server.current_task
    values = (
        ("source_server_ip", server.ip),
        ("os_type", server.os_type),
        ("os_version", server.os_version),
        ("enterprise_project_id", server.enterprise_project_id),
        ("task_id", task.id if task else None),
        ("task_name", task.name if task else None),
    )
    return label_values_text(values, limit)


class Listed(Protocol):
    """What counting needs of a server: a decoded one, or its ref."""

    @property
    def key(self) -> str | None: ...

    @property
    def connected(self) -> bool | None: ...


def agent_counts(account: str, servers: Sequence[Listed], opts: SourceOptions) -> Lines:
    """`huaweicloud_sms_source_servers`: servers by agent connection, both present; a server
    listed twice counts once."""
    return count_agents(account, first_by_key(servers, opts.max_label_length, _connected), opts)


def count_agents(account: str, connected: Iterable[bool | None], opts: SourceOptions) -> Lines:
    """`huaweicloud_sms_source_servers` from each server's agent connection, each once."""
    if _COUNTS not in opts.families:
        return {}
    counts = Counter(connected)
    head = f'{_COUNTS}{{{labels_text([("account", account)])},agent="'
    return {
        _COUNTS: [
            f'{head}{agent}"}} {counts[state]}\n'
            for agent, state in ((AGENT[0], True), (AGENT[1], False))
        ]
    }


def _connected(server: Listed) -> bool | None:
    return server.connected


def source_lines(account: str, servers: Sequence[SourceServer], opts: SourceOptions) -> Lines:
    """Every source-server family, counts included (tests, tooling)."""
    out = server_lines(account, servers, opts)
    out[_COUNTS] = agent_counts(account, servers, opts)[_COUNTS]
    return out
