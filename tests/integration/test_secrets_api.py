"""No secret in any log line, exception message or repr on any failure path of the API layer."""

from __future__ import annotations

import pytest
import structlog

from exporter.huawei.errors import ApiError
from exporter.simulator.cloud import FakeCloud, Fault
from tests.conftest import PASSWORD, SECRET_KEY, SECURITY_TOKEN, Wiring

FAULTS = [
    Fault(service="sms", kind="status", status=503, times=3),
    Fault(service="sms", kind="status", status=429, retry_after=0, times=3),
    Fault(service="sms", kind="status", status=401),
    Fault(service="sms", kind="status", status=403),
    Fault(service="sms", kind="malformed"),
    Fault(service="sms", kind="html"),
    Fault(service="sms", kind="reset"),
    Fault(service="iam", kind="status", status=500),
]


def _secrets(cloud: FakeCloud) -> list[str]:
    return [SECRET_KEY, PASSWORD, SECURITY_TOKEN, *cloud.tokens]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f"{f.service}-{f.kind}-{f.status}")
@pytest.mark.parametrize("mode", ["aksk", "password"])
async def test_failures_never_reveal_a_secret(
    wiring: Wiring, cloud: FakeCloud, fault: Fault, mode: str
) -> None:
    cloud.tenants[0].security_token = SECURITY_TOKEN
    cloud.tenants[0].add_fault(fault)
    auth = wiring.aksk(token=SECURITY_TOKEN) if mode == "aksk" else wiring.password()
    seen: list[str] = [repr(auth)]
    with structlog.testing.capture_logs() as logs:
        for _ in range(2):
            try:
                await wiring.sms(auth).list_items(max_items=10)
            except ApiError as exc:
                seen += [str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__)]
    seen += [repr(entry) for entry in logs]
    text = "\n".join(seen)
    for secret in _secrets(cloud):
        assert secret not in text
    assert "Authorization" not in text and "X-Auth-Token" not in text


async def test_a_wrong_password_is_not_echoed(wiring: Wiring, cloud: FakeCloud) -> None:
    wrong = "WRONG-PW-SECRET-123456"
    with structlog.testing.capture_logs() as logs, pytest.raises(ApiError) as caught:
        await wiring.sms(wiring.password(password=wrong)).list_items(max_items=10)
    text = f"{caught.value!s} {caught.value!r} {logs!r}"
    assert wrong not in text and PASSWORD not in text
