"""The render cache against the path it saves: whatever the list did since the last poll, every
body a scrape gets is byte for byte what a poller rendering everything afresh serves.

`CacheMachine` (a hypothesis state machine, run once per list service) keeps a model cloud: one
list, served `LIMIT` items a page through the real paging (`list_all`, as `list_mapped` does over
HTTP) to the real poller. Its rules change the list as a migration wave and a hostile API do:
edit a field (values out of their domain, an unreadable state, a field the mapping ignores),
add, remove or move an item (shifting the others into other pages), list an id twice (the same
JSON, another JSON, or two long ids a label cuts alike), drop a page, repeat a page verbatim,
reorder pages, let `count` lie, send one item unreadable for one poll (a number as a list: the
decoder refuses it, the item is counted, and the next poll it is readable again), fail a poll
part-way, or keep failing past `stale_after` (the source's series are dropped). Each `poll` polls
the long-lived poller (its cache, its last exposition) and a fresh one (new renderer, new
assembly, nothing before) on the same pages: text 0.0.4 and OpenMetrics, identity and gzip, the
bodies are the same bytes, each gzip body one member holding its identity body. Two of the
exporter's own families count history by design and are left out: `poll_errors_total` and
`task_state_changes_total` (a fresh poller saw no failure and no earlier state); `up`,
`tasks_not_exported` and `values_out_of_domain` (carried by an item the cache reuses) are
compared with the rest.

Runs are derandomized (`derandomize=True`: the same examples on every run, in CI as on a laptop)
and keep no example database (the `no-database` profile of `tests/conftest.py`).

The cache is sound only if an item's lines depend on the item and the options alone: a mapping
reading the clock, the environment or a random source would be served stale, and the machine
cannot see it (both of its pollers run at the same moment). Three checks instead: the modules
that decode and map an item, and every module of the exporter they import, import nothing of
the kind (AST); rendering each service's full item calls nothing of `time`, `datetime`, `os`,
`random`, `uuid`, ... (a profile hook sees every call, whatever the import style; a control
shows it catching each); and a process started later, in another time zone and with another
hash seed, renders the same bytes.
"""

from __future__ import annotations

import ast
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar, TypeVar

import msgspec
import pytest
import structlog.testing
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import exporter
from exporter.exposition.render import Rendered
from exporter.exposition.snapshot import Snapshot
from exporter.huawei.errors import ServerError
from exporter.huawei.paging import Listing, Page, list_all
from exporter.huawei.payload import ListedPage, decode
from exporter.poller import Fetch, PageHook, Poller, Source
from exporter.services import SERVICES
from exporter.services.service import ListService
from exporter.settings import Settings
from exporter.telemetry import Telemetry
from tests.payloads import FULL_GROUP, FULL_OMS, FULL_PROJECT, FULL_SMS, FULL_SOURCE, FULL_SYNC

T = TypeVar("T")

LIMIT = 3  # items a page: a few items make several pages (the APIs' own limits are 100-200)
SETTINGS = Settings.model_validate(
    {
        "label_value_max_length": 16,  # the least allowed: long ids collide once cut
        "max_tasks_per_source": 10,  # some lists go past it
        "accounts": [
            {
                "name": "acct",
                "region": "ap-southeast-3",
                "credentials": {"access_key": "AK-UNUSED", "secret_key": "SK-UNUSED"},
                "oms": {"project_id": "p" * 32},
            }
        ],
    }
)
ACCOUNT = SETTINGS.accounts[0]
STALE_AFTER = 180.0


def make_poller(service: ListService[Any, Any], fetch: Fetch, clock: Callable[[], float]) -> Poller:
    """A poller of `service` for the account of SETTINGS, listing through `fetch`, with a
    snapshot and telemetry of its own: `sources.source_of` without the HTTP endpoint. The one
    place this module builds a Source, a Poller and (through it) a renderer."""
    source = Source(
        account=ACCOUNT.name,
        service=service,
        options=service.options(SETTINGS, ACCOUNT),
        fetch=fetch,
        label_limit=SETTINGS.label_value_max_length,
    )
    return Poller(
        source,
        Snapshot(),
        Telemetry(),
        interval=60.0,
        stale_after=STALE_AFTER,
        clock=clock,
        monotonic=lambda: 0.0,  # poll_duration_seconds 0 in both pollers
    )


