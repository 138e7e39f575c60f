"""The exporter's pollers for a test, built where the daemon and `--once` build them: the fleet.

    built = build(settings, session, policy=FAST)   # every source of `settings`, none started
    assert await built.poller("sms").poll_once()    # acct-a's SMS tasks, once
    polled = await poll_all(settings, policy=FAST)  # every source once, at the same time
    assert polled.ok and polled.telemetry.sources[("acct-a", "oms")].up

A fleet that does not start its pollers owns no poll task, only the wave stage's, done once
`poll_once` (or `fleet.settled()`) returns: there is nothing to close but the HTTP session,
which is the caller's (or, for `poll_all` without one, its own).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Fleet
from exporter.huawei.http import RequestPolicy
from exporter.poller import Poller
from exporter.settings import Settings
from exporter.sources import new_session
from exporter.telemetry import Telemetry


@dataclass
class Built:
    fleet: Fleet
    snapshot: Snapshot
    telemetry: Telemetry

    @property
    def pollers(self) -> list[Poller]:
        """In the fleet's order: account by account, each account's services in turn."""
        return self.fleet.pollers

    def poller(self, service: str, account: str = "acct-a") -> Poller:
        (poller,) = [p for p in self.pollers if p.source.key == (account, service)]
        return poller


@dataclass
class Polled:
    ok: bool  # every poll succeeded
    snapshot: Snapshot
    telemetry: Telemetry
    pollers: list[Poller]


def build(
    settings: Settings,
    session: aiohttp.ClientSession,
    *,
    policy: RequestPolicy | None = None,
    clock: Callable[[], float] = time.time,
    snapshot: Snapshot | None = None,
    telemetry: Telemetry | None = None,
) -> Built:
    """The fleet of `settings`, its pollers built and not started (as `--once` builds them);
    `policy` instead of the settings' own, `clock` for every poller, signature and back-off."""
    snapshot = Snapshot() if snapshot is None else snapshot
    telemetry = Telemetry() if telemetry is None else telemetry
    fleet = Fleet(snapshot, telemetry, session, policy=policy, clock=clock, start=False)
    fleet.apply(settings)
    return Built(fleet, snapshot, telemetry)


async def poll_all(
    settings: Settings,
    *,
    session: aiohttp.ClientSession | None = None,
    policy: RequestPolicy | None = None,
    clock: Callable[[], float] = time.time,
) -> Polled:
    """Every source of `settings` polled once, all at the same time, as `--once` polls."""
    if session is None:
        async with new_session() as own:
            return await poll_all(settings, session=own, policy=policy, clock=clock)
    built = build(settings, session, policy=policy, clock=clock)
    ok = await built.fleet.poll_once()
    return Polled(ok, built.snapshot, built.telemetry, built.pollers)
