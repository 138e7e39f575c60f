"""SMS source servers: `GET /v3/sources` on the SMS endpoint, one list per account where SMS is
polled and `collect.source_servers` is on. What an operator watches most: the agent's
connection, bytes replicated of bytes to copy, time left, failing environment checks."""

from __future__ import annotations

from exporter.huawei.listing import ListRequest
from exporter.huawei.payload import text
from exporter.services.endpoints import sms, sms_filters
from exporter.services.service import ListService, Target, kept
from exporter.services.sms_sources.payload import RawSourceServers, SourceRef, SourceServer
from exporter.services.sms_sources.table import CYCLES, FAMILIES, TABLE, SourceOptions, counts
from exporter.settings import Account

PAGE_LIMIT = 200  # the largest `limit` the source-server list accepts (its default, too)
MAX_OFFSET = 65535  # as the task list: SMS's offset ceiling


def target(account: Account) -> Target:
    return sms(
        account,
        ListRequest(
            path="/v3/sources",
            page=RawSourceServers,
            ref=SourceRef,
            model=SourceServer,
            page_limit=PAGE_LIMIT,
            max_offset=MAX_OFFSET,
            filters=sms_filters(account),
        ),
    )


def _cycle(ref: SourceRef) -> str | None:
    """A server's "state" for the state-change counter: its migration cycle."""
    return text(ref.migration_cycle)


SERVICE: ListService[SourceOptions, SourceRef] = ListService(
    name="sms_sources",
    table=TABLE,
    known_states=frozenset(CYCLES),
    running_states=frozenset({"replicating", "syncing"}),
    failed_states=frozenset(),
    finished_states=frozenset(),
    enabled=lambda settings, account: account.sms.enabled and settings.collect.source_servers,
    target=target,
    options=lambda settings, account: SourceOptions(
        settings.label_value_max_length,
        kept(settings, FAMILIES),
        inactive_states=settings.collect.inactive_states,
    ),
    state_of=_cycle,
    counts=counts,
)
