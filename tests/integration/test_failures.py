"""The README's Reliability table, row by row, counting exactly what reaches the cloud."""

from __future__ import annotations

import io
import json
import time

import aiohttp
import pytest

from exporter import log
from exporter.huawei.errors import (
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    NetworkError,
    ServerError,
    ThrottledError,
)
from exporter.huawei.http import RequestPolicy
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.server import RunningSimulator
from tests.conftest import FAST, SECURITY_TOKEN, Wiring, make_tenant
from tests.fleets import build
from tests.payloads import TASK_LISTS_ONLY, settings_for


def _tasks(cloud: FakeCloud, n: int = 3) -> None:
    cloud.tenants[0].sms_tasks = [{"id": f"t{i}", "state": "RUNNING"} for i in range(n)]
    cloud.tenants[0].oms_tasks = [{"id": i, "status": 2} for i in range(n)]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_transient_errors_are_retried_until_success(
    wiring: Wiring, cloud: FakeCloud, status: int
) -> None:
    _tasks(cloud)
    cloud.tenants[0].add_fault(Fault(service="sms", kind="status", status=status, times=2))
    listing = await wiring.sms().list_items(max_items=100)
    assert len(listing.items) == 3
    assert cloud.stats.served("sms") == 3
    assert wiring.observed == [str(status), str(status), "200"]


async def test_server_errors_stop_after_three_tries(wiring: Wiring, cloud: FakeCloud) -> None:
    cloud.tenants[0].add_fault(
        Fault(service="sms", kind="status", status=503, error_code="SMS.0999")
    )
    with pytest.raises(ServerError) as caught:
        await wiring.sms().list_items(max_items=100)
    assert cloud.stats.served("sms") == 3
    assert caught.value.status == 503
    assert caught.value.error_code == "SMS.0999"
    assert caught.value.request_id  # the simulator's X-Request-Id, for the support ticket


async def test_throttling_honours_retry_after(wiring: Wiring, cloud: FakeCloud) -> None:
    _tasks(cloud)
    cloud.tenants[0].add_fault(
        Fault(
            service="oms",
            kind="status",
            status=429,
            error_code="APIG.0308",
            retry_after=0.3,
            times=1,
        )
    )
    started = time.monotonic()
    await wiring.oms().list_items(max_items=100)
    assert time.monotonic() - started >= 0.3
    assert cloud.stats.served("oms") == 2


