"""The objects a wave is made of, end to end over HTTP (DESIGN.md section 12): the
simulator's answers as the official SDK reads them, consistent with its tasks, signed and
paged; the exporter's poll of them, its values the SDK's in base units."""

from __future__ import annotations

import time
from typing import Any

from huaweicloudsdksms.v3 import SmsClient

from exporter.services.sms_projects import SERVICE as SMS_PROJECTS
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from tests.conftest import FAST, Wiring
from tests.fleets import poll_all
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
