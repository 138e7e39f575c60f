"""Task payloads as the real APIs send them, and a time-driven plan that moves them along.

`sms_task` and `oms_task` build documented payload dicts; `Plan.apply` rewrites one at a
given time, so a task is ready, runs, fails or succeeds as the clock goes by. Deterministic
for a given seed and time.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

Payload = dict[str, Any]
T = TypeVar("T")

SUBTASK_NAMES = (
    "CREATE_CLOUND_SERVER",
    "SSL_CONFIG",
    "ATTACH_CLOUD_DISK",
    "MIGRATE_BLOCK",
    "CONFIGURE_TARGET",
    "DETTACH_CLOUD_DISK",
    "START_CLOUD_SERVER",
    "CLONE_VM",
    "SYNC_FILE",
    "STOP_CLOUD_SERVER",
)


def task_uuid(seed: str, index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hwmig-sim/{seed}/{index}"))


def sms_task(index: int, *, seed: str = "sim", now_ms: int, subtasks: int = 10) -> Payload:
    """A READY SMS task with its source, target, sub-tasks and network check filled in."""
    task_id = task_uuid(seed + "-sms", index)
    return {
        "id": task_id,
        "name": f"sms-{seed}-{index:05d}",
        "type": "MIGRATE_BLOCK" if index % 3 else "MIGRATE_FILE",
        "os_type": "WINDOWS" if index % 4 == 0 else "LINUX",
        "state": "READY",
        "estimate_complete_time": None,
        "create_date": now_ms - 3_600_000,
        "priority": index % 3,
        "speed_limit": 0 if index % 5 else 100,
        "migrate_speed": 0.0,
        "compress_rate": 1.0,
        "start_target_server": True,
        "error_json": "",
        "total_time": 0,
        "migration_ip": f"10.0.{index // 250 % 250}.{index % 250 + 1}",
        "sub_tasks": [
            {
                "id": index * 100 + n,
                "name": SUBTASK_NAMES[n % len(SUBTASK_NAMES)],
                "progress": 0,
                "start_date": None,
                "end_date": None,
                "process_trace": "",
            }
            for n in range(subtasks)
        ],
        "source_server": {
            "id": task_uuid(seed + "-src", index),
            "ip": f"192.168.{index // 250 % 250}.{index % 250 + 1}",
            "name": f"src-{seed}-{index:05d}",
            "os_type": "WINDOWS" if index % 4 == 0 else "LINUX",
            "os_version": "WINDOWS2019_64BIT" if index % 4 == 0 else "CENTOS_7_9_64BIT",
            "oem_system": False,
            "state": "waiting",
        },
        "enterprise_project_id": "0",
        "target_server": {
            "id": task_uuid(seed + "-tgt", index),
            "vm_id": task_uuid(seed + "-vm", index),
            "name": f"tgt-{seed}-{index:05d}",
            "ip": None,
            "os_type": "WINDOWS" if index % 4 == 0 else "LINUX",
            "os_version": None,
        },
        "log_collect_status": "INIT",
        "clone_server": None,
        "syncing": False,
        "network_check_info": {
            "domain_connectivity": True,
            "destination_connectivity": True,
            "network_delay": 20.0 + index % 7,
            "network_jitter": 1.5,
            "migration_speed": 800.0,
            "loss_percentage": 0.0,
            "cpu_usage": 12.0,
            "mem_usage": 40.0,
            "evaluation_result": "good",
        },
        "special_config": [],
        "total_cpu_usage": 20.0,
        "agent_cpu_usage": 3.0,
        "total_mem_usage": 2048.0,
        "agent_mem_usage": 150.0,
        "total_disk_io": 10.0,
        "agent_disk_io": 5.0,
        "need_migration_test": False,
        "subtask_info": "",
    }


def oms_task(
    index: int, *, seed: str = "sim", now_ms: int, region: str = "ap-southeast-3"
) -> Payload:
    """A waiting OMS task copying one bucket to another."""
    total = (index % 50 + 1) * 10 * 1024**3
    return {
        "id": 1_000_000 + index,
        "name": f"oms-{seed}-{index:05d}",
        "description": "",
        "status": 1,
        "task_type": "object" if index % 2 else "prefix",
        "group_id": "",
        "group_type": "NORMAL_TASK",
        "task_priority": "MEDIUM",
        "progress": 0.0,
        "complete_size": 0,
        "total_size": total,
        "real_size": 0,
        "total_num": total // (4 * 1024**2),
        "successful_num": 0,
        "failed_num": 0,
        "skipped_num": 0,
        "migrate_speed": 0,
        "left_time": 0,
        "total_time": 0,
        "start_time": 0,
        "migrate_since": 0,
        "is_query_over": False,
        "bandwidth_policy": [{"start": "08:00", "end": "20:00", "max_bandwidth": 50 * 1024**2}]
        if index % 4 == 0
        else [],
        "src_node": {
            "bucket": f"src-bucket-{index:05d}",
            "cloud_type": ("AWS", "Aliyun", "Tencent", "HuaweiCloud")[index % 4],
            "region": "us-east-1",
            "object_key": [],
        },
        "dst_node": {"bucket": f"dst-bucket-{index:05d}", "region": region, "save_prefix": ""},
        "error_reason": None,
        "enable_kms": False,
        "enable_restore": False,
        "enable_failed_object_recording": True,
        "obs_system": "huawei",  # a field real responses carry and the docs do not list
    }


# The fields of `GET /v3/sources/overview`, in the SDK's order: counts of servers by state.
OVERVIEW_STATES = (
    "waiting",
    "replicate",
    "syncing",
    "stopped",
    "deleting",
    "cutovering",
    "unavailable",
    "stopping",
    "skipping",
    "finished",
    "initialize",
    "error",
    "cloning",
    "unconfigured",
)
DEFAULT_MIGRATION_PROJECT = "0"  # the id every task of an estate without projects names


def migration_project(index: int, *, seed: str = "sim", region: str = "ap-southeast-3") -> Payload:
    """An SMS migration project (`GET /v3/migprojects`): the first of an account is its
    default, with the id its tasks name when no other project was made."""
    default = index == 0
    return {
        "id": DEFAULT_MIGRATION_PROJECT if default else task_uuid(seed + "-migproject", index),
        "name": "default" if default else f"wave-{seed}-{index:02d}",
        "description": "" if default else f"migration wave {index}",
        "isdefault": default,
        "region": region,
        "type": "MIGRATE_FILE" if index % 3 == 2 else "MIGRATE_BLOCK",
        "speed_limit": 0 if index % 2 == 0 else 100 * index,
        "syncing": index % 2 == 1,
        "start_target_server": True,
        "use_public_ip": index % 4 != 3,
        "start_network_check": index % 2 == 0,
        "exist_server": True,
        "enterprise_project": "default",
    }


def task_group(
    index: int, *, seed: str = "sim", region: str = "ap-southeast-3", create_fails: bool = False
) -> Payload:
    """An OMS task group (`GET /v2/{project_id}/taskgroups`) as defined, before its tasks are
    counted in (`group_view`). One that `create_fails` never made its tasks: status 4."""
    return {
        "group_id": task_uuid(seed + "-taskgroup", index),
        "status": 4 if create_fails else 0,
        "error_reason": {"error_code": "OMS.1105", "error_msg": "failed to list the source"}
        if create_fails
        else None,
        "src_node": {
            "bucket": f"src-group-{index:02d}",
            "cloud_type": ("AWS", "Aliyun", "Tencent", "HuaweiCloud")[index % 4],
            "region": "us-east-1",
            "app_id": "",
            "object_key": [f"wave-{index}/"],
            "list_file": None,
        },
        "description": f"wave {index}",
        "dst_node": {"bucket": f"dst-group-{index:02d}", "region": region, "save_prefix": ""},
        "enable_metadata_migration": False,
        "enable_failed_object_recording": True,
        "enable_restore": False,
        "task_type": "PREFIX",
        "bandwidth_policy": [],
        "smn_config": None,
        "source_cdn": None,
        "migrate_since": 0,
        "migrate_speed": 0,
        "total_time": 0,
        "start_time": 0,
        "total_task_num": 3 if create_fails else 0,
        "create_task_num": 0,
        "failed_task_num": 0,
        "complete_task_num": 0,
        "paused_task_num": 0,
        "executing_task_num": 0,
        "waiting_task_num": 0,
        "total_num": 0,
        "create_complete_num": 0,
        "success_num": 0,
        "fail_num": 0,
        "skip_num": 0,
        "total_size": 0,
        "create_complete_size": 0,
        "complete_size": 0,
        "failed_object_record": None,
        "object_overwrite_mode": "SIZE_LAST_MODIFIED_COMPARISON_OVERWRITE",
        "dst_storage_policy": "STANDARD",
        "consistency_check": "size_last_modified",
        "obs_system": "huawei",
        "enable_requester_pays": False,
    }


def group_view(group: Payload, tasks: list[Payload]) -> Payload:
    """`group` with its counters added up from its `tasks` (as they are now), and its status
    (the group table) derived from theirs; a group that failed to create its tasks keeps
    status 4 and counts none."""
    if group.get("status") == 4 or not tasks:
        return group
    out = dict(group)
    statuses = [task.get("status") for task in tasks]
    counted = {n: statuses.count(n) for n in range(8)}
    out["total_task_num"] = out["create_task_num"] = len(tasks)
    out["waiting_task_num"] = counted[0] + counted[1]
    out["executing_task_num"] = counted[2] + counted[6]
    out["paused_task_num"] = counted[3] + counted[7]
    out["failed_task_num"] = counted[4]
    out["complete_task_num"] = counted[5]
    for field, of in (
        ("total_num", "total_num"),
        ("create_complete_num", "total_num"),
        ("success_num", "successful_num"),
        ("fail_num", "failed_num"),
        ("skip_num", "skipped_num"),
        ("total_size", "total_size"),
        ("create_complete_size", "total_size"),
        ("complete_size", "complete_size"),
        ("migrate_speed", "migrate_speed"),
    ):
        out[field] = sum(int(task.get(of) or 0) for task in tasks)
    started = [task["start_time"] for task in tasks if task.get("start_time")]
    out["start_time"] = min(started) if started else 0
    out["total_time"] = max(int(task.get("total_time") or 0) for task in tasks)
    if counted[4] + counted[5] == len(tasks):  # every task done
        out["status"] = 5 if counted[4] else 6
        if counted[4]:
            out["failed_object_record"] = {
                "result": True,
                "list_file_key": f"oms/failed/{out['group_id']}.txt",
                "error_code": "",
            }
    elif counted[2] + counted[6]:
        out["status"] = 2
    elif counted[3] + counted[7]:
        out["status"] = 3
    else:
        out["status"] = 0
    return out


def sync_task(
    index: int, *, seed: str = "sim", now_ms: int, region: str = "ap-southeast-3"
) -> Payload:
    """An OMS synchronization task (`GET /v2/{project_id}/sync-tasks`), synchronizing."""
    return {
        "sync_task_id": task_uuid(seed + "-sync", index),
        "src_cloud_type": ("AWS", "Aliyun", "Tencent", "HuaweiCloud")[index % 4],
        "src_region": "us-east-1",
        "src_bucket": f"src-sync-{index:03d}",
        "create_time": now_ms - 86_400_000,
        "last_start_time": now_ms - 3_600_000 - index * 60_000,
        "dst_bucket": f"dst-sync-{index:03d}",
        "dst_region": region,
        "description": "",
        "status": "SYNCHRONIZING",
        "enable_metadata_migration": False,
        "enable_restore": False,
        "app_id": "",
        "source_cdn": None,
        "object_overwrite_mode": "SIZE_LAST_MODIFIED_COMPARISON_OVERWRITE",
        "dst_storage_policy": "STANDARD",
        "consistency_check": "size_last_modified",
    }


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


SOURCE_STATE = {
    "READY": "waiting",
    "RUNNING": "replicate",
    "SYNCING": "syncing",
    "MIGRATE_SUCCESS": "finished",
    "SYNC_SUCCESS": "finished",
    "MIGRATE_FAIL": "error",
    "SYNC_FAIL": "error",
    "ABORTING": "stopping",
    "ABORT": "stopped",
    "SKIPPING": "skipping",
    "DELETING": "deleting",
    "RESETING": "clearing",
    "SYNC_F_ROLLBACKING": "syncing",
    "SYNC_F_ROLLBACK_SUCCESS": "finished",
}
FAILED = {"MIGRATE_FAIL": "SMS.6403", "SYNC_FAIL": "SMS.6517"}
# SMS routes through the states, each phase as (state, seconds it lasts) once the run is over
# or cut short; `None` lasts the rest of the period.
SMS_ROUTES: dict[str, tuple[float, tuple[tuple[str, float | None], ...]]] = {
    # route: (share of the run done when it leaves RUNNING, the phases after that)
    "migrate": (1.0, (("MIGRATE_SUCCESS", None),)),
    "fail": (0.55, (("MIGRATE_FAIL", None),)),
    "sync": (1.0, (("SYNCING", 90.0), ("SYNC_SUCCESS", None))),
    "sync_fail": (1.0, (("SYNCING", 60.0), ("SYNC_FAIL", None))),
    "rollback": (
        1.0,
        (("SYNCING", 30.0), ("SYNC_F_ROLLBACKING", 30.0), ("SYNC_F_ROLLBACK_SUCCESS", None)),
    ),
    "abort": (0.5, (("ABORTING", 30.0), ("ABORT", None))),
    "skip": (0.3, (("SKIPPING", 30.0), ("ABORT", None))),
    "delete": (1.0, (("MIGRATE_SUCCESS", 60.0), ("DELETING", None))),
    "reset": (0.4, (("MIGRATE_FAIL", 60.0), ("RESETING", 30.0), ("READY", None))),
}
# OMS: (share done when it leaves migrating, the phases after, the status before it starts)
OMS_ROUTES: dict[str, tuple[float, tuple[tuple[int, float | None], ...], int]] = {
    "migrate": (1.0, ((5, None),), 1),
    "fail": (0.4, ((4, None),), 1),
    "pause": (0.5, ((7, 20.0), (3, None)), 1),
    "retry": (0.4, ((6, 30.0), (5, None)), 1),
    "unstarted": (1.0, ((5, None),), 0),
}


def _after(phases: tuple[tuple[T, float | None], ...], seconds: float) -> T:
    """The phase `seconds` after the run stopped."""
    for phase, lasts in phases:
        if lasts is None or seconds < lasts:
            return phase
        seconds -= lasts
    return phases[-1][0]


@dataclass(frozen=True, slots=True)
class Plan:
    """When a task starts, how long it runs, and the route it takes through the states.

    The plan repeats every `period` seconds so that a demo stays lively forever. `fail_at`
    (a share of the run) stops it in a failed state, whatever the route.
    """

    start: float
    duration: float
    fail_at: float | None = None
    period: float | None = None
    speed: float = 400.0  # SMS: Mbit/s; OMS: MiB/s
    ready_for: float = 0.0  # seconds spent READY / waiting at the start of each period
    route: str = "migrate"  # a key of SMS_ROUTES or OMS_ROUTES

    def fraction(self, now: float) -> float:
        elapsed = now - self.start
        if self.period:
            elapsed %= self.period
        return (elapsed - self.ready_for) / self.duration

    def started_at(self, now: float) -> float:
        if not self.period:
            return self.start
        return now - ((now - self.start) % self.period)

    def _stops_at(self, default: float) -> float:
        return self.fail_at if self.fail_at is not None else default

    def progress(self, now: float) -> float:
        """The share of the work done at `now`, 0..1 (it stops where the run stops)."""
        stops = self._stops_at(SMS_ROUTES.get(self.route, OMS_ROUTES.get(self.route, (1.0,)))[0])
        return _clamp(min(self.fraction(now), stops))

    def at_fraction(self, now: float, fraction: float) -> float:
        """When, in the period that holds `now`, the plan reaches `fraction` of its run."""
        return self.started_at(now) + self.ready_for + fraction * self.duration

    def sms_state(self, now: float) -> tuple[str, bool]:
        """The SMS state at `now`, and whether data is moving."""
        raw = self.fraction(now)
        stops, phases = SMS_ROUTES[self.route]
        if self.fail_at is not None:
            stops, phases = self.fail_at, SMS_ROUTES["fail"][1]
        if raw <= 0:
            return "READY", False
        if raw < stops:
            return "RUNNING", True
        state = _after(phases, (raw - stops) * self.duration)
        return state, state == "SYNCING"

    def apply_sms(self, task: Payload, now: float, wobble: float) -> None:
        raw = self.fraction(now)
        state, moving = self.sms_state(now)
        done = self.progress(now) if state != "READY" else 0.0
        started_ms = int(self.started_at(now) * 1000)
        running = state == "RUNNING"
        speed = self.speed * (1 + 0.3 * math.sin(now / 7 + wobble)) if moving else 0.0
        if state == "SYNCING":
            speed *= 0.1  # incremental rounds move little
        limit = task.get("speed_limit") or 0
        if limit:
            speed = min(speed, 0.95 * limit)  # SMS keeps a task under its limit
        task["state"] = state
        task["syncing"] = self.route in ("sync", "sync_fail", "rollback")
        task["migrate_speed"] = round(speed, 2)
        task["total_time"] = max(0, int((min(raw, 1.0) * self.duration) * 1000))
        task["estimate_complete_time"] = started_ms + int(self.duration * 1000) if running else None
        code = FAILED.get(state)
        task["error_json"] = (
            json.dumps({"error_code": code, "error_msg": "agent lost connection"}) if code else ""
        )
        task["agent_cpu_usage"] = round(25 + 20 * math.sin(now / 5 + wobble), 2) if moving else 1.0
        task["agent_disk_io"] = round(speed * 0.9, 2)
        task["total_disk_io"] = round(speed * 1.1, 2)
        if task.get("source_server"):
            task["source_server"]["state"] = SOURCE_STATE.get(state, "waiting")
        subtasks = task.get("sub_tasks") or []
        for n, sub in enumerate(subtasks):
            share = _clamp(done * len(subtasks) - n)
            sub["progress"] = int(share * 100)
            slot = self.duration / max(len(subtasks), 1)
            sub["start_date"] = started_ms + int(n * slot * 1000) if share > 0 else None
            sub["end_date"] = started_ms + int((n + 1) * slot * 1000) if share >= 1 else None

    def oms_status(self, now: float) -> tuple[int, bool]:
        """The OMS status at `now`, and whether data is moving."""
        raw = self.fraction(now)
        stops, phases, before = OMS_ROUTES[self.route]
        if self.fail_at is not None:
            stops, phases = self.fail_at, OMS_ROUTES["fail"][1]
        if raw <= 0:
            return before, False
        if raw < stops:
            return 2, True
        status = _after(phases, (raw - stops) * self.duration)
        if status == 5 and self.route == "retry" and raw < 1:
            return 2, True  # retried: migrating again until done
        return status, False

    def apply_oms(self, task: Payload, now: float) -> None:
        raw = self.fraction(now)
        status, moving = self.oms_status(now)
        done = _clamp(raw) if moving or status == 5 else self.progress(now)
        if raw <= 0:
            done = 0.0
        total = task["total_size"]
        speed = int(self.speed * 1024**2) if moving else 0
        limits = [p["max_bandwidth"] for p in task.get("bandwidth_policy") or ()]
        if limits:
            speed = min(speed, int(0.95 * min(limits)))  # OMS keeps under its bandwidth
        task["status"] = status
        task["progress"] = round(done, 4)
        task["complete_size"] = int(total * done)
        task["real_size"] = int(total * done * 0.98)
        task["successful_num"] = int(task["total_num"] * done)
        task["skipped_num"] = int(task["total_num"] * done * 0.01)
        task["failed_num"] = 3 if status == 4 else 0
        task["migrate_speed"] = speed
        task["left_time"] = int((1 - done) * self.duration * 1000) if moving else 0
        task["total_time"] = int(min(raw, 1.0) * self.duration * 1000) if raw > 0 else 0
        task["start_time"] = int(self.started_at(now) * 1000) if raw > 0 else 0
        task["is_query_over"] = raw > 0.1
        task["error_reason"] = (
            {"error_code": "OMS.0012", "error_msg": "source object access denied"}
            if status == 4
            else None
        )


GIB = 1024**3
CYCLE_OF_STATE = {
    "READY": "setting",
    "RUNNING": "replicating",
    "SYNCING": "syncing",
    "MIGRATE_SUCCESS": "cutovered",
    "SYNC_SUCCESS": "cutovered",
    "MIGRATE_FAIL": "replicating",
    "SYNC_FAIL": "syncing",
}
DISCONNECTED = (0.3, 0.45)  # the share of its run in which a flaky agent is offline


def source_of(task: Payload, index: int, now: float, plan: Plan | None) -> Payload:
    """The source server of `task` as `GET /v3/sources` lists it at `now`: the same id, name
    and address; bytes replicated growing with the task's progress; every sixth agent drops
    its connection for a while in each run."""
    source = task.get("source_server") or {}
    state = task.get("state")
    total = (index % 20 + 1) * 20 * GIB
    done = plan.progress(now) if plan else (1.0 if state == "MIGRATE_SUCCESS" else 0.0)
    running = state == "RUNNING"
    connected, changed_ms = True, task.get("create_date") or 0
    if plan is not None:
        raw = plan.fraction(now)
        off, on = DISCONNECTED
        if index % 6 == 1 and off <= raw < on:
            connected, changed_ms = False, int(plan.at_fraction(now, off) * 1000)
        elif index % 6 == 1 and raw >= on:
            changed_ms = int(plan.at_fraction(now, on) * 1000)
        else:
            changed_ms = int(plan.started_at(now) * 1000)
    checks = [_check(1, "OS_VERSION", "OK", "")]
    if index % 9 == 4:
        checks.append(_check(2, "DISK_SPACE", "WARN", "SMS.1103"))
    if index % 13 == 7:
        checks.append(_check(3, "TARGET_CONNECTIVITY", "ERROR", "SMS.3802"))
    duration = plan.duration if plan else 0.0
    return {
        "id": source.get("id"),
        "ip": source.get("ip"),
        "name": source.get("name"),
        "enterprise_project_id": task.get("enterprise_project_id"),
        "add_date": (task.get("create_date") or 0) - 600_000,
        "os_type": source.get("os_type"),
        "os_version": source.get("os_version"),
        "oem_system": source.get("oem_system"),
        "state": source.get("state"),
        "connected": connected,
        "cpu_quantity": 2 << (index % 3),
        "memory": (4 << (index % 3)) * GIB,
        "current_task": {
            "id": task.get("id"),
            "name": task.get("name"),
            "type": task.get("type"),
            "state": state,
            "estimate_complete_time": task.get("estimate_complete_time"),
            "start_date": task.get("create_date"),
            "speed_limit": task.get("speed_limit"),
            "migrate_speed": task.get("migrate_speed"),
            "compress_rate": task.get("compress_rate"),
            "start_target_server": task.get("start_target_server"),
            "log_collect_status": task.get("log_collect_status"),
            "remain_seconds": int((1 - done) * duration) if running else 0,
            "subtask_info": task.get("subtask_info"),
        },
        "checks": checks,
        "replicatesize": int(total * done),
        "totalsize": total,
        "stage_action_time": changed_ms,
        "last_visit_time": changed_ms,
        "migration_cycle": CYCLE_OF_STATE.get(str(state), "checking"),
        "state_action_time": changed_ms,
        "is_consistency_result_exist": False,
        "has_tc": False,
        "start_type": "",
    }


def _check(id_: int, name: str, result: str, code: str) -> Payload:
    return {
        "id": id_,
        "params": [],
        "name": name,
        "result": result,
        "error_code": code,
        "error_or_warn": "" if result == "OK" else f"{name.lower()} {result.lower()}",
        "error_params": "",
    }
