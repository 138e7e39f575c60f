"""Hostile API payloads, generated from the documented schema, served over real HTTP.

For every payload: the poll succeeds or fails with reason=bad_response, nothing raises out of
the poller, the exposition parses, and no label value is longer than configured. A page of the
documented shape (valid JSON, `count`, a list of task objects) always succeeds, whatever its
fields hold: a task that cannot be read is counted as not exported, never sinks its page.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any, Literal

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.exposition.snapshot import Snapshot
from exporter.huawei.errors import REASONS
from exporter.services.oms_groups.payload import TaskGroup
from exporter.services.oms_sync.payload import SyncTask
from exporter.services.oms_tasks.payload import OmsTask
from exporter.services.sms_overview.payload import Overview
from exporter.services.sms_projects.payload import MigrationProject
from exporter.services.sms_tasks.payload import (
    SmsNetworkCheck,
    SmsSourceServer,
    SmsSubTask,
    SmsTargetServer,
    SmsTask,
)
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud, Fault, Service
from exporter.simulator.server import SimulatorThread
from exporter.telemetry import Telemetry
from tests.conftest import FAST, make_tenant
from tests.fleets import build
from tests.parsing import parse_text
from tests.payloads import settings_for

LABEL_LIMIT = 24

weird_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),  # long, any script
    st.text(
        alphabet=st.sampled_from('\x00\x01\x07\n\r\t"\\{}=,#'), max_size=20
    ),  # control characters
    st.sampled_from(["RUNNING", "MIGRATE_FAIL", "TELEPORTING", "", " ", "null", "NaN"]),
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 10**18, 1e308, -1e308, 2**63, 5e-324]),
)
json_leaf = st.one_of(st.none(), st.booleans(), numbers, weird_text)
anything = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def value_for(annotation: str) -> st.SearchStrategy[Any]:
    """A value for a field: usually of a plausible kind, sometimes anything at all."""
    plausible: st.SearchStrategy[Any]
    if "bool" in annotation:
        plausible = st.one_of(st.booleans(), st.sampled_from(["true", "false"]))
    elif "Number" in annotation or "float" in annotation or "int" in annotation:
        plausible = st.one_of(numbers, numbers.map(str))
    else:
        plausible = st.one_of(weird_text, st.integers(min_value=-(10**6), max_value=10**6))
    return st.one_of(st.none(), plausible, plausible, plausible, anything)


def record(
    model: type[Any], nested: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        name: value_for(str(model.__annotations__.get(name, "")))
        for name in model.__struct_fields__
    }
    fields.update(nested or {})
    return st.fixed_dictionaries({}, optional=fields).map(lambda d: d)


sms_task = record(
    SmsTask,
    {
        "id": st.one_of(st.uuids().map(str), st.integers(0, 10**9), weird_text, st.none()),
        "state": st.one_of(
            st.sampled_from(["RUNNING", "MIGRATE_FAIL", "READY"]), weird_text, anything
        ),
        "sub_tasks": st.one_of(
            st.none(), anything, st.lists(st.one_of(st.none(), record(SmsSubTask)), max_size=4)
        ),
        "source_server": st.one_of(st.none(), anything, record(SmsSourceServer)),
        "target_server": st.one_of(st.none(), record(SmsTargetServer)),
        "network_check_info": st.one_of(st.none(), anything, record(SmsNetworkCheck)),
        "error_json": st.one_of(st.none(), weird_text, anything.map(json.dumps)),
    },
)
oms_task = record(
    OmsTask,
    {
        "id": st.one_of(st.integers(0, 10**12), weird_text, st.none()),
        "status": st.one_of(st.integers(-5, 12), st.sampled_from(["4", "x"]), st.none(), anything),
        "bandwidth_policy": st.one_of(
            st.none(),
            st.lists(
                st.fixed_dictionaries(
                    {}, optional={"start": weird_text, "end": weird_text, "max_bandwidth": numbers}
                ),
                max_size=3,
            ),
        ),
        "error_reason": st.one_of(
            st.none(),
            st.just(""),
            st.fixed_dictionaries({}, optional={"error_code": weird_text, "error_msg": weird_text}),
            anything,
        ),
    },
)


# The lists of a wave's objects: each item's strategy and the field of a page holding them.
WAVE_ITEMS: dict[str, tuple[st.SearchStrategy[dict[str, Any]], str]] = {
    "sms_projects": (
        record(
            MigrationProject,
            {"id": st.one_of(st.uuids().map(str), st.integers(0, 10**9), weird_text, st.none())},
        ),
        "migprojects",
    ),
    "oms_groups": (
        record(
            TaskGroup,
            {
                "group_id": st.one_of(st.uuids().map(str), weird_text, st.none()),
                "status": st.one_of(st.integers(-5, 12), st.sampled_from(["5", "x"]), anything),
                "src_node": st.one_of(st.none(), anything, st.dictionaries(weird_text, anything)),
            },
        ),
        "taskgroups",
    ),
    "oms_sync": (
        record(
            SyncTask,
            {"sync_task_id": st.one_of(st.uuids().map(str), weird_text, st.none())},
        ),
        "tasks",
    ),
}


def page(
    tasks: st.SearchStrategy[dict[str, Any]], items: str = "tasks"
) -> st.SearchStrategy[bytes]:
    body = st.fixed_dictionaries(
        {items: st.one_of(st.lists(st.one_of(tasks, st.none()), max_size=6), anything)},
        optional={"count": st.one_of(st.integers(-3, 10), numbers, st.none(), weird_text)},
    )
    # json.dumps writes NaN and Infinity as bare words, as a broken gateway might.
    return st.one_of(body.map(lambda b: json.dumps(b).encode()), st.binary(max_size=64))


def finite(value: Any) -> Any:
    """`value` as strict JSON holds it: non-finite floats become the strings a gateway sends."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [finite(item) for item in value]
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    return value


