"""The payload of `GET /v3/migprojects` (SMS migration projects), as the official SDK
(`huaweicloudsdksms` 3.1.219: `MigprojectsResponseBody`) describes it. Units in the comments;
facts in `reference/wave-apis.md` of the design."""

from __future__ import annotations

import msgspec

from exporter.huawei.payload import NULL, Model, Number, Text, lenient, text


class MigrationProject(Model):
    id: Text = None
    name: Text = None
    description: Text = None
    isdefault: bool | None = None  # the account's default migration project
    region: Text = None
    type: Text = None  # MIGRATE_BLOCK, MIGRATE_FILE
    speed_limit: Number = None  # Mbit/s; 0: no limit
    syncing: bool | None = None  # continuous sync after the full copy
    start_target_server: bool | None = None
    use_public_ip: bool | None = None
    start_network_check: bool | None = None
    exist_server: bool | None = None  # the project has servers
    enterprise_project: Text = None  # the *enterprise* project's name: not this project

    @property
    def key(self) -> str | None:
        return text(self.id)


class ProjectRef(Model):
    """What is decoded of every project at once: its id (a project has no state); and its
    name, the `wave` of the project's tasks, read leniently (see `SmsRef`)."""

    id: Text = None
    name: msgspec.Raw = NULL
    project_name: str | None = None

    def __post_init__(self) -> None:
        self.project_name = text(lenient(self.name, Text))
        self.name = NULL

    @property
    def key(self) -> str | None:
        return text(self.id)


class RawMigrationProjects(Model, rename={"items": "migprojects"}):
    """A page of `GET /v3/migprojects` as first decoded: the total, the projects as raw JSON."""

    count: int | None = None
    items: list[msgspec.Raw] | None = None
