"""Build the Grafana dashboards (Grafana 10+ JSON) from the metric catalogue's names.

    python dashboards/build.py          # rewrite dashboards/*.json
    python dashboards/build.py --check  # exit 1 if the committed JSON differs

Made for a wave of hundreds of tasks: an overview first (wave-level figures from the recording
rules in alerts/), tables where a graph would hold hundreds of lines, and per-task detail rows
repeated only for the tasks picked in a variable. Every query matches `job=~"$job"`, so two
exporter deployments in one Prometheus do not mix. Panel ids are written here, never counted:
adding a panel renumbers nothing and bookmarked links keep working. A test runs --check.

Every dashboard type-checks against Grafana's published schema (@grafana/schema 10.4, by tsc):
`python dashboards/schema_check.py`, after `scripts/install-grafana-schema`; a test runs it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from exporter.catalog import BY_NAME

ROOT = Path(__file__).resolve().parent

SCHEMA_VERSION = 39  # Grafana 10.4
DS = {"type": "prometheus", "uid": "${datasource}"}
JSON = dict[str, Any]
SMS_FAILED = 'state=~"MIGRATE_FAIL|SYNC_FAIL"'
SMS_RUNNING = 'state=~"RUNNING|SYNCING"'
OMS_FAILED = 'status="failed"'
OMS_MIGRATING = 'status="migrating"'
DISCONNECTED = 'agent="disconnected"'
CONNECTED = 'agent="connected"'
GROUP_FAILED = 'status=~"failed|create_failed"'  # the group table's 5 and 4
IN_PROJECT = 'migration_project_name=~"$migration_project"'
IN_GROUP = 'group_id=~"$task_group"'


def m(name: str, matchers: str = "", scope: str = 'job=~"$job", account=~"$account"') -> str:
    """A selector of a catalogued family (or a recording rule over one), with the dashboard's
    job and account matchers: `m("huaweicloud_sms_tasks", 'state="RUNNING"')`."""
    family = name.split(":")[1] if ":" in name else name
    if family not in BY_NAME and not family.startswith("huaweicloud_migration_"):
        raise KeyError(f"{family} is not in the catalogue")
    return f"{name}{{{', '.join(p for p in (scope, matchers) if p)}}}"


def sms_state(states: str) -> str:
    """The SMS tasks in `states` (a matcher), as 1s: `... * on (...) group_left (state)`."""
    return f"({m('huaweicloud_sms_task_state', states)} == 1)"


def target(expr: str, legend: str = "", ref: str = "A", *, instant: bool = False) -> JSON:
    out = {"datasource": DS, "expr": expr, "legendFormat": legend or "__auto", "refId": ref}
    return out | (
        {"instant": True, "range": False, "format": "table"} if instant else {"range": True}
    )


def panel(
    pid: int,
    kind: str,
    title: str,
    description: str,
    targets: list[JSON],
    *,
    unit: str = "short",
    w: int = 12,
    h: int = 8,
    options: JSON | None = None,
    defaults: JSON | None = None,
    overrides: list[JSON] | None = None,
    transformations: list[JSON] | None = None,
) -> JSON:
    out: JSON = {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"w": w, "h": h},
        "targets": targets,
        "fieldConfig": {
            "defaults": {"unit": unit, **(defaults or {})},
            "overrides": overrides or [],
        },
        "options": options or {},
    }
    return out | ({"transformations": transformations} if transformations else {})


def thresholds(red_from: float | None = None) -> JSON:
    """A stat's or bar's colours, written out: where a panel sets none, Grafana applies its
    defaults (green, red from 80), and a wave of 300 tasks or 2 TiB left would show red. Green
    then red from `red_from`, or one neutral blue."""
    steps: list[JSON] = [{"color": "green" if red_from else "blue", "value": None}]
    steps += [{"color": "red", "value": red_from}] if red_from else []
    return {"thresholds": {"mode": "absolute", "steps": steps}, "color": {"mode": "thresholds"}}


HEALTH = {"0": ("healthy", "green"), "1": ("lagging", "orange"), "2": ("error", "red")}


def mapped(names: dict[str, tuple[str, str]]) -> JSON:
    """A value mapping: each value's text and colour."""
    options = {
        v: {"text": t, "color": c, "index": n} for n, (v, (t, c)) in enumerate(names.items())
    }
    return {"type": "value", "options": options}


# Panel options are written whole: every option the plugin's schema (@grafana/schema 10.4)
# requires is here, at Grafana's default where the panel does not choose otherwise, so the JSON
# type-checks (dashboards/schema_check.py) and reads the same in any Grafana that loads it.
REDUCE = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
STAT = REDUCE | {
    "orientation": "auto",
    "colorMode": "background",
    "graphMode": "none",
    "justifyMode": "auto",
    "textMode": "auto",
    "wideLayout": True,
    "showPercentChange": False,
}
BARS = REDUCE | {
    "orientation": "horizontal",
    "displayMode": "gradient",
    "valueMode": "color",
    "namePlacement": "auto",
    "showUnfilled": True,
    "sizing": "auto",
    "minVizWidth": 8,
    "minVizHeight": 16,
    "maxVizHeight": 300,
}


def stat(
    pid: int,
    title: str,
    description: str,
    expr: str,
    *,
    unit: str = "short",
    red_from: float | None = None,
    names: dict[str, tuple[str, str]] | None = None,
    w: int = 4,
    h: int = 4,
) -> JSON:
    colours = thresholds(red_from) | ({"mappings": [mapped(names)]} if names else {})
    return panel(
        pid,
        "stat",
        title,
        description,
        [target(expr, title, instant=True)],
        unit=unit,
        w=w,
        h=h,
        options=STAT,
        defaults=colours,
    )


def values(pid: int, title: str, description: str, *targets: tuple[str, str]) -> JSON:
    """A stat of several named values side by side (`N of M`)."""
    refs = [target(expr, name, chr(65 + n), instant=True) for n, (expr, name) in enumerate(targets)]
    options = STAT | {"colorMode": "value", "textMode": "value_and_name"}
    return panel(
        pid, "stat", title, description, refs, w=4, h=4, options=options, defaults=thresholds()
    )


def series(
    pid: int,
    title: str,
    description: str,
    *targets: tuple[str, str],
    unit: str = "short",
    stack: bool = False,
    w: int = 12,
    h: int = 8,
) -> JSON:
    refs = [target(expr, legend, chr(65 + n)) for n, (expr, legend) in enumerate(targets)]
    custom = {"stacking": {"mode": "normal"}, "fillOpacity": 40} if stack else {"fillOpacity": 10}
    legend = {
        "showLegend": True,
        "displayMode": "table",
        "placement": "right",
        "calcs": ["lastNotNull"],
    }
    return panel(
        pid,
        "timeseries",
        title,
        description,
        refs,
        unit=unit,
        w=w,
        h=h,
        options={"legend": legend, "tooltip": {"mode": "multi", "sort": "none"}},
        defaults={"custom": custom},
    )


