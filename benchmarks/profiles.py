"""What each configuration profile exports and costs: series per task (and per source server)
and the CPU of a poll, measured on the simulator's moving estate.

    python -m benchmarks.profiles                 # 10,000 SMS tasks + servers, 10,000 OMS
    python -m benchmarks.profiles --tasks 1000

The simulator runs in its own process; each profile is polled twice in this one (the second
poll is measured) through the real wiring, and the exposition is counted line by line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from typing import Any

from benchmarks.common import PROFILES, series_by_service, settings
from exporter import log
from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Fleet
from exporter.memory import freeze_startup_objects
from exporter.sources import new_session
from exporter.telemetry import Telemetry


async def measure(cloud: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    config = settings(cloud, 0, extra)
    snapshot, telemetry = Snapshot(), Telemetry()
    cpu: dict[str, float] = {}
    items: dict[str, int] = {}
    async with new_session() as session:
        fleet = Fleet(snapshot, telemetry, session, start=False)  # built as the daemon builds
        fleet.apply(config)
        for poller in fleet.pollers:
            service = poller.source.service.name
            assert await poller.poll_once()
            gc.collect()
            started = time.process_time()
            assert await poller.poll_once()
            cpu[service] = time.process_time() - started
            items[service] = poller.status.tasks
    body = snapshot.body(openmetrics=False)
    series = series_by_service(body)
    return {
        "cpu": cpu,
        "per_item": {s: series[s] / items[s] for s in items if items[s]},
        "bytes": len(body),
    }


def main(argv: list[str] | None = None) -> int:
    log.configure("warning")
    freeze_startup_objects()  # as the CLI does
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiles")
    parser.add_argument("--tasks", type=int, default=10_000, help="SMS tasks, and OMS tasks")
    args = parser.parse_args(argv)
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exporter.simulator",
            "--sms",
            str(args.tasks),
            "--oms",
            str(args.tasks),
            "--moving",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert simulator.stdout is not None
        cloud = json.loads(simulator.stdout.readline())
        rows = [
            "| profile | series per SMS task | per source server | per OMS task | "
            "poll CPU sms / sms_sources / oms | exposition |",
            "|---|---|---|---|---|---|",
        ]
        for name, extra in PROFILES.items():
            got = asyncio.run(measure(cloud, extra))
            per, cpu = got["per_item"], got["cpu"]
            rows.append(
                f"| {name} | {per.get('sms', 0):.1f} | {per.get('sms_sources', 0):.1f} | "
                f"{per.get('oms', 0):.1f} | {cpu.get('sms', 0):.2f} s / "
                f"{cpu.get('sms_sources', 0):.2f} s / {cpu.get('oms', 0):.2f} s | "
                f"{got['bytes'] / 1e6:.1f} MB |"
            )
        print(
            f"{args.tasks:,} SMS tasks (one source server each) and {args.tasks:,} OMS tasks, "
            "moving; the second poll of each source measured.\n"
        )
        print("\n".join(rows))
    finally:
        simulator.terminate()
        simulator.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
