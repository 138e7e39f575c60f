"""Credentials stay with their origin: redirects, proxies, private CAs, odd token expiries.

Each hostile peer is a real HTTP server on loopback (tests/peers.py); the exporter is wired as
it runs (settings -> the fleet's pollers) and polls it over real HTTP.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web
from structlog.testing import capture_logs

from exporter.services import SERVICES
from exporter.settings import ConfigError, Settings, load
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import RunningSimulator, start
from exporter.sources import new_session
from exporter.telemetry import SourceStatus
from tests.conftest import FAST, PASSWORD, SECRET_KEY, make_tenant
from tests.fleets import build
from tests.payloads import TASK_LISTS_ONLY
from tests.peers import Peer


def settings(**account: Any) -> Settings:
    base: dict[str, Any] = {
        "name": "acct-a",
        "region": "ap-southeast-3",
        "credentials": {"access_key": "AKTESTACCESSKEY00001", "secret_key": SECRET_KEY},
        "oms": {"enabled": False},
    }
    api = account.pop("api", {})
    env = account.pop("env", {})
    return Settings.model_validate({"accounts": [{**base, **account}], "api": api, **env})


async def poll(config: Settings) -> tuple[bool, SourceStatus, list[MutableMapping[str, Any]]]:
    """One poll of the first source; whether it succeeded, its status, and what it logged."""
    with capture_logs() as logs:
        async with new_session() as session:
            (poller, *_) = build(config, session, policy=FAST).pollers
            ok = await poller.poll_once()
    return ok, poller.status, logs


def redirect_to(target: str, status: int = 307) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": f"{target}/v3/auth/tokens?x=1"})

    return handler


async def record_only(request: web.Request) -> web.StreamResponse:
    return web.json_response({"token": {"expires_at": "2099-01-01T00:00:00Z"}}, status=201)


# ---- 1. no redirect is followed ------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_an_iam_redirect_is_refused_and_the_password_goes_nowhere_else(status: int) -> None:
    with (
        Peer(record_only, host="127.0.0.2") as elsewhere,
        Peer(redirect_to(elsewhere.url, status)) as iam,
    ):
        config = settings(
            iam_endpoint=iam.url,
            credentials={"username": "u", "password": PASSWORD, "domain_name": "d"},
            sms={"endpoint": iam.url},
        )
        ok, status_, logs = await poll(config)
    assert not ok
    assert status_.errors["bad_response"] == 1
    assert elsewhere.seen == []  # not one byte went to the redirect's host
    assert len(iam.seen) == 1 and PASSWORD in iam.seen[0].text()  # sent once, to IAM only
    (failed,) = [e for e in logs if e["event"] == "poll failed"]
    assert failed["reason"] == "bad_response"
    assert f"status={status}" in failed["error"] and "127.0.0.2" in failed["error"]
    assert "/v3/auth/tokens" not in failed["error"] and "x=1" not in failed["error"]
    assert PASSWORD not in repr(logs)


async def test_an_api_redirect_is_refused_and_the_signature_goes_nowhere_else() -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(status=307, headers={"Location": f"{elsewhere.url}/v3/tasks"})

    with Peer(record_only, host="127.0.0.2") as elsewhere, Peer(redirect) as api:
        ok, status, _ = await poll(settings(sms={"endpoint": api.url}))
    assert not ok and status.errors["bad_response"] == 1
    assert elsewhere.seen == []
    assert "Authorization" in api.seen[0].headers
    assert "redirect refused: to 127.0.0.2" in (status.last_error or "")


# ---- 3. an expiry in the past costs one login, not one per request -------------------------


@pytest.fixture
def skewed_cloud() -> FakeCloud:
    tenant = estate(make_tenant(), sms=2000, oms=0, now=0.0, plans=False)
    # Valid tokens, whose reported expiry lies two days in the past (skew, odd gateway).
    return FakeCloud(tenants=[tenant], reported_expiry_offset=-48 * 3600.0)


@pytest.fixture
async def skewed(skewed_cloud: FakeCloud) -> AsyncIterator[RunningSimulator]:
    running = await start(skewed_cloud)
    yield running
    await running.close()


async def test_an_expiry_in_the_past_costs_one_login_per_poll_and_one_warning(
    skewed_cloud: FakeCloud, skewed: RunningSimulator
) -> None:
    tenant = skewed_cloud.tenants[0]
    config = Settings.model_validate(
        {
            "accounts": [{**tenant.account_config(skewed.url, password=True), "oms": {}}],
            "collect": TASK_LISTS_ONLY,
        }
    )
    with capture_logs() as logs:
        async with new_session() as session:
            (poller,) = build(config, session, policy=FAST).pollers
            assert await poller.poll_once()
            assert await poller.poll_once()
    logins = [r for r in skewed_cloud.stats.log if r.service == "iam"]
    pages = [r for r in skewed_cloud.stats.log if r.service == "sms"]
    assert len(pages) == 20  # two polls of ten pages
    assert len(logins) == 1
    warnings = [e for e in logs if e["event"].startswith("IAM token expires too soon")]
    assert len(warnings) == 1 and warnings[0]["expires_in_s"] < 0


# ---- 7. proxies ----------------------------------------------------------------------------


def forwarding_proxy(credentials: str | None = None) -> Any:
    """An HTTP proxy for plain-http targets: checks Proxy-Authorization, forwards the request."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if credentials is not None and request.headers.get("Proxy-Authorization") != credentials:
            return web.Response(status=407, headers={"Proxy-Authenticate": 'Basic realm="p"'})
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("proxy-authorization", "proxy-connection", "host")
        }
        headers["Host"] = request.url.raw_authority
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                request.method, request.url, headers=headers, data=await request.read()
            ) as answer,
        ):
            body = await answer.read()
            passed = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() in ("content-type", "x-subject-token", "x-request-id")
            }
            return web.Response(status=answer.status, body=body, headers=passed)

    return handler


