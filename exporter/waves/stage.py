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
from exporter.waves.families import (
    CUTOVER_BLOCKED,
    CUTOVER_READY,
    WAVE_CUTOVER,
    WAVE_INFO,
    WAVE_TASK,
)
from exporter.waves.membership import Lists, Task, oms_members, sms_members
from exporter.waves.membership import info as info_lines
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
        # (account, part) -> the inputs it was made of, and its lines (see `_part`)
        self._cache: dict[tuple[str, str], tuple[tuple[Any, ...], list[str]]] = {}
        self._kept: dict[tuple[str, str], tuple[tuple[Any, ...], list[str]]] = {}
        self._shape: tuple[Any, ...] = ()
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

    @staticmethod
    def _tasks(refs: list[Any] | None, kind: type[Any], parent: str) -> list[Task] | None:
        if refs is None:
            return None
        return [Task(k, r.task_name, getattr(r, parent)) for r, k in _of(refs, kind)]

    @staticmethod
    def _projects(refs: list[Any] | None) -> dict[str, str | None] | None:
        return None if refs is None else {k: r.project_name for r, k in _of(refs, ProjectRef)}

    @staticmethod
    def _groups(refs: list[Any] | None) -> frozenset[str] | None:
        return None if refs is None else frozenset(k for _, k in _of(refs, GroupRef))

    def _ready(self, refs: dict[str, list[Any]], account: str) -> list[str]:
        tasks = [
            SmsTask(k, r.task_name, text(r.state), r.server_id, r.last_sync_end)
            for r, k in _of(refs.get("sms", []), SmsRef)
        ]
        servers = {
            k: Server(r.connected, r.checks_failed)
            for r, k in _of(refs.get("sms_sources", []), SourceRef)
        }
        settings = self._settings
        lines = readiness(
            {account: (tasks, servers)},
            now=self._clock(),
            max_age=settings.waves.cutover_ready_max_sync_age_seconds,
            limit=settings.label_value_max_length,
        )
        return [text for family in (CUTOVER_READY, CUTOVER_BLOCKED) for text in lines[family.name]]

    def _sms(
        self, account: str, sms: list[Any] | None, projects: dict[str, str | None] | None
    ) -> list[str]:
        tasks = self._tasks(sms, SmsRef, "project_id")
        waves, limit = self._settings.waves, self._settings.label_value_max_length
        return sms_members(waves, account, tasks, projects, limit)

    def _oms(self, account: str, oms: list[Any] | None, groups: frozenset[str] | None) -> list[str]:
        tasks = self._tasks(oms, OmsRef, "group")
        waves, limit = self._settings.waves, self._settings.label_value_max_length
        return oms_members(waves, account, tasks, groups, limit)

    def _part(
        self,
        account: str,
        part: str,
        inputs: tuple[Any, ...],
        make: Callable[..., list[str]],
        *args: Any,
        same: Callable[[Any, Any], bool] = lambda a, b: a is b or a == b,
    ) -> list[str]:
        """One account's lines of one part, made again only when one of its inputs (a list's
        refs, or what the join reads of them) differs from last time: by `same`, equal (a
        list of refs compares its unchanged pages' refs by identity first)."""
        old = self._cache.get((account, part))
        if old is not None and all(same(a, b) for a, b in zip(old[0], inputs, strict=True)):
            self._kept[(account, part)] = old
            return old[1]
        lines = make(*args)
        self._kept[(account, part)] = (inputs, lines)
        return lines

    def _render(self) -> None:
        settings = self._settings
        limit, waves = settings.label_value_max_length, settings.waves
        if (waves, limit) != self._shape:  # a reload: nothing made before holds
            self._shape, self._cache = (waves, limit), {}
        self._kept = {}
        accounts = sorted(self._refs.items())
        info, cutover, clashes = info_lines(
            waves,
            [
                Lists(
                    projects=self._projects(refs.get("sms_projects")),
                    groups=self._groups(refs.get("oms_groups")),
                )
                for _, refs in accounts
            ],
            limit,
        )
        tasks: list[str] = []
        ready: list[str] = []
        for account, refs in accounts:
            sms, oms = refs.get("sms"), refs.get("oms")
            projects, groups = refs.get("sms_projects"), refs.get("oms_groups")
            # Membership changes only with what the lists say: equal lists, the same lines.
            names, ids = self._projects(projects), self._groups(groups)
            tasks += self._part(account, "sms", (sms, names), self._sms, account, sms, names)
            tasks += self._part(account, "oms", (oms, ids), self._oms, account, oms, ids)
            if sms is not None:
                servers = refs.get("sms_sources")
                # Readiness also moves with the clock (sync_stale): made again at each poll of
                # its lists, compared by identity.
                ready += self._part(
                    account, "ready", (sms, servers), self._ready, refs, account, same=_identical
                )
        self._cache = self._kept
        for wave in sorted(clashes - self._clashes):
            log.warning(
                "a configured wave has the name of a migration project or task group: the"
                " configured wave wins",
                wave=wave,
            )
        self._clashes |= clashes
        ready_lines = [t for t in ready if t.startswith(CUTOVER_READY.name + "{")]
        blocked_lines = [t for t in ready if t.startswith(CUTOVER_BLOCKED.name + "{")]
        lines = {
            WAVE_INFO.name: info,
            WAVE_CUTOVER.name: cutover,
            WAVE_TASK.name: tasks,
            CUTOVER_READY.name: ready_lines,
            CUTOVER_BLOCKED.name: blocked_lines,
        }
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


def _identical(a: Any, b: Any) -> bool:
    return a is b
