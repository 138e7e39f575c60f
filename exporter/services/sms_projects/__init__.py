"""SMS migration projects: `GET /v3/migprojects` on the SMS endpoint, one list per account
where SMS is polled and `collect.migration_projects` is on. Tens per account: one page."""

from __future__ import annotations

from exporter.huawei.listing import ListRequest
from exporter.services.endpoints import sms
from exporter.services.service import ListService, Target, kept
from exporter.services.sms_projects.payload import (
    MigrationProject,
    ProjectRef,
    RawMigrationProjects,
)
from exporter.services.sms_projects.table import FAMILIES, TABLE, ProjectOptions, counts
from exporter.settings import Account

PAGE_LIMIT = 100  # the SDK documents no bound: SMS's list default, which tens of projects fit
MAX_OFFSET = 65535  # as the other SMS lists
MAX_ITEMS = 1_000  # an account holds tens: at most 10 pages a poll, whatever it claims


def target(account: Account) -> Target:
    return sms(
        account,
        ListRequest(
            path="/v3/migprojects",
            page=RawMigrationProjects,
            ref=ProjectRef,
            model=MigrationProject,
            page_limit=PAGE_LIMIT,
            max_offset=MAX_OFFSET,
            max_items=MAX_ITEMS,
        ),
    )


SERVICE: ListService[ProjectOptions, ProjectRef] = ListService(
    name="sms_projects",
    table=TABLE,
    known_states=frozenset(),
    running_states=frozenset(),
    failed_states=frozenset(),
    finished_states=frozenset(),
    enabled=lambda settings, account: account.sms.enabled and settings.collect.migration_projects,
    target=target,
    options=lambda settings, account: ProjectOptions(
        settings.label_value_max_length, kept(settings, FAMILIES)
    ),
    state_of=lambda ref: None,
    counts=counts,
)
