"""The wave stage: after each poll of a list a wave is made of, the wave families again, as a
part of the snapshot of their own (`KEY`), beside the sources' parts.

    stage = Stage(snapshot, settings, clock=time.time)   # in the running loop
    stage.observe(("prod", "sms"), refs)   # a poll of prod's SMS tasks succeeded
    stage.observe(("prod", "sms"), None)   # its series were dropped (stale, or removed)
    stage.configure(reloaded)              # a reload: the families again, no poll needed
    await stage.settled()                  # the families hold all of the above (--once)
    await stage.close()

Membership and readiness read across items of several lists, so they cannot be in any item's
text: the render cache reuses an item's text while its JSON is unchanged, which a project
renamed, a server's agent lost or a wave added by a reload would make wrong. The stage reads
the refs the polls keep (what counting already decodes of every item, unchanged pages
included), never the items themselves.

A call only notes what changed. The families are made again in the background: one render at
a time, and one more after it for everything that arrived meanwhile; `STEP` tasks a turn of
the loop (`exposition.turns`), as the polls render theirs; compressed in the compressing
thread. Made in one piece after every poll, a render of 10,000 tasks held the loop, and every
scrape waiting, for 50 to 230 ms. What a render makes is kept by what it was made of: a task's
membership by its name and parent, its readiness by its ref and its server's (identical while
their page is unchanged) and whether its sync is stale.
"""

from __future__ import annotations

import asyncio
import math
import operator
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import msgspec
import structlog

from exporter.exposition.assembly import Exposition, of_block, off_loop
from exporter.exposition.snapshot import Snapshot
from exporter.exposition.turns import in_turns, turn
from exporter.huawei.payload import text
from exporter.metrics.lines import Lines, render_families
from exporter.services.oms_groups.payload import GroupRef
from exporter.services.oms_tasks.payload import OmsRef
from exporter.services.sms_projects.payload import ProjectRef
from exporter.services.sms_sources.payload import SourceRef
from exporter.services.sms_tasks.payload import SmsRef
from exporter.settings import Settings
from exporter.telemetry import SourceKey, Telemetry
from exporter.waves.families import (
    CUTOVER_BLOCKED,
    CUTOVER_READY,
    WAVE_CUTOVER,
    WAVE_INFO,
    WAVE_TASK,
)
from exporter.waves.membership import OMS, SMS, Lists, Task, member_lines, oms_pairs, sms_pairs
from exporter.waves.membership import info as info_lines
from exporter.waves.readiness import Server, SmsTask, stale, task_lines

log = structlog.get_logger(__name__)
R = TypeVar("R")

KEY: SourceKey = ("", "waves")  # no account: it sorts before every source
READ = {"sms", "oms", "sms_projects", "oms_groups", "sms_sources"}  # the lists it joins
STEP = 500  # tasks a turn: a few milliseconds of joining at most
MATCHES = 2_500  # (task, configured wave) pairs matched a turn: some 3 ms
Pairs = Callable[..., set[tuple[str, str]]]  # (tasks, limit=...) -> (wave, task id) of each
Parents = Mapping[str, str | None] | Collection[str] | None  # projects' names, or group ids


@dataclass(frozen=True, slots=True)
class _Members:
    """One account's member lines of one service, and what they were made of."""

    refs: list[Any]
    tasks: list[Task]
    parents: Parents
    lines: list[str]


class _Ready(msgspec.Struct, frozen=True, gc=False):  # one per task: not for the collector
    """One task's readiness lines, and what they were made of."""

    inputs: tuple[Any, ...]  # its name and state, its server's agent and checks, stale or not
    ready: str
    blocked: str


@dataclass(frozen=True, slots=True)
class _Readiness:
    """One account's readiness lines, and what they were made of."""

    sms: list[Any]
    sources: list[Any]
    since: float  # the time it was made at
    until: float  # when the first sync fresh then grows stale
    tasks: dict[str, _Ready]  # by task id
    ready: list[str]
    blocked: list[str]


