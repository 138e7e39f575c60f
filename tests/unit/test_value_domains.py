"""Numbers outside their domain are left out and counted, never exported as they came: a
`_ratio` only in 0..1, sizes, speeds, counts and durations only >= 0, timestamps only > 0
(a date of 0 stays "not set": left out, not counted). The rest of the item is exported."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pytest

from exporter.huawei.payload import convert
from exporter.metrics.lines import OUT_OF_DOMAIN, Lines
from exporter.render import ItemRenderer
from exporter.services.oms_tasks.mapping import NAMES as OMS_NAMES
from exporter.services.oms_tasks.mapping import task_lines as oms_lines
from exporter.services.oms_tasks.payload import OmsTask
from exporter.services.sms_sources.mapping import NAMES as SOURCE_NAMES
from exporter.services.sms_sources.mapping import server_lines
from exporter.services.sms_sources.payload import SourceServer
from exporter.services.sms_tasks.mapping import NAMES as SMS_NAMES
from exporter.services.sms_tasks.mapping import task_lines as sms_lines
from exporter.services.sms_tasks.payload import SmsTask
from tests.payloads import (
    FULL_OMS,
    FULL_SMS,
    FULL_SOURCE,
    OMS_OPTS,
    SMS_OPTS,
    SOURCE_OPTS,
    sms_page,
)

Mapping = Callable[[dict[str, Any]], Lines]


def sms(item: dict[str, Any]) -> Lines:
    return sms_lines("prod", [convert(SmsTask, item)], SMS_OPTS)


def oms(item: dict[str, Any]) -> Lines:
    return oms_lines("prod", [convert(OmsTask, item)], OMS_OPTS)


def source(item: dict[str, Any]) -> Lines:
    return server_lines("prod", [convert(SourceServer, item)], SOURCE_OPTS)


SERVICES: dict[str, tuple[Mapping, dict[str, Any]]] = {
    "sms": (sms, FULL_SMS),
    "oms": (oms, FULL_OMS),
    "sms_sources": (source, FULL_SOURCE),
}


def changed(item: dict[str, Any], path: Sequence[str | int], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(item)
    into: Any = out
    for step in path[:-1]:
        into = into[step]
    into[path[-1]] = value
    return out


S, OMS, V = "huaweicloud_sms_", "huaweicloud_oms_", "huaweicloud_sms_source_server_"
OUT_OF_DOMAIN_CASES = [
    ("sms", ["migrate_speed"], -1, S + "task_migrate_speed_bytes_per_second"),
    ("sms", ["speed_limit"], -100, S + "task_speed_limit_bytes_per_second"),
    ("sms", ["compress_rate"], -0.5, S + "task_compress_rate"),
    ("sms", ["total_time"], -61_500, S + "task_duration_seconds"),
    ("sms", ["agent_cpu_usage"], 150, S + "agent_cpu_usage_ratio"),
    ("sms", ["total_cpu_usage"], -1, S + "source_cpu_usage_ratio"),
    ("sms", ["agent_mem_usage"], -150, S + "agent_memory_usage_bytes"),
    ("sms", ["total_mem_usage"], "Infinity", S + "source_memory_usage_bytes"),
    ("sms", ["agent_disk_io"], "NaN", S + "agent_disk_io_bytes_per_second"),
    ("sms", ["total_disk_io"], -10, S + "source_disk_io_bytes_per_second"),
    ("sms", ["create_date"], -5, S + "task_created_timestamp_seconds"),
    ("sms", ["estimate_complete_time"], "inf", S + "task_estimated_completion_timestamp_seconds"),
    ("sms", ["sub_tasks", 1, "progress"], 140, S + "subtask_progress_ratio"),
    ("sms", ["sub_tasks", 1, "progress"], -1, S + "subtask_progress_ratio"),
    ("sms", ["sub_tasks", 0, "start_date"], -1, S + "subtask_start_timestamp_seconds"),
    ("sms", ["sub_tasks", 0, "end_date"], -1, S + "subtask_end_timestamp_seconds"),
    ("sms", ["network_check_info", "network_delay"], -25, S + "network_latency_seconds"),
    ("sms", ["network_check_info", "network_jitter"], -2, S + "network_jitter_seconds"),
    (
        "sms",
        ["network_check_info", "migration_speed"],
        -8,
        S + "network_bandwidth_bytes_per_second",
    ),
    ("sms", ["network_check_info", "loss_percentage"], 101, S + "network_packet_loss_ratio"),
    ("oms", ["progress"], -5, OMS + "task_progress_ratio"),
    ("oms", ["progress"], 1.2e29, OMS + "task_progress_ratio"),
    ("oms", ["progress"], "NaN", OMS + "task_progress_ratio"),
    ("oms", ["total_size"], -1, OMS + "task_size_bytes"),
    ("oms", ["complete_size"], -1, OMS + "task_completed_bytes"),
    ("oms", ["real_size"], "-Infinity", OMS + "task_migrated_bytes"),
    ("oms", ["total_num"], -2000, OMS + "task_total_objects"),
    ("oms", ["failed_num"], -3, OMS + "task_processed_objects"),
    ("oms", ["migrate_speed"], -1, OMS + "task_migrate_speed_bytes_per_second"),
    ("oms", ["left_time"], -1, OMS + "task_remaining_seconds"),
    ("oms", ["total_time"], -1, OMS + "task_duration_seconds"),
    ("oms", ["start_time"], -1_700_000_000_000, OMS + "task_start_timestamp_seconds"),
    (
        "oms",
        ["bandwidth_policy", 0, "max_bandwidth"],
        -1,
        OMS + "task_bandwidth_limit_bytes_per_second",
    ),
    ("sms_sources", ["replicatesize"], -1, V + "replicated_bytes"),
    ("sms_sources", ["totalsize"], "inf", V + "total_bytes"),
    ("sms_sources", ["cpu_quantity"], -8, V + "cpu_cores"),
    ("sms_sources", ["memory"], -1, V + "memory_bytes"),
    ("sms_sources", ["add_date"], -1, V + "registered_timestamp_seconds"),
    ("sms_sources", ["last_visit_time"], -1, V + "agent_connection_changed_timestamp_seconds"),
    ("sms_sources", ["current_task", "remain_seconds"], -1, V + "remaining_seconds"),
    (
        "sms_sources",
        ["current_task", "estimate_complete_time"],
        -1,
        V + "estimated_completion_timestamp_seconds",
    ),
]


def test_the_full_items_are_in_their_domains() -> None:
    """Like the golden files' inputs: nothing left out, no list of values out of domain."""
    for mapping, item in SERVICES.values():
        assert OUT_OF_DOMAIN not in mapping(item)