@pytest.fixture
async def cloud_url(cloud: FakeCloud) -> AsyncIterator[str]:
    estate(cloud.tenants[0], sms=30, oms=10, now=0.0, plans=False)
    running = await start(cloud)
    yield running.url
    await running.close()


def both_services(cloud: FakeCloud, url: str, **top: Any) -> Settings:
    account = cloud.tenants[0].account_config(url, password=True)
    return Settings.model_validate({"accounts": [account], **top})


async def poll_all(config: Settings) -> list[bool]:
    """Each source polled once, one after the other; whether each poll succeeded."""
    async with new_session() as session:
        return [await p.poll_once() for p in build(config, session, policy=FAST).pollers]


async def test_api_proxy_url_carries_every_request_with_its_credentials(
    cloud: FakeCloud, cloud_url: str
) -> None:
    auth = "Basic " + __import__("base64").b64encode(b"proxy-user:PROXY-PW-77aa").decode()
    with Peer(forwarding_proxy(auth)) as proxy:
        host = proxy.url.removeprefix("http://")
        config = both_services(
            cloud, cloud_url, api={"proxy_url": f"http://proxy-user:PROXY-PW-77aa@{host}"}
        )
        assert await poll_all(config) == [True] * len(SERVICES)
    kinds = {seen.url.split("?")[0].removeprefix(cloud_url) for seen in proxy.seen}
    assert {
        "/v3/auth/tokens",
        "/v3/tasks",
        "/v3/sources",
        f"/v2/{cloud.tenants[0].project_id}/tasks",
    } <= kinds
    assert all(seen.url.startswith(cloud_url) for seen in proxy.seen)  # absolute-form: proxied
    # The proxy's credentials went to the proxy, never on to the cloud.
    assert all(r.status in (200, 201) for r in cloud.stats.log)
    assert "PROXY-PW" not in json.dumps(config.model_dump(mode="json"))


