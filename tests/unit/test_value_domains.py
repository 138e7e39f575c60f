"""Numbers outside their domain are left out and counted, never exported as they came: a
`_ratio` only in 0..1, sizes, speeds, counts and durations only >= 0, timestamps only > 0
(a date of 0 stays "not set": left out, not counted). The rest of the item is exported."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from exporter.metrics.lines import Lines
from exporter.services.service import ListService
from tests.mapped import OMS as OMS_SERVICE
from tests.mapped import SMS as SMS_SERVICE
from tests.mapped import SOURCES, listed_page, renderer
from tests.payloads import (
    FULL_OMS,
    FULL_SMS,
    FULL_SOURCE,
    OMS_OPTS,
    SMS_OPTS,
    SOURCE_OPTS,
    sms_page,
)

# An item -> its lines per family, and the families of the values left out.
Mapping = Callable[[dict[str, Any]], tuple[Lines, list[str]]]


def mapping(service: ListService[Any, Any], opts: Any) -> Mapping:
    """The service's mapper, as a poll binds it, over one item decoded from its JSON."""
    mapper = service.mapper("prod", opts)
    names = [family.name for family in service.families]

    def run(item: dict[str, Any]) -> tuple[Lines, list[str]]:
        (listed,) = listed_page(service, [item]).listed()
        texts, rejected = mapper(listed.load())
        return {name: [text] for name, text in zip(names, texts, strict=True) if text}, rejected

    return run


sms = mapping(SMS_SERVICE, SMS_OPTS)
oms = mapping(OMS_SERVICE, OMS_OPTS)
source = mapping(SOURCES, SOURCE_OPTS)


SERVICES: dict[str, tuple[Mapping, dict[str, Any]]] = {
    "sms": (sms, FULL_SMS),
    "oms": (oms, FULL_OMS),
    "sms_sources": (source, FULL_SOURCE),
}


def lines(out: Lines, family: str) -> list[str]:
    """A family's sample lines."""
    return "".join(out.get(family, [])).splitlines()


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
    for map_item, item in SERVICES.values():
        assert map_item(item)[1] == []


@pytest.mark.parametrize(("service", "path", "value", "family"), OUT_OF_DOMAIN_CASES)
def test_a_value_outside_its_domain_is_left_out_and_counted_and_nothing_else_is(
    service: str, path: list[str | int], value: Any, family: str
) -> None:
    map_item, item = SERVICES[service]
    full, _ = map_item(item)
    out, rejected = map_item(changed(item, path, value))
    assert rejected == [family]
    assert len(lines(out, family)) == len(lines(full, family)) - 1  # that sample only
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
    map_item, item = SERVICES[service]
    assert map_item(changed(item, path, value))[1] == []


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
    map_item, item = SERVICES[service]
    assert map_item(changed(item, path, 0))[1] == []


def test_every_value_out_of_domain_of_an_item_is_counted() -> None:
    task = changed(
        changed(changed(FULL_OMS, ["progress"], -5), ["total_size"], -1), ["real_size"], -1
    )
    assert sorted(oms(task)[1]) == [
        OMS + "task_migrated_bytes",
        OMS + "task_progress_ratio",
        OMS + "task_size_bytes",
    ]


def test_the_count_is_carried_with_the_rendered_item_and_reused_with_it() -> None:
    """An unchanged item is not mapped again: its count comes with its cached rendering."""
    bad = changed(FULL_SMS, ["migrate_speed"], -1) | {"id": "bad"}
    good = FULL_SMS | {"id": "good"}
    render = renderer(SMS_SERVICE, SMS_OPTS)
    first = render.page(sms_page([bad, good]).listed())
    assert [item.out_of_domain for item in first] == [1, 0]
    render.commit([item.stored() for item in first])
    render.start()
    again = render.page(sms_page([bad, good]).listed())
    assert render.rendered == 0  # both reused
    assert [item.out_of_domain for item in again] == [1, 0]
