"""Build the Grafana dashboards (Grafana 10+ JSON) from the metric catalogue's names.

    python dashboards/build.py          # rewrite dashboards/*.json
    python dashboards/build.py --check  # exit 1 if the committed JSON differs

A test runs --check, so the JSON never drifts from this file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCHEMA_VERSION = 39  # Grafana 10.4
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
Panel = dict[str, Any]


class Layout:
    """Places panels left to right on Grafana's 24-column grid, and numbers them."""

    def __init__(self) -> None:
        self.x = 0
        self.y = 0
        self.row_height = 0
        self.next_id = 1

    def place(self, width: int, height: int) -> dict[str, int]:
        if self.x + width > 24:
            self.x = 0
            self.y += self.row_height
            self.row_height = 0
        pos = {"x": self.x, "y": self.y, "w": width, "h": height}
        self.x += width
        self.row_height = max(self.row_height, height)
        return pos

    def id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def target(
    expr: str, legend: str = "", ref: str = "A", instant: bool = False, table: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "datasource": DATASOURCE,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "refId": ref,
        "range": not instant,
        "instant": instant,
    }
    if table:
        out["format"] = "table"
    return out


def panel(
    layout: Layout,
    kind: str,
    title: str,
    targets: list[dict[str, Any]],
    *,
    unit: str = "short",
    width: int = 12,
    height: int = 8,
    description: str = "",
    options: dict[str, Any] | None = None,
    overrides: list[dict[str, Any]] | None = None,
    transformations: list[dict[str, Any]] | None = None,
    extra_defaults: dict[str, Any] | None = None,
) -> Panel:
    out: Panel = {
        "id": layout.id(),
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": layout.place(width, height),
        "targets": targets,
        "fieldConfig": {
            "defaults": {"unit": unit, **(extra_defaults or {})},
            "overrides": overrides or [],
        },
        "options": options or {},
    }
    if transformations:
        out["transformations"] = transformations
    return out


def variable(name: str, label: str, query: str, *, include_all: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2,  # on time range change
        "includeAll": include_all,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def datasource_variable() -> dict[str, Any]:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "refresh": 1,
    }


def dashboard(
    uid: str, title: str, description: str, variables: list[dict[str, Any]], panels: list[Panel]
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["huaweicloud", "migration"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [datasource_variable(), *variables]},
        "annotations": {"list": []},
        "links": [
            {
                "title": "Migration dashboards",
                "type": "dashboards",
                "tags": ["huaweicloud"],
                "asDropdown": True,
            }
        ],
        "panels": panels,
    }


TIMESERIES = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull"]}}
STAT = {
    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
    "colorMode": "background",
}
TABLE = {"showHeader": True, "footer": {"show": False}}


# The per-task load panels of the SMS dashboard, three to a row: title, metric, unit.
AGENT_AND_SOURCE_HOST = (
    ("Agent CPU", "huaweicloud_sms_agent_cpu_usage_ratio", "percentunit"),
    ("Agent memory", "huaweicloud_sms_agent_memory_usage_bytes", "bytes"),
    ("Agent disk IO", "huaweicloud_sms_agent_disk_io_bytes_per_second", "Bps"),
    ("Source host CPU", "huaweicloud_sms_source_cpu_usage_ratio", "percentunit"),
    ("Source host memory", "huaweicloud_sms_source_memory_usage_bytes", "bytes"),
    ("Source host disk IO", "huaweicloud_sms_source_disk_io_bytes_per_second", "Bps"),
)


