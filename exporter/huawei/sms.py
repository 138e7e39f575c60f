"""SMS client: every migration task of an account (`GET /v3/tasks`)."""

from __future__ import annotations

from functools import partial

from exporter.huawei.bodies import ByteBudget
from exporter.huawei.http import Endpoint
from exporter.huawei.lazy import lazy_tasks
from exporter.huawei.models import LazySmsTask, RawPage, SmsRef
from exporter.huawei.paging import Listing, Page, list_all
from exporter.huawei.signing import QueryValue

PAGE_LIMIT = 200  # the largest `limit` SMS accepts
MAX_OFFSET = 65535  # SMS rejects larger offsets: tasks past it cannot be listed


class SmsClient:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        enterprise_project_id: str | None = None,
        max_poll_bytes: int = 1 << 30,
    ) -> None:
        self._endpoint = endpoint
        self._enterprise_project_id = enterprise_project_id
        self._max_poll_bytes = max_poll_bytes

    async def list_tasks(self, *, max_tasks: int) -> Listing[LazySmsTask]:
        budget = ByteBudget(self._max_poll_bytes)  # what this poll's pages may hold
        return await list_all(
            partial(self._page, budget),
            limit=PAGE_LIMIT,
            max_offset=MAX_OFFSET,
            max_tasks=max_tasks,
        )

    async def _page(self, budget: ByteBudget, offset: int, limit: int) -> Page[LazySmsTask]:
        query: list[tuple[str, QueryValue]] = [("limit", limit), ("offset", offset)]
        if self._enterprise_project_id:
            query.append(("enterprise_project_id", self._enterprise_project_id))
        page = await self._endpoint.get("/v3/tasks", query, RawPage, budget=budget)
        return Page(count=page.count, tasks=lazy_tasks(page, SmsRef, LazySmsTask))
