"""The wave stage: after each poll of a list a wave is made of, the wave families again, as a
part of the snapshot of their own (`KEY`), beside the sources' parts.

    stage = Stage(snapshot, settings, clock=time.time)
    stage.observe(("prod", "sms"), refs)   # a poll of prod's SMS tasks succeeded
    stage.observe(("prod", "sms"), None)   # its series were dropped (stale, or removed)
    stage.configure(reloaded)              # a reload: the families again, no poll needed

Membership and readiness read across items of several lists, so they cannot be in any item's
text: the render cache reuses an item's text while its JSON is unchanged, which a project
renamed, a server's agent lost or a wave added by a reload would make wrong. The stage reads
the refs the polls keep (what counting already decodes of every item, unchanged pages
included), never the items themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import structlog

from exporter.exposition.assembly import Exposition, of_block
from exporter.exposition.snapshot import Snapshot
from exporter.huawei.payload import text
from exporter.metrics.lines import render_families
from exporter.services.oms_groups.payload import GroupRef
from exporter.services.oms_tasks.payload import OmsRef
from exporter.services.sms_projects.payload import ProjectRef
from exporter.services.sms_sources.payload import SourceRef
from exporter.services.sms_tasks.payload import SmsRef
from exporter.settings import Settings
from exporter.telemetry import SourceKey
from exporter.waves.membership import Lists, Task, join
from exporter.waves.readiness import Server, SmsTask, readiness

log = structlog.get_logger(__name__)
R = TypeVar("R")

KEY: SourceKey = ("", "waves")  # no account: it sorts before every source
READ = {"sms", "oms", "sms_projects", "oms_groups", "sms_sources"}  # the lists it joins


class Stage:
    def __init__(
        self, snapshot: Snapshot, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._snapshot = snapshot
        self._settings = settings
        self._clock = clock
        self._refs: dict[str, dict[str, list[Any]]] = {}  # account -> service -> its refs
        self._exposition: Exposition | None = None
        self._clashes: set[str] = set()  # logged once each
        self._render()

    def configure(self, settings: Settings) -> None:
        """A reload: the families again at once, with its waves, label limit and metric lists."""
        self._settings = settings
        self._render()

    def observe(self, key: SourceKey, refs: Sequence[Any] | None) -> None:
        """A source's last successful poll (its refs), or None when its series went."""
        account, service = key
        if service not in READ:
            return
        lists = self._refs.setdefault(account, {})
        if refs is None:
            lists.pop(service, None)
            if not lists:
                del self._refs[account]
        else:
            lists[service] = [ref for ref in refs if ref.key is not None]
        self._render()

    def _lists(self, refs: dict[str, list[Any]]) -> Lists:
        sms, oms = refs.get("sms"), refs.get("oms")
        projects, groups = refs.get("sms_projects"), refs.get("oms_groups")
        return Lists(
            sms=None
            if sms is None
            else [
                Task(k, text(r.name), text(r.enterprise_project_id)) for r, k in _of(sms, SmsRef)
            ],
            oms=None
            if oms is None
            else [Task(k, text(r.name), text(r.group_id)) for r, k in _of(oms, OmsRef)],
            projects=None
            if projects is None
            else {k: text(r.name) for r, k in _of(projects, ProjectRef)},
            groups=None if groups is None else frozenset(k for _, k in _of(groups, GroupRef)),
        )

    @staticmethod
    def _ready(refs: dict[str, list[Any]]) -> tuple[list[SmsTask], dict[str, Server]]:
        tasks = [
            SmsTask(
                k,
                text(r.name),
                text(r.state),
                text(r.source_server.id) if r.source_server is not None else None,
                r.last_sync_end,
            )
            for r, k in _of(refs.get("sms", []), SmsRef)
        ]
        servers = {
            k: Server(r.connected, r.checks_failed)
            for r, k in _of(refs.get("sms_sources", []), SourceRef)
        }
        return tasks, servers

    def _render(self) -> None:
        settings = self._settings
        limit, waves = settings.label_value_max_length, settings.waves
        accounts = sorted(self._refs.items())
        lines, clashes = join(waves, {name: self._lists(refs) for name, refs in accounts}, limit)
        lines |= readiness(
            {name: self._ready(refs) for name, refs in accounts if "sms" in refs},
            now=self._clock(),
            max_age=waves.cutover_ready_max_sync_age_seconds,
            limit=limit,
        )
        for wave in sorted(clashes - self._clashes):
            log.warning(
                "a configured wave has the name of a migration project or task group: the"
                " configured wave wins",
                wave=wave,
            )
        self._clashes |= clashes
        block = render_families({k: v for k, v in lines.items() if settings.metrics.keeps(k)})
        if not block:
            self._exposition = None
            self._snapshot.replace(KEY, None)
            return
        self._exposition = of_block(block, self._exposition)
        self._snapshot.replace(KEY, self._exposition)


def _of(refs: list[Any], kind: type[R]) -> list[tuple[R, str]]:
    """The refs of one list with their id (the poll kept only those with one)."""
    return [(ref, key) for ref in refs if isinstance(ref, kind) and (key := _key(ref)) is not None]


def _key(ref: Any) -> str | None:
    key: str | None = ref.key
    return key
