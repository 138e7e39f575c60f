"""One loop per (account, service): fetch, render and write each page -> swap.

Each page is rendered as it arrives, while the others are still on their way (an item whose
JSON did not change since the last poll is not rendered again), and written at once as a part
of the source's new exposition (`exposition.Assembly`), compressed off the event loop. The
exposition is swapped in whole. Scrapes and the other sources' polls go on meanwhile.

Polls of one source never overlap; an overrun skips the ticks it missed. A failed poll keeps
the previous data, sets `up` to 0, and after `stale_after` seconds without success drops the
source's task series so nobody graphs frozen data as live.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from exporter.exposition.assembly import Reuse
from exporter.exposition.render import ItemRenderer, Rendered
from exporter.exposition.snapshot import Snapshot
from exporter.exposition.turns import turn
from exporter.huawei.errors import ApiError, ApiTimeoutError, InternalError
from exporter.huawei.http import answer_by
from exporter.huawei.paging import Listing
from exporter.huawei.payload import ListedPage
from exporter.memory import release_free_memory
from exporter.metrics.family import Mapper
from exporter.metrics.lines import Lines, render_families, truncate
from exporter.services.service import ListService
from exporter.telemetry import SourceKey, Telemetry

log = structlog.get_logger(__name__)

PageHook = Callable[[int, ListedPage[Any, Any]], Awaitable[list[Rendered]]]  # -> rendered
Fetch = Callable[[PageHook], Awaitable[Listing[Rendered]]]


@dataclass
class Source:
    """One list service of one account: how to list it, and how its items become lines."""

    account: str
    service: ListService[Any, Any]
    options: Any  # the service's options for this account: `service.options(settings, account)`
    fetch: Fetch  # lists every item, handing each page to the hook as it arrives
    label_limit: int = 128  # label values are cut to this length

    @property
    def key(self) -> SourceKey:
        return (self.account, self.service.name)

    @property
    def families(self) -> tuple[str, ...]:
        """The service's family names, in exposition order."""
        return tuple(family.name for family in self.service.families)

    def mapper(self) -> Mapper:
        """A decoded item -> its text per family."""
        return self.service.mapper(self.account, self.options)

    def summary(self, items: Sequence[Rendered]) -> Lines:
        """The families over all items at once (counts per state), from the refs of those
        with an id."""
        refs = [item.ref for item in items if item.key is not None]
        return self.service.counts(self.account, refs, self.options)

    def state_of(self, item: Any) -> str | None:
        """An item's state as the state-change counter labels it: cut like any label value."""
        state = self.service.state_of(item.ref)
        return None if state is None else truncate(state, self.label_limit)


