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
from functools import partial
from typing import Any, cast

import msgspec
from aiohttp import web

from exporter.huawei import signing
from exporter.simulator import temporary as temporary_credentials
from exporter.simulator.cloud import (
    AK_LOCK_FAILURES,
    AK_LOCK_SECONDS,
    Denied,
    FakeCloud,
    Fault,
    IssuedToken,
    RequestRecord,
    Service,
    Tenant,
)
from exporter.simulator.lists import LISTS, SimList

CLOUD = web.AppKey("cloud", FakeCloud)
TENANT = web.RequestKey("tenant", str)  # who a request authenticated as, for the record
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        body=msgspec.json.encode(payload),  # 3-5x the stdlib: it shares the benchmark's CPU
        content_type="application/json",
        headers={"X-Request-Id": secrets.token_hex(16), **headers},
    )


@web.middleware
async def _record(request: web.Request, handler: Handler) -> web.StreamResponse:
    cloud = request.app[CLOUD]
    arrived = cloud.clock()
    # Each route is named after the service it serves; anything else is nobody's.
    service = cast(Service, (request.match_info.route.name or "none").partition(".")[0])
    cloud.stats.requests[service] += 1
    cloud.stats.in_flight += 1
    in_flight = cloud.stats.in_flight
    cloud.stats.max_in_flight = max(cloud.stats.max_in_flight, in_flight)
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
                in_flight=in_flight,
                done_at=cloud.clock(),
            )
        )


def _authenticate(request: web.Request, cloud: FakeCloud, body: bytes = b"") -> Tenant:
    token = request.headers.get("X-Auth-Token")
    if token is not None:
        issued = cloud.tokens.get(token)
        if issued is None or issued.revoked or cloud.clock() >= issued.expires_at:
            raise Denied(401, "APIGW.0301", "Incorrect IAM authentication information")
        return cloud.tenant(issued.tenant)
    parsed = signing.parse_authorization(request.headers.get("Authorization", ""))
    if parsed is None:
        raise Denied(401, "APIGW.0301", "Incorrect IAM authentication information")
    now = cloud.clock()
    if cloud.ak_locked_until.get(parsed.access_key, 0.0) > now:
        raise Denied(401, "APIGW.0305", "Access key locked after repeated failures")
    tenant: Tenant | None
    security_token: str | None
    temporary = cloud.identities.issued.get(parsed.access_key)
    if temporary is not None:
        tenant = cloud.tenant(temporary.tenant)
        secret_key, security_token = temporary.secret_key, temporary.security_token
        if request.headers.get("X-Security-Token") != security_token:
            cloud.identities.untokened_uses += 1
        if now >= temporary.expires_at:
            cloud.identities.expired_uses += 1
            raise Denied(401, "APIGW.0301", "The security token has expired")
    else:
        found = cloud.by_access_key(parsed.access_key)
        tenant, secret_key, security_token = (
            (found, found.secret_key, found.security_token) if found else (None, "", None)
        )
    sdk_date = request.headers.get("X-Sdk-Date", "")
    if (
        tenant is None
        or not _fresh(sdk_date, now)
        or not _signature_ok(request, parsed, secret_key, sdk_date, body)
    ):
        _count_failure(cloud, parsed.access_key, now)
        raise Denied(401, "APIGW.0301", "Incorrect IAM authentication information")
    if security_token is not None and (
        request.headers.get("X-Security-Token") != security_token
        or "x-security-token" not in parsed.signed_headers
    ):
        _count_failure(cloud, parsed.access_key, now)
        raise Denied(401, "APIGW.0301", "Incorrect security token")
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


def _retry_after(fault: Fault) -> dict[str, str]:
    if fault.retry_after is None:
        return {}
    if isinstance(fault.retry_after, str):
        return {"Retry-After": fault.retry_after}
    return {"Retry-After": f"{fault.retry_after:g}"}


async def _apply_fault(
    request: web.Request, tenant: Tenant, sim: SimList
) -> web.StreamResponse | None:
    fault: Fault | None = tenant.take_fault(sim.service)
    if fault is None:
        return None
    if fault.kind == "status":
        return _error(fault.status, fault.error_code, "injected fault", **_retry_after(fault))
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
    items = sim.everything(tenant)
    if fault.kind == "churn":
        now_ms = int(request.app[CLOUD].clock() * 1000)
        items.insert(0, sim.fresh(len(items) + 50_000, now_ms))
    elif fault.kind == "vanish" and items:
        items.pop(0)
    return None


async def _list(sim: SimList, request: web.Request) -> web.StreamResponse:
    """One page of one of a tenant's lists, after its checks and its injected faults."""
    cloud = request.app[CLOUD]
    try:
        tenant = _authenticate(request, cloud)
        limit, offset = (0, 0) if sim.whole is not None else sim.paging(request)
        sim.check(request, tenant)
    except Denied as denied:
        return _error(denied.status, denied.code, str(denied))
    cloud.stats.by_tenant[tenant.name] += 1
    request[TENANT] = tenant.name
    if tenant.latency:
        await asyncio.sleep(tenant.latency)
    faulty = await _apply_fault(request, tenant, sim)
    if faulty is not None:
        return faulty
    if sim.whole is not None:  # one object, no paging
        return _json(sim.whole(tenant, cloud.clock()))
    count, page = sim.page(tenant, cloud.clock(), offset, limit, request.query)
    return _json({"count": max(count + tenant.count_skew, 0), sim.items: page})


async def _issue_token(request: web.Request) -> web.StreamResponse:
    cloud = request.app[CLOUD]
    if cloud.iam_latency:
        await asyncio.sleep(cloud.iam_latency)
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
        return _error(fault.status, fault.error_code, "injected fault", **_retry_after(fault))
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
    app.router.add_post("/v3/auth/tokens", _issue_token, name="iam")
    temporary_credentials.add_routes(app, CLOUD)
    for sim in LISTS:
        app.router.add_get(sim.path, partial(_list, sim), name=sim.service)
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