def table(
    pid: int,
    title: str,
    description: str,
    *exprs: str,
    columns: dict[str, str],
    units: dict[str, str] | None = None,
    names: dict[str, dict[str, tuple[str, str]]] | None = None,
    w: int = 24,
    h: int = 8,
    sort: str = "",
    ascending: bool = False,
) -> JSON:
    """An instant table; `columns` maps the labels and values (`Value #A`, ...) to show to
    their headers, in order; every other field is hidden."""
    refs = [target(expr, ref=chr(65 + n), instant=True) for n, expr in enumerate(exprs)]
    organize = {
        "includeByName": dict.fromkeys(columns, True),
        "renameByName": columns,
        "indexByName": {name: n for n, name in enumerate(columns)},
    }
    steps: list[JSON] = [{"id": "merge", "options": {}}] if len(exprs) > 1 else []
    steps.append({"id": "organize", "options": organize})
    if sort:
        steps.append(
            {"id": "sortBy", "options": {"sort": [{"field": sort, "desc": not ascending}]}}
        )
    overrides = [
        {"matcher": {"id": "byName", "options": header}, "properties": [{"id": "unit", "value": u}]}
        for header, u in (units or {}).items()
    ] + [
        {
            "matcher": {"id": "byName", "options": header},
            "properties": [{"id": "mappings", "value": [mapped(values)]}],
        }
        for header, values in (names or {}).items()
    ]
    return panel(
        pid,
        "table",
        title,
        description,
        refs,
        w=w,
        h=h,
        overrides=overrides,
        options={"showHeader": True, "frameIndex": 0, "footer": {"show": False, "reducer": []}},
        transformations=steps,
    )


def bars(
    pid: int,
    title: str,
    description: str,
    expr: str,
    legend: str,
    *,
    unit: str,
    top: float | None = None,
    w: int = 12,
    h: int = 8,
) -> JSON:
    return panel(
        pid,
        "bargauge",
        title,
        description,
        [target(expr, legend, instant=True)],
        unit=unit,
        w=w,
        h=h,
        defaults={"min": 0, **({"max": top} if top else {}), **thresholds()},
        options=BARS,
    )


def timeline(
    pid: int,
    title: str,
    description: str,
    expr: str,
    legend: str,
    names: dict[str, tuple[str, str]],
    w: int = 24,
    h: int = 6,
) -> JSON:
    """State over time; `names` maps each value to its text and colour."""
    mapping = {
        "type": "value",
        "options": {v: {"text": t, "color": c} for v, (t, c) in names.items()},
    }
    return panel(
        pid,
        "state-timeline",
        title,
        description,
        [target(expr, legend)],
        w=w,
        h=h,
        options={
            "showValue": "never",
            # The rest is Grafana's defaults for a state timeline, which the schema requires.
            "rowHeight": 0.9,
            "legend": {
                "showLegend": True,
                "displayMode": "list",
                "placement": "bottom",
                "calcs": [],
            },
            "tooltip": {"mode": "single", "sort": "none"},
        },
        defaults={"mappings": [mapping]},
    )


def row(pid: int, title: str, repeat: str | None = None) -> JSON:
    out: JSON = {
        "id": pid,
        "type": "row",
        "title": title,
        "collapsed": False,
        "panels": [],
        "gridPos": {"w": 24, "h": 1},
    }
    return out | ({"repeat": repeat} if repeat else {})


def laid_out(strips: Iterable[list[JSON]]) -> list[JSON]:
    """Strips of panels, each left to right under the one before: x and y, ids untouched."""
    out, y = [], 0
    for strip in strips:
        x = 0
        for p in strip:
            p["gridPos"] = {"x": x, "y": y, **p["gridPos"]}
            x += p["gridPos"]["w"]
        y += max(p["gridPos"]["h"] for p in strip)
        out += strip
    return out


def variable(name: str, label: str, query: str, *, every: bool = True, hide: int = 0) -> JSON:
    """A query variable; `every`: All selected by default, else no saved choice (a per-task
    pick: Grafana selects the first value until one is picked, as it did for `current: {}`,
    which the schema refuses: an option has a text and a value). The query is `query.query`
    alone: Grafana's UI also writes a `definition` copy of it, which is not in the schema."""
    current = {"current": {"selected": True, "text": ["All"], "value": ["$__all"]}} if every else {}
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2,
        "sort": 1,
        "includeAll": every,
        "multi": True,
        "allValue": ".*",
        **current,
        "hide": hide,
    }


def variables(*extra: JSON) -> list[JSON]:
    source = {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        # No `current`: Grafana selects a Prometheus data source (the default one if it is).
        "hide": 0,
        "refresh": 1,
    }
    job = variable("job", "Job", "label_values(huaweicloud_migration_exporter_build_info, job)")
    account = variable(
        "account", "Account", 'label_values(huaweicloud_migration_up{job=~"$job"}, account)'
    )
    return [source, job, account, *extra]


def migration_project() -> JSON:
    """The SMS migration projects (waves) of the chosen accounts, all by default."""
    return variable(
        "migration_project",
        "Migration project",
        'label_values(huaweicloud_sms_migration_project_info{job=~"$job", account=~"$account"}, migration_project_name)',
    )


def task_group() -> JSON:
    """The OMS task groups (waves) of the chosen accounts, all by default."""
    return variable(
        "task_group",
        "Task group",
        'label_values(huaweicloud_oms_task_group_info{job=~"$job", account=~"$account"}, group_id)',
    )


IN_WAVE = 'job=~"$job", wave=~"$wave"'


def wave() -> JSON:
    """The waves (DESIGN.md section 12: migration projects, task groups, configured waves),
    all by default. All is `.*` (the allValue), which also matches a series without a `wave`
    label: what the task dashboards' filters below rest on."""
    return variable(
        "wave", "Wave", 'label_values(huaweicloud_migration_wave_info{job=~"$job"}, wave)'
    )


def by_wave(rule: str, matchers: str = "") -> str:
    """A `wave:*` recording rule (or a wave-level family) of `$wave`: these have no account."""
    return f"{rule}{{{', '.join(p for p in (IN_WAVE, matchers) if p)}}}"


def of_wave(expr: str, service: str = "") -> str:
    """`expr` (per task: job, account, task_id) kept for the tasks of `$wave`. `and`, not a
    join: a task in two waves is one row."""
    matchers = f'{IN_WAVE}, account=~"$account"' + (f', service="{service}"' if service else "")
    return f"({expr}) and on (job, account, task_id) huaweicloud_migration_wave_task{{{matchers}}}"


# Every task, server or count of the task dashboards is kept for the waves picked in `$wave`,
# and with All nothing is filtered out: a task in no wave (a user without waves) still shows.
# The trick: `.*` matches a series that has no `wave` label, a picked wave's name does not.
# So `huaweicloud_sms_task_info{wave=~"$wave"}` is every task with All and none with a pick,
# and `members or that` is every task with All and the picked waves' members otherwise.
EVERY_WAVE = m("huaweicloud_migration_exporter_build_info", 'wave=~"$wave"', 'job=~"$job"')


