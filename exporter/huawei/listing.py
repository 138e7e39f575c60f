"""One list API of one account: what to GET, how it pages, and fetching all of it.

    request = ListRequest(path="/v3/tasks", page=RawTasks, ref=SmsRef, model=SmsTask,
                          page_limit=200, max_offset=65535)
    listing = await list_items(endpoint, request, max_items=10_000, max_poll_bytes=...)

Every service (SMS tasks, OMS tasks, SMS source servers) is one such request; nothing here
knows which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from exporter.huawei.bodies import ByteBudget
from exporter.huawei.http import Endpoint
from exporter.huawei.paging import Listing, Page, list_all
from exporter.huawei.payload import Listed, Ref, listed
from exporter.huawei.signing import QueryValue

R = TypeVar("R", bound=Ref)
M = TypeVar("M", bound=msgspec.Struct)


@dataclass(frozen=True, slots=True)
class ListRequest(Generic[R, M]):
    path: str  # e.g. /v3/tasks, /v2/{project_id}/tasks
    page: type[Any]  # the raw page struct: which field holds the items (payload.RawTasks, ...)
    ref: type[R]  # decoded for every item at once: its id and what counting needs
    model: type[M]  # the whole item, decoded when it is mapped
    page_limit: int  # the largest `limit` the API accepts
    max_offset: int | None  # the largest `offset` it accepts: items past it cannot be listed
    filters: tuple[tuple[str, QueryValue], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # signed with the request


async def list_items(
    endpoint: Endpoint, request: ListRequest[R, M], *, max_items: int, max_poll_bytes: int
) -> Listing[Listed[R, M]]:
    """Every item of the list, each once; the pages together may hold `max_poll_bytes`."""
    budget = ByteBudget(max_poll_bytes)

    async def page(offset: int, limit: int) -> Page[Listed[R, M]]:
        query: list[tuple[str, QueryValue]] = [("limit", limit), ("offset", offset)]
        query += request.filters
        raw = await endpoint.get(
            request.path, query, request.page, headers=dict(request.headers), budget=budget
        )
        return Page(count=raw.count, items=listed(raw, request.ref, request.model))

    return await list_all(
        page, limit=request.page_limit, max_offset=request.max_offset, max_items=max_items
    )
