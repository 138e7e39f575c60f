"""Cutover readiness through the fleet (DESIGN.md section 12): the simulator's SMS tasks and
source servers polled over HTTP, joined after the polls; a task's own JSON may stay the same
while its readiness changes, and its readiness follows."""

from __future__ import annotations

from typing import Any

import aiohttp

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator, start
from tests.conftest import FAST, make_tenant
from tests.fleets import build
from tests.parsing import parse_text
from tests.payloads import NO_WAVES, settings_for

NOW = 1_800_000_000.0
READY = "huaweicloud_sms_task_cutover_ready"
BLOCKED = "huaweicloud_sms_task_cutover_blocked"


def sms_task(n: int, state: str = "SYNCING", synced_ago: float = 60.0) -> dict[str, Any]:
    return {
        "id": f"t-{n}",
        "name": f"erp-{n}",
        "state": state,
        "source_server": {"id": f"s-{n}", "name": f"erp-{n}"},
        "sub_tasks": [
            {"id": 1, "name": "MIGRATE_BLOCK", "end_date": int((NOW - 7200) * 1000)},
            {"id": 2, "name": "SYNC_FILE", "end_date": int((NOW - synced_ago) * 1000)},
        ],
    }


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def cloud_of(*tasks: dict[str, Any], clock: Clock) -> FakeCloud:
    tenant = make_tenant()
    tenant.sms_tasks, tenant.oms_tasks = list(tasks), []
    return FakeCloud(tenants=[tenant], clock=clock)


def readiness(text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    families = {f.name: f for f in parse_text(text)}
    ready = {s.labels["task_id"]: s.value for s in getattr(families.get(READY), "samples", [])}
    blocked: dict[str, list[str]] = {}
    for s in getattr(families.get(BLOCKED), "samples", []):
        blocked.setdefault(s.labels["task_id"], []).append(s.labels["reason"])
    return ready, blocked


async def test_a_server_whose_agent_drops_goes_from_ready_to_blocked_and_back(
    session: aiohttp.ClientSession,
) -> None:
    clock = Clock()
    cloud = cloud_of(sms_task(1), sms_task(2), clock=clock)
    simulator: RunningSimulator = await start(cloud)
    try:
        settings = settings_for(simulator.url, cloud, collect=NO_WAVES)
        built = build(settings, session, policy=FAST, clock=clock)
        assert await built.fleet.poll_once()
        body = built.snapshot.body(openmetrics=False).decode()
        assert readiness(body) == ({"t-1": 1.0, "t-2": 1.0}, {})
        cloud.tenants[0].source_overrides["s-2"] = {"connected": False}
        assert await built.fleet.poll_once()  # the tasks' JSON is the same: their text is reused
        body = built.snapshot.body(openmetrics=False).decode()
        assert readiness(body) == ({"t-1": 1.0, "t-2": 0.0}, {"t-2": ["agent_disconnected"]})
        cloud.tenants[0].source_overrides["s-2"] = {"connected": True}
        assert await built.fleet.poll_once()
        assert readiness(built.snapshot.body(openmetrics=False).decode())[0]["t-2"] == 1.0
    finally:
        await simulator.close()


async def test_each_blocker_from_the_apis_answers(
    session: aiohttp.ClientSession,
) -> None:
    clock = Clock()
    cloud = cloud_of(
        sms_task(1),
        sms_task(2, state="SYNC_FAIL"),
        sms_task(3, state="RUNNING"),
        sms_task(4),
        sms_task(5, synced_ago=7200),
        sms_task(6, state="MIGRATE_SUCCESS"),
        clock=clock,
    )
    overrides = cloud.tenants[0].source_overrides
    for n in (1, 2, 3, 5, 6):  # the simulator's own checks, all OK here
        overrides[f"s-{n}"] = {"checks": [{"name": "OS_VERSION", "result": "OK"}]}
    overrides["s-4"] = {"checks": [{"name": "DISK_SPACE", "result": "WARN"}]}
    simulator = await start(cloud)
    try:
        settings = settings_for(simulator.url, cloud, collect=NO_WAVES)
        built = build(settings, session, policy=FAST, clock=clock)
        assert await built.fleet.poll_once()
        ready, blocked = readiness(built.snapshot.body(openmetrics=False).decode())
    finally:
        await simulator.close()
    assert ready == {"t-1": 1.0, "t-2": 0.0, "t-3": 0.0, "t-4": 0.0, "t-5": 0.0}  # t-6 cut over
    assert blocked == {
        "t-2": ["failed"],
        "t-3": ["not_syncing"],
        "t-4": ["check_failed"],
        "t-5": ["sync_stale"],
    }


async def test_a_sync_grows_stale_as_time_passes_and_the_max_age_is_configurable(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    clock = Clock()
    tenant = cloud.tenants[0]
    tenant.sms_tasks, tenant.oms_tasks = [sms_task(1, synced_ago=0)], []
    cloud.clock = clock
    waves = {"cutover_ready_max_sync_age_seconds": 600}
    settings = settings_for(simulator.url, cloud, collect=NO_WAVES, waves=waves)
    built = build(settings, session, policy=FAST, clock=clock)
    assert await built.fleet.poll_once()
    assert readiness(built.snapshot.body(openmetrics=False).decode())[1] == {}
    clock.now += 601
    assert await built.fleet.poll_once()
    assert readiness(built.snapshot.body(openmetrics=False).decode())[1] == {"t-1": ["sync_stale"]}


async def test_without_source_servers_no_server_blocker_and_a_denied_family_is_absent(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    tenant = cloud.tenants[0]
    tenant.sms_tasks, tenant.oms_tasks = [sms_task(1)], []
    tenant.source_overrides["s-1"] = {"connected": False}
    cloud.clock = clock = Clock()  # the simulator checks the signatures' time against its own
    collect = {**NO_WAVES, "source_servers": False}
    settings = settings_for(simulator.url, cloud, collect=collect)
    built = build(settings, session, policy=FAST, clock=clock)
    assert await built.fleet.poll_once()
    assert readiness(built.snapshot.body(openmetrics=False).decode()) == ({"t-1": 1.0}, {})
    denied = settings_for(simulator.url, cloud, metrics={"denylist": [BLOCKED]})
    built = build(denied, session, policy=FAST, clock=clock)
    assert await built.fleet.poll_once()
    body = built.snapshot.body(openmetrics=False).decode()
    assert BLOCKED not in body and READY in body