def wave_tasks(expr: str, service: str) -> str:
    """`expr` (per task: job, account, task_id) of the tasks of `$wave` (`service` `sms` or
    `oms`); with All, `expr` whole."""
    members = m("huaweicloud_migration_wave_task", f'wave=~"$wave", service="{service}"')
    every = m(f"huaweicloud_{service}_task_info", 'wave=~"$wave"')
    return f"({expr}) and on (job, account, task_id) ({members} or {every})"


def wave_servers(expr: str) -> str:
    """`expr` (per source server: job, account, source_server_id) of the servers whose SMS
    task is in `$wave`; with All, `expr` whole (a server without a task too)."""
    info = m("huaweicloud_sms_source_server_info")
    members = m("huaweicloud_migration_wave_task", 'wave=~"$wave", service="sms"')
    every = m("huaweicloud_sms_source_server_info", 'wave=~"$wave"')
    return (
        f"({expr}) and on (job, account, source_server_id)"
        f" (({info} and on (job, account, task_id) {members}) or {every})"
    )


def wave_counts(service: str) -> str:
    """The waves' tasks of `service` by state (an OMS task's status as its state)."""
    return by_wave("wave:huaweicloud_migration_tasks:count", f'service="{service}"')


def every_or_wave(every: str, picked: str) -> str:
    """`every` (the estate's figure, from a job-and-account rule) with All, `picked` (from the
    waves' own) with waves picked: EVERY_WAVE is one series with All, none with a pick."""
    return f"({every}) and on () count({EVERY_WAVE}) or ({picked}) unless on () count({EVERY_WAVE})"


LEFT = by_wave("wave:huaweicloud_migration_remaining_bytes:sum")
DEADLINE = f"max by (job, wave) ({by_wave('huaweicloud_migration_wave_cutover_timestamp_seconds')})"


def waves_table(pid: int, title: str, w: int = 24, h: int = 8) -> JSON:
    """Each wave of `$wave`: where it comes from, health, tasks, ready share, left, ETA, deadline."""
    return table(
        pid,
        title,
        "Each wave: where it comes from (migration project, task group or configuration), its"
        " health (0 healthy, 1 lagging: estimated past the deadline or stalled, 2 error: a task"
        " failed), tasks, the share of its SMS tasks ready to cut over, bytes left, the"
        " estimated completion at the last hour's rate and the deadline.",
        by_wave("huaweicloud_migration_wave_info"),
        f"max by (job, wave) ({by_wave('wave:huaweicloud_migration_health')})",
        f"sum by (job, wave) ({by_wave('wave:huaweicloud_migration_tasks:count')})",
        by_wave("wave:huaweicloud_sms_cutover_ready:ratio"),
        by_wave("wave:huaweicloud_migration_remaining_bytes:sum"),
        f"{by_wave('wave:huaweicloud_migration_estimated_completion_timestamp_seconds')} * 1000",
        f"{DEADLINE} * 1000",
        columns={
            "wave": "wave",
            "origin": "origin",
            "Value #B": "health",
            "Value #C": "tasks",
            "Value #D": "ready",
            "Value #E": "left",
            "Value #F": "estimated completion",
            "Value #G": "deadline",
        },
        units={
            "ready": "percentunit",
            "left": "bytes",
            "estimated completion": "dateTimeAsIso",
            "deadline": "dateTimeAsIso",
        },
        names={"health": HEALTH},
        sort="health",
        w=w,
        h=h,
    )


def groups_table(pid: int, title: str, w: int = 24) -> JSON:
    """Each OMS task group of `$task_group`: status, buckets, tasks done of all, bytes."""
    return table(
        pid,
        title,
        "OMS task groups (waves of buckets): their status (the group table), buckets, tasks"
        " completed and failed of all, and bytes completed of the total.",
        f"({m('huaweicloud_oms_task_group_status', IN_GROUP)} == 1) * on (job, account, region, group_id) group_left (src_bucket, dst_bucket) {m('huaweicloud_oms_task_group_info')}",
        m("huaweicloud_oms_task_group_tasks", f'{IN_GROUP}, state="total"'),
        m("huaweicloud_oms_task_group_tasks", f'{IN_GROUP}, state="completed"'),
        m("huaweicloud_oms_task_group_tasks", f'{IN_GROUP}, state="failed"'),
        m("huaweicloud_oms_task_group_completed_bytes", IN_GROUP),
        m("huaweicloud_oms_task_group_size_bytes", IN_GROUP),
        columns={
            "account": "account",
            "group_id": "group",
            "status": "status",
            "src_bucket": "from",
            "dst_bucket": "to",
            "Value #B": "tasks",
            "Value #C": "completed",
            "Value #D": "failed",
            "Value #E": "bytes done",
            "Value #F": "bytes",
        },
        units={"bytes done": "bytes", "bytes": "bytes"},
        w=w,
    )


def projects_table(pid: int, title: str, w: int = 24) -> JSON:
    """Each SMS migration project of `$migration_project`, with its tasks."""
    tasks = f"count by (job, account, migration_project_id) ({m('huaweicloud_sms_task_info')})"
    return table(
        pid,
        title,
        "SMS migration projects (waves of servers): type, default, speed limit and how many"
        " tasks each holds.",
        m("huaweicloud_sms_migration_project_info", IN_PROJECT),
        f"{m('huaweicloud_sms_migration_project_speed_limit_bytes_per_second', IN_PROJECT)}",
        f"{tasks} * on (job, account, migration_project_id) group_left (migration_project_name) {m('huaweicloud_sms_migration_project_info', IN_PROJECT)}",
        columns={
            "account": "account",
            "migration_project_name": "project",
            "type": "type",
            "default": "default",
            "Value #B": "speed limit",
            "Value #C": "tasks",
        },
        units={"speed limit": "Bps"},
        w=w,
    )


def dashboard(
    uid: str,
    title: str,
    description: str,
    extra: list[JSON],
    strips: list[list[JSON]],
    annotations: list[JSON] | None = None,
) -> JSON:
    links = [
        {
            "title": "Migration dashboards",
            "type": "dashboards",
            "tags": ["huaweicloud"],
            "asDropdown": True,
            "includeVars": True,
            "keepTime": True,
            # Grafana's defaults for what a dropdown of dashboards does not use.
            "icon": "external link",
            "tooltip": "",
            "targetBlank": False,
        }
    ]
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
        "templating": {"list": variables(*extra)},
        "annotations": {"list": annotations or []},
        "links": links,
        "panels": laid_out(strips),
    }


