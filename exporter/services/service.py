"""What a list service is: everything the shared machinery needs to poll one list API.

SMS tasks, OMS tasks and SMS source servers are each one `ListService` (in the modules beside
this one). Paging, lazy decoding, per-state counts, staleness, state-change counting and
rendering take a service and need no branch per service; adding a list API is a new module
and a line in `services/__init__.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from exporter.huawei.auth import Scope
from exporter.huawei.listing import ListRequest
from exporter.metrics.family import Family
from exporter.metrics.lines import Lines
from exporter.settings import Account, Settings

Opt = TypeVar("Opt")  # the options a service's mapping takes


@dataclass(frozen=True, slots=True)
class Target:
    """Where one account's list lives and how to ask for it."""

    base_url: str
    scope: Scope  # what an IAM token for it is scoped to
    request: ListRequest[Any, Any]


@dataclass(frozen=True, slots=True)
class ListService(Generic[Opt]):
    name: str  # the `service` label of the exporter's own series
    families: tuple[Family, ...]  # what it exports, in exposition order
    known_states: frozenset[str]  # the states `task_state_changes_total{to}` may name
    running_states: frozenset[str]  # what the status page counts as running
    failed_states: frozenset[str]  # and as failed
    enabled: Callable[[Settings, Account], bool]
    target: Callable[[Account], Target]
    options: Callable[[Settings, Account], Opt]
    # Of an item's ref: its state as the state-change counter sees it (None: not counted).
    state_of: Callable[[Any], str | None]
    # The per-item families of decoded items; each item mapped on its own.
    lines: Callable[[str, Sequence[Any], Opt], Lines]
    # The families over all items at once (counts per state), from their refs; the items as
    # listed, each key once (paging de-duplicates), so a count need not.
    counts: Callable[[str, Sequence[Any], Opt], Lines]


def kept(settings: Settings, families: tuple[Family, ...]) -> frozenset[str]:
    """The names of `families` that metrics.allowlist/denylist keep."""
    return frozenset(f.name for f in families if settings.metrics.keeps(f.name))
