"""SMS source servers end to end over HTTP: the simulator's `/v3/sources` as the official SDK
reads it, consistent with `/v3/tasks`, signed and paged; the exporter's poll of it."""

from __future__ import annotations

import time

import aiohttp
from huaweicloudsdksms.v3 import SmsClient

from exporter.services.sms_sources import SERVICE as SMS_SOURCES
from exporter.services.sms_tasks import SERVICE as SMS_TASKS
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import RunningSimulator
from tests.conftest import FAST, Wiring
from tests.fleets import poll_all
from tests.parsing import parse_text
from tests.payloads import settings_for
from tests.sdk import same, signed_get


async def test_the_official_sdk_reads_the_simulators_answer_unchanged(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    estate(cloud.tenants[0], sms=30, oms=0, now=time.time() - 200)
    answer = await signed_get(wiring, "/v3/sources", [("limit", 200), ("offset", 0)])
    model = SmsClient()._deserialize(answer, "ListServersResponse")  # warnings are errors here
    assert model.count == 30 and len(model.source_servers) == 30
    same([server.to_dict() for server in model.source_servers], answer["source_servers"])


async def test_every_tasks_source_server_is_listed_with_its_id_name_and_growing_bytes(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    tenant = cloud.tenants[0]
    estate(tenant, sms=450, oms=0, now=time.time() - 100)
    servers = (await wiring.client(SMS_SOURCES).list_items(max_items=10_000)).items
    tasks = (await wiring.sms().list_items(max_items=10_000)).items
    pages = [r for r in cloud.stats.log if r.path == "/v3/sources"]
    assert len(pages) == 3 and all("limit=200" in r.query for r in pages)
    loaded = [s.load() for s in servers]
    by_task = {str(t.load().id): t.load() for t in tasks}
    assert len(loaded) == 450
    for server in loaded:
        assert server.current_task is not None
        task = by_task[str(server.current_task.id)]
        assert task.source_server is not None
        assert (server.id, server.name) == (task.source_server.id, task.source_server.name)
        assert 0 <= (server.replicatesize or 0) <= (server.totalsize or 0)
    later = [
        s.load() for s in (await wiring.client(SMS_SOURCES).list_items(max_items=10_000)).items
    ]
    cloud.clock = lambda: time.time() + 60
    moved = [
        s.load() for s in (await wiring.client(SMS_SOURCES).list_items(max_items=10_000)).items
    ]
    grew = [
        (a.replicatesize or 0) < (b.replicatesize or 0)
        for a, b in zip(later, moved, strict=True)
        if a.current_task
        and b.current_task
        and a.current_task.state == b.current_task.state == "RUNNING"
    ]
    assert grew and all(grew)


async def test_an_unsigned_request_is_refused(simulator: RunningSimulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(simulator.url + "/v3/sources?limit=200&offset=0") as response,
    ):
        assert response.status == 401


async def test_the_enterprise_project_from_the_config_reaches_the_api_and_filters(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    tenant = cloud.tenants[0]
    estate(tenant, sms=20, oms=0, now=time.time())
    for n, task in enumerate(tenant.sms_tasks):
        task["enterprise_project_id"] = "ep-blue" if n % 4 == 0 else "0"
    settings = settings_for(simulator.url, cloud)
    account = settings.accounts[0].model_copy(
        update={
            "sms": settings.accounts[0].sms.model_copy(update={"enterprise_project_id": "ep-blue"})
        }
    )
    settings = settings.model_copy(update={"accounts": [account]})
    polled = await poll_all(settings, session=session, policy=FAST)
    assert polled.ok
    asked = [r for r in cloud.stats.log if r.path in ("/v3/tasks", "/v3/sources")]
    assert {r.path for r in asked} == {"/v3/tasks", "/v3/sources"}
    assert all("enterprise_project_id=ep-blue" in r.query for r in asked)
    families = {f.name: f for f in parse_text(polled.snapshot.body(openmetrics=False).decode())}
    tasks = {s.labels["task_id"] for s in families["huaweicloud_sms_task_info"].samples}
    servers = families["huaweicloud_sms_source_server_info"].samples
    assert len(tasks) == 5 and len(servers) == 5
    assert {s.labels["task_id"] for s in servers} == tasks  # the join holds
    assert SMS_TASKS.name == "sms" and SMS_SOURCES.name == "sms_sources"
