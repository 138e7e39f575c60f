"""`--demo`'s cloud and settings over real HTTP: its accounts as a user would configure them,
one of them on temporary keys from the (simulated) ECS metadata service."""

from __future__ import annotations

import time

import aiohttp
import pytest

from exporter.settings import config_warnings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.demo import demo_settings
from exporter.simulator.scenarios import DEMO_AGENCY_ACCOUNT, DEMO_AGENT_LOST, demo_cloud
from exporter.simulator.server import RunningSimulator
from tests.conftest import FAST
from tests.fleets import build
from tests.parsing import parse_text


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cloud(clock: Clock) -> FakeCloud:
    return demo_cloud(clock)


async def test_the_demo_has_an_aksk_a_password_and_an_ecs_agency_account(
    cloud: FakeCloud, simulator: RunningSimulator
) -> None:
    settings = demo_settings(simulator.url, cloud, {})
    kinds = {account.name: account.credentials.kind for account in settings.accounts}
    assert kinds == {"demo-prod": "aksk", "demo-dr": "password", DEMO_AGENCY_ACCOUNT: "temporary"}
    (agency,) = [a for a in settings.accounts if a.name == DEMO_AGENCY_ACCOUNT]
    assert agency.credentials.provider == "ecs_metadata"
    assert agency.credentials.metadata_endpoint == simulator.url
    assert config_warnings(settings) == []  # everything on loopback: nothing to warn of


async def test_the_demo_agency_account_polls_on_refreshed_temporary_keys_never_expired(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession, clock: Clock
) -> None:
    built = build(demo_settings(simulator.url, cloud, {}), session, policy=FAST, clock=clock)
    assert await built.fleet.poll_once()  # the first poll already signs with a temporary key
    for _ in range(30):  # 30 x 5 s: more than two lifetimes of the demo's 60 s keys
        clock.now += 5
        assert await built.fleet.poll_once()
    ids = cloud.identities
    assert len(ids.issued) >= 3  # refreshed ahead of expiry, on the way
    assert {(key.by, key.tenant) for key in ids.issued.values()} == {
        ("ecs_metadata", DEMO_AGENCY_ACCOUNT)
    }
    assert ids.expired_uses == 0
    assert ids.untokened_uses == 0
    assert cloud.stats.by_tenant[DEMO_AGENCY_ACCOUNT] >= 31
    assert {account for account, _ in built.telemetry.sources} == {
        "demo-prod",
        "demo-dr",
        DEMO_AGENCY_ACCOUNT,
    }
    assert all(status.up for status in built.telemetry.sources.values())


async def test_the_demo_leaves_the_other_accounts_as_they_were(
    cloud: FakeCloud, simulator: RunningSimulator
) -> None:
    """The AK/SK and password accounts keep their names, tenants and estates."""
    settings = demo_settings(simulator.url, cloud, {})
    assert [account.name for account in settings.accounts][:2] == ["demo-prod", "demo-dr"]
    sizes = [(t.name, len(t.sms_tasks), len(t.oms_tasks)) for t in cloud.tenants]
    assert sizes == [("demo-prod", 12, 8), ("demo-dr", 6, 5), (DEMO_AGENCY_ACCOUNT, 3, 2)]


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    families = {f.name: f for f in parse_text(text)}
    return [(s.labels, s.value) for s in families[name].samples] if name in families else []


async def test_the_demo_runs_two_configured_waves_and_a_ready_server_loses_its_agent(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession, clock: Clock
) -> None:
    start = clock.now
    built = build(demo_settings(simulator.url, cloud, {}), session, policy=FAST, clock=clock)
    lost = cloud.tenants[0].sms_tasks[DEMO_AGENT_LOST]["id"]

    async def at(offset: float) -> str:
        clock.now = start + offset
        assert await built.fleet.poll_once()
        return built.snapshot.body(openmetrics=False).decode()

    text = await at(130)  # the task syncs, its agent still connected: ready to cut over
    origins = {s["wave"]: s["origin"] for s, _ in _samples(text, "huaweicloud_migration_wave_info")}
    assert origins["erp-cutover"] == origins["crm-cutover"] == "config"
    deadlines = {
        s["wave"]: v
        for s, v in _samples(text, "huaweicloud_migration_wave_cutover_timestamp_seconds")
    }
    # On track: two weeks; late: three minutes after the start, for every demo-dr task.
    assert deadlines["erp-cutover"] - start == pytest.approx(14 * 86400, abs=1)
    assert deadlines["crm-cutover"] - start == pytest.approx(180, abs=1)
    members = _samples(text, "huaweicloud_migration_wave_task")
    erp = {s["task_id"] for s, _ in members if s["wave"] == "erp-cutover"}
    crm = {(s["account"], s["service"]) for s, _ in members if s["wave"] == "crm-cutover"}
    assert len(erp) == 6 and lost in erp
    assert crm == {("demo-dr", "sms"), ("demo-dr", "oms")}
    ready = {s["task_id"]: v for s, v in _samples(text, "huaweicloud_sms_task_cutover_ready")}
    assert ready[lost] == 1

    def dr(name: str) -> float:
        return sum(v for s, v in _samples(text, name) if s["account"] == "demo-dr")

    # crm-cutover cannot make it: at today's speed, its bytes left take far past its deadline.
    left = dr("huaweicloud_sms_source_server_total_bytes") - dr(
        "huaweicloud_sms_source_server_replicated_bytes"
    )
    left += dr("huaweicloud_oms_task_size_bytes") - dr("huaweicloud_oms_task_completed_bytes")
    speed = dr("huaweicloud_sms_task_migrate_speed_bytes_per_second") + dr(
        "huaweicloud_oms_task_migrate_speed_bytes_per_second"
    )
    assert speed > 0 and clock.now + left / speed > deadlines["crm-cutover"] + 600

    text = await at(170)  # its agent gone for good: blocked
    ready = {s["task_id"]: v for s, v in _samples(text, "huaweicloud_sms_task_cutover_ready")}
    assert ready[lost] == 0
    blocked = _samples(text, "huaweicloud_sms_task_cutover_blocked")
    assert ("agent_disconnected", 1) in {
        (s["reason"], v) for s, v in blocked if s["task_id"] == lost
    }