async def test_the_https_proxy_variable_is_honoured_and_no_proxy_respected(
    cloud: FakeCloud, cloud_url: str
) -> None:
    with Peer(forwarding_proxy()) as proxy:
        via = both_services(cloud, cloud_url, HTTP_PROXY=proxy.url)
        assert await poll_all(via) == [True] * len(SERVICES)
        proxied = len(proxy.seen)
        direct = both_services(
            cloud, cloud_url, HTTP_PROXY=proxy.url, NO_PROXY="localhost,127.0.0.1"
        )
        assert await poll_all(direct) == [True] * len(SERVICES)
        explicit = both_services(
            cloud, cloud_url, api={"proxy_url": proxy.url}, NO_PROXY="127.0.0.0/8"
        )
        assert await poll_all(explicit) == [True] * len(SERVICES)
    assert proxied >= 3
    assert len(proxy.seen) == proxied  # NO_PROXY: nothing more went through the proxy


def test_a_proxy_url_that_is_not_a_url_names_the_key_and_hides_the_value(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"api": {"proxy_url": "proxy-user:PROXY-PW-77aa@nowhere"}}))
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert "api.proxy_url" in str(caught.value) and "PROXY-PW" not in str(caught.value)


# ---- 8. a private CA -----------------------------------------------------------------------


@pytest.fixture
def private_ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.fixture
async def https_cloud(cloud: FakeCloud, private_ca: tuple[trustme.CA, Path]) -> AsyncIterator[str]:
    estate(cloud.tenants[0], sms=5, oms=3, now=0.0, plans=False)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    private_ca[0].issue_cert("localhost").configure_cert(context)
    running = await start(cloud, ssl_context=context)
    yield running.url.replace("https://127.0.0.1", "https://localhost")
    await running.close()


async def test_a_private_ca_endpoint_is_trusted_with_ca_file_and_refused_without(
    cloud: FakeCloud, https_cloud: str, private_ca: tuple[trustme.CA, Path]
) -> None:
    trusted = both_services(cloud, https_cloud, api={"ca_file": str(private_ca[1])})
    assert await poll_all(trusted) == [True] * len(SERVICES)
    ok, status, _ = await poll(
        settings(
            iam_endpoint=https_cloud,
            credentials={"username": "user-acct-a", "password": PASSWORD, "domain_name": "d"},
            sms={"endpoint": https_cloud},
        )
    )
    assert not ok and status.errors["network"] == 1
    assert "TLS certificate of localhost not trusted (a private CA goes in api.ca_file)" in (
        status.last_error or ""
    )


def test_a_ca_file_that_is_missing_or_not_pem_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    for ca_file, reason in (
        (tmp_path / "missing.pem", "No such file or directory"),
        (tmp_path / "junk.pem", "no PEM certificate in it"),
    ):
        path = tmp_path / "c.yaml"
        path.write_text(json.dumps({"api": {"ca_file": str(ca_file)}}))
        with pytest.raises(ConfigError) as caught:
            load(path)
        assert f"api.ca_file: cannot load {ca_file} as CA certificates: {reason}" in str(
            caught.value
        )


# ---- 12. API-supplied error fields are bounded ---------------------------------------------


async def test_a_huge_error_code_and_request_id_are_clipped_in_logs_and_status() -> None:
    async def refuse(request: web.Request) -> web.StreamResponse:
        code = "SMS.9004" + "X" * (1 << 20) + "\n\x1b[31m"  # 1 MB, a terminal escape
        return web.json_response(
            {"error_code": code, "error_msg": "no"},
            status=403,
            headers={"X-Request-Id": "r" * 8000},
        )

    with Peer(refuse) as api:
        ok, status, logs = await poll(settings(sms={"endpoint": api.url}))
    assert not ok and status.errors["forbidden"] == 1
    assert status.last_error is not None and len(status.last_error) < 400
    assert "error_code=SMS.9004XXX" in status.last_error and "…" in status.last_error
    assert "request_id=rrr" in status.last_error
    for event in logs:
        assert all(len(str(value)) < 400 for value in event.values()), event
        assert "\x1b" not in repr(event.values())