@dataclass(frozen=True)
class Spec:
    """What the machine needs of one list service."""

    service: ListService[Any, Any]
    item: dict[str, Any]  # every field set
    ids: tuple[Any, ...]  # the ids items take: the first ones distinct, then look-alikes
    edits: Mapping[str, st.SearchStrategy[Any]]  # field -> values it may be given
    unreadable: str  # a number field outside the ref: a list there is refused on load
    key: str = "id"  # the field that holds an item's id

    def kinds(self) -> tuple[dict[str, Any], ...]:
        """Items to start from (without their id): every field set; none; a value out of its
        domain (carried by the item when the cache reuses it) and a name to escape."""
        odd = {**self.item, self.unreadable: -1, "name": 'q"uo\\te\nline'}
        return self.item, {}, odd


LONG = "task-with-a-long"  # 16 characters: LONG + "a" and LONG + "b" are one label value
NUMBERS = st.one_of(
    st.sampled_from([None, 0, 1, 7.5, -1, "12.5", 1e16]),
    st.integers(-(2**40), 2**53),
    st.floats(-1e6, 1e18, allow_nan=False),
)
NAMES = st.sampled_from([None, "web-01", "db", 'q"uo\\te', "new\nline", "é" * 20, 42])
DATES = st.sampled_from([None, 0, -5, 1_700_000_000_000, 1.7e12 + 0.5, 1e30])
_SMS_SUB = FULL_SMS["sub_tasks"]
_OMS_POLICY = FULL_OMS["bandwidth_policy"]
_CHECKS = FULL_SOURCE["checks"]
_RECORD = FULL_GROUP["failed_object_record"]

