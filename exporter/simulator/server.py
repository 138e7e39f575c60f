"""The fake Huawei Cloud over real HTTP: IAM tokens, SMS and OMS task lists.

It checks AK/SK signatures the way the API gateway does (and locks an AK after five bad
ones), checks tokens, pages with `limit`/`offset`/`count`, injects the tenant's faults, and
records every request it served.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from exporter.huawei import signing
from exporter.simulator.cloud import (
    AK_LOCK_FAILURES,
    AK_LOCK_SECONDS,
    FakeCloud,
    Fault,
    IssuedToken,
    RequestRecord,
    Service,
    Tenant,
)
from exporter.simulator.tasks import oms_task, sms_task

CLOUD = web.AppKey("cloud", FakeCloud)
TENANT = web.RequestKey("tenant", str)  # who a request authenticated as, for the record
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Denied(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    body = json.dumps({"error_code": code, "error_msg": message})
    return web.Response(
        status=status,
        body=body.encode(),
        content_type="application/json",
        headers={"X-Request-Id": secrets.token_hex(16), **headers},
    )


def _json(payload: Any, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(payload, ensure_ascii=False).encode(),
        content_type="application/json",
        headers={"X-Request-Id": secrets.token_hex(16), **headers},
    )


def _service_of(path: str) -> Service:
    if path.startswith("/v3/auth"):
        return "iam"
    return "sms" if path.startswith("/v3/") else "oms"


@web.middleware
async def _record(request: web.Request, handler: Handler) -> web.StreamResponse:
    cloud = request.app[CLOUD]
    arrived = cloud.clock()
    service = _service_of(request.path)
    cloud.stats.requests[service] += 1
    cloud.stats.in_flight += 1
    cloud.stats.max_in_flight = max(cloud.stats.max_in_flight, cloud.stats.in_flight)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        cloud.stats.in_flight -= 1
        auth = (
            "aksk"
            if "Authorization" in request.headers
            else "token"
            if "X-Auth-Token" in request.headers
            else "password"
            if service == "iam"
            else "none"
        )
        cloud.stats.log.append(
            RequestRecord(
                service=service,
                method=request.method,
                path=request.path,
                query=request.raw_path.partition("?")[2],
                status=status,
                auth=auth,
                tenant=request.get(TENANT),
                at=arrived,
            )
        )


def _authenticate(request: web.Request, cloud: FakeCloud, body: bytes = b"") -> Tenant:
    token = request.headers.get("X-Auth-Token")
    if token is not None:
        issued = cloud.tokens.get(token)
        if issued is None or issued.revoked or cloud.clock() >= issued.expires_at:
            raise _Denied(401, "APIGW.0301", "Incorrect IAM authentication information")
        return cloud.tenant(issued.tenant)
    parsed = signing.parse_authorization(request.headers.get("Authorization", ""))
    if parsed is None:
        raise _Denied(401, "APIGW.0301", "Incorrect IAM authentication information")
    now = cloud.clock()
    if cloud.ak_locked_until.get(parsed.access_key, 0.0) > now:
        raise _Denied(401, "APIGW.0305", "Access key locked after repeated failures")
    tenant = cloud.by_access_key(parsed.access_key)
    sdk_date = request.headers.get("X-Sdk-Date", "")
    if (
        tenant is None
        or not _fresh(sdk_date, now)
        or not _signature_ok(request, parsed, tenant.secret_key, sdk_date, body)
    ):
        _count_failure(cloud, parsed.access_key, now)
        raise _Denied(401, "APIGW.0301", "Incorrect IAM authentication information")
    if tenant.security_token is not None and (
        request.headers.get("X-Security-Token") != tenant.security_token
        or "x-security-token" not in parsed.signed_headers
    ):
        _count_failure(cloud, parsed.access_key, now)
        raise _Denied(401, "APIGW.0301", "Incorrect security token")
    cloud.ak_failures[parsed.access_key] = 0
    return tenant


def _count_failure(cloud: FakeCloud, access_key: str, now: float) -> None:
    cloud.ak_failures[access_key] += 1
    if cloud.ak_failures[access_key] >= AK_LOCK_FAILURES:
        cloud.ak_locked_until[access_key] = now + AK_LOCK_SECONDS


def _fresh(sdk_date: str, now: float) -> bool:
    try:
        signed_at = datetime.strptime(sdk_date, signing.DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return False
    return abs(signed_at.timestamp() - now) <= 15 * 60


def _signature_ok(
    request: web.Request,
    parsed: signing.ParsedAuthorization,
    secret_key: str,
    sdk_date: str,
    body: bytes,
) -> bool:
    if "host" not in parsed.signed_headers or "x-sdk-date" not in parsed.signed_headers:
        return False
    raw_path, _, raw_query = request.raw_path.partition("?")
    expected = signing.expected_signature(
        method=request.method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=dict(request.headers),
        signed_headers=parsed.signed_headers,
        body=body,
        secret_key=secret_key,
        sdk_date=sdk_date,
    )
    return secrets.compare_digest(expected, parsed.signature)


async def _apply_fault(
    request: web.Request, tenant: Tenant, service: Service, tasks: list[Any]
) -> web.StreamResponse | None:
    fault: Fault | None = tenant.take_fault(service)
    if fault is None:
        return None
    if fault.kind == "status":
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        return _error(fault.status, fault.error_code, "injected fault", **headers)
    if fault.kind == "html":
        return web.Response(
            status=200,
            text="<html><body>Gateway maintenance</body></html>",
            content_type="text/html",
        )
    if fault.kind == "malformed":
        return web.Response(
            status=200, body=b'{"count": 3, "tasks": [{"id": ', content_type="application/json"
        )
    if fault.kind == "wrong_shape":
        return _json({"count": "many", "tasks": {"id": "x"}})
    if fault.kind == "empty":
        return web.Response(status=502)
    if fault.kind == "body":
        return web.Response(status=200, body=fault.body, content_type="application/json")
    if fault.kind == "reset":
        # Drop the connection mid-request: the client sees a disconnect, not an answer.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)
    now_ms = int(request.app[CLOUD].clock() * 1000)
    if fault.kind == "churn":
        index = len(tasks) + 50_000
        task = (
            sms_task(index, now_ms=now_ms) if service == "sms" else oms_task(index, now_ms=now_ms)
        )
        tasks.insert(0, task)
    elif fault.kind == "vanish" and tasks:
        tasks.pop(0)
    return None


def _paging(
    request: web.Request, max_limit: int, min_limit: int, max_offset: int | None
) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", "100" if max_limit == 200 else "10"))
        offset = int(request.query.get("offset", "0"))
    except ValueError:
        raise _Denied(400, "SMS.0201", "limit and offset must be integers") from None
    if (
        not min_limit <= limit <= max_limit
        or offset < 0
        or (max_offset is not None and offset > max_offset)
    ):
        raise _Denied(400, "SMS.0201", "limit or offset out of range")
    return limit, offset


def _check_sms(request: web.Request, tenant: Tenant) -> tuple[int, int]:
    return _paging(request, max_limit=200, min_limit=0, max_offset=65535)


def _check_oms(request: web.Request, tenant: Tenant) -> tuple[int, int]:
    paging = _paging(request, max_limit=100, min_limit=1, max_offset=10_000)
    if request.match_info["project_id"] != tenant.project_id:
        raise _Denied(403, "OMS.0005", "project does not belong to this account")
    signed = "Authorization" in request.headers
    if signed and request.headers.get("X-Project-Id") != tenant.project_id:
        raise _Denied(401, "APIGW.0301", "X-Project-Id missing or wrong")
    return paging


async def _list(request: web.Request, service: Service) -> web.StreamResponse:
    """One page of a tenant's SMS or OMS tasks, after its checks and its injected faults."""
    cloud = request.app[CLOUD]
    try:
        tenant = _authenticate(request, cloud)
        limit, offset = (_check_sms if service == "sms" else _check_oms)(request, tenant)
    except _Denied as denied:
        return _error(denied.status, denied.code, str(denied))
    cloud.stats.by_tenant[tenant.name] += 1
    request[TENANT] = tenant.name
    if tenant.latency:
        await asyncio.sleep(tenant.latency)
    everything = tenant.sms_tasks if service == "sms" else tenant.oms_tasks
    faulty = await _apply_fault(request, tenant, service, everything)
    if faulty is not None:
        return faulty
    page = (tenant.sms_page if service == "sms" else tenant.oms_page)(cloud.clock(), offset, limit)
    return _json({"count": max(len(everything) + tenant.count_skew, 0), "tasks": page})


