"""The poller against the simulator: swap on success, keep on failure, drop when stale."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
import structlog.testing
from prometheus_client.parser import text_string_to_metric_families

from exporter.exposition.render import Rendered
from exporter.exposition.snapshot import Snapshot
from exporter.huawei.paging import Listing
from exporter.poller import PageHook, Poller
from exporter.services import SERVICES
from exporter.services.sms_tasks import SERVICE as SMS
from exporter.services.sms_tasks.table import SmsOptions
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.server import RunningSimulator
from exporter.telemetry import Telemetry
from tests.conftest import FAST, make_tenant
from tests.fleets import build
from tests.payloads import settings_for, sms_source


def values(snapshot: Snapshot, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = snapshot.body(openmetrics=False).decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for sample in fam.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


class Rig:
    def __init__(self, cloud: FakeCloud, url: str, session: aiohttp.ClientSession) -> None:
        self.cloud = cloud
        self.now = 1_800_000_000.0
        cloud.clock = lambda: self.now  # the cloud checks signatures against the same clock
        settings = settings_for(url, cloud, poll_interval_seconds=10, stale_after_seconds=30)
        built = build(settings, session, policy=FAST, clock=lambda: self.now)
        self.snapshot = built.snapshot
        self.telemetry = built.telemetry
        self.pollers = {p.source.key: p for p in built.pollers}

    async def poll(self, account: str = "acct-a", service: str = "sms") -> bool:
        return await self.pollers[(account, service)].poll_once()

    def up(self, account: str = "acct-a", service: str = "sms") -> float:
        return values(self.snapshot, "huaweicloud_migration_up")[
            (("account", account), ("service", service))
        ]

    def task_ids(self, account: str = "acct-a") -> set[str]:
        return {
            dict(labels)["task_id"]
            for labels in values(self.snapshot, "huaweicloud_sms_task_info")
            if dict(labels)["account"] == account
        }


def _fill(cloud: FakeCloud) -> None:
    for tenant in cloud.tenants:
        tenant.sms_tasks = [{"id": f"{tenant.name}-{i}", "state": "RUNNING"} for i in range(3)]
        tenant.oms_tasks = [{"id": i, "status": 2} for i in range(2)]


async def test_a_successful_poll_swaps_in_tasks_and_sets_up(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    _fill(cloud)
    rig = Rig(cloud, simulator.url, session)
    assert await rig.poll()
    assert rig.up() == 1
    assert rig.task_ids() == {"acct-a-0", "acct-a-1", "acct-a-2"}
    requests = values(rig.snapshot, "huaweicloud_migration_api_requests_total")
    assert requests[(("account", "acct-a"), ("code", "200"), ("service", "sms"))] == 1


async def test_a_failed_poll_keeps_the_data_sets_up_0_and_counts_the_reason(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    _fill(cloud)
    rig = Rig(cloud, simulator.url, session)
    await rig.poll()
    cloud.tenants[0].add_fault(Fault(service="sms", kind="status", status=503))
    assert not await rig.poll()
    assert rig.up() == 0
    assert rig.task_ids() == {"acct-a-0", "acct-a-1", "acct-a-2"}
    errors = values(rig.snapshot, "huaweicloud_migration_poll_errors_total")
    assert errors[(("account", "acct-a"), ("reason", "server"), ("service", "sms"))] == 1
    assert errors[(("account", "acct-a"), ("reason", "auth"), ("service", "sms"))] == 0


async def test_stale_series_are_dropped_and_come_back_on_recovery(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    _fill(cloud)
    rig = Rig(cloud, simulator.url, session)
    await rig.poll()
    cloud.tenants[0].add_fault(Fault(service="sms", kind="html"))
    rig.now += 29
    await rig.poll()
    assert rig.task_ids()  # within stale_after: still served
    rig.now += 2
    await rig.poll()
    assert rig.task_ids() == set()  # stale: dropped
    assert rig.up() == 0  # the exporter's own series stay, and say why
    cloud.tenants[0].faults.clear()
    await rig.poll()
    assert rig.up() == 1 and len(rig.task_ids()) == 3


async def test_state_changes_between_polls_are_counted(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    _fill(cloud)
    rig = Rig(cloud, simulator.url, session)
    await rig.poll()
    cloud.tenants[0].sms_overrides["acct-a-1"] = {"state": "MIGRATE_FAIL"}
    await rig.poll()
    await rig.poll()  # no change this time
    changes = values(rig.snapshot, "huaweicloud_migration_task_state_changes_total")
    assert changes == {(("account", "acct-a"), ("service", "sms"), ("to", "MIGRATE_FAIL")): 1}


async def test_invented_states_count_as_other_so_the_label_stays_bounded(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    _fill(cloud)
    rig = Rig(cloud, simulator.url, session)
    await rig.poll()
    for n in range(50):  # an API inventing a new state for every task, every poll
        for i in range(3):
            cloud.tenants[0].sms_overrides[f"acct-a-{i}"] = {"state": f"INVENTED_{n}_{i}"}
        await rig.poll()
    cloud.tenants[0].sms_overrides["acct-a-0"] = {"state": "MIGRATE_SUCCESS"}
    await rig.poll()
    changes = values(rig.snapshot, "huaweicloud_migration_task_state_changes_total")
    assert changes == {
        (("account", "acct-a"), ("service", "sms"), ("to", "other")): 150,
        (("account", "acct-a"), ("service", "sms"), ("to", "MIGRATE_SUCCESS")): 1,
    }
    # The tasks' own state series show the states as observed: that is what they are for.
    states = values(rig.snapshot, "huaweicloud_sms_task_state")
    assert (
        ("account", "acct-a"),
        ("state", "INVENTED_49_1"),
        ("task_id", "acct-a-1"),
        ("task_name", ""),
    ) in states


async def test_one_failing_account_leaves_the_others_alone(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    cloud.tenants.append(make_tenant("acct-b"))
    _fill(cloud)
    rig = Rig(cloud, simulator.url, session)
    cloud.tenants[0].secret_key = "rotated-elsewhere"  # acct-a's key no longer matches
    results = await asyncio.gather(*(p.poll_once() for p in rig.pollers.values()))
    assert results.count(False) == len(SERVICES)  # every list service of acct-a
    assert rig.up("acct-b", "sms") == 1 and rig.up("acct-b", "oms") == 1
    assert rig.up("acct-a", "sms") == 0
    assert rig.task_ids("acct-b") == {"acct-b-0", "acct-b-1", "acct-b-2"}


async def test_a_task_the_mapping_cannot_take_is_skipped_counted_and_logged() -> None:
    def picky(account: str, opts: SmsOptions) -> Callable[[Any], str]:
        """The SMS identity labels, but a bug of ours for task t3."""
        labels = SMS.table.identity(account, opts)

        def of(task: Any) -> str:
            if task.key == "t3":
                raise ValueError("the API sent something the mapping cannot take")
            return labels(task)

        return of

    service = dataclasses.replace(SMS, table=dataclasses.replace(SMS.table, identity=picky))

    telemetry = Telemetry()
    snapshot = Snapshot()
    tasks = [{"id": f"t{i}", "state": "RUNNING"} for i in range(5)]
    poller = Poller(
        source=sms_source(tasks, service=service),
        snapshot=snapshot,
        telemetry=telemetry,
        interval=5,
        stale_after=15,
    )
    with structlog.testing.capture_logs() as logs:
        assert await poller.poll_once()
    assert telemetry.sources[("x", "sms")].not_exported == 1
    exported = values(snapshot, "huaweicloud_sms_task_info")
    assert sorted(dict(labels)["task_id"] for labels in exported) == ["t0", "t1", "t2", "t4"]
    events = {entry["event"]: entry for entry in logs}
    failed = events["item not exported: the mapping failed"]
    assert failed["item"] == "t3" and isinstance(failed["exc_info"], ValueError)
    assert events["tasks skipped: the mapping could not take them"]["skipped"] == 1


async def test_a_task_listed_without_an_id_is_counted_as_not_exported() -> None:
    telemetry = Telemetry()
    snapshot = Snapshot()
    poller = Poller(
        source=sms_source([{"id": "t0", "state": "RUNNING"}, {"name": "?"}]),
        snapshot=snapshot,
        telemetry=telemetry,
        interval=5,
        stale_after=15,
    )
    assert await poller.poll_once()
    assert telemetry.sources[("x", "sms")].not_exported == 1
    exported = values(snapshot, "huaweicloud_sms_task_info")
    assert [dict(labels)["task_id"] for labels in exported] == ["t0"]


async def test_polls_never_overlap_and_an_overrun_skips_ticks() -> None:
    """On a fake clock: polls take 0.25 s of a 0.1 s interval, so each overruns; the loop
    skips the missed ticks, keeps the phase and never starts a poll while one runs."""
    now = 0.0
    running = most = 0
    started: list[float] = []
    sleeps: list[float] = []

    async def slow_fetch(each_page: PageHook) -> Listing[Rendered]:
        nonlocal now, running, most
        started.append(now)
        running += 1
        most = max(most, running)
        now += 0.25
        running -= 1
        return Listing(items=[], count=0, not_fetched=0, pages=1)

    async def sleep(seconds: float) -> None:
        nonlocal now
        sleeps.append(seconds)
        if len(sleeps) == 4:
            raise asyncio.CancelledError
        now += seconds

    poller = Poller(
        source=sms_source(fetch=slow_fetch),
        snapshot=Snapshot(),
        telemetry=Telemetry(),
        interval=0.1,
        stale_after=1,
        monotonic=lambda: now,
        sleep=sleep,
    )
    with pytest.raises(asyncio.CancelledError):
        await poller.run()
    assert most == 1
    # Started at 0, ended at 0.25: the ticks at 0.1 and 0.2 are skipped, the next is at 0.3.
    assert started == pytest.approx([0.0, 0.3, 0.6, 0.9])
    assert sleeps == pytest.approx([0.05, 0.05, 0.05, 0.05])


async def test_a_poll_longer_than_its_interval_fails_as_a_timeout() -> None:
    async def stuck_fetch(each_page: PageHook) -> Listing[Rendered]:
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    telemetry = Telemetry()
    poller = Poller(
        source=sms_source(fetch=stuck_fetch),
        snapshot=Snapshot(),
        telemetry=telemetry,
        interval=0.05,
        stale_after=1,
    )
    assert not await poller.poll_once()
    assert telemetry.sources[("x", "sms")].errors["timeout"] == 1


async def test_a_bug_of_ours_is_internal_with_its_traceback_logged_once() -> None:
    """Not `bad_response`: the API did nothing wrong. The traceback once per kind of bug."""

    async def buggy_fetch(each_page: PageHook) -> Listing[Rendered]:
        missing: dict[str, Listing[Rendered]] = {}
        return missing["no such key"]

    telemetry = Telemetry()
    poller = Poller(
        source=sms_source(fetch=buggy_fetch),
        snapshot=Snapshot(),
        telemetry=telemetry,
        interval=5,
        stale_after=15,
    )
    with structlog.testing.capture_logs() as logs:
        assert not await poller.poll_once()
        assert not await poller.poll_once()
    status = telemetry.sources[("x", "sms")]
    assert status.errors["internal"] == 2 and status.errors["bad_response"] == 0
    assert status.last_error == "internal: unexpected KeyError in the exporter"
    failed = [entry for entry in logs if entry["event"] == "poll failed"]
    assert [entry["reason"] for entry in failed] == ["internal", "internal"]
    assert isinstance(failed[0]["exc_info"], KeyError) and failed[1]["exc_info"] is None