SPECS = {
    "sms": Spec(
        service=next(s for s in SERVICES if s.name == "sms"),
        item=FULL_SMS,
        ids=("t0", "t1", "t2", "t3", "t4", "t5", LONG + "a", LONG + "b", None, 7),
        edits={
            "name": NAMES,
            "state": st.sampled_from(["RUNNING", "MIGRATE_FAIL", "TELEPORTING", None, {"x": 1}]),
            "migrate_speed": NUMBERS,
            "agent_cpu_usage": st.sampled_from([None, 0, 12.0, 100, 150, -1]),
            "create_date": DATES,
            "error_json": st.sampled_from(["", None, "not json", FULL_SMS["error_json"]]),
            "syncing": st.sampled_from([True, False, None]),
            "sub_tasks": st.sampled_from(
                [None, [], _SMS_SUB, [{**_SMS_SUB[1], "progress": 150}], [_SMS_SUB[0]] * 2]
            ),
            "network_check_info": st.sampled_from(
                [None, FULL_SMS["network_check_info"], {"loss_percentage": 150}]
            ),
            "source_server": st.sampled_from([None, FULL_SMS["source_server"], {"state": "X"}]),
            "log_collect_status": st.sampled_from([None, "a", "b"]),  # not mapped
        },
        unreadable="migrate_speed",
    ),
    "oms": Spec(
        service=next(s for s in SERVICES if s.name == "oms"),
        item=FULL_OMS,
        ids=(1, 2, 3, 4, 5, 6, "1", LONG + "a", LONG + "b", None),
        edits={
            "name": NAMES,
            "status": st.sampled_from([0, 2, 4, 5, 99, None, "3", "x"]),  # "x": unreadable
            "progress": st.sampled_from([None, 0.5, 1.0, 1.5, -0.1]),
            "total_size": NUMBERS,
            "successful_num": NUMBERS,
            "start_time": DATES,
            "error_reason": st.sampled_from(
                ["", None, {"error_code": "OMS.1"}, {"error_code": "?"}]
            ),
            "bandwidth_policy": st.sampled_from([None, [], _OMS_POLICY, _OMS_POLICY * 2]),
            "src_node": st.sampled_from([None, FULL_OMS["src_node"], {"bucket": "b"}]),
            "description": st.sampled_from([None, "a", "b"]),  # not mapped
        },
        unreadable="progress",
    ),
    "sms_sources": Spec(
        service=next(s for s in SERVICES if s.name == "sms_sources"),
        item=FULL_SOURCE,
        ids=("s0", "s1", "s2", "s3", "s4", "s5", LONG + "a", LONG + "b", None, 7),
        edits={
            "name": NAMES,
            "connected": st.sampled_from([True, False, None, {"x": 1}]),  # a dict: unreadable
            "migration_cycle": st.sampled_from(["replicating", "cutovered", "invented", None]),
            "replicatesize": NUMBERS,
            "memory": NUMBERS,
            "last_visit_time": DATES,
            "checks": st.sampled_from([None, [], _CHECKS, [_CHECKS[1]] * 2]),
            "current_task": st.sampled_from(
                [None, FULL_SOURCE["current_task"], {"remain_seconds": -5}]
            ),
            "start_type": st.sampled_from([None, "", "x"]),  # not mapped
        },
        unreadable="memory",
    ),
    "sms_projects": Spec(
        service=next(s for s in SERVICES if s.name == "sms_projects"),
        item=FULL_PROJECT,
        ids=("mp0", "mp1", "mp2", "mp3", "mp4", "mp5", LONG + "a", LONG + "b", None, 7),
        edits={
            "name": NAMES,
            "speed_limit": NUMBERS,
            "syncing": st.sampled_from([True, False, None]),
            "isdefault": st.sampled_from([True, False, None, {"x": 1}]),
            "type": st.sampled_from(["MIGRATE_BLOCK", "MIGRATE_FILE", None]),
            "description": st.sampled_from([None, "a", "b"]),  # not mapped
        },
        unreadable="speed_limit",
    ),
    "oms_groups": Spec(
        service=next(s for s in SERVICES if s.name == "oms_groups"),
        item=FULL_GROUP,
        ids=("g0", "g1", "g2", "g3", "g4", "g5", LONG + "a", LONG + "b", None, 7),
        key="group_id",
        edits={
            "status": st.sampled_from([0, 2, 4, 5, 6, 99, None, "x"]),  # "x": unreadable
            "total_size": NUMBERS,
            "complete_size": NUMBERS,
            "success_num": NUMBERS,
            "failed_task_num": NUMBERS,
            "start_time": DATES,
            "failed_object_record": st.sampled_from(
                [None, _RECORD, {**_RECORD, "list_file_key": ""}, {"error_code": "?"}]
            ),
            "src_node": st.sampled_from([None, FULL_GROUP["src_node"], {"bucket": "b"}]),
            "description": st.sampled_from([None, "a", "b"]),  # not mapped
        },
        unreadable="total_size",
    ),
    "oms_sync": Spec(
        service=next(s for s in SERVICES if s.name == "oms_sync"),
        item=FULL_SYNC,
        ids=("s0", "s1", "s2", "s3", "s4", "s5", LONG + "a", LONG + "b", None, 7),
        key="sync_task_id",
        edits={
            "status": st.sampled_from(["SYNCHRONIZING", "STOPPED", "invented", None, {"x": 1}]),
            "last_start_time": DATES,
            "create_time": DATES,
            "src_bucket": NAMES,
            "dst_region": NAMES,
            "description": st.sampled_from([None, "a", "b"]),  # not mapped
        },
        unreadable="last_start_time",
    ),
}


class Cloud:
    """One list as the API serves it this poll: `LIMIT` items at each offset."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.request = spec.service.target(ACCOUNT).request
        self.items_field = next(
            f.encode_name for f in msgspec.structs.fields(self.request.page) if f.name == "items"
        )
        self.items: list[dict[str, Any] | None] = []  # None: a `null` in the list
        self.count_skew = 0  # `count` says this many more (or fewer) than there are
        self.fail_at: int | None = None  # the page at this offset answers 503

    async def page(self, offset: int, limit: int) -> Page[ListedPage[Any, Any]]:
        """A page as `list_mapped` makes one of the body it got."""
        if offset == self.fail_at:
            raise ServerError("injected", status=503)
        count = max(len(self.items) + self.count_skew, 0)
        raw = self.body(count, self.items[offset : offset + limit])
        items = raw.items or []
        return Page(raw.count, len(items), ListedPage(items, self.request.ref, self.request.model))

    def body(self, count: int, items: Sequence[dict[str, Any] | None]) -> Any:
        """A page's body as the client decodes it: the items as raw JSON slices."""
        body = json.dumps({"count": count, self.items_field: items}).encode()
        return decode(self.request.page, body)

    async def fetch(self, hook: PageHook) -> Listing[Rendered]:
        return await list_all(
            self.page,
            hook,
            limit=LIMIT,
            max_offset=self.request.max_offset,
            max_items=SETTINGS.max_tasks_per_source,
        )

    def pages(self) -> int:
        return math.ceil(len(self.items) / LIMIT)

    async def offsets(self) -> list[int]:
        """The offsets a poll asks for now (`count` and the cap decide, as much as the list)."""
        asked: list[int] = []

        async def note(offset: int, page: ListedPage[Any, Any]) -> list[Rendered]:
            asked.append(offset)
            return []

        await list_all(
            self.page,
            note,
            limit=LIMIT,
            max_offset=self.request.max_offset,
            max_items=SETTINGS.max_tasks_per_source,
        )
        return sorted(asked)

    def readable_again(self) -> None:
        """Items sent unreadable for one poll get their value back."""
        field = self.spec.unreadable
        for n, item in enumerate(self.items):
            if item is not None and isinstance(item.get(field), list):
                self.items[n] = {**item, field: item[field][0]}


