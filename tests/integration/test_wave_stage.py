"""The wave stage through the fleet at thousands of tasks (exporter/waves/stage.py): what it
keeps from one render to the next (each account's membership and readiness, each task's
readiness lines) never shows what a stage made afresh would not, and a render takes its turns
of the event loop rather than holding it."""

from __future__ import annotations

import asyncio
import itertools
import math
import sys
from types import FrameType
from typing import Any

import aiohttp

from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import start
from exporter.waves.membership import member_lines, oms_pairs, sms_pairs
from exporter.waves.stage import STEP
from tests.conftest import FAST, make_tenant
from tests.fleets import build
from tests.integration.test_wave_membership import waves_only
from tests.payloads import settings_for

T0 = 1_800_000_000.0
SMS, OMS = 1_200, 600  # pages of 200 and turns of STEP: several of each


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def settings(
    url: str, cloud: FakeCloud, defined: list[dict[str, Any]], max_age: int = 90, **top: Any
) -> Settings:
    waves = {"defined": defined, "cutover_ready_max_sync_age_seconds": max_age}
    return settings_for(url, cloud, waves=waves, **top)


FIRST = [
    {"name": "erp", "cutover": "2027-01-15T22:00:00+08:00", "match": {"task_name": ".*1"}},
    {"name": "files", "match": {"task_group": ".*"}},
]
SECOND = [{"name": "crm", "match": {"task_name": ".*[27]"}}]
BLOCKED = "huaweicloud_sms_task_cutover_blocked"
DENIED = {"denylist": [BLOCKED]}


async def test_what_the_stage_keeps_between_renders_shows_what_a_fresh_stage_would(
    session: aiohttp.ClientSession,
) -> None:
    clock = Clock()
    # Tasks that do not move: only what each step changes does.
    tenant = estate(
        make_tenant(), sms=SMS, oms=OMS, now=T0, subtasks=2, projects=4, groups=3, plans=False
    )
    cloud = FakeCloud(tenants=[tenant], clock=clock)
    synced = [{"id": 1, "name": "SYNC_FILE", "end_date": int((T0 - 60) * 1000)}]
    for task in tenant.sms_tasks[::5]:  # fresh now (60 s), stale 45 s later (max age 90 s)
        tenant.sms_overrides[task["id"]] = {"sub_tasks": synced}
    simulator = await start(cloud)
    try:
        kept = build(settings(simulator.url, cloud, FIRST), session, policy=FAST, clock=clock)

        async def compare(configured: list[dict[str, Any]], **top: Any) -> str:
            assert await kept.fleet.poll_once()
            fresh = build(
                settings(simulator.url, cloud, configured, **top), session, policy=FAST, clock=clock
            )
            assert await fresh.fleet.poll_once()
            text = waves_only(kept.snapshot.body(openmetrics=False).decode())
            assert text == waves_only(fresh.snapshot.body(openmetrics=False).decode())
            return text

        seen = [await compare(FIRST)]
        seen.append(await compare(FIRST))  # nothing changed: everything kept
        servers = [task["source_server"]["id"] for task in tenant.sms_tasks]
        for server in servers[::7]:  # agents lost: the tasks' own JSON is the same
            tenant.source_overrides[server] = {"connected": False}
        seen.append(await compare(FIRST))
        clock.now += 45  # some syncs grow stale: no list changed
        seen.append(await compare(FIRST))
        for task in tenant.sms_tasks[1::11]:
            tenant.sms_overrides[task["id"]] = {"state": "MIGRATE_FAIL"}
        seen.append(await compare(FIRST))
        tenant.sms_projects[1]["name"] = "renamed"  # only the project list says so
        seen.append(await compare(FIRST))
        kept.fleet.apply(settings(simulator.url, cloud, SECOND))  # a reload: other waves
        seen.append(await compare(SECOND))
        tenant.source_overrides.clear()  # the agents are back
        seen.append(await compare(SECOND))
        clock.now -= 45  # the clock set back: the stale syncs fresh again, no list changed
        seen.append(await compare(SECOND))
        for top in ({"label_value_max_length": 16}, {"max_age": 30}, {"metrics": DENIED}):
            kept.fleet.apply(settings(simulator.url, cloud, SECOND, **top))
            seen.append(await compare(SECOND, **top))
    finally:
        await simulator.close()
    # Each change did change the families: the comparisons were of something.
    assert seen[0] == seen[1] and all(a != b for a, b in itertools.pairwise(seen[1:]))
    assert 'reason="agent_disconnected"' in seen[2] and 'wave="renamed"' in seen[5]
    assert 'reason="sync_stale"' in seen[3] and 'wave="crm"' in seen[6]
    assert 'reason="sync_stale"' in seen[7] and 'reason="sync_stale"' not in seen[8]
    assert "…" in seen[9] and 'reason="sync_stale"' in seen[10] and BLOCKED not in seen[11]


async def test_a_render_of_thousands_of_tasks_lets_the_loop_run_between_its_steps(
    session: aiohttp.ClientSession,
) -> None:
    """Each step of a render (matching STEP tasks to their waves, writing their lines) is
    seen by a profile hook; other work on the loop, as a scrape waiting would be, runs between
    every two steps."""
    tenant = estate(make_tenant(), sms=SMS, oms=OMS, now=T0, subtasks=2, projects=4)
    cloud = FakeCloud(tenants=[tenant], clock=lambda: T0)
    simulator = await start(cloud)
    steps = {sms_pairs.__code__, oms_pairs.__code__, member_lines.__code__}
    events: list[str] = []

    def hook(frame: FrameType, event: str, _: Any) -> None:
        if event == "call" and frame.f_code in steps:
            events.append("step")

    try:
        built = build(settings(simulator.url, cloud, FIRST), session, policy=FAST, clock=lambda: T0)
        assert await built.fleet.poll_once()
        done = asyncio.Event()

        async def other_work() -> None:
            while not done.is_set():
                events.append("other")
                await asyncio.sleep(0)

        built.fleet.apply(settings(simulator.url, cloud, SECOND))  # every membership again
        ticker = asyncio.create_task(other_work())
        sys.setprofile(hook)
        try:
            await built.fleet.settled()
        finally:
            sys.setprofile(None)
        done.set()
        await ticker
    finally:
        await simulator.close()
    ran = [e for i, e in enumerate(events) if i == 0 or e != events[i - 1]]  # runs of each
    assert ran.count("step") >= 2 * math.ceil(SMS / STEP)  # the SMS tasks' matching, at least
    assert all((a, b) != ("step", "step") for a, b in itertools.pairwise(events)), (
        "two steps without a pass of the loop between them"
    )
