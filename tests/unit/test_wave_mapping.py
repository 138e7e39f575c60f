"""Mapping the objects a wave is made of to exposition lines (DESIGN.md section 12): every
family of the section's table, with every field set, with fields null, with fields missing."""

from __future__ import annotations

from typing import Any

from exporter.catalog import FAMILIES, family
from exporter.services.oms_groups.table import GROUP_STATUSES
from exporter.services.oms_tasks.table import OMS_STATUSES
from tests import mapped as through
from tests.mapped import Series, flat
from tests.payloads import (
    FULL_GROUP,
    FULL_OMS,
    FULL_OVERVIEW,
    FULL_PROJECT,
    FULL_SMS,
    FULL_SYNC,
    GROUP_OPTS,
    OMS_OPTS,
    OVERVIEW_OPTS,
    PROJECT_OPTS,
    SMS_OPTS,
    SYNC_OPTS,
)


def one(series: Series) -> tuple[dict[str, str], float]:
    ((labels, value),) = series.items()
    return dict(labels), value


# SMS migration projects -------------------------------------------------------------------

MP = "huaweicloud_sms_migration_project_"
PROJECT_IDS = {
    "account": "prod",
    "migration_project_id": "mp-1",
    "migration_project_name": "wave-erp",
}


def projects(*items: dict[str, Any]) -> dict[str, Series]:
    return flat(through.mapped(through.PROJECTS, items, PROJECT_OPTS))


def test_every_migration_project_family_is_exported_with_its_documented_labels() -> None:
    out = projects(FULL_PROJECT)
    names = {f.name for f in FAMILIES if f.service == "sms_projects"}
    assert set(out) == names == {MP + "info", MP + "speed_limit_bytes_per_second", MP + "syncing"}
    for name in names:
        assert family(name).labels[:3] == tuple(PROJECT_IDS)


def test_a_projects_info_names_its_type_and_whether_it_is_the_default() -> None:
    labels, value = one(projects(FULL_PROJECT)[MP + "info"])
    assert labels == {**PROJECT_IDS, "type": "MIGRATE_BLOCK", "default": "false"} and value == 1
    labels, _ = one(projects({**FULL_PROJECT, "isdefault": True})[MP + "info"])
    assert labels["default"] == "true"
    labels, _ = one(projects({**FULL_PROJECT, "isdefault": None, "type": None})[MP + "info"])
    assert (labels["default"], labels["type"]) == ("", "")


def test_a_projects_speed_limit_is_in_bytes_per_second_and_0_means_unlimited() -> None:
    _, value = one(projects(FULL_PROJECT)[MP + "speed_limit_bytes_per_second"])
    assert value == 100 * 125_000  # 100 Mbit/s
    _, value = one(
        projects({**FULL_PROJECT, "speed_limit": 0})[MP + "speed_limit_bytes_per_second"]
    )
    assert value == 0
    assert MP + "speed_limit_bytes_per_second" not in projects(
        {**FULL_PROJECT, "speed_limit": None}
    )
    assert MP + "speed_limit_bytes_per_second" not in projects({**FULL_PROJECT, "speed_limit": -5})
    assert (
        through.out_of_domain(through.PROJECTS, [{**FULL_PROJECT, "speed_limit": -5}], PROJECT_OPTS)
        == 1
    )


def test_a_projects_syncing_is_0_or_1_and_left_out_when_null() -> None:
    assert one(projects(FULL_PROJECT)[MP + "syncing"])[1] == 1
    assert one(projects({**FULL_PROJECT, "syncing": False})[MP + "syncing"])[1] == 0
    assert MP + "syncing" not in projects({**FULL_PROJECT, "syncing": None})


def test_a_project_with_only_an_id_exports_its_info_alone() -> None:
    out = projects({"id": "mp-9"})
    assert set(out) == {MP + "info"}
    labels, _ = one(out[MP + "info"])
    assert labels["migration_project_name"] == "" and labels["migration_project_id"] == "mp-9"


# OMS task groups -----------------------------------------------------------------------------

TG = "huaweicloud_oms_task_group_"
GROUP_IDS = {"account": "prod", "region": "ap-southeast-3", "group_id": "g-1"}


def groups(*items: dict[str, Any]) -> dict[str, Series]:
    return flat(through.mapped(through.GROUPS, items, GROUP_OPTS))


def by(series: Series, label: str) -> dict[str, float]:
    return {dict(labels)[label]: value for labels, value in series.items()}