# The exporter's own families that count what happened before, which a fresh poller has not
# seen; in OpenMetrics a counter's HELP and TYPE name it without `_total`.
HISTORY = (b"huaweicloud_migration_poll_errors", b"huaweicloud_migration_task_state_changes")


def _named(line: bytes) -> bytes:
    """A line from its family's name on: `# HELP name ...` and `# TYPE name ...` from `name`."""
    return line[7:] if line.startswith((b"# HELP ", b"# TYPE ")) else line


def one_member(body: bytes) -> bytes:
    """The text of a gzip body that is exactly one gzip member."""
    member = zlib.decompressobj(wbits=31)
    text = member.decompress(body) + member.flush()
    assert member.eof and not member.unused_data, "not one whole gzip member"
    return text


def served(snapshot: Snapshot) -> dict[str, str]:
    """The text of each body a scrape may get, by format, checked to be the same with and
    without gzip; the families of HISTORY left out."""
    out = {}
    for openmetrics in (False, True):
        texts = []
        for gzip in (False, True):
            body = snapshot.prepared(openmetrics=openmetrics, gzip=gzip)
            writes = b"".join(map(body.joined, body.writes))
            assert body.length == len(writes)  # what Content-Length says, less the closing
            whole = writes + body.closing()
            texts.append(one_member(whole) if gzip else whole)
        assert texts[0] == texts[1], "the gzip body holds another text"
        kept = [
            line
            for line in texts[0].splitlines(keepends=True)
            if not _named(line).startswith(HISTORY)
        ]
        out["openmetrics" if openmetrics else "text"] = b"".join(kept).decode()
    return out


def tasks_only(snapshot: Snapshot) -> str:
    """The served text without any of the exporter's own families."""
    text = b"".join(snapshot.prepared(openmetrics=False, gzip=False).pieces())
    lines = text.splitlines(keepends=True)
    return b"".join(line for line in lines if b"huaweicloud_migration_" not in line).decode()


POSITIONS = st.integers(0, 63)


