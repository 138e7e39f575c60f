"""Waves through the fleet (DESIGN.md section 12): the simulator's migration projects, task
groups and tasks polled over HTTP, joined after the polls into the wave families."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import structlog

from exporter.exposition.snapshot import Snapshot
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import RunningSimulator, start
from tests.conftest import FAST, make_tenant
from tests.fleets import build, poll_all
from tests.parsing import parse_text
from tests.payloads import settings_for

GOLDEN = Path(__file__).parent.parent / "golden"
T0 = 1_800_000_000.0
PREFIX = "huaweicloud_migration_wave_"
DEFINED: list[dict[str, Any]] = [
    {
        "name": "erp-cutover",
        "cutover": "2027-01-15T22:00:00+08:00",
        "match": {"task_name": "sms-acct-a-0000[0-2]|oms-acct-a-00000"},
    },
    {"name": "wave-acct-a-02", "match": {"task_name": "sms-acct-a-00005"}},  # a project's name
    {"name": "first-group", "match": {"task_group": "111b9197-.*", "account": "acct-.*"}},
]


def wave_cloud() -> FakeCloud:
    tenant = estate(make_tenant(), sms=6, oms=4, now=T0, projects=3, groups=2, subtasks=1)
    return FakeCloud(tenants=[tenant], clock=lambda: T0 + 100)


def waves_only(text: str) -> str:
    """The wave families of an exposition (membership and readiness), with their HELP and
    TYPE lines."""
    kept = []
    for row in text.splitlines(keepends=True):
        name = row.split(" ")[2] if row.startswith(("# HELP", "# TYPE")) else row
        if name.startswith((PREFIX, "huaweicloud_sms_task_cutover_")):
            kept.append(row)
    return "".join(kept)


def members(text: str) -> set[tuple[str, str, str, str]]:
    families = {f.name: f for f in parse_text(text)}
    if PREFIX + "task" not in families:
        return set()
    return {
        (s.labels["wave"], s.labels["account"], s.labels["service"], s.labels["task_id"])
        for s in families[PREFIX + "task"].samples
    }


async def exposition(cloud: FakeCloud, url: str, session: aiohttp.ClientSession, **top: Any) -> str:
    polled = await poll_all(settings_for(url, cloud, **top), session=session, policy=FAST)
    assert polled.ok
    return polled.snapshot.body(openmetrics=False).decode()


async def test_the_wave_families_match_their_golden_files(update_golden: bool) -> None:
    cloud = wave_cloud()
    simulator = await start(cloud)
    try:
        settings = settings_for(simulator.url, cloud, waves={"defined": DEFINED})
        polled = await poll_all(settings, policy=FAST, clock=lambda: T0 + 100)
        assert polled.ok
    finally:
        await simulator.close()
    for openmetrics, suffix in ((False, "txt"), (True, "openmetrics")):
        text = waves_only(polled.snapshot.body(openmetrics=openmetrics).decode())
        path = GOLDEN / f"waves.{suffix}"
        if update_golden:
            path.write_text(text)
        assert text == path.read_text(), f"{path.name} differs (--update-golden)"


async def test_every_task_is_in_its_project_or_group_wave_and_the_configured_ones(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    estate(cloud.tenants[0], sms=6, oms=4, now=time.time() - 200, projects=3, groups=2)
    text = await exposition(cloud, simulator.url, session, waves={"defined": DEFINED[:1]})
    tenant = cloud.tenants[0]
    names = {p["id"]: p["name"] for p in tenant.sms_projects}
    expected = {("erp-cutover", "acct-a", "sms", t["id"]) for t in tenant.sms_tasks[:3]}
    expected |= {("erp-cutover", "acct-a", "oms", str(tenant.oms_tasks[0]["id"]))}
    expected |= {
        (names[t["enterprise_project_id"]], "acct-a", "sms", t["id"]) for t in tenant.sms_tasks
    }
    expected |= {(t["group_id"], "acct-a", "oms", str(t["id"])) for t in tenant.oms_tasks}
    assert members(text) == expected
    info = {(s.labels["wave"], s.labels["origin"]) for s in samples(text, "info")}
    assert ("erp-cutover", "config") in info
    assert {w for w, o in info if o == "sms_migration_project"} == set(names.values())
    assert {w for w, o in info if o == "oms_task_group"} == {
        g["group_id"] for g in tenant.oms_groups
    }


def samples(text: str, suffix: str) -> list[Any]:
    families = {f.name: f for f in parse_text(text)}
    return list(families[PREFIX + suffix].samples) if PREFIX + suffix in families else []


async def test_without_the_project_and_group_lists_only_configured_waves_remain(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    estate(cloud.tenants[0], sms=6, oms=4, now=time.time() - 200, projects=3, groups=2)
    collect = {"migration_projects": False, "task_groups": False}
    text = await exposition(
        cloud, simulator.url, session, collect=collect, waves={"defined": DEFINED[:1]}
    )
    assert {m[0] for m in members(text)} == {"erp-cutover"} and len(members(text)) == 4
    assert [s.labels for s in samples(text, "info")] == [
        {"wave": "erp-cutover", "origin": "config"}
    ]


async def test_a_clash_with_a_project_name_is_logged_once_and_the_configured_wave_wins(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    estate(cloud.tenants[0], sms=6, oms=0, now=time.time() - 200, projects=3)
    settings = settings_for(simulator.url, cloud, waves={"defined": DEFINED[1:2]})
    built = build(settings, session, policy=FAST)
    with structlog.testing.capture_logs() as logs:
        assert await built.fleet.poll_once()
        assert await built.fleet.poll_once()
    clashes = [e for e in logs if e["event"].startswith("a configured wave has the name")]
    assert [e["wave"] for e in clashes] == ["wave-acct-a-02"]
    text = built.snapshot.body(openmetrics=False).decode()
    (five,) = [t["id"] for t in cloud.tenants[0].sms_tasks if t["name"] == "sms-acct-a-00005"]
    assert {m for m in members(text) if m[0] == "wave-acct-a-02"} == {
        ("wave-acct-a-02", "acct-a", "sms", five)
    }


async def test_a_reload_changes_the_waves_without_a_poll_and_a_removed_account_leaves_them(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    estate(cloud.tenants[0], sms=6, oms=4, now=time.time() - 200, projects=3, groups=2)
    settings = settings_for(simulator.url, cloud)
    built = build(settings, session, policy=FAST)
    assert await built.fleet.poll_once()
    before = members(body(built.snapshot))
    requests = len(cloud.stats.log)
    reloaded = settings_for(simulator.url, cloud, waves={"defined": DEFINED[:1]})
    changes = built.fleet.apply(reloaded)
    await built.fleet.settled()  # the wave families are made after a reload as after a poll
    assert changes.restarted == [] and len(cloud.stats.log) == requests
    after = members(body(built.snapshot))
    assert {m for m in after if m[0] == "erp-cutover"} and after - before == {
        m for m in after if m[0] == "erp-cutover"
    }
    cutover = samples(body(built.snapshot), "cutover_timestamp_seconds")
    assert [(s.labels, s.value) for s in cutover] == [({"wave": "erp-cutover"}, 1800021600.0)]
    built.fleet.apply(Settings.model_validate({"waves": {"defined": DEFINED[:1]}}))
    await built.fleet.settled()
    assert members(body(built.snapshot)) == set()
    assert [s.labels["wave"] for s in samples(body(built.snapshot), "info")] == ["erp-cutover"]


def body(snapshot: Snapshot) -> str:
    return snapshot.body(openmetrics=False).decode()


async def test_a_renamed_project_moves_its_tasks_at_its_next_poll_though_theirs_are_unchanged(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    estate(cloud.tenants[0], sms=6, oms=0, now=time.time() - 200, projects=3)
    built = build(settings_for(simulator.url, cloud), session, policy=FAST)
    assert await built.fleet.poll_once()
    before = members(body(built.snapshot))
    project = cloud.tenants[0].sms_projects[1]
    old, project["name"] = project["name"], "renamed"
    assert await built.poller("sms_projects").poll_once()  # the tasks are not even polled
    await built.fleet.settled()
    after = members(body(built.snapshot))
    assert {m for m in after if m[0] == "renamed"} == {
        ("renamed", *m[1:]) for m in before if m[0] == old
    }
    assert not {m for m in after if m[0] == old} and len(after) == len(before)
