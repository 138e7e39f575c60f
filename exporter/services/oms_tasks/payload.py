"""The payload of `GET /v2/{project_id}/tasks` (OMS migration tasks), as the API reference and
the official SDK (`huaweicloudsdkoms` 3.1.219) describe it. Units in the comments."""

from __future__ import annotations

import msgspec

from exporter.huawei.payload import NULL, Model, Number, Text, lenient, text


class OmsBandwidthPolicy(Model):
    start: Text = None  # hh:mm
    end: Text = None  # hh:mm
    max_bandwidth: Number = None  # bytes/s


class OmsDstNode(Model):
    bucket: Text = None
    region: Text = None
    save_prefix: Text = None


class OmsListFile(Model):
    list_file_key: Text = None
    obs_bucket: Text = None
    list_file_num: Text = None


class OmsSrcNode(Model):
    bucket: Text = None
    cloud_type: Text = None
    region: Text = None
    app_id: Text = None
    object_key: list[Text] | None = None
    list_file: OmsListFile | None = None


class OmsErrorReason(Model):
    error_code: Text = None
    error_msg: Text = None


class OmsFailedObjectRecord(Model):
    result: bool | None = None
    list_file_key: Text = None
    error_code: Text = None


class OmsSmnInfo(Model):
    notify_result: bool | None = None
    notify_error_message: Text = None
    topic_name: Text = None


class OmsSourceCdn(Model):
    domain: Text = None
    protocol: Text = None
    authentication_type: Text = None


class OmsTask(Model):
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


class RawOmsTasks(Model, rename={"items": "tasks"}):
    """A page of `GET /v2/{project_id}/tasks` as first decoded: the total, the tasks as raw
    JSON."""

    count: int | None = None
    items: list[msgspec.Raw] | None = None


class OmsRef(Model):
    """What is decoded of every task at once: its id and status; and what places it in its
    waves (its name and task group), read leniently and kept as text (see `SmsRef`)."""

    id: Text = None
    status: int | None = None
    name: msgspec.Raw = NULL
    group_id: msgspec.Raw = NULL
    task_name: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        self.task_name = text(lenient(self.name, Text))
        self.group = text(lenient(self.group_id, Text))
        self.name = self.group_id = NULL

    @property
    def key(self) -> str | None:
        return text(self.id)
