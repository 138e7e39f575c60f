"""The state of the fake Huawei Cloud: tenants, their tasks, faults, and what was served.

Tests and the demo change it directly (`tenant.sms_overrides[...] = {...}`, `tenant.add_fault`)
while the server in `server.py` answers from it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from exporter.simulator.tasks import OVERVIEW_STATES, Payload, Plan, group_view, source_of

Service = Literal[
    "sms",
    "oms",
    "sms_sources",
    # the objects a wave is made of
    "sms_projects",
    "sms_overview",
    "oms_groups",
    "oms_sync",
    "iam",
    "credentials",  # metadata, pod identity, IAM federation and STS
    "none",  # no route matched
]
FaultKind = Literal[
    "status", "html", "malformed", "wrong_shape", "reset", "churn", "vanish", "empty", "body"
]

AK_LOCK_FAILURES = 5
AK_LOCK_SECONDS = 300.0


class Denied(Exception):
    """A request the cloud refuses, with the status and error code it answers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Fault:
    """One injected misbehaviour. `times=None` keeps it until removed.

    - status: answer `status` with a JSON error body (`error_code`), `Retry-After` if given
      (a number as `f"{retry_after:g}"`, a string as it is: "nan", an HTTP date, "  ")
    - html: a 200 HTML page; malformed: truncated JSON; wrong_shape: JSON of the wrong shape
    - empty: a 502 with no body; reset: drop the connection without answering
    - body: a 200 with `body` as it is (any bytes: property tests send hostile payloads)
    - churn: a new task appears at the head of the list before the page is cut (duplicates)
    - vanish: the task at the head of the list disappears before the page is cut (gaps)
    """

    service: Service
    kind: FaultKind
    status: int = 500
    error_code: str = "SMS.0000"
    retry_after: float | str | None = None
    times: int | None = None
    body: bytes = b""


@dataclass
class Tenant:
    """One Huawei Cloud account: its credentials and its SMS and OMS tasks."""

    name: str
    access_key: str
    secret_key: str
    project_id: str
    region: str = "ap-southeast-3"
    username: str | None = None
    password: str | None = None
    domain_name: str | None = None
    security_token: str | None = None
    sms_tasks: list[Payload] = field(default_factory=list)
    oms_tasks: list[Payload] = field(default_factory=list)
    sms_projects: list[Payload] = field(default_factory=list)  # SMS migration projects
    oms_groups: list[Payload] = field(default_factory=list)  # OMS task groups, as defined
    oms_sync_tasks: list[Payload] = field(default_factory=list)
    sync_stops: dict[str, float] = field(default_factory=dict)  # sync task id -> when it stops
    # Source server id -> when its agent disconnects, for good: a server that loses its agent.
    agent_drops: dict[str, float] = field(default_factory=dict)
    sms_plans: dict[str, Plan] = field(default_factory=dict)
    oms_plans: dict[str, Plan] = field(default_factory=dict)
    # Fields forced onto a task after its plan ran: how tests fail and recover a task.
    sms_overrides: dict[str, Payload] = field(default_factory=dict)
    oms_overrides: dict[str, Payload] = field(default_factory=dict)
    source_overrides: dict[str, Payload] = field(default_factory=dict)  # by source server id
    faults: list[Fault] = field(default_factory=list)
    latency: float = 0.0  # seconds added to every SMS/OMS answer
    count_skew: int = 0  # added to the `count` the APIs report: a stale or lying total

    def account_config(self, url: str, *, password: bool = False) -> dict[str, Any]:
        """This account as an entry of the exporter's `accounts:` setting, pointed at `url`."""
        credentials: dict[str, Any] = (
            {"username": self.username, "password": self.password, "domain_name": self.domain_name}
            if password
            else {"access_key": self.access_key, "secret_key": self.secret_key}
        )
        if self.security_token is not None and not password:
            credentials["security_token"] = self.security_token
        config: dict[str, Any] = {
            "name": self.name,
            "region": self.region,
            "credentials": credentials,
            "sms": {"endpoint": url},
            "oms": {"project_id": self.project_id, "endpoint": url},
        }
        if password:
            config["iam_endpoint"] = url
        return config

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def take_fault(self, service: Service) -> Fault | None:
        for fault in self.faults:
            if fault.service == service:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def sms_page(self, now: float, offset: int, limit: int) -> list[Payload]:
        """The SMS tasks at [offset, offset+limit) as they are at `now`."""
        page = self.sms_tasks[offset : offset + limit]
        return _view(page, offset, self.sms_plans, self.sms_overrides, now, sms=True)

    def oms_page(self, now: float, offset: int, limit: int) -> list[Payload]:
        page = self.oms_tasks[offset : offset + limit]
        return _view(page, offset, self.oms_plans, self.oms_overrides, now, sms=False)

    def sources_page(self, now: float, offset: int, limit: int) -> list[Payload]:
        """The source servers of the SMS tasks at [offset, offset+limit): one per task, in the
        same order, as they are at `now` (an agent past its `agent_drops` time disconnected)."""
        out = []
        for index, task in enumerate(self.sms_page(now, offset, limit), start=offset):
            server = source_of(task, index, now, self.sms_plans.get(str(task.get("id"))))
            server.update(self.source_overrides.get(str(server.get("id")), {}))
            drops = self.agent_drops.get(str(server.get("id")))
            if drops is not None and now >= drops:
                server["connected"] = False
            out.append(server)
        return out

    def overview(self, now: float) -> Payload:
        """`GET /v3/sources/overview`: the source servers counted by state at `now` (every
        field, 0 included; a state the overview has no field for is in none)."""
        counted = Counter(
            str(server.get("state")) for server in self.sources_page(now, 0, len(self.sms_tasks))
        )
        return {state: counted[state] for state in OVERVIEW_STATES}

    def groups_page(self, now: float, offset: int, limit: int) -> list[Payload]:
        """The OMS task groups at [offset, offset+limit), their counters those of their tasks
        at `now` (every task, when there is a group)."""
        page = self.oms_groups[offset : offset + limit]
        if not page:
            return []
        members: dict[str, list[Payload]] = {}
        for task in self.oms_page(now, 0, len(self.oms_tasks)):
            if task.get("group_id"):
                members.setdefault(str(task["group_id"]), []).append(task)
        return [group_view(g, members.get(str(g.get("group_id")), [])) for g in page]

    def sync_page(self, now: float, offset: int, limit: int) -> list[Payload]:
        """The OMS sync tasks at [offset, offset+limit); one past its stop time is STOPPED."""
        out = []
        for task in self.oms_sync_tasks[offset : offset + limit]:
            stops = self.sync_stops.get(str(task.get("sync_task_id")))
            if stops is not None and now >= stops:
                task = {**task, "status": "STOPPED"}
            out.append(task)
        return out


