"""OMS migration tasks: `GET /v2/{project_id}/tasks` on the OMS endpoint, per account and
project."""

from __future__ import annotations

from exporter.services.endpoints import oms, project_of
from exporter.services.oms_tasks.payload import OmsRef, OmsTask, RawOmsTasks
from exporter.services.oms_tasks.table import (
    FAMILIES,
    FINISHED,
    OMS_STATUSES,
    TABLE,
    OmsOptions,
    counts,
    status_name,
)
from exporter.services.service import ListService, Target, kept
from exporter.settings import Account, Settings


def target(account: Account) -> Target:
    return oms(account, "tasks", page=RawOmsTasks, ref=OmsRef, model=OmsTask)


def options(settings: Settings, account: Account) -> OmsOptions:
    return OmsOptions(
        region=account.region,
        project_id=project_of(account),
        max_label_length=settings.label_value_max_length,
        families=kept(settings, FAMILIES),
        finished_details=settings.collect.finished_task_details,
        inactive_states=settings.collect.inactive_states,
    )


def _status(ref: OmsRef) -> str | None:
    return status_name(ref.status)


SERVICE: ListService[OmsOptions, OmsRef] = ListService(
    name="oms",
    table=TABLE,
    known_states=frozenset(OMS_STATUSES.values()),
    running_states=frozenset({"migrating", "retrying"}),
    failed_states=frozenset({"failed"}),
    finished_states=FINISHED,
    enabled=lambda settings, account: account.oms.active,
    target=target,
    options=options,
    state_of=_status,
    counts=counts,
)