class CacheMachine(RuleBasedStateMachine):
    """A long-lived poller polling a changing list, checked against fresh ones."""

    spec: ClassVar[Spec]  # the service: one subclass each

    def __init__(self) -> None:
        super().__init__()
        self.cloud = Cloud(self.spec)
        self.now = 1_800_000_000.0
        self.runner = asyncio.Runner()  # one event loop for every poll of a run
        self.poller = make_poller(self.spec.service, self.cloud.fetch, self.clock)
        self.unpolled = 0  # steps since the last `poll`

    def clock(self) -> float:
        return self.now

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def teardown(self) -> None:
        self.runner.close()

    def _objects(self) -> list[int]:
        return [n for n, item in enumerate(self.cloud.items) if item is not None]

    def _full_pages(self) -> int:
        return len(self.cloud.items) // LIMIT

    @initialize(count=st.integers(LIMIT + 1, 10))
    def fill(self, count: int) -> None:
        kinds = self.spec.kinds()
        self.cloud.items = [
            {**kinds[n % len(kinds)], self.spec.key: self.spec.ids[n]} for n in range(count)
        ]

    @precondition(lambda self: len(self.cloud.items) < 16)
    @rule(data=st.data(), at=POSITIONS)
    def add(self, data: st.DataObject, at: int) -> None:
        """New items (a `null` among them, maybe), of ids that may be listed already."""
        ids, kinds = st.sampled_from(self.spec.ids), st.sampled_from(self.spec.kinds())
        item = st.builds(lambda kind, key: {**kind, self.spec.key: key}, kinds, ids)
        items = st.one_of(item, st.none())
        new = data.draw(st.lists(items, min_size=1, max_size=LIMIT), label="items")
        at %= len(self.cloud.items) + 1
        self.cloud.items[at:at] = new

    @precondition(lambda self: self._objects())
    @rule(data=st.data(), at=POSITIONS)
    def edit(self, data: st.DataObject, at: int) -> None:
        """A field of an item gets another value (maybe its own again)."""
        objects = self._objects()
        n = objects[at % len(objects)]
        field = data.draw(st.sampled_from(sorted(self.spec.edits)), label="field")
        value = data.draw(self.spec.edits[field], label="value")
        item = self.cloud.items[n]
        assert item is not None
        self.cloud.items[n] = {**item, field: value}

    @precondition(lambda self: self.cloud.items)
    @rule(at=POSITIONS)
    def remove(self, at: int) -> None:
        del self.cloud.items[at % len(self.cloud.items)]

    @precondition(lambda self: self.cloud.items)
    @rule(at=POSITIONS, to=POSITIONS)
    def move(self, at: int, to: int) -> None:
        item = self.cloud.items.pop(at % len(self.cloud.items))
        self.cloud.items.insert(to % (len(self.cloud.items) + 1), item)

    @precondition(lambda self: self.cloud.items and len(self.cloud.items) < 16)
    @rule(at=POSITIONS, to=POSITIONS)
    def list_twice(self, at: int, to: int) -> None:
        """The list moved between two pages: an item is on both."""
        item = self.cloud.items[at % len(self.cloud.items)]
        self.cloud.items.insert(to % (len(self.cloud.items) + 1), item)

    @precondition(lambda self: self.cloud.items)
    @rule(page=POSITIONS)
    def drop_page(self, page: int) -> None:
        start = page % self.cloud.pages() * LIMIT
        del self.cloud.items[start : start + LIMIT]

    @precondition(lambda self: self._full_pages() > 0 and len(self.cloud.items) < 16)
    @rule(page=POSITIONS, to=POSITIONS)
    def repeat_page(self, page: int, to: int) -> None:
        """A full page's items served again, verbatim, as another page."""
        start = page % self._full_pages() * LIMIT
        at = to % (self._full_pages() + 1) * LIMIT
        self.cloud.items[at:at] = self.cloud.items[start : start + LIMIT]

    @precondition(lambda self: self._full_pages() > 1)
    @rule(data=st.data())
    def reorder_pages(self, data: st.DataObject) -> None:
        full = self._full_pages()
        order = data.draw(st.permutations(range(full)), label="order")
        items = self.cloud.items
        rest = items[full * LIMIT :]
        self.cloud.items = [item for p in order for item in items[p * LIMIT : (p + 1) * LIMIT]]
        self.cloud.items += rest

    @precondition(lambda self: self._objects())
    @rule(at=POSITIONS)
    def unreadable_once(self, at: int) -> None:
        objects = self._objects()
        n = objects[at % len(objects)]
        item = self.cloud.items[n]
        assert item is not None
        field = self.spec.unreadable
        if not isinstance(item.get(field), list):
            self.cloud.items[n] = {**item, field: [item.get(field)]}

    @rule(skew=st.sampled_from([0, 0, 0, -1, 1, -LIMIT, LIMIT, 2 * LIMIT]))
    def poll(self, skew: int) -> None:
        """Both pollers poll the same pages (`count` off by `skew`): they serve the same."""
        self.cloud.count_skew = skew
        assert self.run(self.poller.poll_once()), self.poller.status.last_error
        fresh = make_poller(self.spec.service, self.cloud.fetch, self.clock)
        assert self.run(fresh.poll_once()), fresh.status.last_error
        ours, afresh = served(self.poller.snapshot), served(fresh.snapshot)
        assert ours["text"] == afresh["text"]
        assert ours["openmetrics"] == afresh["openmetrics"]
        self.cloud.readable_again()
        self.now += 60
        self.unpolled = 0

    @invariant()
    def polled_every_few_steps(self) -> None:
        """A poll after three steps without one: a run may leave out the `poll` rule
        (hypothesis enables a random subset of the rules in each run), and changes never
        polled prove nothing."""
        self.unpolled += 1
        if self.unpolled > 3:
            note("the invariant polls: state.poll(skew=0)")
            self.poll(0)

    @rule(page=POSITIONS, stale=st.booleans())
    def fail(self, page: int, stale: bool) -> None:
        """A page answers 503: the poll fails, and the last poll's series stay as they were;
        or, failing for longer than `stale_after`, they are dropped."""
        before = tasks_only(self.poller.snapshot)
        offsets = self.run(self.cloud.offsets())
        self.cloud.fail_at = offsets[page % len(offsets)]
        if stale:
            self.now += STALE_AFTER + 1
        try:
            assert not self.run(self.poller.poll_once())
        finally:
            self.cloud.fail_at = None
        if stale:
            assert not self.poller.snapshot.has_source(self.poller.source.key)
        else:
            assert tasks_only(self.poller.snapshot) == before


