"""Whether an SMS task is ready to cut over, and what blocks it (DESIGN.md section 12): a pure
join of the task and its source server at `now`.

    huaweicloud_sms_task_cutover_ready{account="prod",task_id="t-1",task_name="db"} 0
    huaweicloud_sms_task_cutover_blocked{account="prod",task_id="t-1",task_name="db",
                                         reason="agent_disconnected"} 1

A task that is cut over (MIGRATE_SUCCESS) or aborted exports neither family. A blocker that
needs what the API did not give is not raised: a task whose source server is not listed is
not `agent_disconnected` (nor `check_failed`), one without any `SYNC_*` end not `sync_stale`.
A failed task is `failed`, not also `not_syncing` (which says the copy is still under way or
paused): one reason per cause, so that a task blocked by its own state alone is two series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from exporter.metrics.lines import Lines, labels_text, line, truncate
from exporter.waves.families import CUTOVER_BLOCKED, CUTOVER_READY

CUT_OVER = frozenset({"MIGRATE_SUCCESS", "ABORT"})
FAILED = frozenset({"MIGRATE_FAIL", "SYNC_FAIL"})
REASONS = ("failed", "not_syncing", "agent_disconnected", "check_failed", "sync_stale")


@dataclass(frozen=True, slots=True)
class SmsTask:
    id: str
    name: str | None
    state: str | None
    server: str | None  # its source server's id
    last_sync_end: float | None  # epoch s: the latest end of its SYNC_* sub-tasks


@dataclass(frozen=True, slots=True)
class Server:
    connected: bool | None  # the agent
    checks_failed: bool  # a check whose result is not OK


def blockers(task: SmsTask, server: Server | None, *, now: float, max_age: float) -> list[str]:
    """What blocks `task`'s cutover, in the order of REASONS; empty: ready."""
    found = []
    if task.state in FAILED:
        found.append("failed")
    elif task.state != "SYNCING":
        found.append("not_syncing")
    if server is not None and server.connected is False:
        found.append("agent_disconnected")
    if server is not None and server.checks_failed:
        found.append("check_failed")
    if stale(task.last_sync_end, now=now, max_age=max_age):
        found.append("sync_stale")
    return found


def stale(last_sync_end: float | None, *, now: float, max_age: float) -> bool:
    """Whether a task's last sync ended more than `max_age` ago: the clock's part."""
    return last_sync_end is not None and now - last_sync_end > max_age


def task_lines(
    account: str, task: SmsTask, server: Server | None, *, now: float, max_age: float, limit: int
) -> tuple[str, str]:
    """One task's ready line and its blocked lines (one str, empty when ready); ("", "") for a
    task cut over."""
    if task.state in CUT_OVER:
        return "", ""
    found = blockers(task, server, now=now, max_age=max_age)
    labels = labels_text(
        [
            ("account", account),
            ("task_id", truncate(task.id, limit)),
            ("task_name", truncate(task.name, limit)),
        ]
    )
    blocked = "".join(line(CUTOVER_BLOCKED.name, f'{labels},reason="{r}"', 1) for r in found)
    return line(CUTOVER_READY.name, labels, 0 if found else 1), blocked


def readiness(
    accounts: Mapping[str, tuple[Sequence[SmsTask], Mapping[str, Server]]],
    *,
    now: float,
    max_age: float,
    limit: int,
) -> Lines:
    """The readiness families of every account's SMS tasks (and their servers)."""
    ready, blocked = [], []
    for account, (tasks, servers) in accounts.items():
        for task in tasks:
            server = servers.get(task.server) if task.server is not None else None
            ready_line, blocked_lines = task_lines(
                account, task, server, now=now, max_age=max_age, limit=limit
            )
            ready += [ready_line] if ready_line else []
            blocked += [blocked_lines] if blocked_lines else []
    return {CUTOVER_READY.name: ready, CUTOVER_BLOCKED.name: blocked}
