"""Cutover readiness of an SMS task (DESIGN.md section 12): each blocker on its own, the
task and its source server as the list APIs send them, and the lines it makes."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from exporter.huawei.payload import NULL
from exporter.services.sms_sources.payload import SourceRef
from exporter.services.sms_tasks.payload import SmsRef
from exporter.waves.readiness import Server, SmsTask, blockers, readiness

NOW = 1_800_000_000.0
HOUR = 3600.0
GOOD = Server(connected=True, checks_failed=False)


def task(**changes: Any) -> SmsTask:
    fields: dict[str, Any] = {
        "id": "t-1",
        "name": "erp-db",
        "state": "SYNCING",
        "server": "s-1",
        "last_sync_end": NOW - 60,
    }
    fields.update(changes)
    return SmsTask(**fields)


def test_a_syncing_task_with_a_connected_agent_checks_ok_and_a_fresh_sync_is_ready() -> None:
    assert blockers(task(), GOOD, now=NOW, max_age=HOUR) == []


@pytest.mark.parametrize("state", ["MIGRATE_FAIL", "SYNC_FAIL"])
def test_a_failed_task_is_blocked_as_failed_alone(state: str) -> None:
    """Not also `not_syncing`: one reason per cause (two series for a task blocked by its
    own state alone)."""
    assert blockers(task(state=state), GOOD, now=NOW, max_age=HOUR) == ["failed"]


@pytest.mark.parametrize("state", ["READY", "RUNNING", "PAUSING", "PAUSED", "SKIPPING", None])
def test_a_task_whose_full_copy_is_not_done_is_not_syncing(state: str | None) -> None:
    assert blockers(task(state=state), GOOD, now=NOW, max_age=HOUR) == ["not_syncing"]


def test_a_disconnected_agent_blocks() -> None:
    server = Server(connected=False, checks_failed=False)
    assert blockers(task(), server, now=NOW, max_age=HOUR) == ["agent_disconnected"]


def test_a_check_not_ok_blocks() -> None:
    server = Server(connected=True, checks_failed=True)
    assert blockers(task(), server, now=NOW, max_age=HOUR) == ["check_failed"]


def test_a_last_sync_older_than_the_max_age_is_stale_and_one_just_within_is_not() -> None:
    assert blockers(task(last_sync_end=NOW - HOUR - 1), GOOD, now=NOW, max_age=HOUR) == [
        "sync_stale"
    ]
    assert blockers(task(last_sync_end=NOW - HOUR), GOOD, now=NOW, max_age=HOUR) == []


def test_what_the_api_did_not_give_raises_no_blocker() -> None:
    unknown = Server(connected=None, checks_failed=False)
    assert blockers(task(last_sync_end=None), unknown, now=NOW, max_age=HOUR) == []
    assert blockers(task(server=None), None, now=NOW, max_age=HOUR) == []  # server not listed


def test_every_blocker_at_once_comes_in_the_contracts_order() -> None:
    server = Server(connected=False, checks_failed=True)
    stale = task(state="SYNC_FAIL", last_sync_end=NOW - 2 * HOUR)
    assert blockers(stale, server, now=NOW, max_age=HOUR) == [
        "failed",
        "agent_disconnected",
        "check_failed",
        "sync_stale",
    ]


def test_the_lines_a_ready_and_a_blocked_task_make_and_none_for_a_task_cut_over() -> None:
    tasks = [
        task(),
        task(id="t-2", name="erp-app", server="s-2"),
        task(id="t-3", state="MIGRATE_SUCCESS"),
        task(id="t-4", state="ABORT"),
    ]
    servers = {"s-1": GOOD, "s-2": Server(connected=False, checks_failed=False)}
    lines = readiness({"prod": (tasks, servers)}, now=NOW, max_age=HOUR, limit=128)
    assert lines == {
        "huaweicloud_sms_task_cutover_ready": [
            'huaweicloud_sms_task_cutover_ready{account="prod",task_id="t-1",task_name="erp-db"} 1\n',
            'huaweicloud_sms_task_cutover_ready{account="prod",task_id="t-2",task_name="erp-app"} 0\n',
        ],
        "huaweicloud_sms_task_cutover_blocked": [
            'huaweicloud_sms_task_cutover_blocked{account="prod",task_id="t-2",task_name="erp-app",'
            'reason="agent_disconnected"} 1\n',
        ],
    }


def test_the_last_sync_is_the_latest_end_of_the_sync_sub_tasks_only() -> None:
    raw = {
        "id": "t-1",
        "state": "SYNCING",
        "source_server": {"id": "s-1", "ip": "10.0.0.1"},
        "sub_tasks": [
            {"name": "MIGRATE_BLOCK", "end_date": 1_800_000_500_000},
            {"name": "SYNC_FILE", "end_date": 1_799_999_000_000},
            {"name": "SYNC_FILE", "end_date": "1799999500000"},
            {"name": "SYNC_FILE", "end_date": None},
            None,
        ],
    }
    ref = msgspec.json.decode(msgspec.json.encode(raw), type=SmsRef, strict=False)
    assert ref.last_sync_end == 1_799_999_500.0 and ref.server_id == "s-1"
    none = msgspec.json.decode(
        b'{"id": "t", "sub_tasks": [{"name": "MIGRATE_BLOCK"}]}', type=SmsRef
    )
    assert none.last_sync_end is None


@pytest.mark.parametrize(
    ("checks", "failed"),
    [
        (None, False),
        ([], False),
        ([{"result": "OK"}, None, {"result": None}], False),
        ([{"result": "OK"}, {"result": "WARN"}], True),
        ([{"result": "ERROR"}], True),
    ],
)
def test_a_source_server_check_fails_when_its_result_is_not_ok(
    checks: list[Any] | None, failed: bool
) -> None:
    raw = msgspec.json.encode({"id": "s-1", "connected": True, "checks": checks})
    assert msgspec.json.decode(raw, type=SourceRef).checks_failed is failed


def test_what_a_payload_says_of_the_derived_fields_is_not_believed() -> None:
    task = msgspec.json.decode(
        b'{"id": "t", "last_sync_end": 1e18, "sub_tasks": [{"name": "SYNC_FILE", "end_date": 5000}]}',
        type=SmsRef,
    )
    assert task.last_sync_end == 5.0 and task.sub_tasks is NULL  # the sub-tasks let go


@pytest.mark.parametrize(
    "field",
    [
        '"name": {"a": 1}',
        '"enterprise_project_id": [1]',
        '"source_server": "x"',
        '"sub_tasks": {"a": 1}',
        '"sub_tasks": [{"name": "SYNC_FILE", "end_date": "soon"}]',
    ],
)
def test_a_bad_wave_field_costs_the_wave_stage_that_value_and_never_the_tasks_id(
    field: str,
) -> None:
    ref = msgspec.json.decode(f'{{"id": "t", "state": "SYNCING", {field}}}'.encode(), type=SmsRef)
    assert ref.key == "t" and ref.state == "SYNCING"
    assert ref.name is ref.sub_tasks is ref.source_server is ref.enterprise_project_id is NULL
    server = msgspec.json.decode(
        b'{"id": "s", "checks_failed": true, "checks": []}', type=SourceRef
    )
    assert server.checks_failed is False and server.checks is NULL
