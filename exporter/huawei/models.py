"""Lenient models of the SMS and OMS list-tasks payloads.

Every field is optional and may be `null`; unknown fields are ignored; numbers sent as strings
are accepted (pydantic's lax mode); ids arrive as text whether the API sends a string or a
number. States and status codes are open: a value the docs do not list is kept as sent.
A payload of the wrong shape raises `pydantic.ValidationError`, which the clients turn into
`BadResponseError`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


# ---- SMS: GET /v3/tasks -------------------------------------------------------------------


class SmsSubTask(_Lenient):
    id: str | None = None
    name: str | None = None
    progress: float | None = None  # percent 0..100
    start_date: float | None = None  # epoch ms
    end_date: float | None = None  # epoch ms; null while running
    process_trace: str | None = None


class SmsSourceServer(_Lenient):
    id: str | None = None
    ip: str | None = None
    name: str | None = None
    os_type: str | None = None
    os_version: str | None = None
    oem_system: bool | None = None
    state: str | None = None


class SmsTargetServer(_Lenient):
    id: str | None = None
    vm_id: str | None = None
    name: str | None = None
    ip: str | None = None
    os_type: str | None = None
    os_version: str | None = None


class SmsCloneServer(_Lenient):
    vm_id: str | None = None
    name: str | None = None


class SmsNetworkCheck(_Lenient):
    domain_connectivity: bool | None = None
    destination_connectivity: bool | None = None
    network_delay: float | None = None  # ms
    network_jitter: float | None = None  # ms
    migration_speed: float | None = None  # speed unit (Mbit/s per the SDK)
    loss_percentage: float | None = None  # percent
    cpu_usage: float | None = None  # percent
    mem_usage: float | None = None  # percent
    evaluation_result: str | None = None


class SmsConfig(_Lenient):
    config_key: str | None = None
    config_value: str | None = None
    config_status: str | None = None


class SmsTask(_Lenient):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    os_type: str | None = None
    state: str | None = None
    estimate_complete_time: float | None = None  # epoch ms
    create_date: float | None = None  # epoch ms
    priority: str | None = None
    speed_limit: float | None = None  # speed unit, 0 = unlimited
    migrate_speed: float | None = None  # speed unit
    compress_rate: float | None = None
    start_target_server: bool | None = None
    error_json: str | None = None
    total_time: float | None = None  # ms
    migration_ip: str | None = None
    sub_tasks: list[SmsSubTask | None] | None = None
    source_server: SmsSourceServer | None = None
    enterprise_project_id: str | None = None
    target_server: SmsTargetServer | None = None
    log_collect_status: str | None = None
    clone_server: SmsCloneServer | None = None
    syncing: bool | None = None
    network_check_info: SmsNetworkCheck | None = None
    special_config: list[SmsConfig | None] | None = None
    total_cpu_usage: float | None = None  # percent
    agent_cpu_usage: float | None = None  # percent
    total_mem_usage: float | None = None  # MiB
    agent_mem_usage: float | None = None  # MiB
    total_disk_io: float | None = None  # speed unit
    agent_disk_io: float | None = None  # speed unit
    need_migration_test: bool | None = None
    subtask_info: str | None = None


class SmsTaskPage(_Lenient):
    count: int | None = None
    tasks: list[SmsTask | None] | None = None


# ---- OMS: GET /v2/{project_id}/tasks --------------------------------------------------------


class OmsBandwidthPolicy(_Lenient):
    start: str | None = None  # hh:mm
    end: str | None = None  # hh:mm
    max_bandwidth: float | None = None  # bytes/s


class OmsDstNode(_Lenient):
    bucket: str | None = None
    region: str | None = None
    save_prefix: str | None = None


class OmsListFile(_Lenient):
    list_file_key: str | None = None
    obs_bucket: str | None = None
    list_file_num: str | None = None


class OmsSrcNode(_Lenient):
    bucket: str | None = None
    cloud_type: str | None = None
    region: str | None = None
    app_id: str | None = None
    object_key: list[str | None] | None = None
    list_file: OmsListFile | None = None


class OmsErrorReason(_Lenient):
    error_code: str | None = None
    error_msg: str | None = None


class OmsFailedObjectRecord(_Lenient):
    result: bool | None = None
    list_file_key: str | None = None
    error_code: str | None = None


class OmsSmnInfo(_Lenient):
    notify_result: bool | None = None
    notify_error_message: str | None = None
    topic_name: str | None = None


class OmsSourceCdn(_Lenient):
    domain: str | None = None
    protocol: str | None = None
    authentication_type: str | None = None


class OmsTask(_Lenient):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    status: int | None = None
    task_type: str | None = None
    group_id: str | None = None
    group_type: str | None = None
    task_priority: str | None = None
    progress: float | None = None  # ratio 0..1
    complete_size: float | None = None  # bytes
    total_size: float | None = None  # bytes
    real_size: float | None = None  # bytes
    total_num: float | None = None
    successful_num: float | None = None
    failed_num: float | None = None
    skipped_num: float | None = None
    migrate_speed: float | None = None  # bytes/s
    left_time: float | None = None  # ms
    total_time: float | None = None  # ms
    start_time: float | None = None  # epoch ms
    migrate_since: float | None = None  # epoch ms
    is_query_over: bool | None = None
    bandwidth_policy: list[OmsBandwidthPolicy | None] | None = None
    src_node: OmsSrcNode | None = None
    dst_node: OmsDstNode | None = None
    # The docs say an empty string when the task has not failed; accept both shapes.
    error_reason: OmsErrorReason | str | None = None
    failed_object_record: OmsFailedObjectRecord | None = None
    smn_info: OmsSmnInfo | None = None
    source_cdn: OmsSourceCdn | None = None
    enable_kms: bool | None = None
    enable_restore: bool | None = None
    enable_failed_object_recording: bool | None = None
    enable_metadata_migration: bool | None = None
    enable_requester_pays: bool | None = None
    object_overwrite_mode: str | None = None
    dst_storage_policy: str | None = None
    consistency_check: str | None = None
    success_record_error_reason: str | None = None
    skip_record_error_reason: str | None = None


class OmsTaskPage(_Lenient):
    count: int | None = None
    tasks: list[OmsTask | None] | None = None


class ApiErrorBody(_Lenient):
    error_code: str | None = None
    error_msg: str | None = None