def overview() -> JSON:
    failed_sms = f"{sms_state(SMS_FAILED)} * on (job, account, task_id) group_left (source_server_name) {m('huaweicloud_sms_task_info')}"
    failed_oms = f"({m('huaweicloud_oms_task_status', OMS_FAILED)} == 1) * on (job, account, region, task_id) group_left (src_bucket, dst_bucket) {m('huaweicloud_oms_task_info')}"
    running = sms_state(SMS_RUNNING)
    return dashboard(
        "hwmig-overview",
        "Huawei Cloud migration / overview",
        "The migration wave at a glance: what failed, what stalls, how much is left, and when it ends.",
        [migration_project(), task_group(), wave()],
        [
            [
                stat(
                    1,
                    "Failed tasks",
                    "SMS tasks in MIGRATE_FAIL or SYNC_FAIL and OMS tasks failed: each pages.",
                    f"(sum({m('job_account_state:huaweicloud_sms_tasks:sum', SMS_FAILED)}) or vector(0))"
                    f" + (sum({m('job_account_status:huaweicloud_oms_tasks:sum', OMS_FAILED)}) or vector(0))",
                    red_from=1,
                ),
                stat(
                    2,
                    "Running tasks",
                    "SMS tasks running or syncing and OMS tasks migrating.",
                    f"(sum({m('job_account_state:huaweicloud_sms_tasks:sum', SMS_RUNNING)}) or vector(0))"
                    f" + (sum({m('job_account_status:huaweicloud_oms_tasks:sum', OMS_MIGRATING)}) or vector(0))",
                ),
                stat(
                    3,
                    "Agents disconnected",
                    "Source servers whose SMS agent lost its connection.",
                    f"sum({m('job_account_agent:huaweicloud_sms_source_servers:sum', DISCONNECTED)}) or vector(0)",
                    red_from=1,
                ),
                stat(
                    4,
                    "Done",
                    "Bytes copied of all bytes to copy: SMS servers replicated, OMS buckets completed.",
                    f"sum({m('job_account:huaweicloud_migration_done_bytes:sum')}) / sum({m('job_account:huaweicloud_migration_total_bytes:sum')})",
                    unit="percentunit",
                ),
                stat(
                    5,
                    "Left to copy",
                    "Bytes still to copy, SMS and OMS together.",
                    f"sum({m('job_account:huaweicloud_migration_total_bytes:sum')}) - sum({m('job_account:huaweicloud_migration_done_bytes:sum')})",
                    unit="bytes",
                ),
                stat(
                    6,
                    "Wave ETA",
                    "When the slowest server or bucket is done, as the APIs estimate it.",
                    f"(time() + max({m('job_account:huaweicloud_migration_remaining_seconds:max')})) * 1000",
                    unit="dateTimeFromNow",
                ),
            ],
            [
                series(
                    7,
                    "SMS tasks by state",
                    "How many SMS tasks are in each state, over time.",
                    (
                        f"sum by (state) ({m('job_account_state:huaweicloud_sms_tasks:sum')}) > 0",
                        "{{state}}",
                    ),
                    stack=True,
                    w=8,
                ),
                series(
                    8,
                    "OMS tasks by status",
                    "How many OMS tasks are in each status, over time.",
                    (
                        f"sum by (status) ({m('job_account_status:huaweicloud_oms_tasks:sum')}) > 0",
                        "{{status}}",
                    ),
                    stack=True,
                    w=8,
                ),
                series(
                    9,
                    "Bytes copied and throughput",
                    "Bytes copied of the total, and the wave's speed.",
                    (f"sum({m('job_account:huaweicloud_migration_done_bytes:sum')})", "copied"),
                    (f"sum({m('job_account:huaweicloud_migration_total_bytes:sum')})", "total"),
                    unit="bytes",
                    w=8,
                ),
            ],
            [
                table(
                    10,
                    "Failed now: SMS",
                    "Failed SMS tasks with their error code and since when they are failed, the newest first.",
                    failed_sms,
                    m("huaweicloud_sms_task_error_info"),
                    f"min_over_time(timestamp({sms_state(SMS_FAILED)})[1d:1m]) * 1000",
                    columns={
                        "account": "account",
                        "task_name": "task",
                        "source_server_name": "source server",
                        "state": "state",
                        "error_code": "error code",
                        "Value #C": "failed since",
                    },
                    units={"failed since": "dateTimeAsIso"},
                    sort="failed since",
                    w=12,
                ),
                table(
                    11,
                    "Failed now: OMS",
                    "Failed OMS tasks with their buckets and error code.",
                    failed_oms,
                    m("huaweicloud_oms_task_error_info"),
                    columns={
                        "account": "account",
                        "task_name": "task",
                        "src_bucket": "from",
                        "dst_bucket": "to",
                        "error_code": "error code",
                    },
                    w=12,
                ),
            ],
            [
                table(
                    12,
                    "Stalled now",
                    "Tasks the stall alerts fire for: running, and nothing copied for 30 minutes.",
                    'ALERTS{alertname=~"HuaweiCloud(SMS|OMS)TaskStalled", alertstate="firing", job=~"$job", account=~"$account"}',
                    columns={"account": "account", "task_name": "task", "alertname": "alert"},
                    w=8,
                ),
                table(
                    13,
                    "Longest running",
                    "The ten SMS tasks running longest.",
                    f"topk(10, {m('huaweicloud_sms_task_duration_seconds')} * on (job, account, task_id) group_left (state) {running})",
                    columns={"account": "account", "task_name": "task", "Value": "running for"},
                    units={"running for": "s"},
                    sort="running for",
                    w=8,
                ),
                table(
                    14,
                    "Slowest running",
                    "The ten running SMS tasks moving least data now.",
                    f"bottomk(10, {m('huaweicloud_sms_task_migrate_speed_bytes_per_second')} * on (job, account, task_id) group_left (state) {running})",
                    columns={"account": "account", "task_name": "task", "Value": "speed"},
                    units={"speed": "Bps"},
                    w=8,
                ),
            ],
            [
                stat(
                    15,
                    "Failed task groups",
                    "OMS task groups failed or unable to create their tasks: each pages.",
                    f"count({m('huaweicloud_oms_task_group_status', f'{IN_GROUP}, {GROUP_FAILED}')} == 1) or vector(0)",
                    red_from=1,
                ),
                stat(
                    16,
                    "Migration projects",
                    "SMS migration projects: the waves of servers.",
                    f"count({m('huaweicloud_sms_migration_project_info', IN_PROJECT)})",
                ),
                stat(
                    17,
                    "Sync tasks stopped",
                    "OMS synchronization tasks no longer keeping their bucket converged.",
                    f"count({m('huaweicloud_oms_sync_task_synchronizing')} == 0) or vector(0)",
                    red_from=1,
                ),
                bars(
                    18,
                    "Source servers by state (SMS's count)",
                    "SMS's own count of the source servers by lifecycle state, right even past"
                    " what the exporter lists.",
                    f"sum by (state) ({m('huaweicloud_sms_overview_source_servers')})",
                    "{{state}}",
                    unit="short",
                    w=12,
                ),
            ],
            [projects_table(19, "Migration projects", w=9), groups_table(20, "Task groups", w=15)],
            [row(21, "Waves: $wave")],
            [
                waves_table(22, "Waves", w=16),
                timeline(
                    23,
                    "Wave health",
                    "Each wave's health over time, one band a wave: healthy, lagging, error (the"
                    " Waves dashboard says why). Bands, not lines: five waves at one value"
                    " would draw one line.",
                    f"max by (wave) ({by_wave('wave:huaweicloud_migration_health')})",
                    "{{wave}}",
                    HEALTH,
                    w=8,
                    h=8,
                ),
            ],
        ],
    )


