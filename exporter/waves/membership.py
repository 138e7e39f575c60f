"""Which tasks are in which wave: a pure join of one poll's lists of each account and the
configuration's waves, into the wave families' lines (DESIGN.md section 12).

    lines, clashes = join(waves, {"prod": Lists(sms=[Task("t-1", "erp-db", "mp-1")],
                                                projects={"mp-1": "erp"})}, limit=128)
    huaweicloud_migration_wave_info{wave="erp",origin="sms_migration_project"} 1
    huaweicloud_migration_wave_task{wave="erp",account="prod",service="sms",task_id="t-1"} 1

A wave is each SMS migration project listed (its name), each OMS task group listed (its
group_id), and each wave of the configuration. A configured wave's name wins over a project or
group of the same name: that project or group is then no wave of its own, and its tasks are in
the configured wave only if they match it (`clashes` names such waves, for a log line). A
project name equal to a group id makes one wave, of the project's origin, holding both.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import msgspec

from exporter.metrics.lines import Lines, labels_text, line, truncate
from exporter.settings import Wave, Waves
from exporter.waves.families import WAVE_CUTOVER, WAVE_INFO, WAVE_TASK

SMS, OMS = "sms", "oms"  # the `service` label of a member task


class Task(msgspec.Struct, frozen=True, gc=False):
    """What places a task in its waves. A struct the collector does not track, compared in C:
    the stage keeps and compares one per task (10,000s)."""

    id: str
    name: str | None
    parent: str | None  # an SMS task's migration project id; an OMS task's group_id


@dataclass(frozen=True, slots=True)
class Lists:
    """What one account's last polls listed; None where a list is not polled (or not yet)."""

    sms: Sequence[Task] | None = None
    oms: Sequence[Task] | None = None
    projects: Mapping[str, str | None] | None = None  # migration project id -> its name
    groups: Collection[str] | None = None  # OMS group ids


def join(waves: Waves, accounts: Mapping[str, Lists], limit: int) -> tuple[Lines, set[str]]:
    """The wave families' lines, and the configured waves whose name a project or group has:
    `info`, then each account's `sms_members` and `oms_members` (the stage keeps those
    apart, to redo only the part whose lists changed)."""
    info_lines, cutover, clashes = info(waves, accounts.values(), limit)
    tasks: list[str] = []
    for account, lists in accounts.items():
        tasks += sms_members(waves, account, lists.sms, lists.projects, limit)
        tasks += oms_members(waves, account, lists.oms, lists.groups, limit)
    return {WAVE_INFO.name: info_lines, WAVE_CUTOVER.name: cutover, WAVE_TASK.name: tasks}, clashes


def info(
    waves: Waves, accounts: Iterable[Lists], limit: int
) -> tuple[list[str], list[str], set[str]]:
    """The lines of every wave and of every deadline, and the names that clash."""
    configured = {wave.name for wave in waves.defined}
    origins = dict.fromkeys(configured, "config")  # a configured wave wins its name
    listed: set[str] = set()
    for lists in accounts:
        found: list[tuple[str | None, str]] = []
        if waves.from_migration_projects:
            found += [(name, "sms_migration_project") for name in (lists.projects or {}).values()]
        if waves.from_task_groups:
            found += [(group, "oms_task_group") for group in lists.groups or ()]
        for name, origin in found:
            if name:
                wave = truncate(name, limit)
                listed.add(wave)
                origins.setdefault(wave, origin)
    clashes = configured & listed
    info_lines = [
        line(WAVE_INFO.name, labels_text([("wave", wave), ("origin", origin)]), 1)
        for wave, origin in sorted(origins.items())
    ]
    cutover = [
        line(WAVE_CUTOVER.name, labels_text([("wave", wave.name)]), deadline)
        for wave in sorted(waves.defined, key=lambda wave: wave.name)
        if (deadline := wave.cutover_timestamp) is not None
    ]
    return info_lines, cutover, clashes


def _own(name: str | None, configured: Collection[str], limit: int) -> str | None:
    """The wave a listed project or group makes: none when unnamed, or a configured wave's."""
    if not name:
        return None
    wave = truncate(name, limit)
    return None if wave in configured else wave


def sms_members(
    waves: Waves,
    account: str,
    tasks: Sequence[Task] | None,
    projects: Mapping[str, str | None] | None,
    limit: int,
) -> list[str]:
    """The membership lines of one account's SMS tasks, sorted by wave and task."""
    pairs = sms_pairs(waves, account, tasks, projects, limit)
    return member_lines(account, SMS, sorted(pairs), limit)


def oms_members(
    waves: Waves,
    account: str,
    tasks: Sequence[Task] | None,
    groups: Collection[str] | None,
    limit: int,
) -> list[str]:
    """The membership lines of one account's OMS tasks, sorted by wave and task."""
    pairs = oms_pairs(waves, account, tasks, groups, limit)
    return member_lines(account, OMS, sorted(pairs), limit)


def sms_pairs(
    waves: Waves,
    account: str,
    tasks: Sequence[Task] | None,
    projects: Mapping[str, str | None] | None,
    limit: int,
) -> set[tuple[str, str]]:
    """(wave, task id) of each wave each of these SMS tasks is in: `sms_members` over some
    of an account's tasks at a time (the stage's turns)."""
    configured = {wave.name: wave for wave in waves.defined}
    names: Mapping[str, str | None] = projects or {}
    own: dict[str, str | None] = {}
    if waves.from_migration_projects:
        own = {id_: _own(name, configured, limit) for id_, name in names.items()}
    members: set[tuple[str, str]] = set()
    for task in tasks or ():
        project = names.get(task.parent) if task.parent is not None else None
        mine = own.get(task.parent) if task.parent is not None else None
        named = _configured(configured.values(), account, task, migration_project=project)
        members.update((wave, task.id) for wave in _waves(mine, named))
    return members


def oms_pairs(
    waves: Waves,
    account: str,
    tasks: Sequence[Task] | None,
    groups: Collection[str] | None,
    limit: int,
) -> set[tuple[str, str]]:
    """(wave, task id) of each wave each of these OMS tasks is in (see `sms_pairs`)."""
    configured = {wave.name: wave for wave in waves.defined}
    own: dict[str, str | None] = {}
    if waves.from_task_groups:
        own = {group: _own(group, configured, limit) for group in groups or ()}
    members: set[tuple[str, str]] = set()
    for task in tasks or ():
        mine = own.get(task.parent) if task.parent is not None else None
        named = _configured(configured.values(), account, task, task_group=task.parent)
        members.update((wave, task.id) for wave in _waves(mine, named))
    return members


def _configured(
    waves: Iterable[Wave],
    account: str,
    task: Task,
    *,
    migration_project: str | None = None,
    task_group: str | None = None,
) -> list[str]:
    name = task.name or ""
    return [
        wave.name
        for wave in waves
        if wave.matches(
            account=account,
            task_name=name,
            migration_project=migration_project,
            task_group=task_group,
        )
    ]


def _waves(own: str | None, named: list[str]) -> list[str]:
    return [own, *named] if own is not None else named


def member_lines(
    account: str, service: str, members: Iterable[tuple[str, str]], limit: int
) -> list[str]:
    """The membership lines of (wave, task id) pairs, in their order."""
    head = labels_text([("account", account), ("service", service)])
    return [
        line(
            WAVE_TASK.name,
            f"{labels_text([('wave', wave)])},{head},"
            f"{labels_text([('task_id', truncate(task_id, limit))])}",
            1,
        )
        for wave, task_id in members
    ]
