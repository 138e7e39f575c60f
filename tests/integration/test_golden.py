"""Whole-output comparisons: the exposition of fixed payloads, byte for byte.

The payloads are fixed (the simulator's tasks at a fixed time, the API reference's examples,
and edge cases); they are served by the simulator with a fixed clock and polled through the
real wiring (settings -> sources -> paging -> lazy decoding -> mapping -> rendering). The
exporter's own families come from a Telemetry filled with fixed values.

A change to the output is a deliberate act: regenerate the files and read the diff.

    .venv/bin/pytest tests/integration/test_golden.py --update-golden
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from exporter.exposition.snapshot import Snapshot
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import start
from exporter.simulator.tasks import migration_project, sync_task, task_group
from exporter.sources import new_session
from exporter.telemetry import Telemetry
from exporter.waves.stage import KEY as WAVES
from tests.conftest import FAST, make_tenant
from tests.fleets import build

GOLDEN = Path(__file__).parent.parent / "golden"
FIXTURES = Path(__file__).parent.parent / "fixtures"
T0 = 1_800_000_000.0  # the fixed clock: tasks were created around it
NOW = T0 + 275.0  # when they are polled: some ready, running, failed, done

EDGE_SMS: list[dict[str, Any]] = [
    # Nulls everywhere, an unknown state, a name that needs escaping and cutting.
    {
        "id": "edge-nulls",
        "name": 'quote " backslash \\ newline \n ' + "long " * 20,
        "state": "BRAND_NEW_STATE",
        "source_server": None,
        "target_server": None,
        "sub_tasks": None,
        "network_check_info": None,
        "error_json": "not json",
    },
    # Numbers sent as strings, dates of 0, a sub-task without an id, a duplicate sub-task id.
    {
        "id": "edge-strings",
        "name": 12345,
        "state": "SYNCING",
        "create_date": 0,
        "estimate_complete_time": "1800000900000",
        "migrate_speed": "12.5",
        "speed_limit": "0",
        "syncing": True,
        "sub_tasks": [
            {"id": 1, "name": "MIGRATE_BLOCK", "progress": "50", "start_date": 0},
            {"id": None, "name": "orphan", "progress": 10},
            {"id": 1, "name": "MIGRATE_BLOCK", "progress": 60},
        ],
        "network_check_info": {"domain_connectivity": False, "network_delay": None},
    },
    {"id": None, "name": "listed without an id", "state": "READY"},
    {"id": "edge-nulls", "name": "a duplicate id, dropped", "state": "READY"},
]
EDGE_OMS: list[dict[str, Any]] = [
    {"id": 9_000_001, "name": "unknown-status", "status": 42, "start_time": 0},
    {
        "id": "9000002",
        "name": "strings-and-empties",
        "status": "4",
        "error_reason": "",
        "bandwidth_policy": [
            {"start": "00:00", "end": "06:00", "max_bandwidth": 1048576},
            {"start": "00:00", "end": "06:00", "max_bandwidth": 2097152},
            None,
        ],
        "progress": "0.5",
    },
    {
        "id": 9_000_003,
        "name": "odd error",
        "status": 4,
        "error_reason": {"error_code": "bad code!"},
    },
]

EDGE_PROJECTS: list[dict[str, Any]] = [
    # Nulls everywhere, a name that needs escaping and cutting.
    {"id": "mp-nulls", "name": 'quote " backslash \\ ' + "long " * 20, "isdefault": None},
    # Numbers sent as strings and as numbers; a limit past any link, kept.
    {"id": 42, "name": 7, "speed_limit": "1000", "syncing": "true", "type": "MIGRATE_FILE"},
    {"id": "mp-negative", "name": "negative", "speed_limit": -1},  # outside its domain: counted
    {"id": None, "name": "listed without an id"},
    {"id": "mp-nulls", "name": "a duplicate id, dropped"},
]

EDGE_GROUPS: list[dict[str, Any]] = [
    # Counters as a group of five tasks reports them once its migration failed (5: not the
    # task table's succeeded), with its list of failed objects.
    {
        "group_id": "g-failed",
        "status": 5,
        "task_type": "LIST",
        "src_node": {"cloud_type": "AWS", "region": "us-east-1", "bucket": "b", "app_id": "x"},
        "dst_node": {"region": "ap-southeast-3", "bucket": "d", "save_prefix": "p/"},
        "total_task_num": 5,
        "create_task_num": 5,
        "failed_task_num": 2,
        "complete_task_num": 3,
        "total_num": "1200",
        "success_num": 1000,
        "fail_num": 150,
        "skip_num": 50,
        "total_size": 5368709120,
        "complete_size": 4294967296,
        "migrate_speed": 0,
        "start_time": 1_799_999_000_000,
        "total_time": 600_000,
        "failed_object_record": {"result": True, "list_file_key": "oms/failed/g.txt"},
    },
    {"group_id": "g-unknown", "status": 42, "src_node": None, "dst_node": None},
    {
        "group_id": "g-odd",
        "status": "6",
        "fail_num": -3,
        "failed_object_record": {"error_code": "x y"},
    },
    {"group_id": None, "status": 2},
    {"group_id": "g-failed", "status": 6},  # a duplicate id, dropped
]
EDGE_SYNC: list[dict[str, Any]] = [
    {"sync_task_id": "s-stopped", "status": "STOPPED", "last_start_time": 0},
    {"sync_task_id": 77, "status": None, "src_bucket": 'quote " and ' + "long " * 20},
    {"sync_task_id": None, "status": "SYNCHRONIZING"},
]


def fixture_tasks(name: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text())["tasks"]
    return tasks


def golden_cloud() -> FakeCloud:
    tenant = estate(make_tenant(), sms=21, oms=14, now=T0, subtasks=3)
    tenant.sms_tasks += [
        *fixture_tasks("sms-list-tasks.example.json"),
        *fixture_tasks("sms-list-tasks-2025.example.json"),
        *EDGE_SMS,
    ]
    tenant.oms_tasks += [*fixture_tasks("oms-list-tasks.example.json"), *EDGE_OMS]
    # Its tasks all name "0", the default project's id: the others hold none of them.
    projects = [migration_project(n, seed=tenant.name, region=tenant.region) for n in range(4)]
    tenant.sms_projects += [*projects, *EDGE_PROJECTS]
    # Groups and sync tasks of their own: the golden cloud's OMS tasks belong to no group.
    tenant.oms_groups += [
        *(task_group(n, seed=tenant.name, region=tenant.region) for n in range(2)),
        task_group(2, seed=tenant.name, region=tenant.region, create_fails=True),
        *EDGE_GROUPS,
    ]
    tenant.oms_sync_tasks += [
        *(
            sync_task(n, seed=tenant.name, now_ms=int(T0 * 1000), region=tenant.region)
            for n in range(3)
        ),
        *EDGE_SYNC,
    ]
    return FakeCloud(tenants=[tenant], clock=lambda: NOW)


async def polled(service: str) -> Snapshot:
    """One service of the golden cloud, polled through the real wiring at the fixed time."""
    cloud = golden_cloud()
    simulator = await start(cloud)
    try:
        account = cloud.tenants[0].account_config(simulator.url)
        settings = Settings.model_validate({"accounts": [account], "label_value_max_length": 40})
        async with new_session() as session:
            built = build(settings, session, policy=FAST, clock=lambda: NOW)
            assert await built.poller(service).poll_once()
            assert await built.fleet.settled()  # the waves' render, before they are taken out
        snapshot = built.snapshot
        snapshot.set_own({})  # the task families only; the exporter's own are golden apart
        snapshot.replace(WAVES, None)  # and so are the waves (of several lists at once)
        return snapshot
    finally:
        await simulator.close()


def own_families() -> Snapshot:
    """The exporter's own families, from fixed values."""
    telemetry = Telemetry(shard=1, total_shards=3)
    for account, service in (("acct-a", "sms"), ("acct-a", "oms"), ("acct-b", "sms")):
        status = telemetry.source(account, service)
        status.polled = True
        status.up = account == "acct-a"
        status.last_success = NOW - 5 if status.up else None
        status.poll_duration = 0.25
        status.tasks = 7
        status.not_exported = 2 if service == "oms" else 0
        status.out_of_domain = 1 if service == "oms" else 0
        status.errors["throttled"] += 3
        status.changes["MIGRATE_FAIL"] += 1
        for code, seconds in (("200", 0.04), ("200", 0.3), ("429", 2.0), ("error", 31.0)):
            telemetry.request(account, service, code=code, seconds=seconds)
    telemetry.reload_ok, telemetry.config_loaded_at = False, NOW - 3600
    telemetry.backoffs = lambda: {"acct-b": NOW + 120}  # its key rejected a minute ago
    snapshot = Snapshot()
    snapshot.set_own(telemetry.render())
    return snapshot


