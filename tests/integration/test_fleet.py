"""Applying a new configuration to running pollers: only what changed changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Fleet
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator
from exporter.telemetry import Telemetry
from exporter.web.server import make_app
from tests.conftest import make_tenant
from tests.payloads import TASK_LISTS_ONLY


@pytest.fixture
def cloud() -> FakeCloud:
    tenants = [
        make_tenant(name, access_key=f"AKTESTACCESSKEY0000{n}") for n, name in enumerate("abc")
    ]
    for tenant in tenants:
        tenant.sms_tasks = [{"id": f"{tenant.name}-1", "state": "RUNNING"}]
        tenant.oms_tasks = []
    return FakeCloud(tenants=tenants)


def config(cloud: FakeCloud, url: str, names: str, **top: Any) -> Settings:
    accounts = []
    for name in names:
        account = cloud.tenant(name).account_config(url)
        account["oms"] = {"enabled": False}
        accounts.append(account)
    return Settings.model_validate({"accounts": accounts, "collect": TASK_LISTS_ONLY, **top})


@pytest.fixture
async def fleet(session: aiohttp.ClientSession) -> AsyncIterator[tuple[Fleet, Snapshot, Telemetry]]:
    snapshot, telemetry = Snapshot(), Telemetry()
    fleet = Fleet(snapshot, telemetry, session)
    yield fleet, snapshot, telemetry
    await fleet.close()


async def until_polled(telemetry: Telemetry, *keys: tuple[str, str]) -> None:
    async with asyncio.timeout(5):
        while not all(k in telemetry.sources and telemetry.sources[k].up for k in keys):
            await asyncio.sleep(0.02)


async def test_added_start_removed_stop_and_unchanged_keep_their_poller(
    simulator: RunningSimulator, cloud: FakeCloud, fleet: tuple[Fleet, Snapshot, Telemetry]
) -> None:
    running, snapshot, telemetry = fleet
    first = running.apply(config(cloud, simulator.url, "ab"))
    assert sorted(first.started) == [("a", "sms"), ("b", "sms")]
    await until_polled(telemetry, ("a", "sms"), ("b", "sms"))
    kept = {p.source.key: p for p in running.pollers}[("a", "sms")]
    requests = cloud.stats.by_tenant["a"]

    second = running.apply(config(cloud, simulator.url, "ac"))
    assert second.started == [("c", "sms")] and second.stopped == [("b", "sms")]
    assert second.restarted == [] and second.rotated == []
    assert {p.source.key: p for p in running.pollers}[("a", "sms")] is kept  # same schedule
    assert not snapshot.has_source(("b", "sms")) and ("b", "sms") not in telemetry.sources
    await until_polled(telemetry, ("c", "sms"))
    assert cloud.stats.by_tenant["a"] == requests  # no extra poll of the unchanged one
    await running.settled()  # and the wave families made again without b's tasks
    body = snapshot.body(openmetrics=False).decode()
    assert 'account="a"' in body and 'account="c"' in body and 'account="b"' not in body


async def test_a_rotated_secret_is_used_on_the_next_request_without_a_restart(
    simulator: RunningSimulator, cloud: FakeCloud, fleet: tuple[Fleet, Snapshot, Telemetry]
) -> None:
    running, _, telemetry = fleet
    running.apply(config(cloud, simulator.url, "a", api={"auth_backoff_seconds": 300}))
    await until_polled(telemetry, ("a", "sms"))
    (poller,) = running.pollers
    cloud.tenant("a").secret_key = "ROTATED-SECRET-0001"  # the old one is refused from now on
    assert not await poller.poll_once()  # refused: the account backs off for 300 s
    changes = running.apply(config(cloud, simulator.url, "a", api={"auth_backoff_seconds": 300}))
    assert changes.rotated == ["a"] and changes.restarted == []
    assert running.pollers == [poller]
    assert await poller.poll_once()  # the new secret, at once: the back-off went with the old


async def test_a_changed_setting_restarts_the_sources_it_shapes(
    simulator: RunningSimulator, cloud: FakeCloud, fleet: tuple[Fleet, Snapshot, Telemetry]
) -> None:
    running, snapshot, telemetry = fleet
    running.apply(config(cloud, simulator.url, "ab"))
    await until_polled(telemetry, ("a", "sms"), ("b", "sms"))
    changes = running.apply(config(cloud, simulator.url, "ab", label_value_max_length=64))
    assert sorted(changes.restarted) == [("a", "sms"), ("b", "sms")]
    assert snapshot.has_source(("a", "sms"))  # served until its first new poll


async def test_a_reload_that_changes_only_the_waves_restarts_no_source(
    simulator: RunningSimulator, cloud: FakeCloud, fleet: tuple[Fleet, Snapshot, Telemetry]
) -> None:
    running, _, telemetry = fleet
    running.apply(config(cloud, simulator.url, "ab"))
    await until_polled(telemetry, ("a", "sms"), ("b", "sms"))
    pollers = running.pollers
    waves = {"defined": [{"name": "erp", "cutover": "2027-01-15T22:00:00+08:00"}]}
    changes = running.apply(config(cloud, simulator.url, "ab", waves=waves))
    assert changes.restarted == changes.started == changes.stopped == []
    assert running.pollers == pollers


async def test_a_fleet_not_started_polls_only_when_told_every_source_once_together(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    snapshot, telemetry = Snapshot(), Telemetry()
    once = Fleet(snapshot, telemetry, session, start=False)  # as `--once` builds it
    once.apply(config(cloud, simulator.url, "ab"))
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("poll-")]
    assert cloud.stats.served("sms") == 0 and not snapshot.has_source(("a", "sms"))
    assert await once.poll_once()
    assert cloud.stats.by_tenant == {"a": 1, "b": 1}
    cloud.tenant("b").secret_key = "ROTATED-ELSEWHERE-0001"
    assert not await once.poll_once()  # one source failed: not all succeeded
    assert telemetry.sources[("a", "sms")].up and not telemetry.sources[("b", "sms")].up
    await once.close()


async def test_a_started_fleet_refuses_poll_once_its_polls_must_not_overlap(
    fleet: tuple[Fleet, Snapshot, Telemetry],
) -> None:
    running, _, _ = fleet
    with pytest.raises(RuntimeError, match="start=False"):
        await running.poll_once()


async def test_post_reload_needs_the_lifecycle_flag(session: aiohttp.ClientSession) -> None:
    calls: list[int] = []

    async def reload() -> str | None:
        calls.append(1)
        return None if len(calls) == 1 else "poll_interval_seconds: too small"

    enabled = [False]
    app = make_app(Snapshot(), Telemetry(), reload=reload, lifecycle=lambda: enabled[0])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/-/reload"
    try:
        async with session.post(url) as refused:
            assert refused.status == 403 and "not enabled" in await refused.text()
        enabled[0] = True
        async with session.post(url) as done:
            assert done.status == 200
        async with session.post(url) as failed:
            assert failed.status == 500
            assert (
                await failed.text() == "failed to reload config: poll_interval_seconds: too small\n"
            )
        async with session.get(url) as wrong:
            assert wrong.status == 405
    finally:
        await runner.cleanup()
    assert len(calls) == 2
