"""Where an account's lists live: the SMS and OMS endpoints, the IAM scope each signs for, and
what every request to one of them carries.

    sms(account, ListRequest(path="/v3/tasks", ...))       # scoped to the region's project
    oms(account, "taskgroups", page=..., ref=..., model=...)  # /v2/{project_id}/taskgroups
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from exporter.huawei.auth import Scope
from exporter.huawei.listing import ListRequest
from exporter.huawei.signing import QueryValue
from exporter.services.service import Target
from exporter.settings import Account

OMS_PAGE_LIMIT = 100  # the largest `limit` OMS accepts
# The Chinese API reference caps `offset` at 10000 (the English one is silent): pages past it
# would fail the whole poll, so items beyond are reported as not exported instead.
OMS_MAX_OFFSET = 10_000


def sms(account: Account, request: ListRequest[Any, Any]) -> Target:
    """A list of the SMS endpoint: IAM tokens for it are scoped to the region's project."""
    return Target(
        base_url=account.sms_endpoint, scope=Scope(project_name=account.region), request=request
    )


def sms_filters(account: Account) -> tuple[tuple[str, QueryValue], ...]:
    """`sms.enterprise_project_id`, as the task and source-server lists take it."""
    if account.sms.enterprise_project_id:
        return (("enterprise_project_id", account.sms.enterprise_project_id),)
    return ()


def project_of(account: Account) -> str:
    assert account.oms.project_id is not None  # validated: required when OMS is active
    return account.oms.project_id


def oms(
    account: Account,
    resource: str,
    *,
    page: type[Any],
    ref: type[Any],
    model: type[Any],
    max_items: int | None = None,
) -> Target:
    """`GET /v2/{project_id}/{resource}` on the OMS endpoint, paged as OMS pages, with the
    project in a signed header as well as in the path (OMS wants both)."""
    project_id = project_of(account)
    return Target(
        base_url=account.oms_endpoint,
        scope=Scope(project_id=project_id),
        request=ListRequest(
            path=f"/v2/{quote(project_id, safe='')}/{resource}",
            page=page,
            ref=ref,
            model=model,
            page_limit=OMS_PAGE_LIMIT,
            max_offset=OMS_MAX_OFFSET,
            headers={"X-Project-Id": project_id},
            max_items=max_items,
        ),
    )
