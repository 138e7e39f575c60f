"""OMS task groups: `GET /v2/{project_id}/taskgroups` on the OMS endpoint, per account and
project where OMS is polled and `collect.task_groups` is on. Tens per account: one page."""

from __future__ import annotations

from exporter.services.endpoints import oms
from exporter.services.oms_groups.payload import GroupRef, RawTaskGroups, TaskGroup
from exporter.services.oms_groups.table import (
    FAMILIES,
    FINISHED,
    GROUP_STATUSES,
    TABLE,
    GroupOptions,
    counts,
    group_status_name,
)
from exporter.services.service import ListService, Target, kept
from exporter.settings import Account, Settings

MAX_ITEMS = 1_000  # tens of groups an account: at most 10 pages a poll, whatever it claims


def target(account: Account) -> Target:
    return oms(
        account,
        "taskgroups",
        page=RawTaskGroups,
        ref=GroupRef,
        model=TaskGroup,
        max_items=MAX_ITEMS,
    )


def options(settings: Settings, account: Account) -> GroupOptions:
    return GroupOptions(
        region=account.region,
        max_label_length=settings.label_value_max_length,
        families=kept(settings, FAMILIES),
        finished_details=settings.collect.finished_task_details,
        inactive_states=settings.collect.inactive_states,
    )


def _status(ref: GroupRef) -> str | None:
    return group_status_name(ref.status)


SERVICE: ListService[GroupOptions, GroupRef] = ListService(
    name="oms_groups",
    table=TABLE,
    known_states=frozenset(GROUP_STATUSES.values()),
    running_states=frozenset({"executing", "monitoring"}),
    failed_states=frozenset({"create_failed", "failed"}),
    finished_states=FINISHED,
    enabled=lambda settings, account: account.oms.active and settings.collect.task_groups,
    target=target,
    options=options,
    state_of=_status,
    counts=counts,
)
