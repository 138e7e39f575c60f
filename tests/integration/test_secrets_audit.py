"""Secrets audit: debug logging on, every failure path, recognisable secrets, grep everything.

Everything the exporter says is captured: its log stream, every HTTP answer it serves, every
error it records or raises, its effective configuration and its configuration errors.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import aiohttp
import pytest
import structlog
import yaml
from aiohttp import web

from exporter import log
from exporter.cli import effective_config
from exporter.settings import ConfigError, Settings, load
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.server import RunningSimulator
from exporter.web.server import make_app, make_runner
from tests.conftest import FAST, PASSWORD, SECRET_KEY, SECURITY_TOKEN, make_tenant
from tests.fleets import build

PROXY_PASSWORD = "PX-SECRET-6b5a4c3d2e1f"
# A proxy nobody listens on: bypassed for the cloud (NO_PROXY) except in the proxy round.
PROXY = f"http://proxy-user:{PROXY_PASSWORD}@127.0.0.1:9"

# The source cloud's keys, as an OMS answer might echo them from the request models.
SOURCE_AK, SOURCE_SK = "SRC-AK-AUDIT-1f2e3d4c", "SRC-SK-AUDIT-5b6a7988"
ECHOED = {
    "ak": SOURCE_AK,
    "sk": SOURCE_SK,
    "security_token": SOURCE_SK,
    "json_auth_file": SOURCE_SK,
}
ECHOING_GROUPS = json.dumps(
    {
        "count": 2,
        "taskgroups": [
            {"group_id": "g-1", "status": 5, "src_node": {"bucket": "b", **ECHOED}},
            {"group_id": "g-2", "status": "?", "src_node": {"bucket": ECHOED, **ECHOED}},
        ],
    }
).encode()
ECHOING_TASKS = json.dumps(
    {"count": 1, "tasks": [{"id": 1, "status": 4, "src_node": {"region": "r", **ECHOED}}]}
).encode()

FAULTS = [
    Fault(service="sms", kind="status", status=401, error_code="APIGW.0301"),
    Fault(service="oms", kind="status", status=403, error_code="OMS.0005"),
    Fault(service="sms", kind="status", status=429, retry_after=0, times=3),
    Fault(service="oms", kind="status", status=503, times=3),
    Fault(service="sms", kind="reset", times=6),
    Fault(service="oms", kind="malformed"),
    Fault(service="sms", kind="html"),
    Fault(service="oms", kind="wrong_shape"),
    Fault(service="sms", kind="empty", times=3),
    Fault(service="iam", kind="status", status=500),
    # The lists of a wave's objects fail alike.
    Fault(service="sms_projects", kind="status", status=401, error_code="APIGW.0301"),
    Fault(service="sms_projects", kind="malformed"),
    Fault(service="sms_overview", kind="status", status=429, retry_after=0, times=3),
    Fault(service="sms_overview", kind="body", body=b"[1, 2]"),
    Fault(service="oms_groups", kind="status", status=403, error_code="OMS.0005"),
    Fault(service="oms_groups", kind="wrong_shape"),
    Fault(service="oms_groups", kind="body", body=ECHOING_GROUPS),
    Fault(service="oms", kind="body", body=ECHOING_TASKS),
    Fault(service="oms_sync", kind="status", status=401, error_code="APIGW.0301"),
    Fault(service="oms_sync", kind="html"),
]


@pytest.fixture
def configured(tmp_path: Path, cloud: FakeCloud, simulator: RunningSimulator) -> Settings:
    cloud.tenants[0].security_token = SECURITY_TOKEN
    cloud.tenants.append(make_tenant("acct-b", access_key="AKTESTACCESSKEY00002"))
    for name, value in (("sk", SECRET_KEY), ("token", SECURITY_TOKEN), ("password", PASSWORD)):
        (tmp_path / name).write_text(value)
    url = simulator.url
    a, b = cloud.tenants
    return Settings.model_validate(
        {
            "api": {"proxy_url": PROXY},
            "NO_PROXY": "127.0.0.1",
            "accounts": [
                {
                    "name": "acct-a",
                    "region": a.region,
                    "credentials": {
                        "access_key": a.access_key,
                        "secret_key_file": str(tmp_path / "sk"),
                        "security_token_file": str(tmp_path / "token"),
                    },
                    "sms": {"endpoint": url},
                    "oms": {"project_id": a.project_id, "endpoint": url},
                },
                {
                    "name": "acct-b",
                    "region": b.region,
                    "iam_endpoint": url,
                    "credentials": {
                        "username": b.username,
                        "password_file": str(tmp_path / "password"),
                        "domain_name": b.domain_name,
                    },
                    "sms": {"endpoint": url},
                    "oms": {"project_id": b.project_id, "endpoint": url},
                },
            ],
        }
    )


async def test_no_secret_reaches_any_output(
    configured: Settings, cloud: FakeCloud, tmp_path: Path
) -> None:
    stream = io.StringIO()
    log.configure("debug", "json", stream=stream)
    said: list[str] = []
    try:
        # As this audit always polled: a failing source's series go stale after a second.
        polled = configured.model_copy(
            update={"poll_interval_seconds": 10, "stale_after_seconds": 1}
        )
        async with aiohttp.ClientSession() as session:
            built = build(polled, session, policy=FAST)
            snapshot, telemetry = built.snapshot, built.telemetry
            runner = make_runner(make_app(snapshot, telemetry))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            base = f"http://127.0.0.1:{runner.addresses[0][1]}"
            try:
                for fault in [None, *FAULTS]:
                    for tenant in cloud.tenants:
                        tenant.faults.clear()
                        if fault is not None:
                            tenant.add_fault(Fault(**fault.__dict__))
                    cloud.expire_tokens()  # every round also exercises the token refresh
                    await built.fleet.poll_once()
                    said += [status.last_error or "" for status in telemetry.sources.values()]
                    for path in ("/", "/metrics", "/readyz", "/healthz", "/nope"):
                        for headers in (
                            {},
                            {
                                "Accept": "application/openmetrics-text",
                                "Accept-Encoding": "identity",
                            },
                        ):
                            async with session.get(base + path, headers=headers) as response:
                                said.append(await response.text())
                                said.append(str(dict(response.headers)))
            finally:
                await runner.cleanup()
            # The proxy round: every request fails at the (dead) proxy.
            through_proxy = polled.model_copy(update={"no_proxy": None})
            proxied = build(
                through_proxy, session, policy=FAST, snapshot=snapshot, telemetry=telemetry
            )
            for poller in proxied.pollers:
                assert not await poller.poll_once()
                said.append(poller.status.last_error or "")
    finally:
        log.configure("info", "console")
    said.append(stream.getvalue())
    said.append(effective_config(configured))
    said.append(repr(configured))
    for bad in (
        {
            "accounts": [
                {
                    "name": "x",
                    "region": "r",
                    "credentials": {"access_key": "a", "secret_key": SECRET_KEY, "oops": PASSWORD},
                }
            ]
        },
        {
            "accounts": [
                {"name": "x", "region": "r", "credentials": {"username": "u", "password": PASSWORD}}
            ]
        },
        {"api": {"proxy_url": f"proxy-user:{PROXY_PASSWORD}@nowhere"}},
        {"api": {"proxy_url": PROXY, "ca_file": str(tmp_path / "no-such-ca.pem")}},
        {"api": {"proxy_url": PROXY, "ca_file": str(tmp_path / "sk")}},  # not PEM
    ):
        bad_file = tmp_path / "bad.yaml"
        bad_file.write_text(yaml.safe_dump(bad))
        with pytest.raises(ConfigError) as caught:
            load(bad_file)
        said.append(str(caught.value))
    text = "\n".join(said)
    assert '"level": "debug"' in text  # debug logging really was on
    assert "credentials rejected" in text and "poll failed" in text  # the failure paths really ran
    assert "failed at the proxy" in text and "api.ca_file: cannot load" in text
    assert 'group_id="g-1"' in text  # the echoing answers were served, and read
    secrets = (SECRET_KEY, PASSWORD, SECURITY_TOKEN, PROXY_PASSWORD, SOURCE_AK, SOURCE_SK)
    for secret in (*secrets, *cloud.tokens):
        assert secret not in text
    structlog.reset_defaults()


@pytest.mark.parametrize("level", ["debug", "info", "warn", "error"])
async def test_no_temporary_secret_reaches_any_output(
    cloud: FakeCloud, simulator: RunningSimulator, tmp_path: Path, level: str
) -> None:
    """Temporary keys, security tokens, ID tokens, pod identity tokens, IAM tokens and metadata
    session tokens, through every provider's success, refusal, outage and expiry."""
    from tests.integration.test_temporary_credentials import (
        ID_TOKEN,
        POD_TOKEN,
        PROVIDERS,
        Clock,
        settings_for,
        trusting,
    )

    clock = Clock()
    cloud.clock = clock
    cloud.identities.lifetime = 60.0
    stream = io.StringIO()
    log.configure(level, "json", stream=stream)
    said: list[str] = []
    try:
        async with aiohttp.ClientSession() as session:
            for provider in PROVIDERS:
                trusting(cloud, provider)
                settings = settings_for(cloud, simulator.url, tmp_path, provider)
                built = build(settings, session, policy=FAST, clock=clock)
                await built.fleet.poll_once()  # fetched, signed
                cloud.tenants[0].add_fault(
                    Fault(service="sms", kind="status", status=401, error_code="APIGW.0301")
                )
                await built.fleet.poll_once()  # a temporary key refused
                cloud.tenants[0].faults.clear()
                cloud.identities.outage = True
                for step in (55, 10, 10):  # refresh failed, key expired, still failing
                    clock.now += step
                    await built.fleet.poll_once()
                cloud.identities.outage = False
                cloud.identities.id_tokens.clear()  # the ID token refused
                cloud.identities.pod_identity.clear()
                clock.now += 600
                await built.fleet.poll_once()
                said += [status.last_error or "" for status in built.telemetry.sources.values()]
                said.append(effective_config(settings))
                said.append(repr(settings))
                said.append(repr(built.fleet.pollers))
    finally:
        log.configure("info", "console")
    said.append(stream.getvalue())
    text = "\n".join(said)
    ids = cloud.identities
    assert len(ids.issued) >= len(PROVIDERS) and ids.metadata_sessions and cloud.tokens
    if level == "debug":
        assert "temporary credentials obtained" in text
    if level in ("debug", "info", "warn"):
        assert "temporary credentials not obtained" in text
    secrets_ = [ID_TOKEN, POD_TOKEN, *ids.metadata_sessions, *cloud.tokens]
    for key in ids.issued.values():
        secrets_ += [key.access_key, key.secret_key, key.security_token]
    for secret in secrets_:
        assert secret not in text
    structlog.reset_defaults()
