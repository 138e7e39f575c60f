"""What a list service is: everything the shared machinery needs to poll one list API.

SMS tasks, OMS tasks and SMS source servers are each one `ListService` (in the packages beside
this module): a request, a payload, a `Table` of families and a few sets of states. Paging,
lazy decoding, per-state counts, staleness, state-change counting and rendering take a service
and need no branch per service; adding a list API is a new package and a line in
`services/__init__.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from exporter.huawei.auth import Scope
from exporter.huawei.listing import ListRequest
from exporter.metrics.family import Family, Mapper, Options, Table
from exporter.metrics.lines import Lines
from exporter.settings import Account, Settings

Opt = TypeVar("Opt", bound=Options)  # the options a service's mapping takes
Ref = TypeVar("Ref")  # the small part of an item decoded for every item: id and state


@dataclass(frozen=True, slots=True)
class Target:
    """Where one account's list lives and how to ask for it."""

    base_url: str
    scope: Scope  # what an IAM token for it is scoped to
    request: ListRequest[Any, Any]


@dataclass(frozen=True, slots=True)
class ListService(Generic[Opt, Ref]):
    name: str  # the `service` label of the exporter's own series
    table: Table[Opt]  # its families, and how each is written from one item
    known_states: frozenset[str]  # the states `task_state_changes_total{to}` may name
    running_states: frozenset[str]  # what the status page counts as running
    failed_states: frozenset[str]  # and as failed
    # States an item does not leave by itself: with collect.finished_task_details off, such
    # an item exports only its rows marked `finished`.
    finished_states: frozenset[str]
    enabled: Callable[[Settings, Account], bool]
    target: Callable[[Account], Target]
    options: Callable[[Settings, Account], Opt]
    # Of an item's ref (or the item, which has the same fields): its state as the state-change
    # counter and `finished_states` see it (None: no state).
    state_of: Callable[[Ref], str | None]
    # The families over all items at once (counts per state), from the refs of the items
    # with an id, each once (paging de-duplicates), so a count need not.
    counts: Callable[[str, Sequence[Ref], Opt], Lines]

    @property
    def families(self) -> tuple[Family, ...]:
        """What it exports, in exposition order."""
        return self.table.families

    def mapper(self, account: str, opts: Opt) -> Mapper:
        """One source's mapper: a decoded item -> its text per family."""
        finished, state_of = self.finished_states, self.state_of
        return self.table.bind(
            account, opts, (lambda item: state_of(item) in finished) if finished else None
        )


def kept(settings: Settings, families: tuple[Family, ...]) -> frozenset[str]:
    """The names of `families` that metrics.allowlist/denylist keep."""
    return frozenset(f.name for f in families if settings.metrics.keeps(f.name))