def normalised(text: str) -> str:
    """The build's version, revision and Python's are this machine's, not the golden file's."""
    text = re.sub(r'python_version="[^"]*"', 'python_version="X"', text)
    text = re.sub(r'(exporter_build_info\{[^}]*revision=")[^"]*"', r'\1X"', text)
    return re.sub(r'(exporter_build_info\{version=")[^"]*"', r'\1X"', text)


def compare(name: str, body: bytes, update: bool) -> None:
    path = GOLDEN / name
    text = normalised(body.decode())
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} missing: run pytest {__file__} --update-golden"
    assert text == path.read_text(), f"{name} differs from its golden file (--update-golden)"


@pytest.mark.parametrize(
    "service",
    ["sms", "oms", "sms_sources", "sms_projects", "sms_overview", "oms_groups", "oms_sync"],
)
@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
async def test_task_families_match_their_golden_files(
    service: str, openmetrics: bool, update_golden: bool
) -> None:
    snapshot = await polled(service)
    suffix = "openmetrics" if openmetrics else "txt"
    compare(f"{service}.{suffix}", snapshot.body(openmetrics=openmetrics), update_golden)


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
def test_the_exporters_own_families_match_their_golden_files(
    openmetrics: bool, update_golden: bool
) -> None:
    suffix = "openmetrics" if openmetrics else "txt"
    compare(f"self.{suffix}", own_families().body(openmetrics=openmetrics), update_golden)