@pytest.mark.parametrize(("service", "path", "value", "family"), OUT_OF_DOMAIN_CASES)
def test_a_value_outside_its_domain_is_left_out_and_counted_and_nothing_else_is(
    service: str, path: list[str | int], value: Any, family: str
) -> None:
    mapping, item = SERVICES[service]
    full = mapping(item)
    out = mapping(changed(item, path, value))
    assert out.pop(OUT_OF_DOMAIN) == [family]
    assert len(out[family]) == len(full[family]) - 1  # that sample only
    assert {k: v for k, v in out.items() if k != family} == {
        k: v for k, v in full.items() if k != family
    }


@pytest.mark.parametrize(
    ("service", "path", "value"),
    [
        ("oms", ["progress"], 0),
        ("oms", ["progress"], 1),
        ("oms", ["total_size"], 0),
        ("oms", ["left_time"], 0),
        ("sms", ["agent_cpu_usage"], 100),
        ("sms", ["total_cpu_usage"], 0),
        ("sms", ["sub_tasks", 1, "progress"], 0),
        ("sms", ["speed_limit"], 0),  # 0 means unlimited
        ("sms", ["network_check_info", "loss_percentage"], 100),
        ("sms_sources", ["replicatesize"], 0),
        ("sms_sources", ["current_task", "remain_seconds"], 0),
    ],
)
def test_the_edges_of_a_domain_are_in_it(service: str, path: list[str | int], value: Any) -> None:
    mapping, item = SERVICES[service]
    assert OUT_OF_DOMAIN not in mapping(changed(item, path, value))


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("sms", ["create_date"]),
        ("sms", ["sub_tasks", 0, "start_date"]),
        ("oms", ["start_time"]),
        ("sms_sources", ["add_date"]),
    ],
)
def test_a_date_of_zero_is_not_set_rather_than_out_of_domain(
    service: str, path: list[str | int]
) -> None:
    mapping, item = SERVICES[service]
    assert OUT_OF_DOMAIN not in mapping(changed(item, path, 0))


def test_every_value_out_of_domain_of_an_item_is_counted() -> None:
    task = changed(
        changed(changed(FULL_OMS, ["progress"], -5), ["total_size"], -1), ["real_size"], -1
    )
    assert sorted(oms(task)[OUT_OF_DOMAIN]) == [
        OMS + "task_migrated_bytes",
        OMS + "task_progress_ratio",
        OMS + "task_size_bytes",
    ]


def test_the_count_is_carried_with_the_rendered_item_and_reused_with_it() -> None:
    """An unchanged item is not mapped again: its count comes with its cached rendering."""
    bad = changed(FULL_SMS, ["migrate_speed"], -1) | {"id": "bad"}
    good = FULL_SMS | {"id": "good"}
    renderer = ItemRenderer(SMS_NAMES, partial(sms_lines, "x", opts=SMS_OPTS), label_limit=128)
    first = renderer.page(sms_page([bad, good]).listed())
    assert [item.out_of_domain for item in first] == [1, 0]
    renderer.commit([item.stored() for item in first])
    renderer.start()
    again = renderer.page(sms_page([bad, good]).listed())
    assert renderer.rendered == 0  # both reused
    assert [item.out_of_domain for item in again] == [1, 0]


def test_no_family_is_named_like_the_list_of_values_out_of_domain() -> None:
    assert OUT_OF_DOMAIN not in (*SMS_NAMES, *OMS_NAMES, *SOURCE_NAMES)