def sms() -> dict[str, Any]:
    at = Layout()
    sel = 'account=~"$account"'
    state_of_task = f'on (account, task_id) group_left (state) (huaweicloud_sms_task_state{{{sel}, state=~"$state"}} == 1)'
    panels = [
        panel(
            at,
            "bargauge",
            "Tasks by state",
            [
                target(
                    f'sum by (state) (huaweicloud_sms_tasks{{{sel}, state=~"$state"}})',
                    "{{state}}",
                    instant=True,
                )
            ],
            width=12,
            height=8,
            options={"displayMode": "basic", "orientation": "horizontal", **STAT},
        ),
        panel(
            at,
            "stat",
            "Failed tasks",
            [
                target(
                    f'count(huaweicloud_sms_task_state{{{sel}, state=~"MIGRATE_FAIL|SYNC_FAIL"}} == 1) or vector(0)',
                    "failed",
                    instant=True,
                )
            ],
            width=6,
            height=8,
            options=STAT,
            extra_defaults={
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}],
                }
            },
        ),
        panel(
            at,
            "stat",
            "Running tasks",
            [
                target(
                    f'sum(huaweicloud_sms_tasks{{{sel}, state=~"RUNNING|SYNCING"}})',
                    "running",
                    instant=True,
                )
            ],
            width=6,
            height=8,
            options=STAT,
        ),
        panel(
            at,
            "table",
            "Failed tasks: error code and source server",
            [
                target(
                    f'huaweicloud_sms_task_info{{{sel}}} * on (account, task_id) group_left (state) (huaweicloud_sms_task_state{{{sel}, state=~"MIGRATE_FAIL|SYNC_FAIL"}} == 1)',
                    ref="A",
                    instant=True,
                    table=True,
                ),
                target(
                    f"huaweicloud_sms_task_error_info{{{sel}}}", ref="B", instant=True, table=True
                ),
            ],
            width=24,
            height=8,
            options=TABLE,
            transformations=[
                {"id": "merge", "options": {}},
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {
                            "Time": True,
                            "Value #A": True,
                            "Value #B": True,
                            "__name__": True,
                        },
                        "indexByName": {
                            "account": 0,
                            "task_name": 1,
                            "task_id": 2,
                            "state": 3,
                            "error_code": 4,
                            "source_server_name": 5,
                            "source_server_ip": 6,
                        },
                    },
                },
            ],
        ),
        panel(
            at,
            "timeseries",
            "Migration speed per task",
            [
                target(
                    f"huaweicloud_sms_task_migrate_speed_bytes_per_second{{{sel}}} * {state_of_task}",
                    "{{account}} {{task_name}}",
                )
            ],
            unit="Bps",
            width=24,
            options=TIMESERIES,
        ),
        *[
            panel(
                at,
                "timeseries",
                title,
                [target(f"{metric}{{{sel}}}", "{{task_name}}")],
                unit=unit,
                width=8,
                options=TIMESERIES,
            )
            for title, metric, unit in AGENT_AND_SOURCE_HOST
        ],
        panel(
            at,
            "bargauge",
            "Current sub-task progress",
            [
                target(
                    f"huaweicloud_sms_subtask_progress_ratio{{{sel}}} > 0 < 1",
                    "{{task_name}}: {{subtask}}",
                    instant=True,
                )
            ],
            unit="percentunit",
            width=12,
            height=10,
            options={"displayMode": "gradient", "orientation": "horizontal", **STAT},
            extra_defaults={"min": 0, "max": 1},
        ),
        panel(
            at,
            "table",
            "Estimated completion",
            [
                target(
                    f"huaweicloud_sms_task_estimated_completion_timestamp_seconds{{{sel}}} * 1000",
                    instant=True,
                    table=True,
                )
            ],
            unit="dateTimeAsIso",
            width=12,
            height=10,
            options=TABLE,
            transformations=[
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True, "__name__": True},
                        "renameByName": {"Value": "estimated completion"},
                    },
                }
            ],
        ),
        panel(
            at,
            "timeseries",
            "Network check: latency",
            [target(f"huaweicloud_sms_network_latency_seconds{{{sel}}}", "{{task_name}}")],
            unit="s",
            width=8,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "Network check: packet loss",
            [target(f"huaweicloud_sms_network_packet_loss_ratio{{{sel}}}", "{{task_name}}")],
            unit="percentunit",
            width=8,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "Network check: bandwidth",
            [
                target(
                    f"huaweicloud_sms_network_bandwidth_bytes_per_second{{{sel}}}", "{{task_name}}"
                )
            ],
            unit="Bps",
            width=8,
            options=TIMESERIES,
        ),
    ]
    variables = [
        variable("account", "Account", "label_values(huaweicloud_sms_tasks, account)"),
        variable(
            "state", "State", 'label_values(huaweicloud_sms_tasks{account=~"$account"}, state)'
        ),
    ]
    return dashboard(
        "hwmig-sms",
        "Huawei Cloud migration / SMS servers",
        "SMS server migration tasks: state, speed, agent and source load, sub-tasks, network check.",
        variables,
        panels,
    )


