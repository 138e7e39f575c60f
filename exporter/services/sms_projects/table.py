"""SMS migration projects -> their families, one row each. Pure: no I/O, no clock.

    huaweicloud_sms_migration_project_info{account="prod",migration_project_id="…",
        migration_project_name="wave-1",type="MIGRATE_BLOCK",default="false"} 1
    huaweicloud_sms_migration_project_speed_limit_bytes_per_second{…} 1.25e+07

A migration project is the SMS side of a wave: every SMS task names its project in
`enterprise_project_id` (`migration_project_id` on `huaweicloud_sms_task_info`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.huawei.payload import Text
from exporter.metrics.family import Rows, Table, identity, names
from exporter.metrics.lines import Lines
from exporter.services.sms_projects.payload import MigrationProject, ProjectRef

MBIT = 125_000.0  # bytes per second in one Mbit/s


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _info(project: MigrationProject, opts: ProjectOptions) -> tuple[Text, ...]:
    return (project.type, _bool(project.isdefault))


_rows: Rows[ProjectOptions] = Rows(
    "huaweicloud_sms_",
    ("account", "migration_project_id", "migration_project_name"),
    "sms_projects",
)
TABLE: Table[ProjectOptions] = Table(
    rows=(
        _rows.info(
            "migration_project_info",
            "SMS migration project metadata (default: the account's default project), value 1.",
            ("type", "default"),
            _info,
        ),
        _rows.gauge(
            "migration_project_speed_limit_bytes_per_second",
            "Speed limit of the SMS migration project's tasks; 0 for no limit.",
            "speed_limit",
            scale=MBIT,
        ),
        _rows.flag(
            "migration_project_syncing",
            "1 when the SMS migration project's tasks keep syncing after the full copy.",
            "syncing",
        ),
    ),
    counted=(),
    identity=identity("migration_project_id", "migration_project_name"),
)
FAMILIES = TABLE.families
NAMES = names(FAMILIES)


@dataclass(frozen=True, slots=True)
class ProjectOptions:
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    inactive_states: bool = True  # no stateset here: kept for the shared options
    finished_details: bool = True  # a project has no state: nothing to drop


def counts(account: str, refs: Sequence[ProjectRef], opts: ProjectOptions) -> Lines:
    """No family over all projects: the per-project series are the counts."""
    return {}
