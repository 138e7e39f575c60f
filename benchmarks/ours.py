"""Our exporter under benchmark: the real pollers, snapshot and server, steered on stdin.

    python -m benchmarks.ours '<simulator json>' PORT [PROFILE [SETTINGS-JSON]]

It serves /metrics from the start and answers one JSON line per command:

    poll SERVICE     one poll of one source: wall, CPU, items, items rendered afresh
    cold SERVICE     the same, after forgetting all of its last poll (as after a start)
    poll-all         every source at once, as the daemon polls: wall per source, total CPU
    storm SECONDS    poll-all over and over for that long (scrapes are timed meanwhile)
    memory           peak and current RSS, and the bytes the snapshot holds
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from benchmarks.common import PROFILES, settings
from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Fleet
from exporter.memory import freeze_startup_objects
from exporter.poller import Poller
from exporter.sources import new_session
from exporter.telemetry import Telemetry
from exporter.web.server import make_app


async def timed_poll(poller: Poller, fleet: Fleet | None) -> dict[str, Any]:
    """One poll, and with `fleet` the wave stage's render after it (the poll's work, done
    after it)."""
    requests = sum(poller.status.requests.values())
    wall, cpu = time.perf_counter(), time.process_time()
    ok = await poller.poll_once()
    if fleet is not None:
        await fleet.settled()
    return {
        "ok": ok,
        "requests": sum(poller.status.requests.values()) - requests,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "render_cpu": poller.status.render_cpu or 0.0,
        "items": poller.status.tasks,
        "rendered": poller.renderer.rendered,
    }


async def poll_all(by_service: dict[str, Poller], fleet: Fleet) -> dict[str, Any]:
    """Every source at once: wall per source, and the CPU of all and of the wave stage's
    renders after them."""
    cpu = time.process_time()
    results = await asyncio.gather(*(timed_poll(p, None) for p in by_service.values()))
    await fleet.settled()
    return {
        "ok": all(r["ok"] for r in results),
        "wall": {service: r["wall"] for service, r in zip(by_service, results, strict=True)},
        "cpu": time.process_time() - cpu,
    }


def memory() -> dict[str, float]:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {key: int(status[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS")}


async def answer(
    command: list[str], by_service: dict[str, Poller], fleet: Fleet, snapshot: Snapshot
) -> dict[str, Any]:
    word, args = command[0], command[1:]
    gc.collect()  # what the last command left does not land on this one
    if word == "poll":
        return await timed_poll(by_service[args[0]], fleet)
    if word == "cold":
        by_service[args[0]].forget()
        gc.collect()
        return await timed_poll(by_service[args[0]], fleet)
    if word == "poll-all":
        return await poll_all(by_service, fleet)
    if word == "storm":
        deadline, polls = time.monotonic() + float(args[0]), 0
        while time.monotonic() < deadline:
            await poll_all(by_service, fleet)
            polls += 1
        return {"polls": polls}
    if word == "memory":
        return {**memory(), "held": snapshot.held_bytes()}
    return {"error": f"unknown command {word!r}"}


async def main() -> None:
    freeze_startup_objects()  # as the CLI does
    profile = sys.argv[3] if len(sys.argv) > 3 else "default"
    extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    config = settings(json.loads(sys.argv[1]), int(sys.argv[2]), {**PROFILES[profile], **extra})
    snapshot, telemetry = Snapshot(), Telemetry()
    async with new_session() as session:
        fleet = Fleet(snapshot, telemetry, session, start=False)  # built as the daemon builds
        fleet.apply(config)
        by_service = {poller.source.service.name: poller for poller in fleet.pollers}
        runner = web.AppRunner(make_app(snapshot, telemetry), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", config.web.port).start()
        print(json.dumps({"ready": list(by_service)}), flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            if line.split():
                print(
                    json.dumps(await answer(line.split(), by_service, fleet, snapshot)), flush=True
                )
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
