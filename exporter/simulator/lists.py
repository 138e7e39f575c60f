"""The list APIs the fake cloud serves, one entry each: path, paging limits, filters, the
error-code family, and how a page is cut from a tenant's data at a given time.

These are Huawei's facts as the simulator imitates them, written down apart from the
exporter's own service definitions on purpose: a client that asked for the wrong limit or
path would be refused here, as by the real API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from exporter.simulator.cloud import Denied, Service, Tenant
from exporter.simulator.tasks import (
    Payload,
    migration_project,
    oms_task,
    sms_task,
    sync_task,
    task_group,
)


@dataclass(frozen=True, slots=True)
class SimList:
    service: Service
    path: str
    items: str  # the response field that holds the items
    code: str  # the error-code family: "SMS" or "OMS"
    min_limit: int
    max_limit: int
    default_limit: int
    max_offset: int | None
    filters: tuple[str, ...]  # the query parameters it honours, each an exact match
    # The whole list as it is at `now`, and a cut of it, for the churn and vanish faults.
    everything: Callable[[Tenant], list[Payload]]
    view: Callable[[Tenant, float, int, int], list[Payload]]
    fresh: Callable[[int, int], Payload]  # (index, now_ms) -> a new item, for the churn fault
    check: Callable[[web.Request, Tenant], None] = lambda request, tenant: None
    # One object and no paging (the source-server overview): the answer at a given time.
    whole: Callable[[Tenant, float], Payload] | None = None

    def paging(self, request: web.Request) -> tuple[int, int]:
        try:
            limit = int(request.query.get("limit", str(self.default_limit)))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            raise Denied(400, f"{self.code}.0201", "limit and offset must be integers") from None
        if limit == 0 and self.min_limit == 0:
            limit = self.default_limit  # SMS: 0 asks for the default
        if (
            not self.min_limit <= limit <= self.max_limit
            or offset < 0
            or (self.max_offset is not None and offset > self.max_offset)
        ):
            raise Denied(400, f"{self.code}.0201", "limit or offset out of range")
        return limit, offset

    def page(
        self, tenant: Tenant, now: float, offset: int, limit: int, query: Mapping[str, str]
    ) -> tuple[int, list[Payload]]:
        """The total matching the query's filters, and the items at [offset, offset+limit)."""
        wanted = {name: query[name] for name in self.filters if name in query}
        if not wanted:  # the common case: cut first, so a page costs its own items only
            return len(self.everything(tenant)), self.view(tenant, now, offset, limit)
        matching = [
            item
            for item in self.view(tenant, now, 0, len(self.everything(tenant)))
            if all(_matches(item, name, value) for name, value in wanted.items())
        ]
        return len(matching), matching[offset : offset + limit]


def _matches(item: Payload, name: str, value: str) -> bool:
    if name == "source_server_id":
        found: Any = (item.get("source_server") or {}).get("id")
    else:
        found = item.get(name)
    if isinstance(found, bool):
        return str(found).lower() == value.lower()
    return found is not None and str(found) == value


def _check_oms(request: web.Request, tenant: Tenant) -> None:
    if request.match_info["project_id"] != tenant.project_id:
        raise Denied(403, "OMS.0005", "project does not belong to this account")
    signed = "Authorization" in request.headers
    if signed and request.headers.get("X-Project-Id") != tenant.project_id:
        raise Denied(401, "APIGW.0301", "X-Project-Id missing or wrong")


LISTS: tuple[SimList, ...] = (
    SimList(
        service="sms",
        path="/v3/tasks",
        items="tasks",
        code="SMS",
        min_limit=0,
        max_limit=200,
        default_limit=100,
        max_offset=65535,
        filters=("state", "name", "id", "source_server_id", "enterprise_project_id"),
        everything=lambda tenant: tenant.sms_tasks,
        view=lambda tenant, now, offset, limit: tenant.sms_page(now, offset, limit),
        fresh=lambda index, now_ms: sms_task(index, now_ms=now_ms),
    ),
    SimList(
        service="oms",
        path="/v2/{project_id}/tasks",
        items="tasks",
        code="OMS",
        min_limit=1,
        max_limit=100,
        default_limit=10,
        max_offset=10_000,  # as the Chinese API reference documents
        filters=("status", "group_id"),
        everything=lambda tenant: tenant.oms_tasks,
        view=lambda tenant, now, offset, limit: tenant.oms_page(now, offset, limit),
        fresh=lambda index, now_ms: oms_task(index, now_ms=now_ms),
        check=_check_oms,
    ),
    SimList(
        service="sms_sources",
        path="/v3/sources",
        items="source_servers",
        code="SMS",
        min_limit=0,
        max_limit=200,
        default_limit=200,
        max_offset=65535,
        filters=(
            "state",
            "name",
            "id",
            "ip",
            "migration_cycle",
            "connected",
            "enterprise_project_id",
        ),
        # One source server per SMS task: the same list underneath.
        everything=lambda tenant: tenant.sms_tasks,
        view=lambda tenant, now, offset, limit: tenant.sources_page(now, offset, limit),
        fresh=lambda index, now_ms: sms_task(index, now_ms=now_ms),
    ),
    SimList(
        service="sms_projects",
        path="/v3/migprojects",
        items="migprojects",
        code="SMS",
        min_limit=0,
        max_limit=100,
        default_limit=100,
        max_offset=65535,
        filters=(),
        everything=lambda tenant: tenant.sms_projects,
        view=lambda tenant, now, offset, limit: tenant.sms_projects[offset : offset + limit],
        fresh=lambda index, now_ms: migration_project(index),
    ),
    SimList(
        service="oms_groups",
        path="/v2/{project_id}/taskgroups",
        items="taskgroups",
        code="OMS",
        min_limit=1,
        max_limit=100,
        default_limit=10,
        max_offset=10_000,
        filters=("status",),
        everything=lambda tenant: tenant.oms_groups,
        view=lambda tenant, now, offset, limit: tenant.groups_page(now, offset, limit),
        fresh=lambda index, now_ms: task_group(index),
        check=_check_oms,
    ),
    SimList(
        service="oms_sync",
        path="/v2/{project_id}/sync-tasks",
        items="tasks",
        code="OMS",
        min_limit=1,
        max_limit=100,
        default_limit=10,
        max_offset=10_000,
        filters=("status",),
        everything=lambda tenant: tenant.oms_sync_tasks,
        view=lambda tenant, now, offset, limit: tenant.sync_page(now, offset, limit),
        fresh=lambda index, now_ms: sync_task(index, now_ms=now_ms),
        check=_check_oms,
    ),
    SimList(
        service="sms_overview",
        path="/v3/sources/overview",
        items="",
        code="SMS",
        min_limit=0,
        max_limit=0,
        default_limit=0,
        max_offset=0,
        filters=(),
        everything=lambda tenant: tenant.sms_tasks,
        view=lambda tenant, now, offset, limit: [],
        fresh=lambda index, now_ms: sms_task(index, now_ms=now_ms),
        whole=lambda tenant, now: tenant.overview(now),
    ),
)
