"""The payload of `GET /v2/{project_id}/taskgroups` (OMS task groups), as the official SDK
(`huaweicloudsdkoms` 3.1.219: `TaskGroupResp`) describes it. Units in the comments; facts in
`reference/wave-apis.md` of the design.

Of a source or destination node only the cloud, region and bucket are decoded at all: the
request models carry the source cloud's keys, and a key a future API version echoed in its
answer is then never held, let alone exported, logged or named in an error.
"""

from __future__ import annotations

import msgspec

from exporter.huawei.payload import Model, Number, Text, text
from exporter.services.oms_tasks.payload import (
    OmsBandwidthPolicy,
    OmsErrorReason,
    OmsFailedObjectRecord,
)


class GroupSrcNode(Model):
    """`TaskGroupSrcNodeResp`: cloud, region and bucket only (see the module)."""

    cloud_type: Text = None
    region: Text = None
    bucket: Text = None


class GroupDstNode(Model):
    """`TaskGroupDstNodeResp`: region and bucket only."""

    region: Text = None
    bucket: Text = None


class TaskGroup(Model):
    group_id: Text = None
    status: int | None = None  # the group table: 0..9 (not the task table)
    error_reason: OmsErrorReason | str | None = None
    src_node: GroupSrcNode | None = None
    dst_node: GroupDstNode | None = None
    description: Text = None
    task_type: Text = None  # PREFIX, LIST, URL_LIST
    bandwidth_policy: list[OmsBandwidthPolicy | None] | None = None
    enable_metadata_migration: bool | None = None
    enable_failed_object_recording: bool | None = None
    enable_restore: bool | None = None
    enable_requester_pays: bool | None = None
    migrate_since: Number = None  # epoch ms
    migrate_speed: Number = None  # bytes/s
    total_time: Number = None  # ms
    start_time: Number = None  # epoch ms
    total_task_num: Number = None
    create_task_num: Number = None
    failed_task_num: Number = None
    complete_task_num: Number = None
    paused_task_num: Number = None
    executing_task_num: Number = None
    waiting_task_num: Number = None
    total_num: Number = None  # objects
    create_complete_num: Number = None
    success_num: Number = None
    fail_num: Number = None
    skip_num: Number = None
    total_size: Number = None  # bytes
    create_complete_size: Number = None  # bytes
    complete_size: Number = None  # bytes
    failed_object_record: OmsFailedObjectRecord | None = None
    object_overwrite_mode: Text = None
    dst_storage_policy: Text = None
    consistency_check: Text = None
    obs_system: Text = None

    @property
    def key(self) -> str | None:
        return text(self.group_id)


class GroupRef(Model):
    """What is decoded of every group at once: its id and status."""

    group_id: Text = None
    status: int | None = None

    @property
    def key(self) -> str | None:
        return text(self.group_id)


class RawTaskGroups(Model, rename={"items": "taskgroups"}):
    """A page of `GET /v2/{project_id}/taskgroups` as first decoded: the total, the groups as
    raw JSON."""

    count: int | None = None
    items: list[msgspec.Raw] | None = None
