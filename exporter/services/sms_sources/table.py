"""SMS source servers -> their families, one row each. Pure: no I/O, no clock.

    huaweicloud_sms_source_server_agent_connected{account="prod",source_server_id="…",…} 0
    huaweicloud_sms_source_server_replicated_bytes{…,source_server_name="web-01"} 1.2e+11
    huaweicloud_sms_source_server_migration_cycle{…,cycle="replicating"} 1

`task_id`/`task_name` on `_info` are the server's current task: the join to the task series.
A `null` value, and a date of 0 ("not set"), leave its sample out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.huawei.payload import text
from exporter.metrics.family import Bad, Rows, Table, Write, identity, names
from exporter.metrics.lines import Lines, escape, labels_text, truncate
from exporter.services.sms_sources.payload import SourceRef, SourceServer

CYCLES = ("checking", "setting", "replicating", "syncing", "cutovering", "cutovered")
AGENT = ("connected", "disconnected")


def _info(server: SourceServer, opts: SourceOptions) -> tuple[str | int | float | None, ...]:
    task = server.current_task
    return (
        server.ip,
        server.os_type,
        server.os_version,
        server.enterprise_project_id,
        task.id if task else None,
        task.name if task else None,
    )


def _problems(name: str, opts: SourceOptions) -> Write:
    """One series per check whose result is not OK (a null result says nothing: left out)."""
    limit = opts.max_label_length

    def write(server: SourceServer, labels: str, bad: Bad) -> str:
        lines = ""
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
                check_, result_, code = (escape(v) for v in found)
                lines += (
                    f'{name}{{{labels},check="{check_}",result="{result_}",'
                    f'error_code="{code}"}} 1\n'
                )
        return lines

    return write


_rows: Rows[SourceOptions] = Rows(
    "huaweicloud_sms_", ("account", "source_server_id", "source_server_name"), "sms_sources"
)
TABLE: Table[SourceOptions] = Table(
    rows=(
        _rows.info(
            "source_server_info",
            "SMS source server metadata and its current task, value 1.",
            (
                "source_server_ip",
                "os_type",
                "os_version",
                "enterprise_project_id",
                "task_id",
                "task_name",
            ),
            _info,
        ),
        _rows.flag(
            "source_server_agent_connected",
            "1 while the SMS agent on the source server is connected.",
            "connected",
        ),
        _rows.date(
            "source_server_agent_connection_changed_timestamp_seconds",
            "When the SMS agent's connection state last changed.",
            "last_visit_time",
        ),
        _rows.date(
            "source_server_registered_timestamp_seconds",
            "When the source server registered with SMS.",
            "add_date",
        ),
        _rows.gauge(
            "source_server_replicated_bytes",
            "Bytes of the source server replicated so far.",
            "replicatesize",
        ),
        _rows.gauge(
            "source_server_total_bytes", "Bytes of the source server to migrate.", "totalsize"
        ),
        _rows.gauge(
            "source_server_remaining_seconds",
            "Estimated time left for the source server's current task.",
            "remain_seconds",
            of="current_task",
        ),
        _rows.date(
            "source_server_estimated_completion_timestamp_seconds",
            "Estimated completion time of the source server's current task.",
            "estimate_complete_time",
            of="current_task",
        ),
        _rows.stateset(
            "source_server_migration_cycle",
            "Source server migration cycle: 1 for the current one, 0 for the others.",
            "cycle",
            CYCLES,
            lambda server: text(server.migration_cycle),
            none_as_zeros=False,
        ),
        _rows.gauge("source_server_cpu_cores", "CPU cores of the source server.", "cpu_quantity"),
        _rows.gauge(
            "source_server_memory_bytes", "Physical memory of the source server.", "memory"
        ),
        _rows.custom(
            "source_server_check_problem",
            "An environment check of the source server that did not pass, value 1.",
            ("check", "result", "error_code"),
            _problems,
        ),
    ),
    counted=(
        _rows.counted(
            "source_servers",
            "Number of SMS source servers by agent connection (agent=connected|disconnected).",
            ("account", "agent"),
        ),
    ),
    identity=identity("source_server_id", "source_server_name"),
)
FAMILIES = TABLE.families
NAMES = names(FAMILIES)
_COUNTS = "huaweicloud_sms_source_servers"


@dataclass(frozen=True, slots=True)
class SourceOptions:
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    inactive_states: bool = True  # False: the current cycle's series only, no zeros
    # No migration cycle is final (the service's finished_states is empty): nothing to drop.
    finished_details: bool = True


def counts(account: str, refs: Sequence[SourceRef], opts: SourceOptions) -> Lines:
    """`huaweicloud_sms_source_servers`: servers by agent connection, both present; each
    once (paging de-duplicates)."""
    if _COUNTS not in opts.families:
        return {}
    counted = Counter(ref.connected for ref in refs)
    head = f'{_COUNTS}{{{labels_text([("account", account)])},agent="'
    return {
        _COUNTS: [
            f'{head}{agent}"}} {counted[state]}\n'
            for agent, state in ((AGENT[0], True), (AGENT[1], False))
        ]
    }