def _own_copy(task: Payload) -> Payload:
    """A copy of `task` in which every part a plan or an override changes is its own: the task,
    its source server and its sub-tasks (a deep copy took half the simulator's CPU)."""
    out = dict(task)
    if isinstance(source := out.get("source_server"), dict):
        out["source_server"] = dict(source)
    if isinstance(subtasks := out.get("sub_tasks"), list):
        out["sub_tasks"] = [dict(sub) if isinstance(sub, dict) else sub for sub in subtasks]
    return out


def _view(
    tasks: list[Payload],
    first_index: int,
    plans: dict[str, Plan],
    overrides: dict[str, Payload],
    now: float,
    *,
    sms: bool,
) -> list[Payload]:
    if not plans and not overrides:
        return tasks
    out = []
    for index, task in enumerate(tasks, start=first_index):
        key = str(task.get("id"))
        plan = plans.get(key)
        override = overrides.get(key)
        if plan is None and override is None:
            out.append(task)
            continue
        task = _own_copy(task)
        if plan is not None:
            if sms:
                plan.apply_sms(task, now, wobble=float(index))
            else:
                plan.apply_oms(task, now)
        if override:
            task.update(override)
        out.append(task)
    return out


@dataclass
class RequestRecord:
    service: Service
    method: str
    path: str
    query: str
    status: int
    auth: str  # "aksk", "token", "password", "none"
    tenant: str | None = None  # once authenticated
    at: float = 0.0  # the cloud's clock when the request arrived
    in_flight: int = 1  # requests being served when it arrived, itself included
    done_at: float = 0.0  # the cloud's clock when it was answered


@dataclass
class Stats:
    requests: Counter[Service] = field(default_factory=Counter)
    by_tenant: Counter[str] = field(default_factory=Counter)  # authenticated SMS/OMS requests
    in_flight: int = 0
    max_in_flight: int = 0
    log: list[RequestRecord] = field(default_factory=list)

    def served(self, service: Service) -> int:
        return self.requests[service]

    def reset(self) -> None:
        self.requests.clear()
        self.by_tenant.clear()
        self.max_in_flight = 0
        self.log.clear()


@dataclass
class IssuedToken:
    tenant: str
    expires_at: float
    revoked: bool = False


@dataclass
class IssuedKey:
    """A temporary AK/SK with its security token, issued to `tenant` by `by` until `expires_at`."""

    access_key: str
    tenant: str
    secret_key: str = field(repr=False)
    security_token: str = field(repr=False)
    expires_at: float = 0.0
    by: str = ""


@dataclass
class Identities:
    """Who each source of temporary credentials issues keys for (tenant names), and how."""

    metadata: str | None = None  # the ECS agency of the VM the exporter runs on
    pod_identity: dict[str, str] = field(default_factory=dict)  # Authorization token -> tenant
    id_tokens: dict[str, str] = field(default_factory=dict)  # OIDC ID token -> tenant
    idp_id: str = "sim-idp"
    provider_urn: str = "iam::sim:identity-provider:sim-idp"
    agencies: dict[str, str] = field(default_factory=dict)  # agency URN -> tenant
    lifetime: float = 60.0  # seconds a temporary key lives
    outage: bool = False  # every source of temporary credentials answers 503
    metadata_sessions: dict[str, float] = field(default_factory=dict)  # session token -> end
    issued: dict[str, IssuedKey] = field(default_factory=dict)  # by access key
    expired_uses: int = 0  # requests signed with a temporary key past its expiry
    untokened_uses: int = 0  # requests signed with a temporary key without its token


@dataclass
class FakeCloud:
    tenants: list[Tenant] = field(default_factory=list)
    clock: Callable[[], float] = time.time
    token_lifetime: float = 24 * 3600.0
    reported_expiry_offset: float = 0.0  # added to the expires_at IAM reports (clock skew)
    iam_latency: float = 0.0  # seconds added to every token answer
    stats: Stats = field(default_factory=Stats)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    ak_failures: Counter[str] = field(default_factory=Counter)
    ak_locked_until: dict[str, float] = field(default_factory=dict)
    identities: Identities = field(default_factory=Identities)

    def tenant(self, name: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.name == name:
                return tenant
        raise KeyError(name)

    def by_access_key(self, access_key: str) -> Tenant | None:
        return next((t for t in self.tenants if t.access_key == access_key), None)

    def expire_tokens(self) -> None:
        """Every token issued so far is rejected from now on (as after a password change)."""
        for token in self.tokens.values():
            token.revoked = True
