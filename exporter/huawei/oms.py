"""OMS client: every migration task of a project (`GET /v2/{project_id}/tasks`)."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from exporter.huawei.bodies import ByteBudget
from exporter.huawei.http import Endpoint
from exporter.huawei.lazy import lazy_tasks
from exporter.huawei.models import LazyOmsTask, OmsRef, RawPage
from exporter.huawei.paging import Listing, Page, list_all

PAGE_LIMIT = 100  # the largest `limit` OMS accepts
# The Chinese API reference caps `offset` at 10000 (the English one is silent): pages past it
# would fail the whole poll, so tasks beyond are reported as not exported instead.
MAX_OFFSET = 10_000


class OmsClient:
    def __init__(
        self, endpoint: Endpoint, *, project_id: str, max_poll_bytes: int = 1 << 30
    ) -> None:
        self._endpoint = endpoint
        self._max_poll_bytes = max_poll_bytes
        self._project_id = project_id
        self._path = f"/v2/{quote(project_id, safe='')}/tasks"

    async def list_tasks(self, *, max_tasks: int) -> Listing[LazyOmsTask]:
        budget = ByteBudget(self._max_poll_bytes)  # what this poll's pages may hold
        return await list_all(
            partial(self._page, budget),
            limit=PAGE_LIMIT,
            max_offset=MAX_OFFSET,
            max_tasks=max_tasks,
        )

    async def _page(self, budget: ByteBudget, offset: int, limit: int) -> Page[LazyOmsTask]:
        # OMS wants the project in a signed header as well as in the path.
        headers = {"X-Project-Id": self._project_id}
        page = await self._endpoint.get(
            self._path,
            [("limit", limit), ("offset", offset)],
            RawPage,
            headers=headers,
            budget=budget,
        )
        return Page(count=page.count, tasks=lazy_tasks(page, OmsRef, LazyOmsTask))
