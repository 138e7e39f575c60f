"""OMS synchronization tasks -> their families, one row each. Pure: no I/O, no clock.

    huaweicloud_oms_sync_task_synchronizing{account="prod",region="ap-southeast-3",
                                            sync_task_id="…"} 1

A sync task keeps a bucket converged with its source until cutover: one that stopped is
what to watch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.huawei.payload import Text, text
from exporter.metrics.family import Bad, Rows, Table, Write, identity, names
from exporter.metrics.lines import Lines, truncate
from exporter.services.oms_sync.payload import SyncRef, SyncTask

SYNC_STATUSES = ("SYNCHRONIZING", "STOPPED")


def _info(task: SyncTask, opts: SyncOptions) -> tuple[Text, ...]:
    return (task.src_cloud_type, task.src_region, task.src_bucket, task.dst_region, task.dst_bucket)


def _synchronizing(name: str, opts: SyncOptions) -> Write:
    head = name + "{"

    def write(task: SyncTask, labels: str, bad: Bad) -> str:
        status = text(task.status)
        if status is None:
            return ""
        return f"{head}{labels}}} {1 if status.upper() == SYNC_STATUSES[0] else 0}\n"

    return write


def _source(account: str, opts: SyncOptions) -> tuple[tuple[str, str], ...]:
    return (("account", account), ("region", truncate(opts.region, opts.max_label_length)))


_rows: Rows[SyncOptions] = Rows(
    "huaweicloud_oms_sync_task_", ("account", "region", "sync_task_id"), "oms_sync"
)
TABLE: Table[SyncOptions] = Table(
    rows=(
        _rows.info(
            "info",
            "OMS synchronization task: its source and destination (cloud, region, bucket only),"
            " value 1.",
            ("src_cloud", "src_region", "src_bucket", "dst_region", "dst_bucket"),
            _info,
        ),
        _rows.custom(
            "synchronizing",
            "1 while the OMS synchronization task is synchronizing, 0 once it stopped.",
            (),
            _synchronizing,
        ),
        _rows.date(
            "last_start_timestamp_seconds",
            "When the OMS synchronization task last started.",
            "last_start_time",
        ),
    ),
    counted=(),
    identity=identity("sync_task_id", None, _source),
)
FAMILIES = TABLE.families
NAMES = names(FAMILIES)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    region: str
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    inactive_states: bool = True  # no stateset here: kept for the shared options
    finished_details: bool = True  # a stopped sync task may start again: nothing is final


def counts(account: str, refs: Sequence[SyncRef], opts: SyncOptions) -> Lines:
    """No family over all sync tasks: each one's series are its counts."""
    return {}
