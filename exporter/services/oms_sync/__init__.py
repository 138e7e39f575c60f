"""OMS synchronization tasks: `GET /v2/{project_id}/sync-tasks` on the OMS endpoint, per
account and project where OMS is polled and `collect.sync_tasks` is on. Hundreds per account:
a few pages."""

from __future__ import annotations

from exporter.huawei.payload import text
from exporter.services.endpoints import oms
from exporter.services.oms_sync.payload import RawSyncTasks, SyncRef, SyncTask
from exporter.services.oms_sync.table import FAMILIES, SYNC_STATUSES, TABLE, SyncOptions, counts
from exporter.services.service import ListService, Target, kept
from exporter.settings import Account

MAX_ITEMS = 1_000  # hundreds of sync tasks an account: at most 10 pages a poll


def target(account: Account) -> Target:
    return oms(
        account, "sync-tasks", page=RawSyncTasks, ref=SyncRef, model=SyncTask, max_items=MAX_ITEMS
    )


SERVICE: ListService[SyncOptions, SyncRef] = ListService(
    name="oms_sync",
    table=TABLE,
    known_states=frozenset(SYNC_STATUSES),
    running_states=frozenset({SYNC_STATUSES[0]}),
    failed_states=frozenset(),
    finished_states=frozenset(),
    enabled=lambda settings, account: account.oms.active and settings.collect.sync_tasks,
    target=target,
    options=lambda settings, account: SyncOptions(
        region=account.region,
        max_label_length=settings.label_value_max_length,
        families=kept(settings, FAMILIES),
    ),
    state_of=lambda ref: text(ref.status),
    counts=counts,
)
