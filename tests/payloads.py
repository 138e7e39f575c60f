"""Payloads and settings the tests share: one item of each list with every field set, the
mapping options they are mapped with, and the settings that point the exporter at a simulator.
Test modules import these from here, never from one another."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from exporter.exposition.render import Rendered
from exporter.huawei.paging import Listing
from exporter.huawei.payload import Listed, ListedPage, Model, decoder
from exporter.poller import PageHook, Source
from exporter.services.oms_groups.table import GroupOptions
from exporter.services.oms_sync.table import SyncOptions
from exporter.services.oms_tasks.payload import OmsTask
from exporter.services.oms_tasks.table import OmsOptions
from exporter.services.service import ListService
from exporter.services.sms_overview.table import OverviewOptions
from exporter.services.sms_projects.table import ProjectOptions
from exporter.services.sms_sources.table import SourceOptions
from exporter.services.sms_tasks import SERVICE as SMS
from exporter.services.sms_tasks.payload import RawSmsTasks, SmsRef, SmsTask
from exporter.services.sms_tasks.table import SmsOptions
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud

# The README's lean profile, as shipped: a settings fragment (collect, metrics).
LEAN: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "examples" / "lean-profile.yaml").read_text()
)

SMS_OPTS = SmsOptions()
OMS_OPTS = OmsOptions(region="ap-southeast-3", project_id="p" * 32)
SOURCE_OPTS = SourceOptions()
PROJECT_OPTS = ProjectOptions()
OVERVIEW_OPTS = OverviewOptions()
GROUP_OPTS = GroupOptions(region="ap-southeast-3")
SYNC_OPTS = SyncOptions(region="ap-southeast-3")


def settings_for(url: str, cloud: FakeCloud, **top: Any) -> Settings:
    """Every tenant of `cloud` as an account of the exporter, pointed at the simulator."""
    accounts = [t.account_config(url) for t in cloud.tenants]
    return Settings.model_validate({"accounts": accounts, **top})


FULL_SMS: dict[str, Any] = {
    "id": "task-1",
    "name": "web-01",
    "type": "MIGRATE_BLOCK",
    "os_type": "LINUX",
    "state": "RUNNING",
    "estimate_complete_time": 1_700_000_600_000,
    "create_date": 1_700_000_000_000,
    "priority": 2,
    "speed_limit": 100,
    "migrate_speed": 42.5,
    "compress_rate": 1.4,
    "error_json": '{"error_code": "SMS.6403", "error_msg": "agent lost"}',
    "total_time": 61_500,
    "migration_ip": "10.0.0.9",
    "enterprise_project_id": "0",
    "syncing": True,
    "source_server": {
        "id": "src-1",
        "ip": "192.168.1.9",
        "name": "src",
        "os_version": "CENTOS_7_9_64BIT",
        "state": "AVAILABLE",
    },
    "target_server": {"id": "tgt-1", "vm_id": "vm-1", "name": "tgt"},
    "sub_tasks": [
        {
            "id": 11,
            "name": "CREATE_CLOUND_SERVER",
            "progress": 100,
            "start_date": 1_700_000_001_000,
            "end_date": 1_700_000_002_000,
        },
        {
            "id": 12,
            "name": "MIGRATE_BLOCK",
            "progress": 40,
            "start_date": 1_700_000_003_000,
            "end_date": None,
        },
    ],
    "network_check_info": {
        "domain_connectivity": True,
        "destination_connectivity": False,
        "network_delay": 25.0,
        "network_jitter": 2.0,
        "migration_speed": 800.0,
        "loss_percentage": 1.5,
    },
    "total_cpu_usage": 37.5,
    "agent_cpu_usage": 12.0,
    "total_mem_usage": 2048.0,
    "agent_mem_usage": 150.0,
    "total_disk_io": 10.0,
    "agent_disk_io": 4.0,
    "need_migration_test": True,
}

FULL_OMS: dict[str, Any] = {
    "id": 42,
    "name": "logs",
    "status": 4,
    "task_type": "prefix",
    "group_id": "g-1",
    "group_type": "NORMAL_TASK",
    "task_priority": "HIGH",
    "progress": 0.522,
    "complete_size": 5_368_709_120,
    "total_size": 10_737_418_240,
    "real_size": 5_000_000_000,
    "total_num": 2000,
    "successful_num": 1000,
    "failed_num": 3,
    "skipped_num": 7,
    "migrate_speed": 52_428_800,
    "left_time": 90_000,
    "total_time": 30_000,
    "start_time": 1_700_000_000_000,
    "is_query_over": True,
    "bandwidth_policy": [{"start": "08:00", "end": "20:00", "max_bandwidth": 1_048_576}],
    "src_node": {"bucket": "src-b", "cloud_type": "AWS", "region": "us-east-1"},
    "dst_node": {"bucket": "dst-b", "region": "ap-southeast-3"},
    "error_reason": {"error_code": "OMS.0012", "error_msg": "denied"},
    "enable_failed_object_recording": True,
    "failed_object_record": {"result": True, "list_file_key": "oms/failed/42.txt"},
}


FULL_SOURCE: dict[str, Any] = {
    "id": "src-1",
    "ip": "192.168.1.9",
    "name": "src",
    "enterprise_project_id": "0",
    "add_date": 1_699_999_000_000,
    "os_type": "LINUX",
    "os_version": "CENTOS_7_9_64BIT",
    "oem_system": False,
    "state": "replicate",
    "connected": False,
    "cpu_quantity": 8,
    "memory": 17_179_869_184,
    "current_task": {
        "id": "task-1",
        "name": "web-01",
        "type": "MIGRATE_BLOCK",
        "state": "RUNNING",
        "estimate_complete_time": 1_700_000_600_000,
        "start_date": 1_700_000_000_000,
        "speed_limit": 100,
        "migrate_speed": 42.5,
        "compress_rate": 1.4,
        "remain_seconds": 10_800,
        "subtask_info": "MIGRATE_BLOCK 40%",
    },
    "checks": [
        {"id": 1, "name": "OS_VERSION", "result": "OK", "error_code": "", "params": []},
        {"id": 2, "name": "DISK_SPACE", "result": "WARN", "error_code": "SMS.1103"},
        {"id": 3, "name": "TARGET_CONNECTIVITY", "result": "ERROR", "error_code": "SMS.3802"},
    ],
    "replicatesize": 128_849_018_880,
    "totalsize": 536_870_912_000,
    "stage_action_time": 1_700_000_100_000,
    "last_visit_time": 1_700_000_200_000,
    "migration_cycle": "replicating",
    "state_action_time": 1_700_000_100_000,
    "is_consistency_result_exist": False,
    "has_tc": False,
    "start_type": "",
}


class SmsTaskPage(Model):
    """A page of SMS tasks decoded whole (the exporter decodes the items one by one)."""

    count: int | None = None
    tasks: list[SmsTask | None] | None = None


class OmsTaskPage(Model):
    count: int | None = None
    tasks: list[OmsTask | None] | None = None


def sms_page(tasks: Sequence[dict[str, Any]]) -> ListedPage[SmsRef, SmsTask]:
    """SMS tasks as a page of the list holds them: raw JSON slices, as the API sends."""
    page = decoder(RawSmsTasks).decode(json.dumps({"tasks": list(tasks)}).encode())
    return ListedPage(page.items or (), SmsRef, SmsTask)


def listed_sms(tasks: Sequence[dict[str, Any]]) -> list[Listed[SmsRef, SmsTask]]:
    """SMS tasks as a page lists them: raw JSON slices with their refs."""
    return sms_page(tasks).listed()


def sms_source(
    *pages: Sequence[dict[str, Any]],
    service: ListService[Any, Any] = SMS,
    fetch: Any = None,
) -> Source:
    """An SMS source of account "x" that lists `pages` (handing each to the page hook) unless
    given its own `fetch`, and maps with the real SMS service unless given another."""

    async def listing(each_page: PageHook) -> Listing[Rendered]:
        items = []
        for number, page in enumerate(pages):
            items += await each_page(number * 1000, sms_page(page))
        return Listing(items=items, count=len(items), not_fetched=0, pages=len(pages))

    return Source(account="x", service=service, options=SmsOptions(), fetch=fetch or listing)


# The lists of a wave's objects (DESIGN.md section 12) off, and the source servers too: the
# collect settings of a test about the task lists alone (which sources, how many requests).
NO_WAVES: dict[str, bool] = {
    "migration_projects": False,
    "source_server_overview": False,
    "task_groups": False,
    "sync_tasks": False,
}
TASK_LISTS_ONLY: dict[str, bool] = {"source_servers": False, **NO_WAVES}

# An SMS migration project (`GET /v3/migprojects`) with every field the SDK knows set.
FULL_PROJECT: dict[str, Any] = {
    "id": "mp-1",
    "name": "wave-erp",
    "description": "the ERP servers",
    "isdefault": False,
    "region": "ap-southeast-3",
    "type": "MIGRATE_BLOCK",
    "speed_limit": 100,
    "syncing": True,
    "start_target_server": True,
    "use_public_ip": False,
    "start_network_check": True,
    "exist_server": True,
    "enterprise_project": "default",
}

# An OMS task group (`GET /v2/{project_id}/taskgroups`) with every field the SDK knows set.
FULL_GROUP: dict[str, Any] = {
    "group_id": "g-1",
    "status": 2,
    "error_reason": None,
    "src_node": {
        "bucket": "src-logs",
        "cloud_type": "AWS",
        "region": "us-east-1",
        "app_id": "app-7",
        "object_key": ["2026/"],
        "list_file": {"list_file_key": "lists/a.txt", "obs_bucket": "lists"},
    },
    "description": "logs wave",
    "dst_node": {"bucket": "dst-logs", "region": "ap-southeast-3", "save_prefix": "aws/"},
    "enable_metadata_migration": True,
    "enable_failed_object_recording": True,
    "enable_restore": False,
    "task_type": "PREFIX",
    "bandwidth_policy": [{"start": "08:00", "end": "20:00", "max_bandwidth": 1048576}],
    "smn_config": None,
    "source_cdn": None,
    "migrate_since": 0,
    "migrate_speed": 52428800,
    "total_time": 61_500,
    "start_time": 1_700_000_000_000,
    "total_task_num": 10,
    "create_task_num": 9,
    "failed_task_num": 1,
    "complete_task_num": 5,
    "paused_task_num": 0,
    "executing_task_num": 3,
    "waiting_task_num": 0,
    "total_num": 1000,
    "create_complete_num": 900,
    "success_num": 600,
    "fail_num": 3,
    "skip_num": 7,
    "total_size": 10 * 1024**3,
    "create_complete_size": 9 * 1024**3,
    "complete_size": 6 * 1024**3,
    "failed_object_record": {
        "result": False,
        "list_file_key": "oms/failed/g-1.txt",
        "error_code": "OMS.0404",
    },
    "object_overwrite_mode": "SIZE_LAST_MODIFIED_COMPARISON_OVERWRITE",
    "dst_storage_policy": "STANDARD",
    "consistency_check": "size_last_modified",
    "obs_system": "huawei",
    "enable_requester_pays": False,
}
# An OMS synchronization task (`GET /v2/{project_id}/sync-tasks`).
FULL_SYNC: dict[str, Any] = {
    "sync_task_id": "s-1",
    "src_cloud_type": "Aliyun",
    "src_region": "cn-hangzhou",
    "src_bucket": "src-media",
    "create_time": 1_699_000_000_000,
    "last_start_time": 1_700_000_000_000,
    "dst_bucket": "dst-media",
    "dst_region": "ap-southeast-3",
    "description": "media until cutover",
    "status": "SYNCHRONIZING",
    "enable_metadata_migration": False,
    "enable_restore": False,
    "app_id": "",
    "source_cdn": None,
    "object_overwrite_mode": "SIZE_LAST_MODIFIED_COMPARISON_OVERWRITE",
    "dst_storage_policy": "STANDARD",
    "consistency_check": "size_last_modified",
}
# The SMS source-server overview (`GET /v3/sources/overview`): one object, every field set.
FULL_OVERVIEW: dict[str, Any] = {
    "waiting": 3,
    "replicate": 12,
    "syncing": 5,
    "stopped": 1,
    "deleting": 0,
    "cutovering": 2,
    "unavailable": 4,
    "stopping": 0,
    "skipping": 0,
    "finished": 40,
    "initialize": 1,
    "error": 2,
    "cloning": 0,
    "unconfigured": 7,
}
