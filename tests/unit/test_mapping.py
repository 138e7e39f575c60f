"""Mapping tasks to exposition lines: every family of the metric reference, its labels and its units."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exporter.catalog import FAMILIES
from exporter.services.oms_tasks.payload import OmsTask
from exporter.services.oms_tasks.table import OMS_STATUSES
from exporter.services.sms_tasks.payload import SmsTask
from exporter.services.sms_tasks.table import SMS_STATES, SmsOptions, error_code
from tests.mapped import OMS, SMS, Series, flat, mapped
from tests.payloads import FULL_OMS, FULL_SMS, OMS_OPTS, SMS_OPTS

FIXTURES = Path(__file__).parent.parent / "fixtures"


def only(series: Series) -> float:
    assert len(series) == 1
    return next(iter(series.values()))


def pick(series: Series, **labels: str) -> float:
    matches = [v for k, v in series.items() if set(labels.items()) <= k]
    assert len(matches) == 1, (labels, series)
    return matches[0]


def test_a_full_sms_task_fills_every_sms_family_with_base_units() -> None:
    out = flat(mapped(SMS, [FULL_SMS], SMS_OPTS))
    sms_families = {f.name for f in FAMILIES if f.service == "sms"}
    assert set(out) == sms_families
    info = only(out["huaweicloud_sms_task_info"])
    assert info == 1
    (labels,) = out["huaweicloud_sms_task_info"]
    assert dict(labels) == {
        "account": "prod",
        "task_id": "task-1",
        "task_name": "web-01",
        "type": "MIGRATE_BLOCK",
        "os_type": "LINUX",
        "priority": "2",
        "source_server_id": "src-1",
        "source_server_name": "src",
        "source_server_ip": "192.168.1.9",
        "source_os_version": "CENTOS_7_9_64BIT",
        "target_server_id": "tgt-1",
        "target_vm_id": "vm-1",
        "target_server_name": "tgt",
        "migration_ip": "10.0.0.9",
        "enterprise_project_id": "0",
        "migration_project_id": "0",
        "need_migration_test": "true",
    }
    states = out["huaweicloud_sms_task_state"]
    assert len(states) == len(SMS_STATES)
    assert pick(states, state="RUNNING") == 1
    assert sum(states.values()) == 1
    assert pick(out["huaweicloud_sms_source_server_state"], state="AVAILABLE") == 1
    expected = {
        "huaweicloud_sms_task_migrate_speed_bytes_per_second": 42.5 * 125_000,
        "huaweicloud_sms_task_speed_limit_bytes_per_second": 100 * 125_000,
        "huaweicloud_sms_task_compress_rate": 1.4,
        "huaweicloud_sms_task_created_timestamp_seconds": 1_700_000_000,
        "huaweicloud_sms_task_estimated_completion_timestamp_seconds": 1_700_000_600,
        "huaweicloud_sms_task_duration_seconds": 61.5,
        "huaweicloud_sms_task_syncing": 1,
        "huaweicloud_sms_agent_cpu_usage_ratio": 0.12,
        "huaweicloud_sms_agent_memory_usage_bytes": 150 * 1_048_576,
        "huaweicloud_sms_agent_disk_io_bytes_per_second": 4 * 125_000,
        "huaweicloud_sms_source_cpu_usage_ratio": 0.375,
        "huaweicloud_sms_source_memory_usage_bytes": 2048 * 1_048_576,
        "huaweicloud_sms_source_disk_io_bytes_per_second": 10 * 125_000,
        "huaweicloud_sms_network_latency_seconds": 0.025,
        "huaweicloud_sms_network_jitter_seconds": 0.002,
        "huaweicloud_sms_network_bandwidth_bytes_per_second": 800 * 125_000,
        "huaweicloud_sms_network_packet_loss_ratio": 0.015,
    }
    for name, value in expected.items():
        assert only(out[name]) == pytest.approx(value), name
    assert pick(out["huaweicloud_sms_task_error_info"], error_code="SMS.6403") == 1
    progress = out["huaweicloud_sms_subtask_progress_ratio"]
    assert pick(progress, subtask_id="11", subtask="CREATE_CLOUND_SERVER") == 1.0
    assert pick(progress, subtask_id="12", subtask="MIGRATE_BLOCK") == 0.4
    assert (
        pick(out["huaweicloud_sms_subtask_start_timestamp_seconds"], subtask_id="12")
        == 1_700_000_003
    )
    ends = out["huaweicloud_sms_subtask_end_timestamp_seconds"]
    assert list(ends.values()) == [1_700_000_002]  # the running sub-task has no end
    connectivity = out["huaweicloud_sms_network_connectivity"]
    assert pick(connectivity, check="domain") == 1 and pick(connectivity, check="destination") == 0
    counts = out["huaweicloud_sms_tasks"]
    assert len(counts) == len(SMS_STATES)
    assert pick(counts, state="RUNNING") == 1 and sum(counts.values()) == 1


def test_the_speed_unit_can_be_megabytes_and_the_speed_limit_stays_in_megabits() -> None:
    task = FULL_SMS
    out = flat(mapped(SMS, [task], SmsOptions(speed_factor=1_048_576.0)))
    assert only(out["huaweicloud_sms_task_migrate_speed_bytes_per_second"]) == 42.5 * 1_048_576
    assert only(out["huaweicloud_sms_agent_disk_io_bytes_per_second"]) == 4 * 1_048_576
    # Every SDK model that names the limit's unit says Mbit/s: the setting does not move it.
    assert only(out["huaweicloud_sms_task_speed_limit_bytes_per_second"]) == 100 * 125_000


def test_dates_of_zero_mean_not_set_and_are_left_out() -> None:
    zero = {
        **FULL_SMS,
        "create_date": 0,
        "estimate_complete_time": 0,
        "sub_tasks": [
            {"id": 1, "name": "MIGRATE_BLOCK", "progress": 0, "start_date": 0, "end_date": 0}
        ],
    }
    out = flat(mapped(SMS, [zero], SMS_OPTS))
    for gone in (
        "huaweicloud_sms_task_created_timestamp_seconds",
        "huaweicloud_sms_task_estimated_completion_timestamp_seconds",
        "huaweicloud_sms_subtask_start_timestamp_seconds",
        "huaweicloud_sms_subtask_end_timestamp_seconds",
    ):
        assert gone not in out
    assert only(out["huaweicloud_sms_subtask_progress_ratio"]) == 0  # a real 0 stays


def test_an_sms_task_of_nulls_has_identity_state_zeros_and_nothing_else() -> None:
    task = dict.fromkeys(SmsTask.__struct_fields__) | {"id": "t"}
    out = flat(mapped(SMS, [task], SMS_OPTS))
    assert set(out) == {
        "huaweicloud_sms_task_info",
        "huaweicloud_sms_task_state",
        "huaweicloud_sms_tasks",
    }
    assert set(out["huaweicloud_sms_task_state"].values()) == {0}
    assert sum(out["huaweicloud_sms_tasks"].values()) == 0


def test_an_unknown_sms_state_is_exported_as_observed() -> None:
    task = {"id": "t", "state": "TELEPORTING"}
    out = flat(mapped(SMS, [task], SMS_OPTS))
    states = out["huaweicloud_sms_task_state"]
    assert len(states) == len(SMS_STATES) + 1
    assert pick(states, state="TELEPORTING") == 1
    assert pick(out["huaweicloud_sms_tasks"], state="TELEPORTING") == 1


def test_tasks_without_id_or_seen_twice_are_skipped() -> None:
    tasks = [{"name": "no id"}, {"id": "a"}, {"id": "a"}]
    out = flat(mapped(SMS, tasks, SMS_OPTS))
    assert len(out["huaweicloud_sms_task_info"]) == 1


def test_subtasks_and_network_check_can_be_switched_off() -> None:
    task = FULL_SMS
    out = flat(mapped(SMS, [task], SmsOptions(subtasks=False, network_check=False)))
    assert not any(
        name.startswith(("huaweicloud_sms_subtask", "huaweicloud_sms_network")) for name in out
    )


@pytest.mark.parametrize(
    ("error_json", "expected"),
    [
        ("", None),
        ("   ", None),
        (None, None),
        ('{"error_code": "SMS.6403", "error_msg": "x"}', "SMS.6403"),
        ('{"errorCode": "SMS.1234"}', "SMS.1234"),
        ("agent exploded", "unknown"),
        ('{"error_code": "<script>alert(1)</script>"}', "unknown"),
        ('["SMS.1"]', "unknown"),
    ],
)
def test_error_codes_are_parsed_and_bounded(error_json: str | None, expected: str | None) -> None:
    assert error_code(error_json) == expected


def test_label_values_are_truncated() -> None:
    task = {"id": "t", "name": "n" * 500}
    out = flat(mapped(SMS, [task], SmsOptions(max_label_length=32)))
    (labels,) = out["huaweicloud_sms_task_info"]
    assert len(dict(labels)["task_name"]) == 32


def test_a_full_oms_task_fills_every_oms_family_with_base_units() -> None:
    out = flat(mapped(OMS, [FULL_OMS], OMS_OPTS))
    assert set(out) == {f.name for f in FAMILIES if f.service == "oms"}
    (labels,) = out["huaweicloud_oms_task_info"]
    assert dict(labels) == {
        "account": "prod",
        "region": "ap-southeast-3",
        "task_id": "42",
        "task_name": "logs",
        "project_id": "p" * 32,
        "task_type": "prefix",
        "group_id": "g-1",
        "group_type": "NORMAL_TASK",
        "src_cloud": "AWS",
        "src_region": "us-east-1",
        "src_bucket": "src-b",
        "dst_region": "ap-southeast-3",
        "dst_bucket": "dst-b",
        "task_priority": "HIGH",
    }
    statuses = out["huaweicloud_oms_task_status"]
    assert len(statuses) == len(OMS_STATUSES)
    assert pick(statuses, status="failed") == 1 and sum(statuses.values()) == 1
    expected = {
        "huaweicloud_oms_task_progress_ratio": 0.522,
        "huaweicloud_oms_task_size_bytes": 10_737_418_240,
        "huaweicloud_oms_task_completed_bytes": 5_368_709_120,
        "huaweicloud_oms_task_migrated_bytes": 5_000_000_000,
        "huaweicloud_oms_task_total_objects": 2000,
        "huaweicloud_oms_task_migrate_speed_bytes_per_second": 52_428_800,
        "huaweicloud_oms_task_remaining_seconds": 90,
        "huaweicloud_oms_task_duration_seconds": 30,
        "huaweicloud_oms_task_start_timestamp_seconds": 1_700_000_000,
        "huaweicloud_oms_task_listing_complete": 1,
    }
    for name, value in expected.items():
        assert only(out[name]) == pytest.approx(value), name
    processed = out["huaweicloud_oms_task_processed_objects"]
    assert {dict(k)["result"]: v for k, v in processed.items()} == {
        "succeeded": 1000,
        "failed": 3,
        "skipped": 7,
    }
    assert (
        pick(
            out["huaweicloud_oms_task_bandwidth_limit_bytes_per_second"], start="08:00", end="20:00"
        )
        == 1_048_576
    )
    assert pick(out["huaweicloud_oms_task_error_info"], error_code="OMS.0012") == 1
    assert pick(out["huaweicloud_oms_tasks"], status="failed") == 1


@pytest.mark.parametrize(("status", "name"), [(0, "not_started"), (9, "9"), (6, "retrying")])
def test_oms_status_codes_have_names_or_their_number(status: int, name: str) -> None:
    out = flat(mapped(OMS, [{"id": 1, "status": status}], OMS_OPTS))
    assert pick(out["huaweicloud_oms_task_status"], status=name) == 1
    assert pick(out["huaweicloud_oms_tasks"], status=name) == 1
    expected_series = len(OMS_STATUSES) + (0 if status in OMS_STATUSES else 1)
    assert len(out["huaweicloud_oms_task_status"]) == expected_series


def test_an_oms_task_that_has_not_started_has_no_start_time() -> None:
    out = flat(mapped(OMS, [{"id": 1, "start_time": 0}], OMS_OPTS))
    assert "huaweicloud_oms_task_start_timestamp_seconds" not in out


def test_an_oms_task_of_nulls_has_identity_status_zeros_and_nothing_else() -> None:
    task = dict.fromkeys(OmsTask.__struct_fields__) | {"id": 5}
    out = flat(mapped(OMS, [task], OMS_OPTS))
    assert set(out) == {
        "huaweicloud_oms_task_info",
        "huaweicloud_oms_task_status",
        "huaweicloud_oms_tasks",
    }


def _reference(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize(
    "name", ["sms-list-tasks.example.json", "sms-list-tasks-2025.example.json"]
)
def test_the_sms_reference_examples_map(name: str) -> None:
    tasks = [t for t in _reference(name)["tasks"] if t is not None]
    out = flat(mapped(SMS, tasks, SMS_OPTS))
    # The documentation's three examples share one placeholder id: one series set, not three.
    assert len(out["huaweicloud_sms_task_info"]) == 1
    assert pick(out["huaweicloud_sms_task_state"], state="MIGRATE_SUCCESS") == 1
    assert only(out["huaweicloud_sms_task_duration_seconds"]) == 3878
    assert "huaweicloud_sms_task_estimated_completion_timestamp_seconds" not in out  # null
    assert "huaweicloud_sms_task_error_info" not in out  # error_json ""


def test_the_oms_reference_example_maps() -> None:
    tasks = [t for t in _reference("oms-list-tasks.example.json")["tasks"] if t is not None]
    out = flat(mapped(OMS, tasks, OMS_OPTS))
    assert pick(out["huaweicloud_oms_task_status"], status="not_started") == 1
    assert pick(out["huaweicloud_oms_task_bandwidth_limit_bytes_per_second"], start="00:00") == 0
    assert "huaweicloud_oms_task_start_timestamp_seconds" not in out
