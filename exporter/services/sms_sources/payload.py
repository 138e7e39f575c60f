"""The payload of `GET /v3/sources` (SMS source servers), as the official SDK
(`huaweicloudsdksms` 3.1.219: `SourceServersResponseBody`, `TaskByServerSources`,
`EnvironmentCheck`) describes it. Units in the comments; facts in
`reference/sms-list-sources.md` of the design."""

from __future__ import annotations

import msgspec

from exporter.huawei.payload import NULL, Model, Number, Text, lenient, text


class EnvironmentCheck(Model):
    id: Number = None
    params: list[Text] | None = None
    name: Text = None
    result: Text = None  # OK, WARN, ERROR
    error_code: Text = None
    error_or_warn: Text = None
    error_params: Text = None


class CurrentTask(Model):
    """The server's migration task (`TaskByServerSources`): `id` is the task list's id."""

    id: Text = None
    name: Text = None
    type: Text = None
    state: Text = None
    estimate_complete_time: Number = None  # epoch ms
    start_date: Number = None  # epoch ms
    speed_limit: Number = None  # Mbit/s
    migrate_speed: Number = None  # Mbit/s
    compress_rate: Number = None
    start_target_server: bool | None = None
    vm_template_id: Text = None
    region_id: Text = None
    project_name: Text = None
    project_id: Text = None
    log_collect_status: Text = None
    exist_server: bool | None = None
    use_public_ip: bool | None = None
    remain_seconds: Number = None  # seconds
    subtask_info: Text = None


class SourceServer(Model):
    id: Text = None
    ip: Text = None
    name: Text = None
    enterprise_project_id: Text = None
    add_date: Number = None  # epoch ms: registered
    os_type: Text = None
    os_version: Text = None
    oem_system: bool | None = None
    state: Text = None
    connected: bool | None = None  # the agent
    cpu_quantity: Number = None
    memory: Number = None  # bytes
    current_task: CurrentTask | None = None
    checks: list[EnvironmentCheck | None] | None = None
    replicatesize: Number = None  # bytes replicated
    totalsize: Number = None  # bytes to migrate
    stage_action_time: Number = None  # epoch ms: migration_cycle last changed
    last_visit_time: Number = None  # epoch ms: the agent's connection last changed
    migration_cycle: Text = None
    state_action_time: Number = None  # epoch ms: state last changed
    is_consistency_result_exist: bool | None = None
    has_tc: bool | None = None
    start_type: Text = None

    @property
    def key(self) -> str | None:
        return text(self.id)


class CheckRef(Model):
    result: Text = None  # OK, WARN, ERROR


class SourceRef(Model):
    """What is decoded of every server at once: its id, agent connection and cycle, and its
    checks' results (a task's cutover readiness reads them)."""

    id: Text = None
    connected: bool | None = None
    migration_cycle: Text = None
    checks: msgspec.Raw = NULL  # read leniently, then let go (see SmsRef)
    # Whether a check has a result that is not OK (WARN or ERROR): made here, whatever the
    # JSON said of it.
    checks_failed: bool = False

    def __post_init__(self) -> None:
        checks = lenient(self.checks, list[CheckRef | None]) or ()
        self.checks_failed = any(
            check is not None and check.result is not None and text(check.result) != "OK"
            for check in checks
        )
        self.checks = NULL

    @property
    def key(self) -> str | None:
        return text(self.id)


class RawSourceServers(Model, rename={"items": "source_servers"}):
    """A page of `GET /v3/sources` as first decoded: the total, the servers as raw JSON."""

    count: int | None = None
    items: list[msgspec.Raw] | None = None
