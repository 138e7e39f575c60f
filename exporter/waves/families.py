"""The wave families (DESIGN.md section 12), declared apart from the stage that fills them so
the catalogue can read them without importing the exposition."""

from __future__ import annotations

from exporter.metrics.family import Family

WAVE = "waves"  # the `service` of these families: no list service, the stage after the polls

WAVE_INFO = Family(
    "huaweicloud_migration_wave_info",
    "gauge",
    "1 for each wave: an SMS migration project (its name), an OMS task group (its group_id),"
    " or a wave of the configuration, as `origin`.",
    ("wave", "origin"),
    WAVE,
)
WAVE_CUTOVER = Family(
    "huaweicloud_migration_wave_cutover_timestamp_seconds",
    "gauge",
    "The cutover deadline configured for the wave.",
    ("wave",),
    WAVE,
)
WAVE_TASK = Family(
    "huaweicloud_migration_wave_task",
    "gauge",
    "1 for each task of each wave (`service` sms or oms): the join for every per-task series."
    " A task may be in several waves.",
    ("wave", "account", "service", "task_id"),
    WAVE,
)


TASK = ("account", "task_id", "task_name")
CUTOVER_READY = Family(
    "huaweicloud_sms_task_cutover_ready",
    "gauge",
    "1 when nothing blocks the SMS task's cutover, else 0; only for tasks not yet cut over"
    " (neither MIGRATE_SUCCESS nor ABORT).",
    TASK,
    WAVE,
)
CUTOVER_BLOCKED = Family(
    "huaweicloud_sms_task_cutover_blocked",
    "gauge",
    "1 for each reason that blocks the SMS task's cutover: failed, not_syncing (the full copy"
    " is not done), agent_disconnected, check_failed (a source-server check is not OK),"
    " sync_stale (the last incremental sync ended too long ago).",
    (*TASK, "reason"),
    WAVE,
)
READINESS_FAMILIES: tuple[Family, ...] = (CUTOVER_READY, CUTOVER_BLOCKED)
WAVE_FAMILIES: tuple[Family, ...] = (WAVE_INFO, WAVE_CUTOVER, WAVE_TASK, *READINESS_FAMILIES)