def well_formed_page(
    tasks: st.SearchStrategy[dict[str, Any]], field: str = "tasks"
) -> st.SearchStrategy[bytes]:
    return st.lists(tasks, max_size=6).map(
        lambda items: json.dumps(
            {"count": len(items), field: finite(items)}, allow_nan=False
        ).encode()
    )


@pytest.fixture(scope="module")
def hostile() -> Any:
    cloud = FakeCloud(tenants=[make_tenant()])
    with SimulatorThread(cloud) as sim:
        base = settings_for(sim.url, cloud)
        yield sim, base.model_copy(update={"label_value_max_length": LABEL_LIMIT})


async def poll_with(
    sim: SimulatorThread, config: Settings, service: Service, body: bytes
) -> tuple[bool, Telemetry, Snapshot]:
    def serve_body(cloud: FakeCloud) -> None:
        cloud.tenants[0].faults[:] = [Fault(service=service, kind="body", body=body)]

    sim.call(serve_body)
    async with aiohttp.ClientSession() as session:
        built = build(config, session, policy=FAST)
        ok = await built.poller(service).poll_once()
    return ok, built.telemetry, built.snapshot


def check(ok: bool, telemetry: Telemetry, snapshot: Snapshot, service: str) -> None:
    status = telemetry.sources[("acct-a", service)]
    if not ok:
        failed = {reason for reason in REASONS if status.errors[reason]}
        assert failed == {"bad_response"}, status.last_error
    families = parse_text(snapshot.body(openmetrics=False).decode())
    for family in families:
        if family.name == "huaweicloud_migration_exporter_build_info":
            continue  # this build's revision (40 hex digits), not the API's
        for sample in family.samples:
            for value in sample.labels.values():
                assert len(value) <= LABEL_LIMIT, (family.name, value)


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@SETTINGS
@given(body=page(sms_task))
def test_hostile_sms_pages_never_break_the_poller(hostile: Any, body: bytes) -> None:
    sim, config = hostile
    check(*asyncio.run(poll_with(sim, config, "sms", body)), "sms")


@SETTINGS
@given(body=page(oms_task))
def test_hostile_oms_pages_never_break_the_poller(hostile: Any, body: bytes) -> None:
    sim, config = hostile
    check(*asyncio.run(poll_with(sim, config, "oms", body)), "oms")


def check_served(ok: bool, telemetry: Telemetry, snapshot: Snapshot, service: str) -> None:
    """A page of the documented shape: the poll succeeds, and each task is exported or counted."""
    assert ok, telemetry.sources[("acct-a", service)].last_error
    check(ok, telemetry, snapshot, service)


@SETTINGS
@given(body=well_formed_page(sms_task))
def test_well_formed_sms_pages_always_succeed(hostile: Any, body: bytes) -> None:
    sim, config = hostile
    check_served(*asyncio.run(poll_with(sim, config, "sms", body)), "sms")


@SETTINGS
@given(body=well_formed_page(oms_task))
def test_well_formed_oms_pages_always_succeed(hostile: Any, body: bytes) -> None:
    sim, config = hostile
    check_served(*asyncio.run(poll_with(sim, config, "oms", body)), "oms")


