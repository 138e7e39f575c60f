"""SMS migration tasks: `GET /v3/tasks` on the SMS endpoint, one list per account."""

from __future__ import annotations

from exporter.huawei.listing import ListRequest
from exporter.huawei.payload import text
from exporter.services.endpoints import sms, sms_filters
from exporter.services.service import ListService, Target, kept
from exporter.services.sms_tasks.payload import RawSmsTasks, SmsRef, SmsTask
from exporter.services.sms_tasks.table import (
    FAMILIES,
    FINISHED,
    SMS_STATES,
    TABLE,
    SmsOptions,
    counts,
)
from exporter.settings import Account, Settings

PAGE_LIMIT = 200  # the largest `limit` SMS accepts
MAX_OFFSET = 65535  # SMS rejects larger offsets: tasks past it cannot be listed


def target(account: Account) -> Target:
    return sms(
        account,
        ListRequest(
            path="/v3/tasks",
            page=RawSmsTasks,
            ref=SmsRef,
            model=SmsTask,
            page_limit=PAGE_LIMIT,
            max_offset=MAX_OFFSET,
            filters=sms_filters(account),
        ),
    )


def options(settings: Settings, account: Account) -> SmsOptions:
    return SmsOptions(
        speed_factor=settings.speed_factor,
        max_label_length=settings.label_value_max_length,
        subtasks=settings.collect.subtasks,
        network_check=settings.collect.network_check,
        families=kept(settings, FAMILIES),
        finished_details=settings.collect.finished_task_details,
        inactive_states=settings.collect.inactive_states,
    )


def _state(ref: SmsRef) -> str | None:
    return text(ref.state)


SERVICE: ListService[SmsOptions, SmsRef] = ListService(
    name="sms",
    table=TABLE,
    known_states=frozenset(SMS_STATES),
    running_states=frozenset({"RUNNING", "SYNCING"}),
    failed_states=frozenset({"MIGRATE_FAIL", "SYNC_FAIL"}),
    finished_states=FINISHED,
    enabled=lambda settings, account: account.sms.enabled,
    target=target,
    options=options,
    state_of=_state,
    counts=counts,
)