def sms() -> JSON:
    task = 'task_name=~"$task"'
    picked = variable(
        "task",
        "Task",
        'label_values(huaweicloud_sms_task_info{job=~"$job", account=~"$account"}, task_name)',
        every=False,
    )
    # id, title, family, unit: one per-task graph each, three to a strip.
    graphs = [
        (10, "Agent CPU", "huaweicloud_sms_agent_cpu_usage_ratio", "percentunit"),
        (11, "Agent memory", "huaweicloud_sms_agent_memory_usage_bytes", "bytes"),
        (12, "Agent disk IO", "huaweicloud_sms_agent_disk_io_bytes_per_second", "Bps"),
        (13, "Source host CPU", "huaweicloud_sms_source_cpu_usage_ratio", "percentunit"),
        (14, "Source host memory", "huaweicloud_sms_source_memory_usage_bytes", "bytes"),
        (15, "Source host disk IO", "huaweicloud_sms_source_disk_io_bytes_per_second", "Bps"),
        (16, "Network latency", "huaweicloud_sms_network_latency_seconds", "s"),
        (17, "Packet loss", "huaweicloud_sms_network_packet_loss_ratio", "percentunit"),
        (18, "Network bandwidth", "huaweicloud_sms_network_bandwidth_bytes_per_second", "Bps"),
    ]
    per_task = [
        series(
            pid, title, f"{title}, per task.", (m(family, task), "{{task_name}}"), unit=unit, w=8
        )
        for pid, title, family, unit in graphs
    ]
    return dashboard(
        "hwmig-sms",
        "Huawei Cloud migration / SMS tasks",
        "SMS server migration tasks: the wave by state, failures, and the detail of the tasks picked in Task.",
        [migration_project(), wave(), picked],
        [
            [
                series(
                    1,
                    "Tasks by state",
                    "How many SMS tasks are in each state, over time; with waves picked, the"
                    " waves' own counts (wave:huaweicloud_migration_tasks:count, every account: a"
                    " task in two waves picked counts in each).",
                    (
                        every_or_wave(
                            f"sum by (state) ({m('job_account_state:huaweicloud_sms_tasks:sum')}) > 0",
                            f"sum by (state) ({wave_counts('sms')}) > 0",
                        ),
                        "{{state}}",
                    ),
                    stack=True,
                ),
                table(
                    2,
                    "Failed tasks",
                    "Failed SMS tasks of the waves picked, their error code and source server.",
                    wave_tasks(
                        f"{sms_state(SMS_FAILED)} * on (job, account, task_id) group_left (source_server_name, source_server_ip) {m('huaweicloud_sms_task_info')}",
                        "sms",
                    ),
                    m("huaweicloud_sms_task_error_info"),
                    columns={
                        "account": "account",
                        "task_name": "task",
                        "state": "state",
                        "error_code": "error code",
                        "source_server_name": "source server",
                        "source_server_ip": "address",
                    },
                    w=12,
                ),
            ],
            [
                projects_table(30, "Migration projects", w=12),
                series(
                    31,
                    "Tasks by migration project",
                    "How many SMS tasks (of the waves picked) each migration project holds, over"
                    " time.",
                    (
                        f"count by (job, account, migration_project_id) ({wave_tasks(m('huaweicloud_sms_task_info'), 'sms')}) * on (job, account, migration_project_id) group_left (migration_project_name) {m('huaweicloud_sms_migration_project_info', IN_PROJECT)}",
                        "{{migration_project_name}}",
                    ),
                    stack=True,
                ),
            ],
            [row(3, "Task $task", repeat="task")],
            [
                series(
                    4,
                    "Speed",
                    "Migration speed of the task.",
                    (
                        m("huaweicloud_sms_task_migrate_speed_bytes_per_second", task),
                        "{{task_name}}",
                    ),
                    unit="Bps",
                    w=8,
                ),
                bars(
                    5,
                    "Sub-tasks",
                    "Progress of each sub-task.",
                    m("huaweicloud_sms_subtask_progress_ratio", task),
                    "{{subtask}}",
                    unit="percentunit",
                    top=1,
                    w=8,
                ),
                table(
                    6,
                    "Estimated completion",
                    "When SMS expects the task to finish.",
                    f"{m('huaweicloud_sms_task_estimated_completion_timestamp_seconds', task)} * 1000",
                    columns={"task_name": "task", "Value": "done at"},
                    units={"done at": "dateTimeAsIso"},
                    w=8,
                ),
            ],
            per_task[0:3],
            per_task[3:6],
            per_task[6:9],
        ],
    )


