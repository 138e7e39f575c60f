"""Shared fixtures: a fake cloud on loopback and clients wired to it the way the exporter does."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import configuration as hypothesis_configuration
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr

from exporter.huawei.auth import AkSkAuth, Authenticator, Scope, TokenAuth
from exporter.huawei.gate import Gates
from exporter.huawei.http import AccountGuard, Endpoint, RequestPolicy, TokenBucket
from exporter.huawei.listing import ListRequest, list_mapped
from exporter.huawei.paging import Listing
from exporter.huawei.payload import Listed, ListedPage
from exporter.services.oms_tasks import SERVICE as OMS_TASKS
from exporter.services.service import ListService
from exporter.services.sms_tasks import SERVICE as SMS_TASKS
from exporter.settings import Account
from exporter.simulator.cloud import FakeCloud, Tenant
from exporter.simulator.server import RunningSimulator, start

# Recognisable fake secrets: the secrets audit greps every output for them.
SECRET_KEY = "SK-SECRET-4c1f9e7d2b8a6350"
PASSWORD = "PW-SECRET-9a8b7c6d5e4f3021"
SECURITY_TOKEN = "ST-SECRET-0f1e2d3c4b5a6978"
ACCESS_KEY = "AKTESTACCESSKEY00001"
PROJECT_ID = "a" * 32


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output (then read the diff)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


# Tests write nothing into the source tree: Hypothesis keeps no example database, and its
# caches go to the temporary directory instead of ./.hypothesis.
hypothesis_configuration.set_hypothesis_home_dir(
    Path(tempfile.gettempdir()) / "hwmig-tests-hypothesis"
)
hypothesis_settings.register_profile("no-database", database=None)
hypothesis_settings.load_profile("no-database")

FAST = RequestPolicy(backoff_base=0.01, backoff_cap=0.05, total_timeout=5.0)


def make_tenant(name: str = "acct-a", **changes: Any) -> Tenant:
    tenant = Tenant(
        name=name,
        access_key=ACCESS_KEY if name == "acct-a" else f"AK{name.upper():0>18}"[:20],
        secret_key=SECRET_KEY,
        project_id=PROJECT_ID,
        username=f"user-{name}",
        password=PASSWORD,
        domain_name=f"domain-{name}",
    )
    return dataclasses.replace(tenant, **changes)


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud(tenants=[make_tenant()])


@pytest.fixture
async def simulator(cloud: FakeCloud) -> AsyncIterator[RunningSimulator]:
    running = await start(cloud)
    yield running
    await running.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@dataclass
class Wiring:
    """Clients for one tenant of the simulator, as the exporter builds them."""

    session: aiohttp.ClientSession
    url: str
    tenant: Tenant
    policy: RequestPolicy = FAST
    observed: list[str] | None = None

    def __post_init__(self) -> None:
        self.guard = AccountGuard(TokenBucket(1000.0, 1000, time.monotonic))
        self.gates = Gates()  # the process's, as the exporter has one
        self.observed = []

    def _observe(self, *, code: str, seconds: float) -> None:
        assert self.observed is not None
        self.observed.append(code)

    def aksk(self, secret_key: str | None = None, token: str | None = None) -> AkSkAuth:
        return AkSkAuth(
            SecretStr(self.tenant.access_key),
            SecretStr(secret_key or self.tenant.secret_key),
            SecretStr(token) if token else None,
            clock=time.time,
            gates=self.gates,
            account=self.tenant.name,
        )

    def password(
        self, password: str | None = None, clock: Callable[[], float] = time.time
    ) -> TokenAuth:
        return TokenAuth(
            session=self.session,
            iam_endpoint=self.url,
            username=self.tenant.username or "",
            password=SecretStr(password or self.tenant.password or ""),
            domain_name=self.tenant.domain_name or "",
            clock=clock,
            gates=self.gates,
            account=self.tenant.name,
        )

    def endpoint(self, auth: Authenticator, scope: Scope) -> Endpoint:
        return Endpoint(
            session=self.session,
            base_url=self.url,
            auth=auth,
            scope=scope,
            guard=self.guard,
            policy=self.policy,
            observe=self._observe,
        )

    def client(self, service: ListService[Any, Any], auth: Authenticator | None = None) -> Client:
        """One list service of this tenant, requested as the exporter requests it."""
        target = service.target(Account.model_validate(self.tenant.account_config(self.url)))
        return Client(self.endpoint(auth or self.aksk(), target.scope), target.request)

    def sms(self, auth: Authenticator | None = None) -> Client:
        return self.client(SMS_TASKS, auth)

    def oms(self, auth: Authenticator | None = None) -> Client:
        return self.client(OMS_TASKS, auth)


@dataclass
class Client:
    endpoint: Endpoint
    request: ListRequest[Any, Any]

    async def list_items(self, *, max_items: int) -> Listing[Any]:
        """Every item of the list, each once, listed (not rendered)."""
        return await list_mapped(
            self.endpoint, self.request, _listed, max_items=max_items, max_poll_bytes=1 << 30
        )


async def _listed(offset: int, page: ListedPage[Any, Any]) -> list[Listed[Any, Any]]:
    return page.listed()


@pytest.fixture
def wiring(session: aiohttp.ClientSession, simulator: RunningSimulator, cloud: FakeCloud) -> Wiring:
    return Wiring(session=session, url=simulator.url, tenant=cloud.tenants[0])


@pytest.fixture
def make_wiring(
    session: aiohttp.ClientSession, simulator: RunningSimulator, cloud: FakeCloud
) -> Callable[[str], Wiring]:
    return lambda name: Wiring(session=session, url=simulator.url, tenant=cloud.tenant(name))