async def test_throttling_that_persists_fails_as_throttled(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    cloud.tenants[0].add_fault(Fault(service="oms", kind="status", status=429, retry_after=0))
    with pytest.raises(ThrottledError):
        await wiring.oms().list_items(max_items=100)
    assert cloud.stats.served("oms") == 3


async def test_a_reset_connection_is_retried(wiring: Wiring, cloud: FakeCloud) -> None:
    _tasks(cloud)
    cloud.tenants[0].add_fault(Fault(service="sms", kind="reset", times=1))
    listing = await wiring.sms().list_items(max_items=100)
    assert len(listing.items) == 3
    assert cloud.stats.served("sms") == 2
    # aiohttp itself resends an idempotent GET once when a reused keep-alive connection
    # turns out dead, so the reset may never reach our retry loop; either way one resend.


async def test_a_connection_that_keeps_resetting_is_a_network_error(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    cloud.tenants[0].add_fault(Fault(service="sms", kind="reset"))
    with pytest.raises(NetworkError):
        await wiring.sms().list_items(max_items=100)
    assert wiring.observed == ["error", "error", "error"]


async def test_connection_refused_is_a_network_error(wiring: Wiring) -> None:
    wiring.url = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(NetworkError):
        await wiring.sms().list_items(max_items=100)
    assert wiring.observed == ["error", "error", "error"]


async def test_timeouts_are_retried_then_reported(wiring: Wiring, cloud: FakeCloud) -> None:
    cloud.tenants[0].latency = 0.5
    wiring.policy = RequestPolicy(backoff_base=0.01, total_timeout=0.1)
    with pytest.raises(ApiTimeoutError):
        await wiring.sms().list_items(max_items=100)
    assert cloud.stats.served("sms") == 3


async def test_an_expired_token_is_refreshed_once(wiring: Wiring, cloud: FakeCloud) -> None:
    _tasks(cloud)
    auth = wiring.password()
    client = wiring.sms(auth)
    await client.list_items(max_items=100)
    cloud.expire_tokens()
    await client.list_items(max_items=100)
    assert auth.logins == 2
    assert cloud.stats.served("iam") == 2
    assert cloud.stats.served("sms") == 3  # ok, 401, ok with the new token
    assert [r.status for r in cloud.stats.log if r.service == "sms"] == [200, 401, 200]


async def test_a_token_rejected_again_after_refresh_is_not_retried_further(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    cloud.tenants[0].add_fault(
        Fault(service="sms", kind="status", status=401, error_code="APIGW.0301")
    )
    auth = wiring.password()
    with pytest.raises(AuthError):
        await wiring.sms(auth).list_items(max_items=100)
    assert cloud.stats.served("sms") == 2
    assert auth.logins == 2


async def test_tokens_are_refreshed_before_they_expire(wiring: Wiring, cloud: FakeCloud) -> None:
    clock = [time.time()]
    cloud.clock = lambda: clock[0]
    cloud.token_lifetime = 1000.0
    auth = wiring.password(clock=lambda: clock[0])
    client = wiring.oms(auth)
    await client.list_items(max_items=100)
    clock[0] += 500
    await client.list_items(max_items=100)
    assert auth.logins == 1  # still young: cached
    clock[0] += 310  # 81% of its life: renewed although still valid
    await client.list_items(max_items=100)
    assert auth.logins == 2
    assert all(r.status in (200, 201) for r in cloud.stats.log)


async def test_a_wrong_password_is_not_retried_and_backs_off(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    auth = wiring.password(password="not-the-password")
    with pytest.raises(AuthError):
        await wiring.sms(auth).list_items(max_items=100)
    with pytest.raises(AuthError, match="backed off"):
        await wiring.sms(auth).list_items(max_items=100)
    assert cloud.stats.served("iam") == 1
    assert cloud.stats.served("sms") == 0


async def test_a_bad_signature_is_sent_once_then_the_account_backs_off(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    bad = wiring.aksk(secret_key="wrong-secret-key")
    with pytest.raises(AuthError) as caught:
        await wiring.sms(bad).list_items(max_items=100)
    assert caught.value.status == 401 and caught.value.error_code == "APIGW.0301"
    # The same account's other service and later polls send nothing for five minutes.
    with pytest.raises(AuthError, match="backed off"):
        await wiring.oms(bad).list_items(max_items=100)
    with pytest.raises(AuthError, match="backed off"):
        await wiring.sms(bad).list_items(max_items=100)
    assert cloud.stats.served("sms") == 1 and cloud.stats.served("oms") == 0
    assert cloud.ak_failures[cloud.tenants[0].access_key] == 1  # far from the lock at 5
    assert bad.voice.gate.silenced_for() > 290


async def test_a_403_with_aksk_is_not_retried_and_backs_off(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    cloud.tenants[0].add_fault(
        Fault(service="sms", kind="status", status=403, error_code="SMS.9004")
    )
    with pytest.raises(ForbiddenError) as caught:
        await wiring.sms().list_items(max_items=100)
    assert caught.value.error_code == "SMS.9004"
    assert cloud.stats.served("sms") == 1
    with pytest.raises(AuthError, match="backed off"):
        await wiring.sms().list_items(max_items=100)
    assert cloud.stats.served("sms") == 1


@pytest.mark.parametrize("kind", ["malformed", "html", "wrong_shape"])
async def test_bad_bodies_fail_as_bad_response_without_retry(
    wiring: Wiring, cloud: FakeCloud, kind: str
) -> None:
    cloud.tenants[0].add_fault(Fault(service="oms", kind=kind))  # type: ignore[arg-type]  # parametrized literal
    with pytest.raises(BadResponseError):
        await wiring.oms().list_items(max_items=100)
    assert cloud.stats.served("oms") == 1


async def test_an_empty_502_is_a_server_error(wiring: Wiring, cloud: FakeCloud) -> None:
    cloud.tenants[0].add_fault(Fault(service="sms", kind="empty", times=3))
    with pytest.raises(ServerError):
        await wiring.sms().list_items(max_items=100)


async def test_temporary_credentials_send_a_signed_security_token(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    cloud.tenants[0].security_token = SECURITY_TOKEN
    _tasks(cloud)
    await wiring.sms(wiring.aksk(token=SECURITY_TOKEN)).list_items(max_items=100)
    assert cloud.stats.log[-1].status == 200


async def test_one_failing_account_leaves_the_other_alone(
    make_wiring: object, cloud: FakeCloud
) -> None:
    cloud.tenants.append(make_tenant("acct-b"))
    cloud.tenants[1].sms_tasks = [{"id": "b1"}]
    cloud.tenants[0].add_fault(Fault(service="sms", kind="status", status=500))
    broken = make_wiring("acct-a")  # type: ignore[operator]  # fixture factory
    healthy = make_wiring("acct-b")  # type: ignore[operator]  # fixture factory
    with pytest.raises(ServerError):
        await broken.sms().list_items(max_items=100)
    listing = await healthy.sms().list_items(max_items=100)
    assert [t.key for t in listing.items] == ["b1"]


async def test_a_rejected_key_leaves_its_error_code_and_request_id_on_the_status_and_logs_name_the_account(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    cloud.tenants[0].sms_tasks = [{"id": "t", "state": "RUNNING"}]
    cloud.tenants[0].add_fault(
        Fault(service="sms", kind="status", status=401, error_code="APIGW.0301")
    )
    settings = settings_for(simulator.url, cloud, collect=TASK_LISTS_ONLY)
    poller = build(settings, session, policy=FAST).poller("sms")
    stream = io.StringIO()
    log.configure("debug", "json", stream=stream)  # as the daemon logs: context merged
    try:
        assert not await poller.poll_once()
        kept = poller.status.last_api_error
        assert not await poller.poll_once()  # backed off: no request, no error code this time
    finally:
        log.configure("info", "console")
    logs = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert kept is not None and "HTTP 401 APIGW.0301 request " in kept
    assert poller.status.last_api_error == kept
    assert "backed off" in (poller.status.last_error or "")
    rejected = next(e for e in logs if e["event"] == "credentials rejected")
    assert rejected["error_code"] == "APIGW.0301"
    assert all(e.get("account") == "acct-a" for e in logs), logs