def sms_servers() -> JSON:
    one = 'source_server_name=~"$source_server"'
    picked = variable(
        "source_server",
        "Source server",
        'label_values(huaweicloud_sms_source_server_info{job=~"$job", account=~"$account"}, source_server_name)',
        every=False,
    )
    connected = {"0": ("disconnected", "red"), "1": ("connected", "green")}
    return dashboard(
        "hwmig-sms-servers",
        "Huawei Cloud migration / SMS source servers",
        "SMS source servers: agent connection, bytes replicated of total, time left, environment checks.",
        [wave(), picked],
        [
            [
                stat(
                    1,
                    "Agents disconnected",
                    "Source servers whose SMS agent is not connected (of the waves picked).",
                    every_or_wave(
                        f"sum({m('job_account_agent:huaweicloud_sms_source_servers:sum', DISCONNECTED)}) or vector(0)",
                        f"count({wave_servers(m('huaweicloud_sms_source_server_agent_connected') + ' == 0')}) or vector(0)",
                    ),
                    red_from=1,
                    w=6,
                ),
                stat(
                    2,
                    "Agents connected",
                    "Source servers whose SMS agent is connected (of the waves picked).",
                    every_or_wave(
                        f"sum({m('job_account_agent:huaweicloud_sms_source_servers:sum', CONNECTED)}) or vector(0)",
                        f"count({wave_servers(m('huaweicloud_sms_source_server_agent_connected') + ' == 1')}) or vector(0)",
                    ),
                    w=6,
                ),
                stat(
                    3,
                    "Replicated",
                    "Bytes replicated of all servers' bytes (of the waves picked).",
                    f"sum({wave_servers(m('huaweicloud_sms_source_server_replicated_bytes'))}) / sum({wave_servers(m('huaweicloud_sms_source_server_total_bytes'))})",
                    unit="percentunit",
                    w=6,
                ),
                stat(
                    4,
                    "Servers failing checks",
                    "Servers (of the waves picked) with an environment check that did not pass.",
                    f"count(count by (job, account, source_server_id) ({wave_servers(m('huaweicloud_sms_source_server_check_problem'))})) or vector(0)",
                    red_from=1,
                    w=6,
                ),
            ],
            [
                table(
                    5,
                    "Disconnected agents",
                    "Servers (of the waves picked) whose agent is offline, and since when.",
                    wave_servers(
                        f"({m('huaweicloud_sms_source_server_agent_connected')} == 0) * on (job, account, source_server_id) group_left (task_name, source_server_ip) {m('huaweicloud_sms_source_server_info')}"
                    ),
                    f"{m('huaweicloud_sms_source_server_agent_connection_changed_timestamp_seconds')} * 1000",
                    columns={
                        "account": "account",
                        "source_server_name": "server",
                        "source_server_ip": "address",
                        "task_name": "task",
                        "Value #B": "since",
                    },
                    units={"since": "dateTimeAsIso"},
                    w=12,
                ),
                table(
                    6,
                    "Failing environment checks",
                    "Each check of a server (of the waves picked) that did not pass.",
                    wave_servers(m("huaweicloud_sms_source_server_check_problem")),
                    columns={
                        "account": "account",
                        "source_server_name": "server",
                        "check": "check",
                        "result": "result",
                        "error_code": "error code",
                    },
                    w=12,
                ),
            ],
            [
                table(
                    7,
                    "Servers by progress",
                    "Every server of the waves picked: bytes replicated of total, time left and"
                    " ETA, the most time left first.",
                    wave_servers(
                        f"{m('huaweicloud_sms_source_server_replicated_bytes')} / {m('huaweicloud_sms_source_server_total_bytes')}"
                    ),
                    m("huaweicloud_sms_source_server_remaining_seconds"),
                    f"{m('huaweicloud_sms_source_server_estimated_completion_timestamp_seconds')} * 1000",
                    columns={
                        "account": "account",
                        "source_server_name": "server",
                        "Value #A": "replicated",
                        "Value #B": "time left",
                        "Value #C": "ETA",
                    },
                    units={"replicated": "percentunit", "time left": "s", "ETA": "dateTimeAsIso"},
                    sort="time left",
                    h=10,
                ),
            ],
            [
                series(
                    20,
                    "Servers by state (SMS's count)",
                    "SMS's own count of the source servers by lifecycle state (GET "
                    "/v3/sources/overview): right even past what the exporter lists; the"
                    " account's whole, whatever the waves picked.",
                    (
                        f"sum by (state) ({m('huaweicloud_sms_overview_source_servers')}) > 0",
                        "{{state}}",
                    ),
                    stack=True,
                    w=24,
                ),
            ],
            [row(8, "Server $source_server", repeat="source_server")],
            [
                timeline(
                    9,
                    "Agent connection",
                    "The agent's connection over time.",
                    m("huaweicloud_sms_source_server_agent_connected", one),
                    "{{source_server_name}}",
                    connected,
                    w=12,
                ),
                series(
                    10,
                    "Replicated and total",
                    "Bytes replicated of the server's total.",
                    (m("huaweicloud_sms_source_server_replicated_bytes", one), "replicated"),
                    (m("huaweicloud_sms_source_server_total_bytes", one), "total"),
                    unit="bytes",
                ),
            ],
            [
                series(
                    11,
                    "Time left",
                    "The current task's estimate of the time left.",
                    (
                        m("huaweicloud_sms_source_server_remaining_seconds", one),
                        "{{source_server_name}}",
                    ),
                    unit="s",
                ),
                series(
                    12,
                    "Migration cycle",
                    "The server's migration cycle over time.",
                    (
                        f"{m('huaweicloud_sms_source_server_migration_cycle', one)} == 1",
                        "{{cycle}}",
                    ),
                    unit="short",
                ),
            ],
        ],
    )


def oms() -> JSON:
    task = 'task_name=~"$task"'
    picked = variable(
        "task",
        "Task",
        'label_values(huaweicloud_oms_task_info{job=~"$job", account=~"$account", group_id=~"$task_group"}, task_name)',
        every=False,
    )
    migrating = f"({m('huaweicloud_oms_task_status', OMS_MIGRATING)} == 1)"
    return dashboard(
        "hwmig-oms",
        "Huawei Cloud migration / OMS buckets",
        "OMS object storage migration tasks: the wave by status, bytes, failures, and the detail of the tasks picked in Task.",
        [task_group(), wave(), picked],
        [
            [
                series(
                    1,
                    "Tasks by status",
                    "How many OMS tasks are in each status, over time; with waves picked, the"
                    " waves' own counts (wave:huaweicloud_migration_tasks:count, every account: a"
                    " task in two waves picked counts in each).",
                    (
                        every_or_wave(
                            f"sum by (status) ({m('job_account_status:huaweicloud_oms_tasks:sum')}) > 0",
                            f"sum by (status) (label_replace({wave_counts('oms')}, 'status', '$1', 'state', '(.*)')) > 0",
                        ),
                        "{{status}}",
                    ),
                    stack=True,
                    w=8,
                ),
                series(
                    2,
                    "Bytes completed and total",
                    "Bytes the tasks (of the waves picked) have completed of their total.",
                    (
                        f"sum({wave_tasks(m('huaweicloud_oms_task_completed_bytes'), 'oms')})",
                        "completed",
                    ),
                    (f"sum({wave_tasks(m('huaweicloud_oms_task_size_bytes'), 'oms')})", "total"),
                    unit="bytes",
                    w=8,
                ),
                series(
                    3,
                    "Objects by result",
                    "Objects processed by the tasks of the waves picked, by result.",
                    (
                        f"sum by (result) ({wave_tasks(m('huaweicloud_oms_task_processed_objects'), 'oms')})",
                        "{{result}}",
                    ),
                    w=8,
                ),
            ],
            [
                table(
                    4,
                    "Failed tasks",
                    "Failed OMS tasks (of the waves picked) with their buckets and error code.",
                    wave_tasks(
                        f"({m('huaweicloud_oms_task_status', OMS_FAILED)} == 1) * on (job, account, region, task_id) group_left (src_bucket, dst_bucket) {m('huaweicloud_oms_task_info')}",
                        "oms",
                    ),
                    m("huaweicloud_oms_task_error_info"),
                    columns={
                        "account": "account",
                        "region": "region",
                        "task_name": "task",
                        "src_bucket": "from",
                        "dst_bucket": "to",
                        "error_code": "error code",
                    },
                    w=12,
                ),
                table(
                    5,
                    "Longest time left",
                    "The ten migrating tasks (of the waves picked) with most time left.",
                    f"topk(10, {wave_tasks(m('huaweicloud_oms_task_remaining_seconds') + ' * on (job, account, region, task_id) group_left () ' + migrating, 'oms')})",
                    columns={"account": "account", "task_name": "task", "Value": "time left"},
                    units={"time left": "s"},
                    sort="time left",
                    w=12,
                ),
            ],
            [
                groups_table(20, "Task groups", w=16),
                table(
                    21,
                    "Sync tasks",
                    "OMS synchronization tasks: their buckets, whether they still synchronize, and"
                    " when they last started.",
                    f"{m('huaweicloud_oms_sync_task_synchronizing')} * on (job, account, region, sync_task_id) group_left (src_bucket, dst_bucket) {m('huaweicloud_oms_sync_task_info')}",
                    f"{m('huaweicloud_oms_sync_task_last_start_timestamp_seconds')} * 1000",
                    columns={
                        "account": "account",
                        "src_bucket": "from",
                        "dst_bucket": "to",
                        "Value #A": "synchronizing",
                        "Value #B": "last start",
                    },
                    units={"last start": "dateTimeAsIso"},
                    w=8,
                ),
            ],
            [
                series(
                    22,
                    "Task group bytes completed",
                    "Bytes each OMS task group has completed, over time.",
                    (
                        m("huaweicloud_oms_task_group_completed_bytes", IN_GROUP),
                        "{{group_id}}",
                    ),
                    unit="bytes",
                    w=24,
                ),
            ],
            [row(6, "Task $task", repeat="task")],
            [
                series(
                    7,
                    "Progress",
                    "The task's progress.",
                    (m("huaweicloud_oms_task_progress_ratio", task), "{{task_name}}"),
                    unit="percentunit",
                    w=8,
                ),
                series(
                    8,
                    "Speed",
                    "The task's migration speed.",
                    (
                        m("huaweicloud_oms_task_migrate_speed_bytes_per_second", task),
                        "{{task_name}}",
                    ),
                    unit="Bps",
                    w=8,
                ),
                series(
                    9,
                    "Time left",
                    "The task's estimate of its time left.",
                    (m("huaweicloud_oms_task_remaining_seconds", task), "{{task_name}}"),
                    unit="s",
                    w=8,
                ),
            ],
        ],
    )


