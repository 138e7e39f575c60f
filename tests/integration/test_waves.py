"""The objects a wave is made of, end to end over HTTP (DESIGN.md section 12): the
simulator's answers as the official SDK reads them, consistent with its tasks, signed and
paged; the exporter's poll of them, its values the SDK's in base units."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
import structlog
from huaweicloudsdkoms.v2 import OmsClient
from huaweicloudsdksms.v3 import SmsClient

from exporter import log
from exporter.services.sms_projects import SERVICE as SMS_PROJECTS
from exporter.services.sms_sources import SERVICE as SMS_SOURCES
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.demo import demo_settings
from exporter.simulator.scenarios import demo_cloud, estate
from exporter.simulator.server import start
from tests.conftest import FAST, Wiring
from tests.fleets import build, poll_all
from tests.parsing import parse_text
from tests.payloads import settings_for
from tests.sdk import same, signed_get


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    families = {f.name: f for f in parse_text(text)}
    return [(s.labels, s.value) for s in families[name].samples] if name in families else []


async def polled(wiring: Wiring, cloud: FakeCloud) -> str:
    polled = await poll_all(settings_for(wiring.url, cloud), session=wiring.session, policy=FAST)
    assert polled.ok
    return polled.snapshot.body(openmetrics=False).decode()


# SMS migration projects -------------------------------------------------------------------


async def test_the_official_sdk_reads_the_migration_projects_unchanged(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    estate(cloud.tenants[0], sms=12, oms=0, now=time.time() - 200, projects=4)
    answer = await signed_get(wiring, "/v3/migprojects", [("limit", 100), ("offset", 0)])
    model = SmsClient()._deserialize(answer, "ListMigprojectsResponse")  # warnings are errors
    assert model.count == 4 and len(model.migprojects) == 4
    same([project.to_dict() for project in model.migprojects], answer["migprojects"])
    assert [p.isdefault for p in model.migprojects] == [True, False, False, False]


async def test_every_sms_task_belongs_to_a_listed_migration_project(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    estate(cloud.tenants[0], sms=30, oms=0, now=time.time() - 200, projects=3)
    projects = (await wiring.client(SMS_PROJECTS).list_items(max_items=1000)).items
    ids = {p.load().id for p in projects}
    tasks = [t.load() for t in (await wiring.sms().list_items(max_items=1000)).items]
    assert len(ids) == 3 and {t.enterprise_project_id for t in tasks} == ids
    pages = [r for r in cloud.stats.log if r.path == "/v3/migprojects"]
    assert len(pages) == 1 and "limit=100" in pages[0].query  # tens of projects: one page


async def test_the_exported_migration_projects_are_the_sdks_in_base_units(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    estate(cloud.tenants[0], sms=6, oms=0, now=time.time() - 200, projects=4)
    answer = await signed_get(wiring, "/v3/migprojects", [("limit", 100), ("offset", 0)])
    sdk = SmsClient()._deserialize(answer, "ListMigprojectsResponse").migprojects
    text = await polled(wiring, cloud)
    P = "huaweicloud_sms_migration_project_"
    info = {s["migration_project_id"]: s for s, _ in samples(text, P + "info")}
    speed = {
        s["migration_project_id"]: v for s, v in samples(text, P + "speed_limit_bytes_per_second")
    }
    syncing = {s["migration_project_id"]: v for s, v in samples(text, P + "syncing")}
    assert set(info) == {p.id for p in sdk}
    for project in sdk:
        labels: dict[str, Any] = info[project.id]
        assert labels["migration_project_name"] == project.name
        assert labels["type"] == project.type
        assert labels["default"] == str(project.isdefault).lower()
        assert speed[project.id] == project.speed_limit * 1_000_000 / 8  # Mbit/s -> bytes/s
        assert syncing[project.id] == int(project.syncing)


# OMS task groups and sync tasks ----------------------------------------------------------


async def oms_get(wiring: Wiring, what: str, limit: int = 100) -> Any:
    path = f"/v2/{wiring.tenant.project_id}/{what}"
    return await signed_get(wiring, path, [("limit", limit), ("offset", 0)], oms=True)


async def test_the_official_sdk_reads_the_task_groups_and_sync_tasks_unchanged(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    estate(cloud.tenants[0], sms=0, oms=16, now=time.time() - 300, groups=3, syncs=5)
    answer = await oms_get(wiring, "taskgroups")
    model = OmsClient()._deserialize(answer, "ListTaskGroupResponse")
    assert model.count == 4 and len(model.taskgroups) == 4  # 3, and the one that failed
    same([group.to_dict() for group in model.taskgroups], answer["taskgroups"])
    answer = await oms_get(wiring, "sync-tasks")
    synced = OmsClient()._deserialize(answer, "ListSyncTasksResponse")
    assert synced.count == 5 and len(synced.tasks) == 5
    same([task.to_dict() for task in synced.tasks], answer["tasks"])


async def test_a_groups_counters_add_up_from_its_tasks(wiring: Wiring, cloud: FakeCloud) -> None:
    now = time.time()
    cloud.clock = lambda: now  # the tasks stand still between the two lists
    estate(cloud.tenants[0], sms=0, oms=24, now=now - 400, groups=3)
    groups = (await oms_get(wiring, "taskgroups"))["taskgroups"]
    tasks = [t.load() for t in (await wiring.oms().list_items(max_items=1000)).items]
    made = [g for g in groups if g["status"] != 4]
    assert len(made) == 3
    for group in made:
        mine = [t for t in tasks if t.group_id == group["group_id"]]
        assert group["total_task_num"] == len(mine) == 8
        assert group["complete_task_num"] == sum(t.status == 5 for t in mine)
        assert group["failed_task_num"] == sum(t.status == 4 for t in mine)
        assert group["total_size"] == sum(t.total_size or 0 for t in mine)
        assert group["complete_size"] == sum(t.complete_size or 0 for t in mine)
        assert group["success_num"] == sum(t.successful_num or 0 for t in mine)


async def test_a_group_that_fails_to_create_its_tasks_is_create_failed(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    estate(cloud.tenants[0], sms=0, oms=4, now=time.time() - 100, groups=1)
    text = await polled(wiring, cloud)
    failed = [
        s["group_id"]
        for s, v in samples(text, "huaweicloud_oms_task_group_status")
        if s["status"] == "create_failed" and v == 1
    ]
    (group_id,) = failed
    tasks = {
        s["state"]: v
        for s, v in samples(text, "huaweicloud_oms_task_group_tasks")
        if s["group_id"] == group_id
    }
    assert tasks["total"] == 3 and tasks["created"] == 0


async def test_a_sync_task_that_stops_is_exported_as_stopped(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    now = time.time()
    estate(cloud.tenants[0], sms=0, oms=0, now=now, syncs=3)
    name = "huaweicloud_oms_sync_task_synchronizing"
    before = await polled(wiring, cloud)
    assert [v for _, v in samples(before, name)] == [1, 1, 1]
    cloud.clock = lambda: now + 300  # past the first one's stop
    after = await polled(wiring, cloud)
    first = cloud.tenants[0].oms_sync_tasks[0]["sync_task_id"]
    assert {s["sync_task_id"]: v for s, v in samples(after, name)}[first] == 0
    assert sorted(v for _, v in samples(after, name)) == [0, 1, 1]


async def test_the_exported_groups_and_sync_tasks_are_the_sdks_in_base_units(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    now = time.time()
    cloud.clock = lambda: now  # the SDK and the exporter read the same moment
    estate(cloud.tenants[0], sms=0, oms=12, now=now - 250, groups=2, syncs=2)
    sdk = OmsClient()._deserialize(await oms_get(wiring, "taskgroups"), "ListTaskGroupResponse")
    text = await polled(wiring, cloud)
    P = "huaweicloud_oms_task_group_"

    def of(name: str, label: str | None = None) -> dict[tuple[str, str], float]:
        return {(s["group_id"], s.get(label or "", "")): v for s, v in samples(text, P + name)}

    tasks, objects = of("tasks", "state"), of("objects", "result")
    size, done = of("size_bytes"), of("completed_bytes")
    start, duration = of("start_timestamp_seconds"), of("duration_seconds")
    status = {k[0]: k[1] for k, v in of("status", "status").items() if v == 1}
    names = {
        0: "waiting",
        2: "monitoring",
        3: "paused",
        4: "create_failed",
        5: "failed",
        6: "completed",
    }
    for group in sdk.taskgroups:
        gid = group.group_id
        assert status[gid] == names[group.status]
        assert tasks[gid, "total"] == group.total_task_num
        assert tasks[gid, "completed"] == group.complete_task_num
        assert objects[gid, "succeeded"] == group.success_num
        assert size[gid, ""] == group.total_size and done[gid, ""] == group.complete_size
        if group.start_time:
            assert start[gid, ""] == group.start_time / 1000
        assert duration[gid, ""] == group.total_time / 1000
    synced = OmsClient()._deserialize(await oms_get(wiring, "sync-tasks"), "ListSyncTasksResponse")
    last = {
        s["sync_task_id"]: v
        for s, v in samples(text, "huaweicloud_oms_sync_task_last_start_timestamp_seconds")
    }
    assert last == {t.sync_task_id: t.last_start_time / 1000 for t in synced.tasks}


# The SMS source-server overview ---------------------------------------------------------


async def test_the_official_sdk_reads_the_overview_unchanged_and_it_counts_the_servers(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    now = time.time()
    cloud.clock = lambda: now
    estate(cloud.tenants[0], sms=40, oms=0, now=now - 300)
    answer = await signed_get(wiring, "/v3/sources/overview", [])
    model = SmsClient()._deserialize(answer, "ShowOverviewResponse")
    same({state: getattr(model, state) for state in answer}, answer)
    assert set(answer) == set(model.openapi_types)  # every field the SDK knows, no other
    assert len(answer) == 14 and sum(answer.values()) <= 40
    servers = [s.load() for s in (await wiring.client(SMS_SOURCES).list_items(max_items=100)).items]
    assert answer["replicate"] == sum(s.state == "replicate" for s in servers)
    assert answer["finished"] == sum(s.state == "finished" for s in servers)


async def test_the_overview_is_one_request_without_paging_and_its_values_the_sdks(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    now = time.time()
    cloud.clock = lambda: now
    estate(cloud.tenants[0], sms=25, oms=0, now=now - 200)
    sdk = SmsClient()._deserialize(
        await signed_get(wiring, "/v3/sources/overview", []), "ShowOverviewResponse"
    )
    cloud.stats.reset()
    text = await polled(wiring, cloud)
    (request,) = [r for r in cloud.stats.log if r.path == "/v3/sources/overview"]
    assert request.query == "" and request.status == 200
    exported = {s["state"]: v for s, v in samples(text, "huaweicloud_sms_overview_source_servers")}
    assert exported == {state: getattr(sdk, state) for state in exported} and len(exported) == 14


async def test_an_overview_that_is_not_an_object_fails_the_poll_as_bad_response(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    settings = settings_for(wiring.url, cloud)
    for body in (b"[]", b'"overview"', b"12", b"null"):
        cloud.tenants[0].faults[:] = [Fault(service="sms_overview", kind="body", body=body)]
        built = build(settings, wiring.session, policy=FAST)
        poller = built.poller("sms_overview")
        assert not await poller.poll_once()
        assert poller.status.errors["bad_response"] == 1, body


# Of an OMS node only cloud, region and bucket are ever said ------------------------------

SOURCE_KEYS = {
    "ak": "SRC-AK-ECHOED-0a1b2c3d",
    "sk": "SRC-SK-ECHOED-4e5f6a7b",
    "security_token": "SRC-TOKEN-ECHOED-8c9d0e1f",
    "connection_string": "SRC-CONN-ECHOED-2a3b4c5d",
    "json_auth_file": "SRC-JSON-ECHOED-6e7f8a9b",
    "kms_key_id": "SRC-KMS-ECHOED-0c1d2e3f",
}


def echoing(node: dict[str, Any]) -> dict[str, Any]:
    return {**node, **SOURCE_KEYS}


async def test_source_cloud_keys_echoed_in_oms_answers_appear_nowhere(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    """The request models carry the source cloud's keys; an answer echoing them (a future API
    version, a broken gateway) has them in no label, log line or error, readable or not."""
    tenant = cloud.tenants[0]
    estate(tenant, sms=0, oms=6, now=time.time() - 200, groups=2, syncs=2)
    for task in tenant.oms_tasks:
        task["src_node"] = echoing(task["src_node"])
    for group in tenant.oms_groups:
        group["src_node"] = echoing(group["src_node"])
    for sync in tenant.oms_sync_tasks:
        sync.update(SOURCE_KEYS)
    # An unreadable group and task too: the path that logs why an item was not exported.
    tenant.oms_groups.append(
        {"group_id": "g-bad", "status": "x", "src_node": echoing({"bucket": {"no": 1}})}
    )
    tenant.oms_tasks.append({"id": 42, "status": 2, "src_node": echoing({"region": []})})
    stream = io.StringIO()
    log.configure("debug", "json", stream=stream)
    try:
        polled = await poll_all(
            settings_for(wiring.url, cloud), session=wiring.session, policy=FAST
        )
    finally:
        log.configure("info", "console")
    said = [
        polled.snapshot.body(openmetrics=False).decode(),
        polled.snapshot.body(openmetrics=True).decode(),
        stream.getvalue(),
        *(status.last_error or "" for status in polled.telemetry.sources.values()),
    ]
    text = "\n".join(said)
    assert "huaweicloud_oms_task_group_info" in text and "src-group-00" in text  # it ran
    assert "not exported" in stream.getvalue()  # and so did the unreadable items' path
    for key, secret in SOURCE_KEYS.items():
        assert secret not in text, key
    structlog.reset_defaults()


@pytest.mark.parametrize(
    ("toggle", "service"),
    [
        ("migration_projects", "sms_projects"),
        ("source_server_overview", "sms_overview"),
        ("task_groups", "oms_groups"),
        ("sync_tasks", "oms_sync"),
    ],
)
async def test_each_list_of_a_waves_objects_has_its_collect_toggle(
    wiring: Wiring, cloud: FakeCloud, toggle: str, service: str
) -> None:
    on = build(settings_for(wiring.url, cloud), wiring.session)
    off = build(settings_for(wiring.url, cloud, collect={toggle: False}), wiring.session)
    assert service in {p.source.service.name for p in on.pollers}
    names = {p.source.service.name for p in off.pollers}
    assert service not in names and len(names) == len(on.pollers) - 1


@pytest.mark.parametrize("service", ["sms_projects", "sms_overview", "oms_groups", "oms_sync"])
async def test_an_unchanged_answer_of_a_wave_list_is_not_rendered_again(
    wiring: Wiring, cloud: FakeCloud, service: str
) -> None:
    now = time.time()
    cloud.clock = lambda: now  # the same JSON at every poll
    estate(cloud.tenants[0], sms=20, oms=20, now=now - 200, projects=3, groups=3, syncs=5)
    built = build(settings_for(wiring.url, cloud), wiring.session, policy=FAST)
    poller = built.poller(service)

    def listed() -> list[bytes]:  # the list's lines, not the exporter's own (times, counts)
        body = built.snapshot.body(openmetrics=False)
        return [line for line in body.split(b"\n") if b"huaweicloud_migration_" not in line]

    assert await poller.poll_once()
    first = listed()
    assert poller.renderer.rendered > 0
    poller.renderer.start()
    assert await poller.poll_once()
    assert poller.renderer.rendered == 0  # the page's part kept, not even decoded
    assert listed() == first


async def test_the_demo_shows_the_objects_a_wave_is_made_of() -> None:
    cloud = demo_cloud()
    simulator = await start(cloud)
    try:
        polled = await poll_all(demo_settings(simulator.url, cloud, {}), policy=FAST)
        assert polled.ok
        text = polled.snapshot.body(openmetrics=False).decode()
    finally:
        await simulator.close()
    for family in (
        "huaweicloud_sms_migration_project_info",
        "huaweicloud_sms_overview_source_servers",
        "huaweicloud_oms_task_group_status",
        "huaweicloud_oms_sync_task_synchronizing",
    ):
        assert {"demo-prod", "demo-dr"} <= {s["account"] for s, _ in samples(text, family)}, family
    failed = [s for s, v in samples(text, "huaweicloud_oms_task_group_status") if v == 1]
    assert any(s["status"] == "create_failed" for s in failed)
