"""Lenient models of the SMS and OMS list-tasks payloads (msgspec Structs).

Every field is optional and may be `null`; unknown fields are ignored; numbers sent as strings
are accepted (`strict=False` decoding); text fields also accept numbers (an id or a name sent
as a number), which the mapping turns into text. States and status codes are open: a value
the docs do not list is kept as sent. A payload of the wrong shape raises
`msgspec.ValidationError` (or `DecodeError` for broken JSON), which the clients turn into
`BadResponseError`.

msgspec rather than pydantic here: decoding 10,000 SMS tasks takes 0.09 s instead of 1.2 s,
which is most of the difference between meeting the one-second poll budget and missing it.
The configuration, parsed once, stays with pydantic-settings.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

Text = str | int | float | None  # a text field; numbers become text in the mapping
Number = float | None  # JSON numbers, or numbers sent as strings

S = TypeVar("S", bound=msgspec.Struct)


class _Model(msgspec.Struct, kw_only=True, gc=False):
    """gc=False: payloads hold no cycles, so the cyclic GC need not track 100,000 objects."""


def text(value: Text) -> str | None:
    """A text field as text: `12` -> `"12"`, `None` stays `None`."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- SMS: GET /v3/tasks -------------------------------------------------------------------


class SmsSubTask(_Model):
    id: Text = None
    name: Text = None
    progress: Number = None  # percent 0..100
    start_date: Number = None  # epoch ms
    end_date: Number = None  # epoch ms; null while running
    process_trace: Text = None


class SmsSourceServer(_Model):
    id: Text = None
    ip: Text = None
    name: Text = None
    os_type: Text = None
    os_version: Text = None
    oem_system: bool | None = None
    state: Text = None


class SmsTargetServer(_Model):
    id: Text = None
    vm_id: Text = None
    name: Text = None
    ip: Text = None
    os_type: Text = None
    os_version: Text = None


class SmsCloneServer(_Model):
    vm_id: Text = None
    name: Text = None


class SmsNetworkCheck(_Model):
    domain_connectivity: bool | None = None
    destination_connectivity: bool | None = None
    network_delay: Number = None  # ms
    network_jitter: Number = None  # ms
    migration_speed: Number = None  # speed unit (Mbit/s per the SDK)
    loss_percentage: Number = None  # percent
    cpu_usage: Number = None  # percent
    mem_usage: Number = None  # percent
    evaluation_result: Text = None


class SmsConfig(_Model):
    config_key: Text = None
    config_value: Text = None
    config_status: Text = None


class SmsTask(_Model):
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


class SmsTaskPage(_Model):
    count: int | None = None
    tasks: list[SmsTask | None] | None = None


# ---- OMS: GET /v2/{project_id}/tasks --------------------------------------------------------


class OmsBandwidthPolicy(_Model):
    start: Text = None  # hh:mm
    end: Text = None  # hh:mm
    max_bandwidth: Number = None  # bytes/s


class OmsDstNode(_Model):
    bucket: Text = None
    region: Text = None
    save_prefix: Text = None


class OmsListFile(_Model):
    list_file_key: Text = None
    obs_bucket: Text = None
    list_file_num: Text = None


class OmsSrcNode(_Model):
    bucket: Text = None
    cloud_type: Text = None
    region: Text = None
    app_id: Text = None
    object_key: list[Text] | None = None
    list_file: OmsListFile | None = None


class OmsErrorReason(_Model):
    error_code: Text = None
    error_msg: Text = None


class OmsFailedObjectRecord(_Model):
    result: bool | None = None
    list_file_key: Text = None
    error_code: Text = None


class OmsSmnInfo(_Model):
    notify_result: bool | None = None
    notify_error_message: Text = None
    topic_name: Text = None


class OmsSourceCdn(_Model):
    domain: Text = None
    protocol: Text = None
    authentication_type: Text = None


class OmsTask(_Model):
    id: Text = None
    name: Text = None
    description: Text = None
    status: int | None = None
    task_type: Text = None
    group_id: Text = None
    group_type: Text = None
    task_priority: Text = None
    progress: Number = None  # ratio 0..1
    complete_size: Number = None  # bytes
    total_size: Number = None  # bytes
    real_size: Number = None  # bytes
    total_num: Number = None
    successful_num: Number = None
    failed_num: Number = None
    skipped_num: Number = None
    migrate_speed: Number = None  # bytes/s
    left_time: Number = None  # ms
    total_time: Number = None  # ms
    start_time: Number = None  # epoch ms
    migrate_since: Number = None  # epoch ms
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
    object_overwrite_mode: Text = None
    dst_storage_policy: Text = None
    consistency_check: Text = None
    success_record_error_reason: Text = None
    skip_record_error_reason: Text = None

    @property
    def key(self) -> str | None:
        return text(self.id)


class OmsTaskPage(_Model):
    count: int | None = None
    tasks: list[OmsTask | None] | None = None


class ApiErrorBody(_Model):
    error_code: Text = None
    error_msg: Text = None


# ---- what the clients decode first -------------------------------------------------------
# A page is decoded into raw task slices plus each task's id and state; the full task is decoded
# only when it is mapped, a batch at a time, so 10,000 decoded tasks never exist at once.


class RawPage(_Model):
    count: int | None = None
    tasks: list[msgspec.Raw] | None = None


class SmsRef(_Model):
    id: Text = None
    state: Text = None


class OmsRef(_Model):
    id: Text = None
    status: int | None = None


class LazySmsTask:
    """An SMS task as listed: its id and state now, the rest decoded by `load()`."""

    __slots__ = ("_raw", "_ref")

    def __init__(self, ref: SmsRef, raw: msgspec.Raw) -> None:
        self._ref, self._raw = ref, raw

    @property
    def key(self) -> str | None:
        return text(self._ref.id)

    @property
    def state(self) -> Text:
        return self._ref.state

    def load(self) -> SmsTask:
        return decoder(SmsTask).decode(self._raw)


class LazyOmsTask:
    """An OMS task as listed: its id and status now, the rest decoded by `load()`."""

    __slots__ = ("_raw", "_ref")

    def __init__(self, ref: OmsRef, raw: msgspec.Raw) -> None:
        self._ref, self._raw = ref, raw

    @property
    def key(self) -> str | None:
        return text(self._ref.id)

    @property
    def status(self) -> int | None:
        return self._ref.status

    def load(self) -> OmsTask:
        return decoder(OmsTask).decode(self._raw)


_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def decoder(model: type[S]) -> msgspec.json.Decoder[S]:
    """A lenient JSON decoder for `model` (numbers sent as strings are accepted), made once."""
    found = _DECODERS.get(model)
    if found is None:
        found = _DECODERS[model] = msgspec.json.Decoder(model, strict=False)
    typed: msgspec.json.Decoder[S] = found
    return typed


def convert(model: type[S], data: Any) -> S:
    """Build `model` from already-decoded data (tests, tooling), as leniently as decoding."""
    return msgspec.convert(data, model, strict=False)
