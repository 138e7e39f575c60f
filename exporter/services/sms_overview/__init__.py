"""The SMS source-server overview: `GET /v3/sources/overview` on the SMS endpoint, one object
per account where SMS is polled and `collect.source_server_overview` is on. A single-object
request: one request a poll, no paging."""

from __future__ import annotations

import msgspec

from exporter.huawei.listing import ListRequest
from exporter.services.endpoints import sms
from exporter.services.service import ListService, Target, kept
from exporter.services.sms_overview.payload import Overview, OverviewRef
from exporter.services.sms_overview.table import FAMILIES, TABLE, OverviewOptions, counts
from exporter.settings import Account


def target(account: Account) -> Target:
    return sms(
        account,
        ListRequest(
            path="/v3/sources/overview",
            page=msgspec.Raw,  # the answer is the one item
            ref=OverviewRef,
            model=Overview,
            page_limit=1,
            max_offset=0,
            single=True,
        ),
    )


SERVICE: ListService[OverviewOptions, OverviewRef] = ListService(
    name="sms_overview",
    table=TABLE,
    known_states=frozenset(),
    running_states=frozenset(),
    failed_states=frozenset(),
    finished_states=frozenset(),
    enabled=lambda settings, account: (
        account.sms.enabled and settings.collect.source_server_overview
    ),
    target=target,
    options=lambda settings, account: OverviewOptions(
        settings.label_value_max_length, kept(settings, FAMILIES)
    ),
    state_of=lambda ref: None,
    counts=counts,
)
