"""OMS migration tasks: `GET /v2/{project_id}/tasks` on the OMS endpoint, per account and
project."""

from __future__ import annotations

from urllib.parse import quote

from exporter.huawei.auth import Scope
from exporter.huawei.listing import ListRequest
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

PAGE_LIMIT = 100  # the largest `limit` OMS accepts
# The Chinese API reference caps `offset` at 10000 (the English one is silent): pages past it
# would fail the whole poll, so tasks beyond are reported as not exported instead.
MAX_OFFSET = 10_000


def project_of(account: Account) -> str:
    assert account.oms.project_id is not None  # validated: required when OMS is active
    return account.oms.project_id


def target(account: Account) -> Target:
    project_id = project_of(account)
    return Target(
        base_url=account.oms_endpoint,
        scope=Scope(project_id=project_id),
        request=ListRequest(
            path=f"/v2/{quote(project_id, safe='')}/tasks",
            page=RawOmsTasks,
            ref=OmsRef,
            model=OmsTask,
            page_limit=PAGE_LIMIT,
            max_offset=MAX_OFFSET,
            # OMS wants the project in a signed header as well as in the path.
            headers={"X-Project-Id": project_id},
        ),
    )


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
