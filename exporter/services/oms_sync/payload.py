"""The payload of `GET /v2/{project_id}/sync-tasks` (OMS synchronization tasks), as the
official SDK (`huaweicloudsdkoms` 3.1.219: `SyncTaskInfo`) describes it. Units in the comments.
Of the source only the cloud, region and bucket are decoded (as for task groups)."""

from __future__ import annotations

import msgspec

from exporter.huawei.payload import Model, Number, Text, text


class SyncTask(Model):
    sync_task_id: Text = None
    status: Text = None  # SYNCHRONIZING, STOPPED
    src_cloud_type: Text = None
    src_region: Text = None
    src_bucket: Text = None
    dst_region: Text = None
    dst_bucket: Text = None
    create_time: Number = None  # epoch ms
    last_start_time: Number = None  # epoch ms
    description: Text = None
    object_overwrite_mode: Text = None
    consistency_check: Text = None
    dst_storage_policy: Text = None
    enable_metadata_migration: bool | None = None
    enable_restore: bool | None = None

    @property
    def key(self) -> str | None:
        return text(self.sync_task_id)


class SyncRef(Model):
    """What is decoded of every sync task at once: its id and status."""

    sync_task_id: Text = None
    status: Text = None

    @property
    def key(self) -> str | None:
        return text(self.sync_task_id)


class RawSyncTasks(Model, rename={"items": "tasks"}):
    """A page of `GET /v2/{project_id}/sync-tasks` as first decoded."""

    count: int | None = None
    items: list[msgspec.Raw] | None = None
