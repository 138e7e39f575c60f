"""`Retry-After` as the network sends it: numbers, dates, and nonsense that must not be slept.

`asyncio.sleep(nan)` corrupts the event loop's timers; an absurd wait outlives the poll. So
only a finite delay is waited, no longer than the policy allows or the poll has left, and a
value that is no delay is treated as absent. Sleeps are counted by a fake `sleep`.
"""

from __future__ import annotations

import asyncio
import math
from email.utils import formatdate

import aiohttp
import pytest
from pydantic import SecretStr

from exporter.huawei.auth import TokenAuth
from exporter.huawei.errors import ThrottledError
from exporter.huawei.gate import Gates
from exporter.huawei.http import answer_by
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.server import RunningSimulator
from tests.conftest import FAST, Client, Wiring
from tests.fleets import build
from tests.payloads import TASK_LISTS_ONLY, settings_for

NOW = 1_800_000_000.0  # the wall clock the client reads dates against
ABSENT = None  # the client's own back-off: full jitter under FAST.backoff_cap


class Sleeps:
    """A fake `Endpoint.sleep`: records each delay, returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def throttled_once(cloud: FakeCloud, value: str) -> None:
    cloud.tenants[0].sms_tasks = [{"id": "t1", "state": "RUNNING"}]
    cloud.tenants[0].add_fault(
        Fault(service="sms", kind="status", status=429, retry_after=value, times=1)
    )


def client_with(wiring: Wiring, sleeps: Sleeps) -> Client:
    client = wiring.sms()
    client.endpoint.sleep = sleeps
    client.endpoint.clock = lambda: NOW
    return client


@pytest.mark.parametrize(
    ("header", "waited"),
    [
        ("2", 2.0),
        ("0.3", 0.3),
        (formatdate(NOW + 30, usegmt=True), 30.0),  # an HTTP date: until then
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date past: at once
        ("99999999", 60.0),  # absurd: the policy's cap
        ("nan", ABSENT),
        ("NaN", ABSENT),
        ("inf", ABSENT),
        ("-inf", ABSENT),
        ("1e308", ABSENT),
        ("-5", ABSENT),
        ("  ", ABSENT),
        ("", ABSENT),
        ("soon", ABSENT),
        ("Wed, 32 Oct 2026 07:28:00 GMT", ABSENT),
    ],
)
async def test_a_retry_waits_a_finite_bounded_delay_whatever_the_header_says(
    wiring: Wiring, cloud: FakeCloud, header: str, waited: float | None
) -> None:
    throttled_once(cloud, header)
    sleeps = Sleeps()
    listing = await client_with(wiring, sleeps).list_items(max_items=100)
    assert [t.key for t in listing.items] == ["t1"]
    assert cloud.stats.served("sms") == 2  # retried once, and answered
    (delay,) = sleeps.delays
    assert math.isfinite(delay) and delay >= 0
    if waited is ABSENT:
        assert delay <= FAST.backoff_cap  # the client's own jittered back-off
    else:
        assert delay == pytest.approx(waited)


async def test_a_retry_that_would_outlast_the_callers_deadline_fails_at_once(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    throttled_once(cloud, "30")
    sleeps = Sleeps()
    client = client_with(wiring, sleeps)
    with answer_by(asyncio.get_running_loop().time() + 5), pytest.raises(ThrottledError):
        await client.list_items(max_items=100)
    assert sleeps.delays == [] and cloud.stats.served("sms") == 1


async def test_a_poll_told_to_retry_after_its_deadline_fails_as_throttled_not_timeout(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    cloud.tenants[0].add_fault(Fault(service="sms", kind="status", status=429, retry_after=30))
    settings = settings_for(
        simulator.url,
        cloud,
        collect=TASK_LISTS_ONLY,
        poll_interval_seconds=10,  # the poll's deadline: sooner than the Retry-After
        stale_after_seconds=30,
    )
    built = build(settings, session, policy=FAST)
    assert [p.source.key for p in built.pollers] == [("acct-a", "sms"), ("acct-a", "oms")]
    poller = built.poller("sms")
    assert not await poller.poll_once()
    assert poller.status.errors["throttled"] == 1 and poller.status.errors["timeout"] == 0
    assert cloud.stats.served("sms") == 1


@pytest.mark.parametrize(
    ("header", "backoff"),
    [
        ("3", 3.0),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        ("0", 1.0),  # at least a second: the logins queued behind it must not all go
        ("99999", 300.0),  # no longer than auth_backoff_seconds
        ("nan", 300.0),  # no delay at all: the whole back-off
        ("-5", 300.0),
        ("  ", 300.0),
    ],
)
async def test_a_throttled_login_backs_off_for_its_retry_after_within_bounds(
    wiring: Wiring, cloud: FakeCloud, header: str, backoff: float
) -> None:
    tenant = cloud.tenants[0]
    tenant.add_fault(Fault(service="iam", kind="status", status=429, retry_after=header))
    auth = TokenAuth(
        session=wiring.session,
        iam_endpoint=wiring.url,
        username=tenant.username or "",
        password=SecretStr(tenant.password or ""),
        domain_name=tenant.domain_name or "",
        clock=lambda: NOW,
        gates=Gates(),
        backoff_seconds=300.0,
    )
    with pytest.raises(ThrottledError):
        await wiring.sms(auth).list_items(max_items=100)
    left = auth.voice.gate.silenced_for()
    assert backoff - 1 < left <= backoff
    with pytest.raises(ThrottledError, match="backed off"):
        await wiring.oms(auth).list_items(max_items=100)  # another scope: the same user
    assert cloud.stats.served("iam") == 1
