"""Cardinality controls: allow and deny lists of families, and finished tasks without details,
polled through the real wiring."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from exporter.catalog import FAMILIES
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import RunningSimulator
from tests.conftest import FAST
from tests.fleets import poll_all
from tests.parsing import parse_text
from tests.payloads import settings_for

WAVE_LISTS = ("sms_projects", "sms_overview", "oms_groups", "oms_sync")


async def exported(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession, **top: Any
) -> dict[str, list[dict[str, str]]]:
    """family -> the label sets of its samples, after one poll of every source."""
    polled = await poll_all(settings_for(simulator.url, cloud, **top), session=session, policy=FAST)
    assert polled.ok
    families = parse_text(polled.snapshot.body(openmetrics=False).decode())
    return {f.name: [s.labels for s in f.samples] for f in families}


async def test_a_denylist_leaves_its_families_out_and_the_exporters_own_in(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    estate(cloud.tenants[0], sms=10, oms=6, now=time.time())
    everything = await exported(simulator, cloud, session)
    denied = await exported(
        simulator,
        cloud,
        session,
        metrics={"denylist": ["huaweicloud_sms_subtask_.*", "huaweicloud_migration_.*"]},
    )
    assert {n for n in everything if n.startswith("huaweicloud_sms_subtask_")}
    assert not {n for n in denied if n.startswith("huaweicloud_sms_subtask_")}
    assert set(everything) - set(denied) == {n for n in everything if "_subtask_" in n}
    assert "huaweicloud_migration_up" in denied  # the exporter's own: always


async def test_an_allowlist_keeps_only_its_families(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    estate(cloud.tenants[0], sms=10, oms=6, now=time.time())
    allowed = await exported(
        simulator,
        cloud,
        session,
        metrics={"allowlist": ["huaweicloud_sms_task_(info|state)", "huaweicloud_oms_tasks"]},
    )
    tasks = {n for n in allowed if not n.startswith("huaweicloud_migration_")}
    assert tasks == {
        "huaweicloud_sms_task_info",
        "huaweicloud_sms_task_state",
        "huaweicloud_oms_tasks",
    }
    assert {"huaweicloud_migration_up", "huaweicloud_migration_exporter_build_info"} <= set(allowed)


async def test_finished_tasks_without_details_keep_info_state_and_byte_totals(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    tenant = cloud.tenants[0]
    estate(tenant, sms=4, oms=4, now=time.time(), plans=False)
    tenant.sms_overrides[tenant.sms_tasks[0]["id"]] = {"state": "MIGRATE_SUCCESS"}
    tenant.sms_overrides[tenant.sms_tasks[1]["id"]] = {"state": "ABORT"}
    tenant.oms_overrides[str(tenant.oms_tasks[0]["id"])] = {"status": 5}
    lean = await exported(simulator, cloud, session, collect={"finished_task_details": False})

    task_families = {f.name for f in FAMILIES if f.service in ("sms", "oms")}

    def families_of(task_id: str) -> set[str]:
        return {
            name
            for name, samples in lean.items()
            if name in task_families and any(s.get("task_id") == task_id for s in samples)
        }

    for finished in (tenant.sms_tasks[0]["id"], tenant.sms_tasks[1]["id"]):
        assert families_of(finished) == {"huaweicloud_sms_task_info", "huaweicloud_sms_task_state"}
    assert len(families_of(tenant.sms_tasks[2]["id"])) > 10  # running ones keep everything
    assert families_of(str(tenant.oms_tasks[0]["id"])) == {
        "huaweicloud_oms_task_info",
        "huaweicloud_oms_task_status",
        "huaweicloud_oms_task_size_bytes",
        "huaweicloud_oms_task_completed_bytes",
        "huaweicloud_oms_task_migrated_bytes",
    }
    assert len(families_of(str(tenant.oms_tasks[1]["id"]))) > 8


async def test_the_controls_know_the_families_of_a_waves_objects(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    tenant = cloud.tenants[0]
    estate(tenant, sms=6, oms=6, now=time.time(), plans=False, projects=2, groups=2, syncs=2)
    done = tenant.oms_groups[0]["group_id"]
    for task in tenant.oms_tasks:  # its tasks all succeeded: the group is completed
        if task["group_id"] == done:
            tenant.oms_overrides[str(task["id"])] = {"status": 5}
    everything = await exported(simulator, cloud, session)
    waves = {f.name for f in FAMILIES if f.service in WAVE_LISTS}
    absent = {  # nothing started, nothing failed
        "huaweicloud_oms_task_group_failed_object_list_info",
        "huaweicloud_oms_task_group_start_timestamp_seconds",
    }
    assert waves - absent <= set(everything)
    # Deny them: gone, the task lists untouched.
    denied = await exported(
        simulator,
        cloud,
        session,
        metrics={
            "denylist": [
                "huaweicloud_(sms_migration_project|sms_overview|oms_task_group|oms_sync_task)_.*"
            ]
        },
    )
    assert not waves & set(denied)
    assert set(everything) - set(denied) == waves & set(everything)
    # Current states only: a group's status is one series.
    lean = await exported(simulator, cloud, session, collect={"inactive_states": False})
    statuses = lean["huaweicloud_oms_task_group_status"]
    assert len(statuses) == len({s["group_id"] for s in statuses}) == 3
    # A completed group without details: its info, status and bytes.
    brief = await exported(simulator, cloud, session, collect={"finished_task_details": False})
    kept = {
        name
        for name, samples in brief.items()
        if name.startswith("huaweicloud_oms_task_group_")
        and any(s["group_id"] == done for s in samples)
    }
    assert kept == {
        "huaweicloud_oms_task_group_info",
        "huaweicloud_oms_task_group_status",
        "huaweicloud_oms_task_group_size_bytes",
        "huaweicloud_oms_task_group_created_bytes",
        "huaweicloud_oms_task_group_completed_bytes",
    }