MACHINE_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


class SmsTasks(CacheMachine):
    spec = SPECS["sms"]


class OmsTasks(CacheMachine):
    spec = SPECS["oms"]


class SmsSources(CacheMachine):
    spec = SPECS["sms_sources"]


class SmsProjects(CacheMachine):
    spec = SPECS["sms_projects"]


class OmsGroups(CacheMachine):
    spec = SPECS["oms_groups"]


class OmsSync(CacheMachine):
    spec = SPECS["oms_sync"]


def test_every_list_service_has_a_machine() -> None:
    """Every paged list: a single-object request (the SMS overview) has no pages to move,
    drop or repeat, and no ids; its one item is cached like any (`tests/integration/
    test_waves.py`: an unchanged answer is not rendered again)."""
    paged = {s.name for s in SERVICES if not s.target(ACCOUNT).request.single}
    assert {machine.spec.service.name for machine in MACHINES} == paged


MACHINES = [SmsTasks, OmsTasks, SmsSources, SmsProjects, OmsGroups, OmsSync]


@pytest.mark.parametrize("machine", MACHINES)
def test_what_a_scrape_gets_is_as_if_every_poll_rendered_afresh(
    machine: type[CacheMachine],
) -> None:
    with structlog.testing.capture_logs() as logs:  # thousands of polls: kept, not printed
        run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
    # What the API may send is never a bug of ours: no item met the mapping's broad catch.
    assert [log for log in logs if log["log_level"] == "error" and "item" in log] == []


# What an item's lines must not depend on: clocks, the environment, randomness, the network.
IMPURE = frozenset(
    {"time", "datetime", "calendar", "zoneinfo", "locale", "os", "random", "secrets", "uuid"}
    | {"asyncio", "socket", "threading", "posix", "nt", "_random", "_uuid", "_locale"}
)
EXPORTER = Path(exporter.__file__).parent
OURS = (f"{EXPORTER}{os.sep}", f"{Path(__file__).parents[1]}{os.sep}")  # exporter/, tests/


def _module_file(name: str) -> Path | None:
    """The file of module `name` of the exporter, if it is one."""
    if name.partition(".")[0] != "exporter":
        return None
    path = EXPORTER.parent.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Every module a module imports, by name: `from a import b` imports `a.b` when that is a
    module, else `a`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield (sub if _module_file(sub) else node.module), node.lineno


def test_what_maps_an_item_imports_no_clock_environment_or_randomness() -> None:
    """The payload models, mappings and line helpers, and every module of the exporter they
    import, import nothing impure and use no impure name."""
    todo = [
        *EXPORTER.glob("services/**/mapping.py"),
        *EXPORTER.glob("services/**/table.py"),
        *EXPORTER.glob("services/**/payload.py"),
        *EXPORTER.glob("metrics/*.py"),
    ]
    assert len(todo) >= 6
    seen: set[Path] = set()
    impure: list[str] = []
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        tree = ast.parse(path.read_text(), str(path))
        for name, line in _imports(tree):
            if name.partition(".")[0] in IMPURE | {"importlib"}:
                impure.append(f"{path.relative_to(EXPORTER)}:{line} imports {name}")
            if (found := _module_file(name)) is not None:
                todo.append(found)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in IMPURE | {"__import__", "importlib"}:
                impure.append(f"{path.relative_to(EXPORTER)}:{node.lineno} uses {node.id}")
    assert impure == []
    assert EXPORTER / "huawei" / "payload.py" in seen  # the closure was followed