def sms_servers() -> dict[str, Any]:
    at = Layout()
    sel = 'account=~"$account"'
    in_cycle = f'on (account, source_server_id) group_left () (huaweicloud_sms_source_server_migration_cycle{{{sel}, cycle=~"$cycle"}} == 1)'
    red_from_1 = {
        "thresholds": {
            "mode": "absolute",
            "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}],
        }
    }

    def per_server(metric: str, ref: str, scale: str = "") -> dict[str, Any]:
        return target(f"{metric}{{{sel}}}{scale} * {in_cycle}", ref=ref, instant=True, table=True)

    panels = [
        panel(
            at,
            "stat",
            "Agents disconnected",
            [
                target(
                    f'sum(huaweicloud_sms_source_servers{{{sel}, agent="disconnected"}})',
                    "disconnected",
                    instant=True,
                )
            ],
            width=6,
            height=6,
            options=STAT,
            extra_defaults=red_from_1,
            description="Source servers whose SMS agent is not connected to SMS.",
        ),
        panel(
            at,
            "stat",
            "Agents connected",
            [
                target(
                    f'sum(huaweicloud_sms_source_servers{{{sel}, agent="connected"}})',
                    "connected",
                    instant=True,
                )
            ],
            width=6,
            height=6,
            options=STAT,
        ),
        panel(
            at,
            "gauge",
            "Bytes replicated of total, all servers",
            [
                target(
                    f"sum(huaweicloud_sms_source_server_replicated_bytes{{{sel}}} * {in_cycle}) / sum(huaweicloud_sms_source_server_total_bytes{{{sel}}} * {in_cycle})",
                    "replicated",
                    instant=True,
                )
            ],
            unit="percentunit",
            width=6,
            height=6,
            options=STAT,
            extra_defaults={"min": 0, "max": 1},
        ),
        panel(
            at,
            "stat",
            "Servers with failing environment checks",
            [
                target(
                    f"count(count by (account, source_server_id) (huaweicloud_sms_source_server_check_problem{{{sel}}})) or vector(0)",
                    "failing checks",
                    instant=True,
                )
            ],
            width=6,
            height=6,
            options=STAT,
            extra_defaults=red_from_1,
        ),
        panel(
            at,
            "bargauge",
            "Replicated of total per server",
            [
                target(
                    f"huaweicloud_sms_source_server_replicated_bytes{{{sel}}} / huaweicloud_sms_source_server_total_bytes{{{sel}}} * {in_cycle}",
                    "{{source_server_name}}",
                    instant=True,
                )
            ],
            unit="percentunit",
            width=12,
            height=10,
            options={"displayMode": "gradient", "orientation": "horizontal", **STAT},
            extra_defaults={"min": 0, "max": 1},
        ),
        panel(
            at,
            "table",
            "Servers: agent, bytes, time left, ETA",
            [
                per_server("huaweicloud_sms_source_server_agent_connected", "A"),
                per_server("huaweicloud_sms_source_server_replicated_bytes", "B"),
                per_server("huaweicloud_sms_source_server_total_bytes", "C"),
                per_server("huaweicloud_sms_source_server_remaining_seconds", "D"),
                per_server(
                    "huaweicloud_sms_source_server_estimated_completion_timestamp_seconds",
                    "E",
                    " * 1000",
                ),
            ],
            width=12,
            height=10,
            options=TABLE,
            transformations=[
                {"id": "merge", "options": {}},
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True, "__name__": True, "account": False},
                        "renameByName": {
                            "Value #A": "agent connected",
                            "Value #B": "replicated",
                            "Value #C": "total",
                            "Value #D": "time left",
                            "Value #E": "ETA",
                        },
                    },
                },
            ],
            overrides=[
                {
                    "matcher": {"id": "byName", "options": name},
                    "properties": [{"id": "unit", "value": unit}],
                }
                for name, unit in (
                    ("replicated", "bytes"),
                    ("total", "bytes"),
                    ("time left", "s"),
                    ("ETA", "dateTimeAsIso"),
                )
            ],
        ),
        panel(
            at,
            "state-timeline",
            "Agent connection",
            [
                target(
                    f"huaweicloud_sms_source_server_agent_connected{{{sel}}} * {in_cycle}",
                    "{{source_server_name}}",
                )
            ],
            width=24,
            height=8,
            options={"showValue": "never"},
            extra_defaults={
                "mappings": [
                    {
                        "type": "value",
                        "options": {
                            "0": {"text": "disconnected", "color": "red"},
                            "1": {"text": "connected", "color": "green"},
                        },
                    }
                ]
            },
        ),
        panel(
            at,
            "table",
            "Failing environment checks",
            [
                target(
                    f"huaweicloud_sms_source_server_check_problem{{{sel}}}",
                    instant=True,
                    table=True,
                )
            ],
            width=24,
            height=8,
            options=TABLE,
            transformations=[
                {
                    "id": "organize",
                    "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}},
                }
            ],
        ),
    ]
    variables = [
        variable("account", "Account", "label_values(huaweicloud_sms_source_servers, account)"),
        variable(
            "cycle",
            "Migration cycle",
            'label_values(huaweicloud_sms_source_server_migration_cycle{account=~"$account"}, cycle)',
        ),
    ]
    return dashboard(
        "hwmig-sms-servers",
        "Huawei Cloud migration / SMS source servers",
        "SMS source servers: agent connection, bytes replicated of total, time left, environment checks.",
        variables,
        panels,
    )


