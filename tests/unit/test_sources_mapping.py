"""Mapping SMS source servers to exposition lines: every source-server family of the metric
reference, with every field set, with fields null, with fields missing."""

from __future__ import annotations

from typing import Any

import pytest

from exporter.catalog import FAMILIES
from exporter.services.sms_sources.table import CYCLES
from tests import mapped as through
from tests.mapped import Series, flat
from tests.payloads import FULL_SOURCE, SOURCE_OPTS

P = "huaweicloud_sms_source_server_"


def mapped(*servers: dict[str, Any]) -> dict[str, Series]:
    return flat(through.mapped(through.SOURCES, servers, SOURCE_OPTS))


def value(series: Series) -> float:
    (only,) = series.values()
    return only


def test_a_full_server_fills_every_family_with_base_units() -> None:
    out = mapped(FULL_SOURCE)
    assert set(out) == {f.name for f in FAMILIES if f.service == "sms_sources"}
    ((labels, one),) = out[P + "info"].items()
    assert one == 1
    assert dict(labels) == {
        "account": "prod",
        "source_server_id": "src-1",
        "source_server_name": "src",
        "source_server_ip": "192.168.1.9",
        "os_type": "LINUX",
        "os_version": "CENTOS_7_9_64BIT",
        "enterprise_project_id": "0",
        "task_id": "task-1",  # the join to huaweicloud_sms_task_* series
        "task_name": "web-01",
    }
    assert value(out[P + "agent_connected"]) == 0
    assert value(out[P + "agent_connection_changed_timestamp_seconds"]) == 1_700_000_200
    assert value(out[P + "registered_timestamp_seconds"]) == 1_699_999_000
    assert value(out[P + "replicated_bytes"]) == 128_849_018_880
    assert value(out[P + "total_bytes"]) == 536_870_912_000
    assert value(out[P + "remaining_seconds"]) == 10_800  # already seconds
    assert value(out[P + "estimated_completion_timestamp_seconds"]) == 1_700_000_600
    assert value(out[P + "cpu_cores"]) == 8
    assert value(out[P + "memory_bytes"]) == 17_179_869_184  # already bytes
    cycles = {dict(k)["cycle"]: v for k, v in out[P + "migration_cycle"].items()}
    assert cycles == {cycle: float(cycle == "replicating") for cycle in CYCLES}
    problems = {
        (dict(k)["check"], dict(k)["result"], dict(k)["error_code"])
        for k in out[P + "check_problem"]
    }
    assert problems == {
        ("DISK_SPACE", "WARN", "SMS.1103"),
        ("TARGET_CONNECTIVITY", "ERROR", "SMS.3802"),
    }
    agents = {dict(k)["agent"]: v for k, v in out["huaweicloud_sms_source_servers"].items()}
    assert agents == {"connected": 0, "disconnected": 1}


@pytest.mark.parametrize(
    "server",
    [
        {key: None for key in FULL_SOURCE} | {"id": "src-9"},  # every field null
        {"id": "src-9"},  # every field missing
    ],
    ids=["null", "missing"],
)
def test_null_or_missing_fields_leave_their_samples_out(server: dict[str, Any]) -> None:
    out = mapped(server)
    assert set(out) == {P + "info", "huaweicloud_sms_source_servers"}
    ((labels, _),) = out[P + "info"].items()
    assert dict(labels)["task_id"] == "" and dict(labels)["source_server_ip"] == ""
    assert set(out["huaweicloud_sms_source_servers"].values()) == {0}  # both, at 0


def test_dates_of_zero_mean_not_set() -> None:
    out = mapped(
        {
            **FULL_SOURCE,
            "last_visit_time": 0,
            "add_date": 0,
            "current_task": {**FULL_SOURCE["current_task"], "estimate_complete_time": 0},
        }
    )
    for gone in (
        "agent_connection_changed_timestamp_seconds",
        "registered_timestamp_seconds",
        "estimated_completion_timestamp_seconds",
    ):
        assert P + gone not in out
    assert value(out[P + "remaining_seconds"]) == 10_800


def test_an_unknown_cycle_is_exported_as_observed() -> None:
    out = mapped({**FULL_SOURCE, "migration_cycle": "defrosting"})
    cycles = {dict(k)["cycle"]: v for k, v in out[P + "migration_cycle"].items()}
    assert cycles == {**dict.fromkeys(CYCLES, 0.0), "defrosting": 1.0}


def test_checks_that_pass_or_say_nothing_are_left_out_and_repeats_are_one_series() -> None:
    checks = [
        {"name": "A", "result": "OK"},
        {"name": "B", "result": None},
        None,
        {"name": "C", "result": "WARN", "error_code": None},
        {"name": "C", "result": "WARN", "error_code": None},
        {"name": "D", "result": "ok"},
    ]
    out = mapped({**FULL_SOURCE, "checks": checks})
    assert [dict(k)["check"] for k in out[P + "check_problem"]] == ["C"]


def test_servers_are_counted_by_agent_from_their_refs() -> None:
    servers = [
        {"id": "a", "connected": True},
        {"id": "b", "connected": False},
        {"id": "b", "connected": False},  # listed twice: counted once
        {"id": "c", "connected": None},  # unknown: not counted
        {"id": None, "connected": True},  # no id: not a server
    ]
    listed = through.rendered(through.SOURCES, servers, SOURCE_OPTS)
    (lines,) = through.SOURCES.counts(
        "prod", [s.ref for s in listed if s.key is not None], SOURCE_OPTS
    ).values()
    assert lines == [
        'huaweicloud_sms_source_servers{account="prod",agent="connected"} 1\n',
        'huaweicloud_sms_source_servers{account="prod",agent="disconnected"} 1\n',
    ]