def impure_calls(run: Callable[[], object], allowed: str = "") -> list[str]:
    """The calls into IMPURE modules that `run` makes, each named with the innermost frame of
    ours (exporter/ or tests/) it came from, except those coming from the file `allowed`. A
    profile hook sees every call, of Python functions and of C ones, however imported."""
    found: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call":  # arg: the C function; frame: its caller
            owner = getattr(arg, "__self__", None)
            module = getattr(arg, "__module__", None) or getattr(owner, "__module__", None)
            name, caller = getattr(arg, "__qualname__", "?"), frame
        elif event == "call":
            module, name, caller = frame.f_globals.get("__name__"), frame.f_code.co_name, frame
        else:
            return
        if not isinstance(module, str) or module.partition(".")[0] not in IMPURE:
            return
        source: FrameType | None = caller
        while source is not None and not source.f_code.co_filename.startswith(OURS):
            source = source.f_back
        if source is not None and source.f_code.co_filename != allowed:
            found.append(f"{module}: {name} from {source.f_code.co_filename}:{source.f_lineno}")

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return found


def test_the_hook_sees_every_kind_of_impure_call() -> None:
    """The control: code of ours reading the clock, the environment or a random source is
    seen, whichever name it calls it by."""
    now = time.monotonic  # as `from time import monotonic as now` would bind it
    calls = impure_calls(
        lambda: (
            now(),
            time.time(),
            datetime.now(),
            os.environ.get("TZ"),
            random.random(),
            uuid.uuid4(),
            os.urandom(1),
        )
    )
    modules = {call.partition(":")[0] for call in calls}
    assert {"time", "datetime", "os", "random", "uuid", "posix"} <= modules
    assert all(__file__ in call for call in calls)


def sample_page(spec: Spec) -> tuple[Poller, list[Any]]:
    """A fresh poller of `spec`'s service, and a page of one item of each kind, listed."""
    cloud = Cloud(spec)
    items = [{**kind, spec.key: f"item-{n}"} for n, kind in enumerate(spec.kinds())]
    page = cloud.body(len(items), items)
    listed = ListedPage(page.items, cloud.request.ref, cloud.request.model).listed()
    return make_poller(spec.service, cloud.fetch, time.time), listed


def rendered_texts() -> str:
    """Each service's sample items as a fresh renderer renders them, as JSON text."""
    out: dict[str, list[list[str]]] = {}
    for name, spec in SPECS.items():
        poller, listed = sample_page(spec)
        rendered = poller.renderer.page(listed)
        out[name] = [[piece.decode() for piece in item.pieces or ()] for item in rendered]
        assert all(item.pieces for item in rendered), name
    return json.dumps(out, sort_keys=True)


@pytest.mark.parametrize("name", SPECS)
def test_rendering_an_item_reads_no_clock_environment_or_randomness(name: str) -> None:
    """Decoding, mapping and encoding the sample items calls nothing impure, but from the
    renderer's own code (it times its CPU; its log lines have timestamps)."""
    poller, listed = sample_page(SPECS[name])
    renderer = sys.modules[type(poller.renderer).__module__].__file__ or ""
    rendered: list[Rendered] = []
    assert impure_calls(lambda: rendered.extend(poller.renderer.page(listed)), renderer) == []
    assert len(rendered) == 3 and all(item.pieces for item in rendered)


@pytest.mark.parametrize(("zone", "seed"), [("CHAST-12:45", "1"), ("HST10", "2")])
def test_a_later_process_in_another_time_zone_with_another_hash_seed_renders_the_same(
    zone: str, seed: str
) -> None:
    """Started later, elsewhere on the globe, with sets and dicts of text in another order:
    the same text (a catch-all for the clock and the time zone; for an order of a set that
    leaks into the lines, a chance the two seeds together make all but sure)."""
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.unit.test_render_cache_property import rendered_texts\n"
            "print(rendered_texts())",
        ],
        cwd=EXPORTER.parent,
        env={**os.environ, "TZ": zone, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert child.stdout.splitlines()[-1] == rendered_texts()
