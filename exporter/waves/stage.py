"""The wave stage: after each poll of a list a wave is made of, the wave families again, as a
part of the snapshot of their own (`KEY`), beside the sources' parts.

    stage = Stage(snapshot, settings.waves, settings.label_value_max_length)
    stage.observe(("prod", "sms"), refs)   # a poll of prod's SMS tasks succeeded
    stage.observe(("prod", "sms"), None)   # its series were dropped (stale, or removed)
    stage.configure(reloaded.waves, ...)   # a reload: the families again, no poll needed

The join reads across items of several lists, so it cannot be in any item's text: the render
cache reuses an item's text when its JSON is unchanged, which a wave changing its name or
match would make wrong. It reads the refs the polls keep (what counting already decodes of
every item, unchanged pages included), never the items themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import structlog

from exporter.exposition.assembly import Exposition, of_block
from exporter.exposition.snapshot import Snapshot
from exporter.huawei.payload import text
from exporter.metrics.lines import render_families
from exporter.services.oms_groups.payload import GroupRef
from exporter.services.oms_tasks.payload import OmsRef
from exporter.services.sms_projects.payload import ProjectRef
from exporter.services.sms_tasks.payload import SmsRef
from exporter.settings import Waves
from exporter.telemetry import SourceKey
from exporter.waves.membership import Lists, Task, join

log = structlog.get_logger(__name__)

KEY: SourceKey = ("", "waves")  # no account: it sorts before every source
FIELDS = {"sms": "sms", "oms": "oms", "sms_projects": "projects", "oms_groups": "groups"}


def _read(service: str, refs: Sequence[Any]) -> Any:
    """A poll's refs as the join takes them (items without an id were not exported)."""
    if service == "sms":
        return [
            Task(r.key, text(r.name), text(r.enterprise_project_id))
            for r in refs
            if isinstance(r, SmsRef) and r.key is not None
        ]
    if service == "oms":
        return [
            Task(r.key, text(r.name), text(r.group_id))
            for r in refs
            if isinstance(r, OmsRef) and r.key is not None
        ]
    if service == "sms_projects":
        return {
            r.key: text(r.name) for r in refs if isinstance(r, ProjectRef) and r.key is not None
        }
    return frozenset(r.key for r in refs if isinstance(r, GroupRef) and r.key is not None)


class Stage:
    def __init__(self, snapshot: Snapshot, waves: Waves, limit: int) -> None:
        self._snapshot = snapshot
        self._waves, self._limit = waves, limit
        self._accounts: dict[str, Lists] = {}
        self._exposition: Exposition | None = None
        self._clashes: set[str] = set()  # logged once each
        self._render()

    def configure(self, waves: Waves, limit: int) -> None:
        """A reload's waves: the families again at once, if they change."""
        if (waves, limit) != (self._waves, self._limit):
            self._waves, self._limit = waves, limit
            self._render()

    def observe(self, key: SourceKey, refs: Sequence[Any] | None) -> None:
        """A source's last successful poll (its refs), or None when its series went."""
        account, service = key
        field = FIELDS.get(service)
        if field is None:
            return
        lists = replace(
            self._accounts.get(account, Lists()),
            **{field: None if refs is None else _read(service, refs)},
        )
        if lists == Lists():
            self._accounts.pop(account, None)
        else:
            self._accounts[account] = lists
        self._render()

    def _render(self) -> None:
        lines, clashes = join(self._waves, dict(sorted(self._accounts.items())), self._limit)
        for wave in sorted(clashes - self._clashes):
            log.warning(
                "a configured wave has the name of a migration project or task group: the"
                " configured wave wins",
                wave=wave,
            )
        self._clashes |= clashes
        block = render_families(lines)
        if not block:
            self._exposition = None
            self._snapshot.replace(KEY, None)
            return
        self._exposition = of_block(block, self._exposition)
        self._snapshot.replace(KEY, self._exposition)