def health() -> JSON:
    src = 'job=~"$job", account=~"$account", service=~"$service"'
    picked = variable(
        "service", "Service", 'label_values(huaweicloud_migration_up{job=~"$job"}, service)'
    )
    up = {"0": ("down", "red"), "1": ("up", "green")}
    return dashboard(
        "hwmig-exporter",
        "Huawei Cloud migration / exporter health",
        "Is the exporter polling every account and service, how fast, what the APIs answer, its configuration and shards.",
        [picked],
        [
            [
                timeline(
                    1,
                    "Up per account and service",
                    "1 while the last poll of the source succeeded.",
                    f"huaweicloud_migration_up{{{src}}}",
                    "{{account}} {{service}}",
                    up,
                )
            ],
            [
                series(
                    2,
                    "Poll duration",
                    "Wall time of the last poll.",
                    (
                        f"huaweicloud_migration_poll_duration_seconds{{{src}}}",
                        "{{account}} {{service}}",
                    ),
                    unit="s",
                ),
                series(
                    3,
                    "Data age",
                    "Time since the last successful poll.",
                    (
                        f"time() - huaweicloud_migration_last_success_timestamp_seconds{{{src}}}",
                        "{{account}} {{service}}",
                    ),
                    unit="s",
                ),
            ],
            [
                series(
                    4,
                    "API requests by code",
                    "Requests to Huawei Cloud, by HTTP status.",
                    (
                        f"sum by (code) (rate(huaweicloud_migration_api_requests_total{{{src}}}[$__rate_interval]))",
                        "{{code}}",
                    ),
                    unit="reqps",
                ),
                series(
                    5,
                    "Poll errors by reason",
                    "Failed polls, by reason.",
                    (
                        f"sum by (reason) (increase(huaweicloud_migration_poll_errors_total{{{src}}}[$__rate_interval]))",
                        "{{reason}}",
                    ),
                ),
            ],
            [
                series(
                    6,
                    "API latency",
                    "Request latency, median and 95th percentile.",
                    *[
                        (
                            f'histogram_quantile({q}, sum by (le, service) (rate(huaweicloud_migration_api_request_duration_seconds_bucket{{job=~"$job", service=~"$service"}}[$__rate_interval])))',
                            f"p{int(q * 100)} {{{{service}}}}",
                        )
                        for q in (0.5, 0.95)
                    ],
                    unit="s",
                ),
                series(
                    7,
                    "Task state changes",
                    "Transitions between polls, by new state.",
                    (
                        f"sum by (service, to) (increase(huaweicloud_migration_task_state_changes_total{{{src}}}[$__rate_interval]))",
                        "{{service}} → {{to}}",
                    ),
                ),
            ],
            [
                stat(
                    8,
                    "Tasks not exported",
                    "Past max_tasks_per_source, the offset ceiling, or unreadable.",
                    f"sum(huaweicloud_migration_tasks_not_exported{{{src}}})",
                    red_from=1,
                    w=6,
                ),
                stat(
                    9,
                    "Last reload",
                    "1: the running configuration is the latest; 0: a changed one was refused.",
                    'min(huaweicloud_migration_config_last_reload_successful{job=~"$job"})',
                    w=6,
                ),
                table(
                    10,
                    "Replicas",
                    "Each replica: version, shard and the shard count it believes in.",
                    'huaweicloud_migration_exporter_build_info{job=~"$job"}',
                    columns={
                        "instance": "instance",
                        "version": "version",
                        "shard": "shard",
                        "total_shards": "of",
                    },
                    w=12,
                    h=4,
                ),
            ],
        ],
    )