def oms() -> dict[str, Any]:
    at = Layout()
    sel = 'account=~"$account"'
    status_of_task = f'on (account, region, task_id) group_left (status) (huaweicloud_oms_task_status{{{sel}, status=~"$status"}} == 1)'
    panels = [
        panel(
            at,
            "bargauge",
            "Tasks by status",
            [
                target(
                    f'sum by (status) (huaweicloud_oms_tasks{{{sel}, status=~"$status"}})',
                    "{{status}}",
                    instant=True,
                )
            ],
            width=12,
            options={"displayMode": "basic", "orientation": "horizontal", **STAT},
        ),
        panel(
            at,
            "gauge",
            "Bytes completed of total",
            [
                target(
                    f"sum(huaweicloud_oms_task_completed_bytes{{{sel}}}) / sum(huaweicloud_oms_task_size_bytes{{{sel}}})",
                    "completed",
                    instant=True,
                )
            ],
            unit="percentunit",
            width=6,
            options=STAT,
            extra_defaults={"min": 0, "max": 1},
        ),
        panel(
            at,
            "stat",
            "Failed tasks",
            [
                target(
                    f'sum(huaweicloud_oms_tasks{{{sel}, status="failed"}})', "failed", instant=True
                )
            ],
            width=6,
            options=STAT,
            extra_defaults={
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}],
                }
            },
        ),
        panel(
            at,
            "timeseries",
            "Bytes completed and total",
            [
                target(
                    f"sum by (account) (huaweicloud_oms_task_completed_bytes{{{sel}}})",
                    "{{account}} completed",
                    "A",
                ),
                target(
                    f"sum by (account) (huaweicloud_oms_task_size_bytes{{{sel}}})",
                    "{{account}} total",
                    "B",
                ),
            ],
            unit="bytes",
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "Objects succeeded / failed / skipped",
            [
                target(
                    f"sum by (result) (huaweicloud_oms_task_processed_objects{{{sel}}})",
                    "{{result}}",
                )
            ],
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "Migration speed per task",
            [
                target(
                    f"huaweicloud_oms_task_migrate_speed_bytes_per_second{{{sel}}} * {status_of_task}",
                    "{{account}} {{task_name}}",
                )
            ],
            unit="Bps",
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "bargauge",
            "Progress per task",
            [
                target(
                    f"huaweicloud_oms_task_progress_ratio{{{sel}}} * {status_of_task}",
                    "{{task_name}}",
                    instant=True,
                )
            ],
            unit="percentunit",
            width=12,
            options={"displayMode": "gradient", "orientation": "horizontal", **STAT},
            extra_defaults={"min": 0, "max": 1},
        ),
        panel(
            at,
            "table",
            "Remaining time",
            [
                target(
                    f'huaweicloud_oms_task_remaining_seconds{{{sel}}} * on (account, region, task_id) group_left () (huaweicloud_oms_task_status{{status="migrating"}} == 1)',
                    instant=True,
                    table=True,
                )
            ],
            unit="s",
            width=12,
            options=TABLE,
            transformations=[
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True, "__name__": True},
                        "renameByName": {"Value": "remaining"},
                    },
                }
            ],
        ),
        panel(
            at,
            "table",
            "Failed tasks with error code",
            [
                target(
                    f"huaweicloud_oms_task_info{{{sel}}} * on (account, region, task_id) group_left (error_code) huaweicloud_oms_task_error_info{{{sel}}}",
                    instant=True,
                    table=True,
                )
            ],
            width=12,
            options=TABLE,
            transformations=[
                {
                    "id": "organize",
                    "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}},
                }
            ],
        ),
    ]
    variables = [
        variable("account", "Account", "label_values(huaweicloud_oms_tasks, account)"),
        variable(
            "status", "Status", 'label_values(huaweicloud_oms_tasks{account=~"$account"}, status)'
        ),
    ]
    return dashboard(
        "hwmig-oms",
        "Huawei Cloud migration / OMS buckets",
        "OMS object storage migration tasks: status, bytes and objects, speed, remaining time, failures.",
        variables,
        panels,
    )


