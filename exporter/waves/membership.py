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

from exporter.metrics.lines import Lines, labels_text, line, truncate
from exporter.settings import Wave, Waves
from exporter.waves.families import WAVE_CUTOVER, WAVE_INFO, WAVE_TASK

SMS, OMS = "sms", "oms"  # the `service` label of a member task


@dataclass(frozen=True, slots=True)
class Task:
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
    """The wave families' lines, and the configured waves whose name a project or group has."""
    configured = {wave.name: wave for wave in waves.defined}
    origins = dict.fromkeys(configured, "config")
    clashes: set[str] = set()
    members: set[tuple[str, str, str, str]] = set()

    def found(name: str | None, origin: str) -> str | None:
        """The wave of a listed project or group; None when there is none of its own."""
        if not name:
            return None
        wave = truncate(name, limit)
        if wave in configured:
            clashes.add(wave)
            return None
        origins.setdefault(wave, origin)
        return wave

    for account, lists in accounts.items():
        projects: Mapping[str, str | None] = lists.projects or {}
        project_waves: dict[str, str | None] = {}
        if waves.from_migration_projects:
            project_waves = {
                id_: found(name, "sms_migration_project") for id_, name in projects.items()
            }
        group_waves: dict[str, str | None] = {}
        if waves.from_task_groups:
            group_waves = {id_: found(id_, "oms_task_group") for id_ in lists.groups or ()}
        for task in lists.sms or ():
            project = projects.get(task.parent) if task.parent is not None else None
            own = project_waves.get(task.parent) if task.parent is not None else None
            named = _configured(configured.values(), account, task, migration_project=project)
            members.update((wave, account, SMS, task.id) for wave in _waves(own, named))
        for task in lists.oms or ():
            own = group_waves.get(task.parent) if task.parent is not None else None
            named = _configured(configured.values(), account, task, task_group=task.parent)
            members.update((wave, account, OMS, task.id) for wave in _waves(own, named))
    return _lines(configured, origins, members, limit), clashes


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


def _lines(
    configured: Mapping[str, Wave],
    origins: Mapping[str, str],
    members: set[tuple[str, str, str, str]],
    limit: int,
) -> Lines:
    info = [
        line(WAVE_INFO.name, labels_text([("wave", wave), ("origin", origin)]), 1)
        for wave, origin in sorted(origins.items())
    ]
    cutover = [
        line(WAVE_CUTOVER.name, labels_text([("wave", name)]), deadline)
        for name, wave in sorted(configured.items())
        if (deadline := wave.cutover_timestamp) is not None
    ]
    tasks = [
        line(
            WAVE_TASK.name,
            labels_text(
                [
                    ("wave", wave),
                    ("account", account),
                    ("service", service),
                    ("task_id", truncate(task_id, limit)),
                ]
            ),
            1,
        )
        for wave, account, service, task_id in sorted(members)
    ]
    return {WAVE_INFO.name: info, WAVE_CUTOVER.name: cutover, WAVE_TASK.name: tasks}