def waves() -> JSON:
    """One wave (or several) as a whole: how much is left against the deadline, who is ready to
    cut over and what blocks the others, what failed or stalls, and when its tasks changed state."""
    sms_failed = (
        f"{sms_state(SMS_FAILED)} * on (job, account, task_id) group_left (source_server_name)"
        f" {m('huaweicloud_sms_task_info')}"
    )
    oms_failed = f"{m('huaweicloud_oms_task_status', OMS_FAILED)} == 1"
    changed = " or ".join(
        of_wave(
            # In a state now it was not in a minute ago: also where only the current state
            # is exported (`collect.inactive_states: false`), whose new series changes() misses.
            f"{m(family)} == 1 unless last_over_time(({m(family)} == 1)[1m:10s] offset 1m)",
            service,
        )
        for family, service in (
            ("huaweicloud_sms_task_state", "sms"),
            ("huaweicloud_oms_task_status", "oms"),
        )
    )
    state_changes = {
        "name": "Task state changes",
        "datasource": DS,
        "enable": True,
        "iconColor": "blue",
        "target": {"expr": changed, "refId": "changes"},
        # What Grafana's Prometheus data source reads beside the query.
        "titleFormat": "{{task_name}} → {{state}}{{status}}",
        "tagKeys": "account",
        "textFormat": "",
        "useValueForTime": False,
        "step": "60s",
    }
    members = m("huaweicloud_migration_wave_task", 'wave=~"$wave"')
    ready = f"{m('huaweicloud_sms_task_cutover_ready')} == 1"
    not_cut_over = m("huaweicloud_sms_task_cutover_ready")
    return dashboard(
        "hwmig-waves",
        "Huawei Cloud migration / waves",
        "A wave as one thing: bytes left against its cutover deadline, the estimated completion,"
        " which servers are ready to cut over and what blocks the others, its failed and"
        " stalled tasks, and its tasks' state changes as annotations.",
        [wave()],
        [
            [
                stat(
                    1,
                    "Health",
                    "The worst of the waves picked: 0 healthy, 1 lagging (estimated past the"
                    " deadline, or bytes left and nothing copied for an hour), 2 error (a task"
                    " failed).",
                    f"max({by_wave('wave:huaweicloud_migration_health')})",
                    red_from=1,
                    names=HEALTH,
                ),
                stat(
                    2,
                    "Tasks",
                    "SMS and OMS tasks in the waves picked (a task in two waves counts once).",
                    f"count(max by (job, account, service, task_id) ({members}))",
                ),
                values(
                    3,
                    "Ready to cut over",
                    "N of M: the wave's SMS tasks nothing blocks, of those not yet cut over (a"
                    " MIGRATE_SUCCESS or ABORT task counts in neither).",
                    (f"count({of_wave(ready, 'sms')}) or vector(0)", "ready"),
                    (f"count({of_wave(not_cut_over, 'sms')})", "of"),
                ),
                stat(
                    4,
                    "Left to copy",
                    "Bytes still to copy: the SMS tasks' source servers and the OMS tasks.",
                    f"sum({by_wave('wave:huaweicloud_migration_remaining_bytes:sum')})",
                    unit="bytes",
                ),
                stat(
                    5,
                    "Estimated completion",
                    "When the wave is copied at the last hour's rate (the latest of the waves"
                    " picked): compare with the deadline beside it.",
                    f"max({by_wave('wave:huaweicloud_migration_estimated_completion_timestamp_seconds')}) * 1000",
                    unit="dateTimeAsIso",
                ),
                stat(
                    6,
                    "Cutover deadline",
                    "The configured cutover (the earliest of the waves picked); none for a wave"
                    " configured without one.",
                    f"min({by_wave('huaweicloud_migration_wave_cutover_timestamp_seconds')}) * 1000",
                    unit="dateTimeAsIso",
                ),
            ],
            [
                series(
                    7,
                    "Burn-down: bytes left and what the deadline allows",
                    "Bytes left per wave, and the bytes it can still copy before its deadline at"
                    " the last hour's rate, at most what is left (a deadline a week away would"
                    " put that line far above the others): while left is above the deadline"
                    " line, the wave misses its cutover; on track, the two lines are one.",
                    (by_wave("wave:huaweicloud_migration_remaining_bytes:sum"), "{{wave}} left"),
                    (
                        f"({by_wave('wave:huaweicloud_migration_migrated_bytes:rate1h')}"
                        f" * on (job, wave) clamp_min({DEADLINE} - time(), 0)"
                        f" < on (job, wave) {LEFT}) or on (job, wave) ({LEFT} and on (job, wave) {DEADLINE})",
                        "{{wave}} copyable by the deadline",
                    ),
                    unit="bytes",
                ),
                series(
                    8,
                    "Time to spare: the deadline less the estimated completion",
                    "The deadline minus the estimated completion (now + bytes left / the last"
                    " hour's rate), per wave with a deadline: below 0 the wave is late"
                    " (HuaweiCloudMigrationWaveWillMissCutover after 30m). A difference, not the"
                    " two times: waves due days apart share one axis. The times themselves are"
                    " in the stats above and the Waves table.",
                    (
                        f"{DEADLINE} - on (job, wave) {by_wave('wave:huaweicloud_migration_estimated_completion_timestamp_seconds')}",
                        "{{wave}}",
                    ),
                    unit="s",
                ),
            ],
            [
                series(
                    9,
                    "Ready to cut over",
                    "The share of each wave's SMS tasks (not yet cut over) nothing blocks.",
                    (by_wave("wave:huaweicloud_sms_cutover_ready:ratio"), "{{wave}}"),
                    unit="percentunit",
                    w=8,
                ),
                bars(
                    15,
                    "Blockers by reason",
                    "How many of the waves' SMS tasks each reason blocks (a task blocked for two"
                    " reasons counts in both): the table beside lists them.",
                    f"count by (reason) ({of_wave(m('huaweicloud_sms_task_cutover_blocked'), 'sms')})",
                    "{{reason}}",
                    unit="short",
                    w=6,
                ),
                table(
                    10,
                    "Blockers per server",
                    "What keeps each server of the wave from cutting over, one row per reason,"
                    " by reason: agent_disconnected, check_failed (a source-server check),"
                    " failed, not_syncing (the full copy is not done), sync_stale (the last"
                    " incremental sync is too old).",
                    of_wave(
                        f"{m('huaweicloud_sms_task_cutover_blocked')} * on (job, account, task_id)"
                        f" group_left (source_server_name) {m('huaweicloud_sms_task_info')}",
                        "sms",
                    ),
                    columns={
                        "account": "account",
                        "source_server_name": "server",
                        "task_name": "task",
                        "reason": "blocker",
                    },
                    sort="blocker",
                    ascending=True,
                    w=10,
                    h=8,
                ),
            ],
            [
                table(
                    11,
                    "Failed tasks of the wave",
                    "SMS tasks in MIGRATE_FAIL or SYNC_FAIL and OMS tasks failed.",
                    f"{of_wave(sms_failed, 'sms')} or {of_wave(oms_failed, 'oms')}",
                    columns={
                        "account": "account",
                        "task_name": "task",
                        "source_server_name": "source server",
                        "state": "SMS state",
                        "status": "OMS status",
                    },
                    w=12,
                ),
                table(
                    12,
                    "Stalled tasks of the wave",
                    "Tasks of the wave the stall alerts fire for: running, and nothing copied for"
                    " 30 minutes.",
                    of_wave(
                        'ALERTS{alertname=~"HuaweiCloud(SMS|OMS)TaskStalled", alertstate="firing", job=~"$job", account=~"$account"}'
                    ),
                    columns={"account": "account", "task_name": "task", "alertname": "alert"},
                    w=12,
                ),
            ],
            [
                series(
                    13,
                    "Tasks by state",
                    "The waves' tasks by service and state, over time.",
                    (
                        f"sum by (service, state) ({by_wave('wave:huaweicloud_migration_tasks:count')})",
                        "{{service}} {{state}}",
                    ),
                    stack=True,
                ),
                waves_table(14, "Waves", w=12),
            ],
        ],
        [state_changes],
    )


DASHBOARDS = {
    "overview.json": overview,
    "sms.json": sms,
    "sms-servers.json": sms_servers,
    "oms.json": oms,
    "exporter-health.json": health,
    "waves.json": waves,
}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, build in DASHBOARDS.items():
        path, text = ROOT / name, render(build)
        if "--check" not in argv:
            path.write_text(text, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    if stale:
        print(
            f"dashboards out of date: {', '.join(stale)}; run python dashboards/build.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