@pytest.mark.parametrize("service", sorted(WAVE_ITEMS))
@SETTINGS
@given(data=st.data())
def test_hostile_pages_of_a_waves_lists_never_break_the_poller(
    hostile: Any, service: Service, data: st.DataObject
) -> None:
    items, field = WAVE_ITEMS[service]
    body = data.draw(page(items, field))
    sim, config = hostile
    check(*asyncio.run(poll_with(sim, config, service, body)), service)


@pytest.mark.parametrize("service", sorted(WAVE_ITEMS))
@SETTINGS
@given(data=st.data())
def test_well_formed_pages_of_a_waves_lists_always_succeed(
    hostile: Any, service: Service, data: st.DataObject
) -> None:
    items, field = WAVE_ITEMS[service]
    body = data.draw(well_formed_page(items, field))
    sim, config = hostile
    check_served(*asyncio.run(poll_with(sim, config, service, body)), service)


overview = record(Overview)


@SETTINGS
@given(body=st.one_of(overview.map(lambda o: json.dumps(o).encode()), st.binary(max_size=64)))
def test_hostile_overviews_never_break_the_poller(hostile: Any, body: bytes) -> None:
    sim, config = hostile
    check(*asyncio.run(poll_with(sim, config, "sms_overview", body)), "sms_overview")


@SETTINGS
@given(body=overview.map(lambda o: json.dumps(finite(o), allow_nan=False).encode()))
def test_a_well_formed_overview_always_succeeds(hostile: Any, body: bytes) -> None:
    """An object of the documented shape succeeds, whatever its fields hold: a count that
    cannot be read loses the overview (counted as not exported), not the poll."""
    sim, config = hostile
    check_served(*asyncio.run(poll_with(sim, config, "sms_overview", body)), "sms_overview")


@pytest.mark.parametrize(
    "body",
    [
        b'{"count": 1, "tasks": [{"id": "t", "name": "' + b"\\ud800" + b'"}]}',  # lone surrogate
        b'{"count": 1, "tasks": [{"id": "t", "migrate_speed": NaN}]}',
        b'{"count": 1, "tasks": [{"id": "t", "migrate_speed": 1e999}]}',
        b'{"count": 1, "tasks": [{"id": ' + b"9" * 5000 + b"}]}",  # an int too long to print
        b'{"count": 1, "tasks": [' + b"[" * 5000 + b"]" * 5000 + b"]}",  # deep nesting
        b"\xff\xfe\x00garbage",
    ],
)
def test_known_nasty_bodies(hostile: Any, body: bytes) -> None:
    sim, config = hostile
    check(*asyncio.run(poll_with(sim, config, "sms", body)), "sms")


@pytest.mark.parametrize(
    ("service", "body"),
    [
        (
            "sms",
            b'{"count": 3, "tasks": [{"id": "t-1", "name": "a\\ud800b", "state": "RUNNING"},'
            b' {"id": "t-2\\udc00", "name": "x", "state": "RUNNING"},'
            b' {"id": "t-3", "name": "ok \\\\ud800", "state": "READY"}]}',
        ),
        (
            "oms",
            b'{"count": 3, "tasks": [{"id": 1, "name": "a\\ud800b", "status": 2},'
            b' {"id": 2, "name": "x\\udc00\\ud800", "status": 2},'
            b' {"id": 3, "name": "ok \\\\ud800", "status": 1}]}',
        ),
    ],
)
def test_a_lone_surrogate_is_repaired_and_sinks_nothing(
    hostile: Any, service: Literal["sms", "oms"], body: bytes
) -> None:
    """JSON allows `"\\ud800"`, Unicode does not: the escape becomes U+FFFD, its task is
    exported, and so is the rest of the page (an escaped backslash before `ud800` is text)."""
    sim, config = hostile
    ok, telemetry, snapshot = asyncio.run(poll_with(sim, config, service, body))
    status = telemetry.sources[("acct-a", service)]
    assert ok, status.last_error
    assert (status.tasks, status.not_exported) == (3, 0)
    families = {f.name: f for f in parse_text(snapshot.body(openmetrics=False).decode())}
    info = families[f"huaweicloud_{service}_task_info"].samples
    names = sorted((s.labels["task_id"], s.labels["task_name"]) for s in info)
    if service == "sms":
        assert names == [("t-1", "a\ufffdb"), ("t-2\ufffd", "x"), ("t-3", "ok \\ud800")]
    else:
        assert names == [("1", "a\ufffdb"), ("2", "x\ufffd\ufffd"), ("3", "ok \\ud800")]
