"""Every dashboard panel and variable query against real Prometheus (with the shipped recording
rules) scraping the exporter of a wave of 300 SMS tasks, their 300 source servers and 300 OMS
tasks, in migration projects, task groups and two configured waves (one late): each returns data, with the default settings and with the README's lean profile. The
slowest query is reported (the machine is shared: times are read, not asserted)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import make_tenant
from tests.e2e.harness import account_config, exporter, http_get, write_config
from tests.e2e.stack import Webhook, alertmanager, prometheus, query, stop
from tests.payloads import LEAN
from tests.promql import dashboard_queries, variable_queries

pytestmark = pytest.mark.e2e


def wave() -> FakeCloud:
    tenant = estate(
        make_tenant(),
        sms=300,
        oms=300,
        now=time.time(),
        subtasks=3,
        projects=5,  # the waves: SMS migration projects, OMS task groups (one failed to
        groups=10,  # create its tasks), and sync tasks, one of which stops
        syncs=20,
    )
    # One task stalled (running, its server's bytes short of the total and still), one agent
    # offline: so that the "now" tables have rows to show.
    stuck = tenant.sms_tasks[5]
    tenant.sms_overrides[stuck["id"]] = {"state": "RUNNING"}
    tenant.source_overrides[stuck["source_server"]["id"]] = {
        "replicatesize": 10**9,
        "totalsize": 10**12,
        "migration_cycle": "replicating",
    }
    tenant.source_overrides[tenant.sms_tasks[6]["source_server"]["id"]] = {"connected": False}
    return FakeCloud(tenants=[tenant])


def configured_waves(now: float) -> dict[str, Any]:
    """Two waves of the configuration beside the projects and groups: one on track, one whose
    deadline is a minute away (late as soon as it has an estimate)."""
    soon = datetime.fromtimestamp(now + 60, tz=UTC).isoformat(timespec="seconds")
    return {
        "defined": [
            {
                "name": "erp-cutover",
                "cutover": "2099-01-15T22:00:00+08:00",
                "match": {"task_name": "(sms|oms)-acct-a-000[0-4][0-9]"},
            },
            {"name": "crm-cutover", "cutover": soon, "match": {"task_name": "sms-acct-a-001.*"}},
        ]
    }


def timed(port: int, expr: str) -> tuple[str | None, int, float]:
    started = time.monotonic()
    error, series = query(port, expr)
    return error, series, time.monotonic() - started


def labelled(port: int, selector: str, label: str) -> int:
    """How many values a `label_values(selector, label)` variable would offer."""
    url = f"http://127.0.0.1:{port}/api/v1/series?" + urllib.parse.urlencode({"match[]": selector})
    status, body = http_get(url, timeout=10)
    assert status == 200, body[:300]
    return len({s.get(label) for s in json.loads(body)["data"] if s.get(label)})


@pytest.mark.parametrize("profile", ["default", "lean"])
def test_every_panel_and_variable_returns_data_for_a_wave(
    tmp_path: Path, webhook: Webhook, profile: str
) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    fake = wave()
    extra = (LEAN if profile == "lean" else {}) | {"waves": configured_waves(time.time())}
    with SimulatorThread(fake) as sim:
        config = write_config(
            tmp_path / "config.yaml", [account_config(fake.tenants[0], sim.url)], **extra
        )
        with exporter(["--config.file", str(config)], tmp_path) as proc:
            try:
                am, am_port = alertmanager(tmp_path, webhook)
                processes.append(am)
                prom, prom_port = prometheus(tmp_path, proc.port, am_port)
                processes.append(prom)
                proc.wait_ready(60)
                expressions = dashboard_queries()

                # Rates and stalls need a few samples: wait until every panel has its data.
                deadline, missing = time.monotonic() + 120, ["not asked yet"]
                while missing and time.monotonic() < deadline:
                    time.sleep(2)
                    missing = [w for w, expr in expressions if query(prom_port, expr)[1] == 0]
                assert not missing, missing
                empty, took = [], []
                for where, expr in expressions:
                    error, series, seconds = timed(prom_port, expr)
                    if error or series == 0:
                        empty.append(f"{where}: {error or 'no data'}")
                    took.append((seconds, where))
                for where, selector, label in variable_queries():
                    if labelled(prom_port, selector, label) == 0:
                        empty.append(f"{where}: no values")
                tasks = labelled(prom_port, "huaweicloud_sms_task_info", "task_id")
            finally:
                for process in processes:
                    stop(process)
    assert not empty, empty
    assert tasks >= 300
    slowest, where = max(took)
    print(f"{profile}: {len(took)} queries, the slowest {slowest:.3f} s ({where})")
