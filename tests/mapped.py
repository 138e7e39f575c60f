"""Items mapped as a poll maps them: raw JSON, listed from a page, de-duplicated by paging,
each item rendered on its own by the service's mapper, then the counts over all of them.

    lines = mapped(SMS, [FULL_SMS], SMS_OPTS)     # family -> its lines, as one text each
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec

from exporter.catalog import family
from exporter.exposition.render import ItemRenderer, Rendered
from exporter.huawei.paging import Listing, Page, list_all
from exporter.huawei.payload import ListedPage
from exporter.metrics.lines import Lines
from exporter.services.oms_groups import SERVICE as GROUPS
from exporter.services.oms_groups.payload import GroupRef, TaskGroup
from exporter.services.oms_sync import SERVICE as SYNC
from exporter.services.oms_sync.payload import SyncRef, SyncTask
from exporter.services.oms_tasks import SERVICE as OMS
from exporter.services.oms_tasks.payload import OmsRef, OmsTask
from exporter.services.service import ListService
from exporter.services.sms_overview import SERVICE as OVERVIEW
from exporter.services.sms_overview.payload import Overview, OverviewRef
from exporter.services.sms_projects import SERVICE as PROJECTS
from exporter.services.sms_projects.payload import MigrationProject, ProjectRef
from exporter.services.sms_sources import SERVICE as SOURCES
from exporter.services.sms_sources.payload import SourceRef, SourceServer
from exporter.services.sms_tasks import SERVICE as SMS
from exporter.services.sms_tasks.payload import SmsRef, SmsTask
from tests.parsing import parse_lines

__all__ = [
    "GROUPS",
    "OMS",
    "OVERVIEW",
    "PROJECTS",
    "SMS",
    "SOURCES",
    "SYNC",
    "Series",
    "flat",
    "listed_page",
    "mapped",
    "rendered",
]

Series = dict[frozenset[tuple[str, str]], float]


def flat(lines: Lines) -> dict[str, Series]:
    """family -> {labels: value}, with the labels in the order of the catalogue checked."""
    out: dict[str, Series] = {}
    for name, chunks in lines.items():
        series: Series = {}
        for sample, pairs, value in parse_lines(chunks):
            assert sample == name
            assert tuple(k for k, _ in pairs) == family(name).labels, name
            key = frozenset(pairs)
            assert key not in series, f"duplicate series in {name}"
            series[key] = value
        if series:
            out[name] = series
    return out


_KINDS: dict[str, tuple[type[Any], type[Any]]] = {
    "sms": (SmsRef, SmsTask),
    "oms": (OmsRef, OmsTask),
    "sms_sources": (SourceRef, SourceServer),
    "sms_projects": (ProjectRef, MigrationProject),
    "sms_overview": (OverviewRef, Overview),
    "oms_groups": (GroupRef, TaskGroup),
    "oms_sync": (SyncRef, SyncTask),
}


def listed_page(service: ListService[Any, Any], items: Sequence[Any]) -> ListedPage[Any, Any]:
    """`items` (JSON-able values) as a page of `service`'s list holds them: raw JSON slices."""
    ref, model = _KINDS[service.name]
    return ListedPage([msgspec.Raw(msgspec.json.encode(item)) for item in items], ref, model)


def renderer(service: ListService[Any, Any], opts: Any, account: str = "prod") -> ItemRenderer:
    names = tuple(family.name for family in service.families)
    return ItemRenderer(names, service.mapper(account, opts), opts.max_label_length)


def rendered(
    service: ListService[Any, Any], items: Sequence[Any], opts: Any, account: str = "prod"
) -> list[Rendered]:
    """The items of one page as a poll keeps them: rendered, each key once."""
    render = renderer(service, opts, account)

    async def fetch(offset: int, limit: int) -> Page[ListedPage[Any, Any]]:
        return Page(count=len(items), size=len(items), items=listed_page(service, items))

    async def each_page(offset: int, page: ListedPage[Any, Any]) -> list[Rendered]:
        return render.page(page.listed())

    def listing() -> Listing[Rendered]:
        return asyncio.run(
            list_all(fetch, each_page, limit=len(items) + 1, max_offset=None, max_items=10**9)
        )

    # A loop of its own, in a thread: callers may be inside a running loop (async tests).
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(listing).result().items


def mapped(
    service: ListService[Any, Any], items: Sequence[Any], opts: Any, account: str = "prod"
) -> Lines:
    """family -> its lines for `items`, as one text (families without lines left out), the
    counts over all items included."""
    done = rendered(service, items, opts, account)
    names = [family.name for family in service.families]
    out: Lines = {}
    for item in done:
        if item.pieces is None:  # no id: nothing exported
            assert not item.exported
            continue
        for name, piece in zip(names, item.pieces, strict=True):
            if piece:
                out.setdefault(name, []).append(piece.decode())
    for name, lines in service.counts(
        account, [i.ref for i in done if i.key is not None], opts
    ).items():
        if lines:
            out[name] = lines
    return {name: ["".join(lines)] for name, lines in out.items()}


def out_of_domain(
    service: ListService[Any, Any], items: Sequence[Any], opts: Any, account: str = "prod"
) -> int:
    """How many values of `items` the mapping left out as outside their domain."""
    return sum(item.out_of_domain for item in rendered(service, items, opts, account))
