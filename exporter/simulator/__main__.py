"""Run the simulated cloud on its own: `python -m exporter.simulator --sms 10000 --oms 10000`.

Prints one JSON line with its URL and the account's credentials (obviously fake), then serves
until interrupted. The benchmarks run it in a separate process so that it does not share a
CPU budget with the exporter being measured.
"""

from __future__ import annotations

import argparse
import asyncio
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
    )
    running = await start(FakeCloud(tenants=[tenant]), port=args.port)
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
    await stop.wait()
    await running.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporter.simulator")
    parser.add_argument("--sms", type=int, default=12, help="SMS tasks")
    parser.add_argument("--oms", type=int, default=8, help="OMS tasks")
    parser.add_argument("--subtasks", type=int, default=10, help="sub-tasks per SMS task")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--moving", action="store_true", help="tasks progress over time")
    asyncio.run(serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