async def _list_sms(request: web.Request) -> web.StreamResponse:
    return await _list(request, "sms")


async def _list_oms(request: web.Request) -> web.StreamResponse:
    return await _list(request, "oms")


async def _issue_token(request: web.Request) -> web.StreamResponse:
    cloud = request.app[CLOUD]
    try:
        body = await request.json()
        identity = body["auth"]["identity"]["password"]["user"]
        scope = body["auth"]["scope"]["project"]
        name, password, domain = identity["name"], identity["password"], identity["domain"]["name"]
    except (ValueError, KeyError, TypeError):
        return _error(400, "IAM.0003", "malformed token request")
    tenant = next(
        (t for t in cloud.tenants if t.username == name and t.domain_name == domain), None
    )
    if tenant is None or not secrets.compare_digest(tenant.password or "", str(password)):
        return _error(401, "IAM.0101", "The username or password is wrong")
    fault = tenant.take_fault("iam")
    if fault is not None and fault.kind == "status":
        return _error(fault.status, fault.error_code, "injected fault")
    if (
        scope.get("id", tenant.project_id) != tenant.project_id
        or scope.get("name", tenant.region) != tenant.region
    ):
        return _error(403, "IAM.0002", "project not found in this domain")
    token = "MII" + secrets.token_urlsafe(48)
    expires_at = cloud.clock() + cloud.token_lifetime
    cloud.tokens[token] = IssuedToken(tenant=tenant.name, expires_at=expires_at)
    reported = expires_at + cloud.reported_expiry_offset
    expiry = datetime.fromtimestamp(reported, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return _json(
        {"token": {"expires_at": expiry, "methods": ["password"], "project": scope}},
        status=201,
        **{"X-Subject-Token": token},
    )


def make_app(cloud: FakeCloud) -> web.Application:
    app = web.Application(middlewares=[_record])
    app[CLOUD] = cloud
    app.router.add_post("/v3/auth/tokens", _issue_token)
    app.router.add_get("/v3/tasks", _list_sms)
    app.router.add_get("/v2/{project_id}/tasks", _list_oms)
    return app


@dataclass
class RunningSimulator:
    url: str
    runner: web.AppRunner

    async def close(self) -> None:
        await self.runner.cleanup()


async def start(
    cloud: FakeCloud,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_context: ssl.SSLContext | None = None,
) -> RunningSimulator:
    """Serve `cloud` on loopback (https with `ssl_context`); port 0 picks a free one. Close it
    with `.close()`."""
    runner = web.AppRunner(make_app(cloud), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    server = site._server  # aiohttp keeps the bound sockets here; port 0 needs them
    assert server is not None
    bound = server.sockets[0].getsockname()  # type: ignore[attr-defined]  # asyncio.Server
    scheme = "https" if ssl_context else "http"
    return RunningSimulator(url=f"{scheme}://{host}:{bound[1]}", runner=runner)


class SimulatorThread:
    """The simulator on its own event loop in a thread, for tests that drive a subprocess.

    `call(fn)` runs `fn(cloud)` on the simulator's loop, so changes never race a request.
    """

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
        self.url = ""

    def __enter__(self) -> SimulatorThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("simulator did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def call(self, fn: Callable[[FakeCloud], Any]) -> Any:
        async def run() -> Any:
            return fn(self.cloud)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        running = self._loop.run_until_complete(start(self.cloud))
        self.url = running.url
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(running.close())
        self._loop.close()
