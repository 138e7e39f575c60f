"""Run the simulated cloud on its own: `python -m exporter.simulator --sms 10000 --oms 10000`.

Prints one JSON line with its URL and the account's credentials (obviously fake), then serves
until interrupted. The benchmarks run it in a separate process so that it does not share a
CPU budget with the exporter being measured, and steer it with `--control`: one command per
line on stdin (`latency SECONDS`, `freeze` the clock so that every answer stays the same,
`thaw` it), each acknowledged with a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import signal
import sys
import time

from exporter.simulator.cloud import FakeCloud, Tenant
from exporter.simulator.scenarios import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, estate
from exporter.simulator.server import start


async def serve(args: argparse.Namespace) -> None:
    tenant = Tenant(
        name="bench",
        access_key=DEMO_ACCESS_KEY,
        secret_key=DEMO_SECRET_KEY,
        project_id="b" * 32,
        latency=args.latency,
    )
    estate(
        tenant,
        sms=args.sms,
        oms=args.oms,
        now=time.time(),
        subtasks=args.subtasks,
        plans=args.moving,
        projects=args.projects,
        groups=args.groups,
        syncs=args.syncs,
    )
    cloud = FakeCloud(tenants=[tenant])
    running = await start(cloud, port=args.port)
    print(
        json.dumps(
            {
                "url": running.url,
                "access_key": tenant.access_key,
                "secret_key": tenant.secret_key,
                "project_id": tenant.project_id,
                "region": tenant.region,
            }
        ),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    steering = asyncio.create_task(control(cloud, tenant)) if args.control else None
    await stop.wait()
    if steering is not None:
        steering.cancel()
    await running.close()


async def control(cloud: FakeCloud, tenant: Tenant) -> None:
    """Commands on stdin, one per line, each acknowledged on stdout."""
    while line := await asyncio.to_thread(sys.stdin.readline):
        word, *args = line.split() or [""]
        if word == "latency":
            tenant.latency = float(args[0])
        elif word == "freeze":
            cloud.clock = functools.partial(float, cloud.clock())  # always that instant
        elif word == "thaw":
            cloud.clock = time.time
        else:
            print(json.dumps({"error": f"unknown command {word!r}"}), flush=True)
            continue
        print(json.dumps({"done": word}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporter.simulator")
    parser.add_argument("--sms", type=int, default=12, help="SMS tasks")
    parser.add_argument("--oms", type=int, default=8, help="OMS tasks")
    parser.add_argument("--subtasks", type=int, default=10, help="sub-tasks per SMS task")
    parser.add_argument("--projects", type=int, default=0, help="SMS migration projects")
    parser.add_argument("--groups", type=int, default=0, help="OMS task groups")
    parser.add_argument("--syncs", type=int, default=0, help="OMS sync tasks")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--moving", action="store_true", help="tasks progress over time")
    parser.add_argument("--control", action="store_true", help="read commands on stdin")
    asyncio.run(serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