class Stage:
    def __init__(
        self,
        snapshot: Snapshot,
        telemetry: Telemetry,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Made in the running loop: it renders in a task of its own."""
        self._snapshot = snapshot
        self._telemetry = telemetry
        self._settings = settings
        self._clock = clock
        self._refs: dict[str, dict[str, list[Any]]] = {}  # account -> service -> its refs
        self._exposition: Exposition | None = None
        self._clashes: set[str] = set()  # logged once each
        self._members: dict[tuple[str, str], _Members] = {}  # by (account, service)
        self._readiness: dict[str, _Readiness] = {}  # by account
        self._shape: tuple[Any, ...] = ()
        self._due = False  # something changed since the render running began
        self._rendering: asyncio.Task[None] | None = None
        self._bugs: set[type[BaseException]] = set()
        self._closed = False
        self._failed = False  # a render failed since `settled` last said
        self._soon()

    def configure(self, settings: Settings) -> None:
        """A reload: the families again, with its waves, label limit and metric lists."""
        self._settings = settings
        self._soon()

    def observe(self, key: SourceKey, refs: Sequence[Any] | None) -> None:
        """A source's last successful poll (the refs of its items with an id), or None when
        its series went."""
        account, service = key
        if service not in READ:
            return
        lists = self._refs.setdefault(account, {})
        if refs is None:
            lists.pop(service, None)
            if not lists:
                del self._refs[account]
        else:
            lists[service] = list(refs)
        self._soon()

    async def settled(self) -> bool:
        """Until no render is due (the families hold everything observed and configured so
        far), or the stage is closed; whether every render since the last call succeeded.
        With pollers running it may wait as long as they keep observing: for `--once` and
        the tests."""
        while not self._closed and self._rendering is not None and not self._rendering.done():
            await asyncio.wait({self._rendering})
        ok, self._failed = not self._failed, False
        return ok

    async def close(self) -> None:
        """Stop rendering: what it holds stays in the snapshot, nothing new is made."""
        self._closed = True
        if self._rendering is not None:
            self._rendering.cancel()
            await asyncio.gather(self._rendering, return_exceptions=True)

    def _soon(self) -> None:
        self._due = True
        if self._closed:
            return
        if self._rendering is None or self._rendering.done():
            self._rendering = asyncio.get_running_loop().create_task(self._run(), name="waves")

    async def _run(self) -> None:
        while self._due:
            self._due = False
            try:
                await self._render()
            except Exception as exc:  # a broad catch: the stage never stops, nor the daemon
                self._failed = True
                self._telemetry.wave_render_errors += 1
                self._snapshot.set_own(self._telemetry.render())
                first = type(exc) not in self._bugs
                self._bugs.add(type(exc))
                log.error(
                    "the wave families could not be made: they keep their last values",
                    error=f"{type(exc).__name__}: {exc}",
                    exc_info=exc if first else None,
                )

    async def _render(self) -> None:
        settings = self._settings  # the render's own: a reload meanwhile renders again
        limit, waves, keeps = (
            settings.label_value_max_length,
            settings.waves,
            settings.metrics.keeps,
        )
        if (waves, limit) != self._shape:  # a reload: nothing made before holds
            self._shape, self._members, self._readiness = (waves, limit), {}, {}
        accounts = sorted((account, dict(lists)) for account, lists in self._refs.items())
        members: dict[tuple[str, str], _Members] = {}
        readiness: dict[str, _Readiness] = {}
        lists: list[Lists] = []
        tasks: list[str] = []
        ready: list[str] = []
        blocked: list[str] = []
        now = self._clock()  # readiness moves with it (sync_stale): made at every render
        matching = max(1, MATCHES // max(1, len(waves.defined)))  # tasks a turn
        for account, refs in accounts:
            names = _projects(refs.get("sms_projects"))
            groups = _groups(refs.get("oms_groups"))
            lists.append(Lists(projects=names, groups=groups))
            if keeps(WAVE_TASK.name):
                services: tuple[tuple[str, type[SmsRef] | type[OmsRef], Parents, Pairs], ...] = (
                    (SMS, SmsRef, names, partial(sms_pairs, waves, account, projects=names)),
                    (OMS, OmsRef, groups, partial(oms_pairs, waves, account, groups=groups)),
                )
                for service, kind, parents, pairs in services:
                    key = (account, service)
                    part = await self._membership(
                        key, refs.get(service), kind, parents, pairs, limit, matching
                    )
                    members[key] = part
                    tasks += part.lines
            if "sms" in refs and (keeps(CUTOVER_READY.name) or keeps(CUTOVER_BLOCKED.name)):
                made = await self._ready(
                    account, refs["sms"], refs.get("sms_sources", []), now, settings
                )
                readiness[account] = made
                ready += made.ready
                blocked += made.blocked
        self._members, self._readiness = members, readiness
        async with turn():
            info, cutover, clashes = info_lines(waves, lists, limit)
        lines = {
            name: family
            for name, family in (
                (WAVE_INFO.name, info),
                (WAVE_CUTOVER.name, cutover),
                (WAVE_TASK.name, tasks),
                (CUTOVER_READY.name, ready),
                (CUTOVER_BLOCKED.name, blocked),
            )
            if keeps(name)
        }
        for wave in sorted(clashes - self._clashes):
            log.warning(
                "a configured wave has the name of a migration project or task group: the"
                " configured wave wins",
                wave=wave,
            )
        self._clashes |= clashes
        # Joined, encoded and compressed in the compressing thread: some MB of text.
        self._exposition = await off_loop(partial(_exposition, previous=self._exposition), lines)
        self._snapshot.replace(KEY, self._exposition)

    async def _membership(
        self,
        key: tuple[str, str],
        refs: list[Any] | None,
        kind: type[SmsRef] | type[OmsRef],
        parents: Parents,
        pairs: Pairs,
        limit: int,
        matching: int,
    ) -> _Members:
        """One account's member lines of one service: made again only when a task's name or
        parent, or the list of parents, differs from the last render's."""
        refs = refs or []
        old = self._members.get(key)
        async with turn():  # the same refs (no page changed): no task did
            if old is not None and old.parents == parents and _identical(old.refs, refs):
                return old
        tasks: list[Task] = []
        parent = "project_id" if kind is SmsRef else "group"

        def project(chunk: Sequence[Any]) -> None:
            tasks.extend(Task(k, r.task_name, getattr(r, parent)) for r, k in _of(chunk, kind))

        await in_turns(refs, project, STEP)
        async with turn():
            if old is not None and old.parents == parents and old.tasks == tasks:
                return _Members(refs, old.tasks, parents, old.lines)
        found: set[tuple[str, str]] = set()
        await in_turns(tasks, lambda chunk: found.update(pairs(chunk, limit=limit)), matching)
        async with turn():
            ordered = sorted(found)  # by wave and task
        lines: list[str] = []
        await in_turns(ordered, lambda pairs: lines.extend(member_lines(*key, pairs, limit)), STEP)
        return _Members(refs, tasks, parents, lines)

    async def _ready(
        self, account: str, sms: list[Any], sources: list[Any], now: float, settings: Settings
    ) -> _Readiness:
        """One account's readiness lines: the last render's while neither list changed and no
        sync grew stale; else each task's own while what it is made of is the same."""
        old = self._readiness.get(account)
        async with turn():
            if (
                old is not None
                and old.since <= now <= old.until  # (a clock set back: made again)
                and _identical(old.sms, sms)
                and _identical(old.sources, sources)
            ):
                return old
        servers = await _servers(sources)
        before = {} if old is None else old.tasks
        max_age = settings.waves.cutover_ready_max_sync_age_seconds
        limit = settings.label_value_max_length
        made = _Readiness(sms, sources, now, math.inf, {}, [], [])
        until = math.inf

        def step(chunk: Sequence[Any]) -> None:
            nonlocal until
            for ref, key in _of(chunk, SmsRef):
                server = servers.get(ref.server_id) if ref.server_id is not None else None
                end = ref.last_sync_end
                is_stale = stale(end, now=now, max_age=max_age)
                if end is not None and not is_stale:
                    until = min(until, end + max_age)
                agent = None if server is None else (server.connected, server.checks_failed)
                inputs = (ref.task_name, ref.state, agent, is_stale)
                task = before.get(key)
                if task is None or task.inputs != inputs:
                    joined = (
                        None if server is None else Server(server.connected, server.checks_failed)
                    )
                    task = _Ready(
                        inputs,
                        *task_lines(
                            account,
                            SmsTask(key, ref.task_name, text(ref.state), ref.server_id, end),
                            joined,
                            now=now,
                            max_age=max_age,
                            limit=limit,
                        ),
                    )
                made.tasks[key] = task
                if task.ready:
                    made.ready.append(task.ready)
                if task.blocked:
                    made.blocked.append(task.blocked)

        await in_turns(sms, step, STEP)
        return _Readiness(sms, sources, now, until, made.tasks, made.ready, made.blocked)


def _exposition(lines: Lines, previous: Exposition | None) -> Exposition | None:
    block = render_families(lines)
    return of_block(block, previous) if block else None


def _projects(refs: list[Any] | None) -> dict[str, str | None] | None:
    return None if refs is None else {k: r.project_name for r, k in _of(refs, ProjectRef)}


def _groups(refs: list[Any] | None) -> frozenset[str] | None:
    return None if refs is None else frozenset(k for _, k in _of(refs, GroupRef))


async def _servers(refs: list[Any]) -> dict[str, SourceRef]:
    servers: dict[str, SourceRef] = {}
    await in_turns(
        refs, lambda chunk: servers.update((k, r) for r, k in _of(chunk, SourceRef)), STEP
    )
    return servers


def _of(refs: Sequence[Any], kind: type[R]) -> list[tuple[R, str]]:
    """The refs of one list with their id (the poll kept only those with one)."""
    return [(ref, key) for ref in refs if isinstance(ref, kind) and (key := _key(ref)) is not None]


def _identical(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(map(operator.is_, a, b))


def _key(ref: Any) -> str | None:
    key: str | None = ref.key
    return key