def test_every_task_group_family_is_exported_with_its_documented_labels() -> None:
    out = groups(FULL_GROUP)
    names = {f.name for f in FAMILIES if f.service == "oms_groups"}
    assert set(out) == names
    assert names == {
        TG + suffix
        for suffix in (
            "info",
            "status",
            "tasks",
            "objects",
            "size_bytes",
            "created_bytes",
            "completed_bytes",
            "migrate_speed_bytes_per_second",
            "start_timestamp_seconds",
            "duration_seconds",
            "failed_object_list_info",
        )
    }
    for name in names:
        assert family(name).labels[:3] == tuple(GROUP_IDS)


def test_the_group_status_table_is_not_the_task_table() -> None:
    """5 is a failed group; for a task 5 means succeeded."""
    assert GROUP_STATUSES[5] == "failed" and OMS_STATUSES[5] == "succeeded"
    assert GROUP_STATUSES[4] == "create_failed" and GROUP_STATUSES[6] == "completed"
    status = by(groups({**FULL_GROUP, "status": 5})[TG + "status"], "status")
    assert status == {name: float(name == "failed") for name in GROUP_STATUSES.values()}
    status = by(groups({**FULL_GROUP, "status": 4})[TG + "status"], "status")
    assert [name for name, v in status.items() if v] == ["create_failed"]


def test_an_unknown_group_status_is_its_number() -> None:
    status = by(groups({**FULL_GROUP, "status": 42})[TG + "status"], "status")
    assert status["42"] == 1 and sum(status.values()) == 1


def test_a_groups_info_names_cloud_region_and_bucket_of_its_nodes_only() -> None:
    labels, value = one(groups(FULL_GROUP)[TG + "info"])
    assert value == 1 and labels == {
        **GROUP_IDS,
        "task_type": "PREFIX",
        "src_cloud": "AWS",
        "src_region": "us-east-1",
        "src_bucket": "src-logs",
        "dst_region": "ap-southeast-3",
        "dst_bucket": "dst-logs",
    }
    labels, _ = one(groups({**FULL_GROUP, "src_node": None, "dst_node": None})[TG + "info"])
    assert labels["src_cloud"] == labels["dst_bucket"] == ""


def test_a_groups_tasks_objects_and_bytes_come_from_its_counters() -> None:
    out = groups(FULL_GROUP)
    assert by(out[TG + "tasks"], "state") == {
        "total": 10,
        "created": 9,
        "waiting": 0,
        "executing": 3,
        "paused": 0,
        "failed": 1,
        "completed": 5,
    }
    assert by(out[TG + "objects"], "result") == {
        "total": 1000,
        "created": 900,
        "succeeded": 600,
        "failed": 3,
        "skipped": 7,
    }
    assert one(out[TG + "size_bytes"])[1] == 10 * 1024**3
    assert one(out[TG + "created_bytes"])[1] == 9 * 1024**3
    assert one(out[TG + "completed_bytes"])[1] == 6 * 1024**3
    assert one(out[TG + "migrate_speed_bytes_per_second"])[1] == 52428800
    assert one(out[TG + "start_timestamp_seconds"])[1] == 1_700_000_000  # ms -> s
    assert one(out[TG + "duration_seconds"])[1] == 61.5  # ms -> s


def test_a_groups_null_or_negative_counters_are_left_out() -> None:
    item = {**FULL_GROUP, "paused_task_num": None, "fail_num": -1, "start_time": 0}
    out = groups(item)
    assert "paused" not in by(out[TG + "tasks"], "state")
    assert "failed" not in by(out[TG + "objects"], "result")
    assert TG + "start_timestamp_seconds" not in out  # 0: not started
    assert through.out_of_domain(through.GROUPS, [item], GROUP_OPTS) == 1


def test_a_groups_failed_object_list_is_exported_where_present() -> None:
    labels, value = one(groups(FULL_GROUP)[TG + "failed_object_list_info"])
    assert value == 1
    assert labels == {
        **GROUP_IDS,
        "list_file_key": "oms/failed/g-1.txt",
        "upload_error_code": "OMS.0404",
    }
    for record in (None, {"result": True, "list_file_key": None}, {"list_file_key": ""}):
        assert TG + "failed_object_list_info" not in groups(
            {**FULL_GROUP, "failed_object_record": record}
        )
    odd = {"list_file_key": "k", "error_code": "not a code!"}
    labels, _ = one(
        groups({**FULL_GROUP, "failed_object_record": odd})[TG + "failed_object_list_info"]
    )
    assert labels["upload_error_code"] == "unknown"


