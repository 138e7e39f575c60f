"""The pollers of the running configuration, and a new configuration applied to them in place.

    fleet = Fleet(snapshot, telemetry, session)
    fleet.apply(settings)      # at start
    fleet.apply(reloaded)      # on reload: only what changed changes

    once = Fleet(snapshot, telemetry, session, start=False)
    once.apply(settings)       # the same pollers, none of them started
    ok = await once.poll_once()  # `--once`, the tests and the benchmarks: each source once

This is the one place that goes over accounts x list services and builds their pollers: the
daemon, `--once`, the tests and the benchmarks all run what it builds.

A source (one list service of one account) whose shape did not change keeps its poller: its
data, its schedule, its counters. Added sources start; removed ones stop and their series go.
A changed source is restarted, its last data served until its first new poll. Rotated secrets
take effect on the next request, without touching any poller.

Every account speaks on the fleet's `Gates`, one per access key for the process's life: a
reload does not end a rejected key's back-off (a SIGHUP loop cannot hurry the lock-out), but
a new secret for the same key gets its one probe at once, and a new access key has a gate of
its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog

from exporter.exposition.snapshot import Snapshot
from exporter.huawei.gate import Gates, Voice
from exporter.huawei.http import RequestPolicy
from exporter.poller import Poller
from exporter.services import SERVICES
from exporter.settings import PROVIDER_KEYS, Account, Settings
from exporter.sources import (
    AccountClients,
    account_clients,
    authenticator,
    my_accounts,
    network_of,
    request_policy,
    source_of,
)
from exporter.telemetry import SourceKey, Telemetry
from exporter.waves.stage import Stage

log = structlog.get_logger(__name__)

SECRETS = ("access_key", "secret_key", "security_token", "password")


@dataclass
class _Account:
    shape: str  # what its clients are built from, secrets aside
    secrets: str  # a digest of its secret values, to notice a rotation
    clients: AccountClients


@dataclass
class _Running:
    shape: str
    poller: Poller
    task: asyncio.Task[None] | None  # None when the fleet does not start its pollers


@dataclass
class Changes:
    started: list[SourceKey] = field(default_factory=list)
    stopped: list[SourceKey] = field(default_factory=list)
    restarted: list[SourceKey] = field(default_factory=list)
    rotated: list[str] = field(default_factory=list)  # accounts whose secrets changed


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def _shapes(settings: Settings, account: Account) -> tuple[str, str]:
    """(the account's shape, a digest of its secrets): what forces new clients, and what a
    reload may swap in place."""
    creds = account.credentials
    shared = settings.model_dump(mode="json", include={"api"})
    shape = _json(
        [
            account.model_dump(mode="json", exclude={"credentials"}),
            creds.kind,
            creds.username,
            creds.domain_name,
            creds.model_dump(mode="json", include=set(PROVIDER_KEYS)),
            shared,
        ]
    )
    secrets = hashlib.sha256()
    for name in SECRETS:
        value = getattr(creds, name)
        secrets.update(b"\0" + (value.get_secret_value().encode() if value else b"-"))
    return shape, secrets.hexdigest()


def _source_shape(settings: Settings, account_shape: str, service: str) -> str:
    """Everything a source is built from but the secrets: when it changes, restart."""
    everything = settings.model_dump(mode="json", exclude={"accounts", "web", "log", "waves"})
    return _json([account_shape, service, everything])


def _new_chance(old: Voice, new: Voice) -> None:
    """A new secret for the same access key (or password for the same user): the old one was
    refused, or is about to be; the new one may be right, so it gets its one probe now rather
    than after the back-off the old one earned. (A new access key has a gate of its own.)"""
    if new.gate is old.gate and new.secret != old.secret:
        new.gate.lift()


class Fleet:
    """`start=False`: pollers are built but not run; `poll_once` polls them. `policy` stands
    in for the settings' `api` request policy (tests: short back-offs); `clock` is the wall
    clock of every poller, signature and back-off."""

    def __init__(
        self,
        snapshot: Snapshot,
        telemetry: Telemetry,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.time,
        policy: RequestPolicy | None = None,
        start: bool = True,
    ) -> None:
        self._snapshot = snapshot
        self._telemetry = telemetry
        self._session = session
        self._clock = clock
        self._policy = policy
        self._start = start
        self._accounts: dict[str, _Account] = {}
        self._running: dict[SourceKey, _Running] = {}
        self._stopping: set[asyncio.Task[None]] = set()
        self._gates = Gates(clock=clock)
        self._waves: Stage | None = None  # made by the first `apply`, from its settings
        telemetry.backoffs = self._gates.backoffs

    @property
    def pollers(self) -> list[Poller]:
        return [running.poller for running in self._running.values()]

    def apply(self, settings: Settings) -> Changes:
        """Make the running pollers those of `settings`, changing only what differs."""
        changes = Changes()
        if self._waves is None:
            self._waves = Stage(self._snapshot, self._telemetry, settings, clock=self._clock)
        else:
            self._waves.configure(settings)
        network, policy = network_of(settings), self._policy or request_policy(settings)
        wanted: dict[SourceKey, tuple[str, Any]] = {}
        accounts: dict[str, _Account] = {}
        for account in my_accounts(settings):
            shape, secrets = _shapes(settings, account)
            known = self._accounts.get(account.name)
            before = None if known is None else (known.secrets, known.clients.auth.voice)
            if known is None or known.shape != shape:
                clients = account_clients(
                    settings, account, self._session, network, policy, self._gates, self._clock
                )
                known = _Account(shape, secrets, clients)
            elif known.secrets != secrets:
                known.clients.rotate(
                    authenticator(account, self._session, self._clock, network, policy, self._gates)
                )
                known.secrets = secrets
                changes.rotated.append(account.name)
            if before is not None and before[0] != secrets:
                _new_chance(before[1], known.clients.auth.voice)
            accounts[account.name] = known
            for service in SERVICES:
                if service.enabled(settings, account):
                    key = (account.name, service.name)
                    wanted[key] = (_source_shape(settings, shape, service.name), (account, service))
        for key in [k for k in self._running if k not in wanted]:
            self._stop(key)
            self._snapshot.replace(key, None)
            self._waves.observe(key, None)
            self._telemetry.forget(key)
            changes.stopped.append(key)
        for key, (shape, (account, service)) in wanted.items():
            running = self._running.get(key)
            if running is not None and running.shape == shape:
                continue
            if running is not None:
                self._stop(key)
                changes.restarted.append(key)
            else:
                changes.started.append(key)
            source = source_of(
                settings,
                account,
                service,
                accounts[account.name].clients,
                self._session,
                self._telemetry,
                network,
                policy,
            )
            poller = Poller(
                source=source,
                snapshot=self._snapshot,
                telemetry=self._telemetry,
                interval=settings.poll_interval_seconds,
                stale_after=settings.stale_after,
                clock=self._clock,
                after=self._waves.observe,
            )
            task = None
            if self._start:
                task = asyncio.create_task(poller.run(), name=f"poll-{key[0]}-{key[1]}")
            self._running[key] = _Running(shape, poller, task)
        self._accounts = accounts
        self._snapshot.set_own(self._telemetry.render())
        return changes

    async def poll_once(self) -> bool:
        """Poll every source once, all at the same time; whether every poll succeeded. For a
        fleet that does not start its pollers: a started poller's polls must not overlap."""
        if self._start:
            raise RuntimeError("poll_once is for a fleet built with start=False")
        ok = all(await asyncio.gather(*(poller.poll_once() for poller in self.pollers)))
        return await self.settled() and ok

    async def settled(self) -> bool:
        """Until the wave families hold every poll so far (they are made after the polls);
        whether they could be made."""
        return True if self._waves is None else await self._waves.settled()

    def _stop(self, key: SourceKey) -> None:
        task = self._running.pop(key).task
        if task is not None:
            task.cancel()
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    async def close(self) -> None:
        for key in list(self._running):
            self._stop(key)
        await asyncio.gather(*self._stopping, return_exceptions=True)
        if self._waves is not None:
            await self._waves.close()
