"""The payload of `GET /v3/tasks` (SMS migration tasks), as the API reference and the official
SDK (`huaweicloudsdksms` 3.1.219) describe it. Units in the comments."""

from __future__ import annotations

import msgspec

from exporter.huawei.payload import NULL, Model, Number, Text, lenient, text


class SmsSubTask(Model):
    id: Text = None
    name: Text = None
    progress: Number = None  # percent 0..100
    start_date: Number = None  # epoch ms
    end_date: Number = None  # epoch ms; null while running
    process_trace: Text = None


class SmsSourceServer(Model):
    id: Text = None
    ip: Text = None
    name: Text = None
    os_type: Text = None
    os_version: Text = None
    oem_system: bool | None = None
    state: Text = None


class SmsTargetServer(Model):
    id: Text = None
    vm_id: Text = None
    name: Text = None
    ip: Text = None
    os_type: Text = None
    os_version: Text = None


class SmsCloneServer(Model):
    vm_id: Text = None
    name: Text = None


class SmsNetworkCheck(Model):
    domain_connectivity: bool | None = None
    destination_connectivity: bool | None = None
    network_delay: Number = None  # ms
    network_jitter: Number = None  # ms
    migration_speed: Number = None  # speed unit (Mbit/s per the SDK)
    loss_percentage: Number = None  # percent
    cpu_usage: Number = None  # percent
    mem_usage: Number = None  # percent
    evaluation_result: Text = None


class SmsConfig(Model):
    config_key: Text = None
    config_value: Text = None
    config_status: Text = None


class SmsTask(Model):
    id: Text = None
    name: Text = None
    type: Text = None
    os_type: Text = None
    state: Text = None
    estimate_complete_time: Number = None  # epoch ms
    create_date: Number = None  # epoch ms
    priority: Text = None
    speed_limit: Number = None  # speed unit, 0 = unlimited
    migrate_speed: Number = None  # speed unit
    compress_rate: Number = None
    start_target_server: bool | None = None
    error_json: Text = None
    total_time: Number = None  # ms
    migration_ip: Text = None
    sub_tasks: list[SmsSubTask | None] | None = None
    source_server: SmsSourceServer | None = None
    enterprise_project_id: Text = None
    target_server: SmsTargetServer | None = None
    log_collect_status: Text = None
    clone_server: SmsCloneServer | None = None
    syncing: bool | None = None
    network_check_info: SmsNetworkCheck | None = None
    special_config: list[SmsConfig | None] | None = None
    total_cpu_usage: Number = None  # percent
    agent_cpu_usage: Number = None  # percent
    total_mem_usage: Number = None  # MiB
    agent_mem_usage: Number = None  # MiB
    total_disk_io: Number = None  # speed unit
    agent_disk_io: Number = None  # speed unit
    need_migration_test: bool | None = None
    subtask_info: Text = None

    @property
    def key(self) -> str | None:
        return text(self.id)


class RawSmsTasks(Model, rename={"items": "tasks"}):
    """A page of `GET /v3/tasks` as first decoded: the total, the tasks as raw JSON."""

    count: int | None = None
    items: list[msgspec.Raw] | None = None


class ServerRef(Model):
    id: Text = None


class SubTaskRef(Model):
    name: Text = None
    end_date: Number = None  # epoch ms


class SmsRef(Model):
    """What is decoded of every task at once: its id and state; and what the wave stage
    reads across items: what places it in its waves (its name and migration project) and
    what its cutover readiness needs (its source server, its last sync's end).

    Those are kept as raw JSON while decoding and read leniently after (`lenient`): a bad
    value there costs the wave stage that value, never the task its id and state. The raw
    fields are then let go (the ref lives as long as the item), and the derived ones are
    made here, whatever the JSON said of them."""

    id: Text = None
    state: Text = None
    name: msgspec.Raw = NULL
    enterprise_project_id: msgspec.Raw = NULL
    source_server: msgspec.Raw = NULL
    sub_tasks: msgspec.Raw = NULL
    task_name: str | None = None
    project_id: str | None = None  # the task's SMS migration project
    server_id: str | None = None  # its source server's
    last_sync_end: float | None = None  # epoch s: the latest end of its SYNC_* sub-tasks

    def __post_init__(self) -> None:
        self.task_name = text(lenient(self.name, Text))
        self.project_id = text(lenient(self.enterprise_project_id, Text))
        server = lenient(self.source_server, ServerRef)
        self.server_id = text(server.id) if server is not None else None
        subs = lenient(self.sub_tasks, list[SubTaskRef | None]) or ()
        ends = [
            sub.end_date
            for sub in subs
            if sub is not None
            and sub.end_date
            and (name := text(sub.name)) is not None
            and name.startswith("SYNC_")
        ]
        self.last_sync_end = max(ends) / 1000 if ends else None
        self.name = self.enterprise_project_id = self.source_server = self.sub_tasks = NULL

    @property
    def key(self) -> str | None:
        return text(self.id)
