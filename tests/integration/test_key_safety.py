"""One access key, one voice (DESIGN.md section 14), counted at the fake cloud.

Huawei locks an access key after five bad signatures. However many accounts (regions) and
services share a key, the process sends at most one bad signature per key per back-off window;
a key not yet accepted is used by one request at a time, and once accepted its requests flow
concurrently again. Password logins as one user go one at a time, and back off alike.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Fleet
from exporter.poller import Poller
from exporter.services import SERVICES
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud, Fault, RequestRecord
from exporter.simulator.server import RunningSimulator
from exporter.telemetry import Telemetry
from tests.conftest import ACCESS_KEY, SECRET_KEY, make_tenant
from tests.fleets import build

WRONG_SECRET = "SK-WRONG-0000000000000000"
ACCOUNTS = ("one", "two", "three")
REGIONS = ("ap-southeast-1", "ap-southeast-2", "ap-southeast-3")  # one key, three regions
SOURCES = len(ACCOUNTS) * len(SERVICES)  # every list service of every account
BACKOFF_FAMILY = "huaweicloud_migration_auth_backoff_until_timestamp_seconds"


def shared_key(
    url: str, cloud: FakeCloud, *, secret: str | None = None, password: bool = False, **top: Any
) -> Settings:
    """`ACCOUNTS`, each using the first tenant's credentials (its access key, or its user) in
    a region of its own, every list service enabled (`SERVICES`)."""
    return Settings.model_validate(
        shared_config(url, cloud, secret=secret, password=password, **top)
    )


def shared_config(
    url: str, cloud: FakeCloud, *, secret: str | None = None, password: bool = False, **top: Any
) -> dict[str, Any]:
    accounts = []
    for name, region in zip(ACCOUNTS, REGIONS, strict=True):
        account = cloud.tenants[0].account_config(url, password=password)
        account["name"] = name
        if not password:  # IAM scopes tokens to the tenant's region: logins keep it
            account["region"] = region
        if secret is not None:
            account["credentials"]["secret_key"] = secret
        accounts.append(account)
    return {"accounts": accounts, **top}


def bad_signatures(cloud: FakeCloud) -> list[RequestRecord]:
    return sorted(
        (r for r in cloud.stats.log if r.auth == "aksk" and r.status == 401), key=lambda r: r.at
    )


def by_arrival(cloud: FakeCloud, service: str | None = None) -> list[RequestRecord]:
    log = [r for r in cloud.stats.log if service is None or r.service == service]
    return sorted(log, key=lambda r: r.at)


async def poll_all(running: Sequence[Poller]) -> list[bool]:
    return await asyncio.gather(*(p.poll_once() for p in running))


def in_process(settings: Settings, session: aiohttp.ClientSession) -> list[Poller]:
    """Every source of `settings`, as `--once` builds them: a fleet of its own, as a process
    has (and so its own gates)."""
    return build(settings, session).pollers


def backoff_until(snapshot: Snapshot) -> dict[str, float]:
    out = {}
    for line in snapshot.body(openmetrics=False).decode().splitlines():
        if line.startswith(BACKOFF_FAMILY + "{"):
            labels, _, value = line.rpartition(" ")
            out[labels.split('"')[1]] = float(value)
    return out


@pytest.fixture
def cloud() -> FakeCloud:
    tenant = make_tenant()
    tenant.sms_tasks = [{"id": f"t{i}", "state": "RUNNING"} for i in range(3)]
    tenant.oms_tasks = [{"id": i, "status": 2} for i in range(3)]
    return FakeCloud(tenants=[tenant])


@pytest.fixture
async def fleet(session: aiohttp.ClientSession) -> AsyncIterator[tuple[Fleet, Snapshot, Telemetry]]:
    snapshot, telemetry = Snapshot(), Telemetry()
    running = Fleet(snapshot, telemetry, session)
    yield running, snapshot, telemetry
    await running.close()


async def until_polled(telemetry: Telemetry, sources: int) -> None:
    async with asyncio.timeout(10):
        while sum(1 for s in telemetry.sources.values() if s.polled) < sources:
            await asyncio.sleep(0.02)


async def test_a_wrong_key_of_three_accounts_and_nine_sources_is_sent_once_per_back_off(
    simulator: RunningSimulator, cloud: FakeCloud, fleet: tuple[Fleet, Snapshot, Telemetry]
) -> None:
    running, snapshot, telemetry = fleet
    backoff = 1.0
    settings = shared_key(
        simulator.url, cloud, secret=WRONG_SECRET, api={"auth_backoff_seconds": backoff}
    )
    windows = 3
    with capture_logs() as logs:
        running.apply(settings)
        assert len(running.pollers) == SOURCES  # 3 accounts x every list service
        await until_polled(telemetry, 9)
        assert len(bad_signatures(cloud)) == 1  # the first poll of all nine: one probe
        for _ in range(windows - 1):
            await asyncio.sleep(backoff + 0.2)  # the back-off ends: one probe, not nine
            await poll_all(running.pollers)
    bad = bad_signatures(cloud)
    # At most one bad signature per window, whatever the machine's pace: each arrives a whole
    # back-off after the one before (a rounding's slack for the two clocks).
    assert len(bad) >= windows
    assert all(b.at - a.at >= backoff - 0.05 for a, b in itertools.pairwise(bad)), bad
    assert len(cloud.stats.log) == len(bad)  # nothing else was signed with the key
    assert ACCESS_KEY not in cloud.ak_locked_until
    # Each back-off is logged once, naming every account of the key, never its secret.
    rejected = [e for e in logs if e["event"] == "credentials rejected"]
    warned = [e for e in rejected if e["log_level"] == "warning"]
    assert len(warned) == len(bad)
    for event in warned:
        assert event["accounts"] == sorted(ACCOUNTS)
        assert event["access_key"] == ACCESS_KEY[:4] + "…"
        assert "Huawei locks an access key after 5 failed signatures" in event["lockout"]
    assert WRONG_SECRET not in repr(logs) and ACCESS_KEY not in repr(logs)
    # Every account of the key shows when its back-off ends.
    until = backoff_until(snapshot)
    assert sorted(until) == sorted(ACCOUNTS)
    assert all(value > time.time() - backoff - 1 for value in until.values())


async def test_once_sends_one_bad_signature_per_key_however_many_sources_share_it(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    settings = shared_key(simulator.url, cloud, secret=WRONG_SECRET)
    running = in_process(settings, session)
    assert len(running) == SOURCES
    for _ in range(3):  # later polls inside the back-off send nothing at all
        assert not any(await poll_all(running))
    assert len(cloud.stats.log) == 1 and cloud.stats.log[0].status == 401
    assert cloud.ak_failures[ACCESS_KEY] == 1
    assert all(p.status.errors["auth"] == 3 for p in running)
    silenced = [p for p in running if "backed off" in (p.status.last_error or "")]
    assert len(silenced) == SOURCES


async def test_a_good_key_shared_by_accounts_is_tried_alone_then_used_concurrently(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    tenant = cloud.tenants[0]
    tenant.sms_tasks = [{"id": f"t{i}", "state": "RUNNING"} for i in range(600)]  # 3 pages
    tenant.latency = 0.05  # so that requests sent together overlap at the cloud
    running = in_process(shared_key(simulator.url, cloud), session)
    assert all(await poll_all(running))
    first, second, *_ = by_arrival(cloud)
    assert first.in_flight == 1 and second.in_flight == 1  # the probe went alone
    assert second.at >= first.done_at
    assert cloud.stats.max_in_flight > 1  # accepted: every source at once again
    assert all(r.status == 200 for r in cloud.stats.log)


async def test_the_end_of_a_back_off_sends_one_probe_and_then_every_source(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    tenant = cloud.tenants[0]
    tenant.latency = 0.05
    settings = shared_key(simulator.url, cloud, api={"auth_backoff_seconds": 1})
    running = in_process(settings, session)
    tenant.secret_key = "SK-ELSEWHERE-000000000000"  # refused for a while (a rotation, half done)
    assert not any(await poll_all(running))
    assert len(bad_signatures(cloud)) == 1
    tenant.secret_key = SECRET_KEY
    await asyncio.sleep(1.2)
    cloud.stats.reset()
    assert all(await poll_all(running))
    probe, second, *_ = by_arrival(cloud)
    assert probe.in_flight == 1 and second.at >= probe.done_at  # one probe, alone
    assert cloud.stats.max_in_flight > 1
    assert all(r.status == 200 for r in cloud.stats.log)


async def test_a_new_access_key_is_not_held_by_the_old_keys_back_off(
    simulator: RunningSimulator, cloud: FakeCloud, fleet: tuple[Fleet, Snapshot, Telemetry]
) -> None:
    running, snapshot, telemetry = fleet
    config = shared_config(simulator.url, cloud, secret=WRONG_SECRET)
    running.apply(Settings.model_validate(config))
    await until_polled(telemetry, 9)
    assert len(bad_signatures(cloud)) == 1
    # Account "one" gets a key of its own (as Huawei issues them: a new AK with its SK).
    new_key = "AKTESTACCESSKEY00099"
    cloud.tenants.append(make_tenant("acct-new", access_key=new_key))
    cloud.tenants[1].sms_tasks = [{"id": "n1", "state": "RUNNING"}]
    config["accounts"][0]["credentials"] = {"access_key": new_key, "secret_key": SECRET_KEY}
    changes = running.apply(Settings.model_validate(config))
    assert changes.rotated == ["one"] and changes.restarted == []
    results = {p.source.key: await p.poll_once() for p in running.pollers}
    assert all(ok for (account, _), ok in results.items() if account == "one")
    assert not any(ok for (account, _), ok in results.items() if account != "one")
    assert len(bad_signatures(cloud)) == 1  # the old key stayed silent for the others
    until = backoff_until(snapshot)
    assert until["one"] == 0 and until["two"] > time.time() + 200


async def test_logins_as_one_user_go_one_at_a_time_across_accounts(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    cloud.iam_latency = 0.05
    running = in_process(shared_key(simulator.url, cloud, password=True), session)
    assert all(await poll_all(running))
    logins = by_arrival(cloud, "iam")
    assert len(logins) == 6  # each account's two scopes: region (SMS) and project (OMS)
    assert all(b.at >= a.done_at for a, b in itertools.pairwise(logins)), logins


@pytest.mark.parametrize(
    ("status", "retry_after", "reasons", "silenced_for"),
    [
        (429, 2, {"throttled": 3 * SOURCES}, (1.0, 2.0)),  # its Retry-After, honoured
        (429, None, {"throttled": 3 * SOURCES}, (290, 300)),  # none given: the whole back-off
        (429, 86_400, {"throttled": 3 * SOURCES}, (290, 300)),  # a day: no more than the back-off
        (
            403,
            None,
            {"forbidden": 1, "auth": 3 * SOURCES - 1},
            (290, 300),
        ),  # the login itself: forbidden
        (401, None, {"auth": 3 * SOURCES}, (290, 300)),
    ],
)
async def test_a_refused_or_throttled_login_silences_the_user_for_every_account(
    simulator: RunningSimulator,
    cloud: FakeCloud,
    session: aiohttp.ClientSession,
    status: int,
    retry_after: float | None,
    reasons: dict[str, int],
    silenced_for: tuple[float, float],
) -> None:
    cloud.tenants[0].add_fault(
        Fault(service="iam", kind="status", status=status, retry_after=retry_after)
    )
    built = build(shared_key(simulator.url, cloud, password=True), session)
    snapshot, running = built.snapshot, built.pollers
    with capture_logs() as logs:
        for _ in range(3):
            assert not any(await poll_all(running))
    assert cloud.stats.served("iam") == 1  # one login, for every source and three polls
    (warned,) = [e for e in logs if e["event"] in ("login refused", "login throttled")]
    assert warned["accounts"] == sorted(ACCOUNTS) and warned["status"] == status
    assert cloud.stats.served("sms") == cloud.stats.served("oms") == 0
    failed = Counter[str]()
    for poller in running:
        failed.update(poller.status.errors)
    assert +failed == reasons  # every source x 3 polls
    left = {account: until - time.time() for account, until in backoff_until(snapshot).items()}
    assert sorted(left) == sorted(ACCOUNTS)
    low, high = silenced_for
    assert all(low - 1 < seconds <= high for seconds in left.values()), left