@dataclass
class Poller:
    source: Source
    snapshot: Snapshot
    telemetry: Telemetry
    interval: float
    stale_after: float
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests run `run` on a fake clock
    # What runs after the polls (the wave stage): each successful poll's refs, None when the
    # source's series are dropped.
    after: Callable[[SourceKey, Sequence[Any] | None], None] | None = None
    _states: dict[str, str] = field(default_factory=dict)  # task id -> state at the last poll
    _bugs_seen: set[type[BaseException]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.status = self.telemetry.source(*self.source.key)
        self.renderer = ItemRenderer(
            self.source.families, self.source.mapper(), self.source.label_limit
        )
        self.reuse = Reuse(self.renderer)  # the render cache and the last exposition

    async def run(self) -> None:
        """Poll every `interval` seconds until cancelled."""
        next_at = self.monotonic()
        while True:
            await self.poll_once()
            next_at += self.interval
            now = self.monotonic()
            if now > next_at:  # the poll overran: skip the missed ticks, keep the phase
                missed = int((now - next_at) // self.interval) + 1
                next_at += missed * self.interval
                log.warning(
                    "poll overran its interval",
                    account=self.source.account,
                    service=self.source.service.name,
                    skipped_ticks=missed,
                )
            await self.sleep(next_at - now)

    async def poll_once(self) -> bool:
        """One poll; True when it succeeded. Never raises (except on cancellation)."""
        # Every log line of the poll, the HTTP layer's included, names the account and service.
        with structlog.contextvars.bound_contextvars(
            account=self.source.account, service=self.source.service.name
        ):
            return await self._poll()

    async def _poll(self) -> bool:
        started = self.monotonic()
        status = self.status
        key = self.source.key
        ok = False
        try:
            assembly = self.reuse.assembly()
            async with asyncio.timeout(self.interval) as deadline:
                with answer_by(deadline.when()):  # no retry waits past the poll's end
                    listing = await self.source.fetch(assembly.page)
                items = listing.items
                async with turn():  # each step over every item is some ms: one at a time
                    # A task listed without an id cannot be a series: it counts as not exported.
                    not_fetched = listing.not_fetched + self._count_changes(items)
                async with turn():
                    cpu = time.process_time()
                    summary = self.source.summary(items)
                    status.render_cpu = self.renderer.cpu + time.process_time() - cpu
                exposition = await assembly.finish(items, render_families(summary))
            self.snapshot.replace(key, exposition)  # one step: scrapes see old or new
            self.reuse.keep(exposition)
            if self.after is not None:
                self.after(key, [item.ref for item in items if item.key is not None])
            skipped = sum(1 for item in items if item.failed)
            status.tasks = len(items)
            status.not_exported = not_fetched + skipped
            status.out_of_domain = sum(item.out_of_domain for item in items)
            del listing, items, exposition, assembly
            await asyncio.to_thread(release_free_memory)  # it walks the whole heap
            if skipped:
                log.warning(
                    "tasks skipped: the mapping could not take them",
                    account=self.source.account,
                    service=self.source.service.name,
                    skipped=skipped,
                )
            status.last_success = self.clock()
            status.last_error = None
            status.last_api_error = None
            ok = True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broad catch: a poll never kills the daemon
            reason, message = _describe(exc)
            status.errors[reason] += 1
            status.last_error = f"{reason}: {message}"
            if isinstance(exc, ApiError) and (exc.error_code or exc.request_id):
                # Kept past the back-off's own errors: what a Huawei support ticket needs.
                status.last_api_error = exc.answer(self.clock())
            # A bug's traceback once per kind of exception: enough to report it, not a flood.
            first_bug = reason == InternalError.reason and type(exc) not in self._bugs_seen
            self._bugs_seen.add(type(exc))
            log.error(
                "poll failed",
                account=self.source.account,
                service=self.source.service.name,
                reason=reason,
                error=message,
                duration_s=round(self.monotonic() - started, 3),
                exc_info=exc if first_bug else None,
            )
            self._drop_if_stale()
        finally:
            status.polled = True
            status.up = ok
            status.last_poll = self.clock()
            status.poll_duration = self.monotonic() - started
            self.snapshot.set_own(self.telemetry.render())
        if ok:
            log.info(
                "poll finished",
                account=self.source.account,
                service=self.source.service.name,
                tasks=status.tasks,
                not_exported=status.not_exported,
                duration_s=round(status.poll_duration or 0.0, 3),
            )
        return ok

    def _count_changes(self, tasks: Sequence[Any]) -> int:
        """Count state changes since the last poll, and the tasks running and failed now;
        returns how many tasks had no id."""
        states: dict[str, str] = {}
        anonymous = 0
        service = self.source.service
        running, failed = service.running_states, service.failed_states
        for task in tasks:
            key = task.key
            if key is None:
                anonymous += 1
                continue
            state = self.source.state_of(task)
            if state is None:
                continue
            states[key] = state
            before = self._states.get(key)
            if before is not None and before != state:
                # An invented state must not become a series of its own (the API is hostile
                # until bounded): `to` takes catalogue states only.
                to = state if state in service.known_states else "other"
                self.status.changes[to] += 1
        self._states = states
        self.status.running = sum(1 for state in states.values() if state in running)
        self.status.failed = sum(1 for state in states.values() if state in failed)
        return anonymous

    def _drop_if_stale(self) -> None:
        since = self.status.last_success
        if since is None or self.clock() - since < self.stale_after:
            return
        if self.snapshot.has_source(self.source.key):
            log.warning(
                "dropping stale task series",
                account=self.source.account,
                service=self.source.service.name,
                stale_s=round(self.clock() - since),
            )
            self.forget()

    def forget(self) -> None:
        """Drop the source's series and all this poller kept of the last poll: the next poll
        renders every item afresh, as the first one after a start does."""
        self.snapshot.replace(self.source.key, None)
        self.reuse.forget()
        if self.after is not None:
            self.after(self.source.key, None)


def _describe(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ApiError):
        return exc.reason, str(exc)
    if isinstance(exc, TimeoutError):
        return ApiTimeoutError.reason, "poll did not finish within its interval"
    # Anything else is a bug of ours, not a bad answer: say so (with its traceback, once).
    return InternalError.reason, f"unexpected {type(exc).__name__} in the exporter"
