"""What the exporters under test share: the simulated account, the configuration profiles,
and the naive baseline's figures line.

Each exporter runs in its own process, apart from the simulator and the scrapers, so that
none shares a CPU budget with another and each one's peak RSS is its own.
"""

from __future__ import annotations

import asyncio
import json
import resource
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from exporter.catalog import FAMILIES
from exporter.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# Five configured waves by task name (its last digit), beside the waves every migration project
# and task group makes: each task is in two waves.
FIVE_WAVES = [
    {"name": f"configured-{n}", "match": {"task_name": f".*[{2 * n}{2 * n + 1}]"}} for n in range(5)
]
# The wave view off: no wave from projects or groups, none configured, readiness denied.
NO_WAVE_VIEW: dict[str, Any] = {
    "waves": {"from_migration_projects": False, "from_task_groups": False},
    "metrics": {"denylist": ["huaweicloud_migration_wave_.*", "huaweicloud_sms_task_cutover_.*"]},
}

# name -> the settings it adds; each one a documented config block of the README.
PROFILES: dict[str, dict[str, Any]] = {
    "default": {},
    "finished tasks without details": {"collect": {"finished_task_details": False}},
    "no sub-task series": {"metrics": {"denylist": ["huaweicloud_sms_subtask_.*"]}},
    "lean": yaml.safe_load((ROOT / "examples" / "lean-profile.yaml").read_text()),
    # Before the lists of a wave's objects: the task lists and source servers alone.
    "without the wave lists": {
        "collect": {
            "migration_projects": False,
            "source_server_overview": False,
            "task_groups": False,
            "sync_tasks": False,
        }
    },
    "without the wave view": NO_WAVE_VIEW,
    "five configured waves": {"waves": {"defined": FIVE_WAVES}},
}


def settings(cloud: dict[str, str], port: int, extra: dict[str, Any] | None = None) -> Settings:
    return Settings.model_validate(
        {
            **(extra or {}),
            "poll_interval_seconds": 3600,  # polls are driven by the benchmark, not the clock
            "web": {"listen_address": f"127.0.0.1:{port}"},
            "accounts": [
                {
                    "name": "bench",
                    "region": cloud["region"],
                    "credentials": {
                        "access_key": cloud["access_key"],
                        "secret_key": cloud["secret_key"],
                    },
                    "sms": {"endpoint": cloud["url"]},
                    "oms": {"project_id": cloud["project_id"], "endpoint": cloud["url"]},
                }
            ],
        }
    )


@dataclass
class Figures:
    poll_wall: dict[str, float] = field(default_factory=dict)  # per service, seconds
    poll_cpu: dict[str, float] = field(default_factory=dict)  # whole poll, per service
    render_cpu: dict[str, float] = field(default_factory=dict)  # map + render, per service
    tasks: dict[str, int] = field(default_factory=dict)

    def emit(self) -> None:
        payload: dict[str, Any] = {
            **self.__dict__,
            "rss_after_polls_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        print(json.dumps(payload), flush=True)


@contextmanager
def measure(figures: Figures, service: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    figures.poll_wall[service] = time.perf_counter() - wall
    figures.poll_cpu[service] = time.process_time() - cpu


def read_cloud() -> dict[str, str]:
    cloud: dict[str, str] = json.loads(sys.argv[1])
    return cloud


async def serve_until_sigterm(app: web.Application, port: int) -> None:
    """Serve `app` on loopback until the orchestrator sends SIGTERM."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


def series_by_service(body: bytes) -> Counter[str]:
    """How many series of each list service (the catalogue's `service`) a plain body holds."""
    service = {family.name: family.service for family in FAMILIES}
    found: Counter[str] = Counter()
    for line in body.split(b"\n"):
        if line and not line.startswith(b"#"):
            name = line.split(b"{", 1)[0].split(b" ", 1)[0].decode()
            found[service.get(name, service.get(name.rsplit("_", 1)[0], "self"))] += 1
    return found