def health() -> dict[str, Any]:
    at = Layout()
    sel = 'account=~"$account", service=~"$service"'
    panels = [
        panel(
            at,
            "state-timeline",
            "Up per account and service",
            [target(f"huaweicloud_migration_up{{{sel}}}", "{{account}} {{service}}")],
            width=24,
            height=6,
            options={"showValue": "never"},
            extra_defaults={
                "mappings": [
                    {
                        "type": "value",
                        "options": {
                            "0": {"text": "down", "color": "red"},
                            "1": {"text": "up", "color": "green"},
                        },
                    }
                ]
            },
        ),
        panel(
            at,
            "timeseries",
            "Poll duration",
            [
                target(
                    f"huaweicloud_migration_poll_duration_seconds{{{sel}}}",
                    "{{account}} {{service}}",
                )
            ],
            unit="s",
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "Data age (since last successful poll)",
            [
                target(
                    f"time() - huaweicloud_migration_last_success_timestamp_seconds{{{sel}}}",
                    "{{account}} {{service}}",
                )
            ],
            unit="s",
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "API requests by code",
            [
                target(
                    f"sum by (code) (rate(huaweicloud_migration_api_requests_total{{{sel}}}[$__rate_interval]))",
                    "{{code}}",
                )
            ],
            unit="reqps",
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "Poll errors by reason",
            [
                target(
                    f"sum by (reason) (increase(huaweicloud_migration_poll_errors_total{{{sel}}}[$__rate_interval]))",
                    "{{reason}}",
                )
            ],
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "API request latency (p50, p95)",
            [
                target(
                    'histogram_quantile(0.5, sum by (le, service) (rate(huaweicloud_migration_api_request_duration_seconds_bucket{service=~"$service"}[$__rate_interval])))',
                    "p50 {{service}}",
                    "A",
                ),
                target(
                    'histogram_quantile(0.95, sum by (le, service) (rate(huaweicloud_migration_api_request_duration_seconds_bucket{service=~"$service"}[$__rate_interval])))',
                    "p95 {{service}}",
                    "B",
                ),
            ],
            unit="s",
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "timeseries",
            "Task state changes",
            [
                target(
                    f"sum by (service, to) (increase(huaweicloud_migration_task_state_changes_total{{{sel}}}[$__rate_interval]))",
                    "{{service}} → {{to}}",
                )
            ],
            width=12,
            options=TIMESERIES,
        ),
        panel(
            at,
            "stat",
            "Tasks not exported",
            [
                target(
                    f"sum(huaweicloud_migration_tasks_not_exported{{{sel}}})",
                    "not exported",
                    instant=True,
                )
            ],
            width=12,
            height=6,
            options=STAT,
        ),
        panel(
            at,
            "table",
            "Exporter build",
            [target("huaweicloud_migration_exporter_build_info", instant=True, table=True)],
            width=12,
            height=6,
            options=TABLE,
            transformations=[
                {
                    "id": "organize",
                    "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}},
                }
            ],
        ),
    ]
    variables = [
        variable("account", "Account", "label_values(huaweicloud_migration_up, account)"),
        variable("service", "Service", "label_values(huaweicloud_migration_up, service)"),
    ]
    return dashboard(
        "hwmig-exporter",
        "Huawei Cloud migration / exporter health",
        "Is the exporter polling every account and service, how fast, and what the APIs answer.",
        variables,
        panels,
    )


DASHBOARDS = {
    "sms.json": sms,
    "sms-servers.json": sms_servers,
    "oms.json": oms,
    "exporter-health.json": health,
}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, build in DASHBOARDS.items():
        path = HERE / name
        text = render(build)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(
            f"dashboards out of date: {', '.join(stale)}; run python dashboards/build.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
