"""One list API of one account: what to GET, how it pages, and fetching all of it.

    request = ListRequest(path="/v3/tasks", page=RawSmsTasks, ref=SmsRef, model=SmsTask,
                          page_limit=200, max_offset=65535)
    rendered = await list_mapped(endpoint, request, assembly.page, max_items=..., ...)

`list_mapped` hands each page to a function as it arrives (rendering it while the other pages
are still on their way) and lists what that function made of the items.

Every service is one such request; nothing here knows which. A `single` request (the SMS
source-server overview) is one object and no paging: listed as a page of its one item, so
that the poll, its cache of unchanged pages and its rendering take it as any other list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from exporter.huawei.bodies import ByteBudget
from exporter.huawei.errors import BadResponseError
from exporter.huawei.http import Endpoint
from exporter.huawei.paging import HasKey, Listing, Page, list_all, pages_of
from exporter.huawei.payload import ListedPage, RawPage, Ref
from exporter.huawei.signing import QueryValue

R = TypeVar("R", bound=Ref)
M = TypeVar("M", bound=msgspec.Struct)
T = TypeVar("T", bound=HasKey)


@dataclass(frozen=True, slots=True)
class ListRequest(Generic[R, M]):
    path: str  # e.g. /v3/tasks, /v2/{project_id}/tasks
    page: type[Any]  # the raw page struct (a `RawPage`: which field holds the items)
    ref: type[R]  # decoded for every item at once: its id and what counting needs
    model: type[M]  # the whole item, decoded when it is mapped
    page_limit: int  # the largest `limit` the API accepts
    max_offset: int | None  # the largest `offset` it accepts: items past it cannot be listed
    filters: tuple[tuple[str, QueryValue], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # signed with the request
    # The most items this list is ever read to (its own cap, under max_tasks_per_source): a
    # list of tens (migration projects, task groups) costs a poll a few pages at worst.
    max_items: int | None = None
    # One object and no paging (`GET /v3/sources/overview`): the answer is the list's one
    # item, asked for without limit and offset, listed as a page of one.
    single: bool = False

    def cap(self, max_items: int) -> int:
        """`max_items` (max_tasks_per_source), under the list's own cap."""
        return max_items if self.max_items is None else min(max_items, self.max_items)

    def pages(self, max_items: int) -> int:
        """The requests one poll of a full list makes (`max_items`: max_tasks_per_source)."""
        if self.single:
            return 1
        return pages_of(self.page_limit, self.max_offset, self.cap(max_items))


async def list_mapped(
    endpoint: Endpoint,
    request: ListRequest[R, M],
    each_page: Callable[[int, ListedPage[R, M]], Awaitable[list[T]]],
    *,
    max_items: int,
    max_poll_bytes: int,
) -> Listing[T]:
    """`each_page` of every page's offset and items as the page arrives; what it makes of
    them listed in API order, each key once; the pages together may hold `max_poll_bytes`."""
    budget = ByteBudget(max_poll_bytes)
    if request.single:
        return await _one(endpoint, request, each_page, budget)

    async def page(offset: int, limit: int) -> Page[ListedPage[R, M]]:
        query: list[tuple[str, QueryValue]] = [("limit", limit), ("offset", offset)]
        query += request.filters
        raw: RawPage = await endpoint.get(
            request.path, query, request.page, headers=dict(request.headers), budget=budget
        )
        items = raw.items or []
        return Page(raw.count, len(items), ListedPage(items, request.ref, request.model))

    return await list_all(
        page,
        each_page,
        limit=request.page_limit,
        max_offset=request.max_offset,
        max_items=request.cap(max_items),
    )


async def _one(
    endpoint: Endpoint,
    request: ListRequest[R, M],
    each_page: Callable[[int, ListedPage[R, M]], Awaitable[list[T]]],
    budget: ByteBudget,
) -> Listing[T]:
    """A single-object request: the answer, if it is a JSON object, as a page of one item."""
    whole: Any = msgspec.Raw  # the body's JSON as sent (`get` is typed for structs)
    raw: msgspec.Raw = await endpoint.get(
        request.path, list(request.filters), whole, headers=dict(request.headers), budget=budget
    )
    if bytes(raw).lstrip()[:1] != b"{":
        raise BadResponseError("unexpected response body: not a JSON object", status=200)
    made = await each_page(0, ListedPage([raw], request.ref, request.model))
    items = [item for item in made if item.key is not None]
    return Listing(items=items, count=1, not_fetched=1 - len(items), pages=1)