# OMS synchronization tasks -------------------------------------------------------------------

ST = "huaweicloud_oms_sync_task_"
SYNC_IDS = {"account": "prod", "region": "ap-southeast-3", "sync_task_id": "s-1"}


def syncs(*items: dict[str, Any]) -> dict[str, Series]:
    return flat(through.mapped(through.SYNC, items, SYNC_OPTS))


def test_every_sync_task_family_is_exported_with_its_documented_labels() -> None:
    out = syncs(FULL_SYNC)
    names = {f.name for f in FAMILIES if f.service == "oms_sync"}
    assert (
        set(out)
        == names
        == {ST + "info", ST + "synchronizing", ST + "last_start_timestamp_seconds"}
    )
    labels, value = one(out[ST + "info"])
    assert value == 1 and labels == {
        **SYNC_IDS,
        "src_cloud": "Aliyun",
        "src_region": "cn-hangzhou",
        "src_bucket": "src-media",
        "dst_region": "ap-southeast-3",
        "dst_bucket": "dst-media",
    }
    assert one(out[ST + "last_start_timestamp_seconds"])[1] == 1_700_000_000


def test_a_sync_task_is_synchronizing_until_it_stops() -> None:
    assert one(syncs(FULL_SYNC)[ST + "synchronizing"])[1] == 1
    assert one(syncs({**FULL_SYNC, "status": "STOPPED"})[ST + "synchronizing"])[1] == 0
    assert ST + "synchronizing" not in syncs({**FULL_SYNC, "status": None})


# The SMS source-server overview ----------------------------------------------------------

OV = "huaweicloud_sms_overview_source_servers"


def overview(item: dict[str, Any]) -> dict[str, Series]:
    return flat(through.mapped(through.OVERVIEW, [item], OVERVIEW_OPTS))


def test_the_overview_is_one_series_per_field_zeros_included() -> None:
    out = overview(FULL_OVERVIEW)
    assert set(out) == {f.name for f in FAMILIES if f.service == "sms_overview"} == {OV}
    assert family(OV).labels == ("account", "state")
    assert by(out[OV], "state") == FULL_OVERVIEW  # all 14, the zeros too
    assert {dict(labels)["account"] for labels in out[OV]} == {"prod"}


def test_the_overview_leaves_out_a_null_or_negative_count() -> None:
    item = {**FULL_OVERVIEW, "waiting": None, "error": -2}
    counted = by(overview(item)[OV], "state")
    assert "waiting" not in counted and "error" not in counted and len(counted) == 12
    assert through.out_of_domain(through.OVERVIEW, [item], OVERVIEW_OPTS) == 1
    assert overview({}) == {}


# Fields already fetched, now exported ----------------------------------------------------


def test_an_sms_tasks_info_names_its_migration_project_and_whether_it_needs_a_test() -> None:
    def info(task: dict[str, Any]) -> dict[str, str]:
        out = flat(through.mapped(through.SMS, [task], SMS_OPTS))
        return one(out["huaweicloud_sms_task_info"])[0]

    labels = info({**FULL_SMS, "enterprise_project_id": "mp-1"})
    assert labels["migration_project_id"] == labels["enterprise_project_id"] == "mp-1"
    assert labels["need_migration_test"] == "true"
    assert info({**FULL_SMS, "need_migration_test": False})["need_migration_test"] == "false"
    absent = {k: v for k, v in FULL_SMS.items() if k != "need_migration_test"}
    assert info(absent)["need_migration_test"] == ""
    labels = info({**FULL_SMS, "enterprise_project_id": None})
    assert labels["migration_project_id"] == labels["enterprise_project_id"] == ""


def test_an_oms_tasks_failed_object_list_is_exported_where_present() -> None:
    name = "huaweicloud_oms_task_failed_object_list_info"

    def lists(task: dict[str, Any]) -> dict[str, Series]:
        return flat(through.mapped(through.OMS, [task], OMS_OPTS))

    labels, value = one(lists(FULL_OMS)[name])
    assert value == 1 and (labels["list_file_key"], labels["upload_error_code"]) == (
        "oms/failed/42.txt",
        "",
    )
    assert labels["task_id"] == "42" and labels["region"] == "ap-southeast-3"
    assert name not in lists({**FULL_OMS, "failed_object_record": None})
    failed = {"result": False, "list_file_key": "k", "error_code": "OMS.0404"}
    labels, _ = one(lists({**FULL_OMS, "failed_object_record": failed})[name])
    assert labels["upload_error_code"] == "OMS.0404"
