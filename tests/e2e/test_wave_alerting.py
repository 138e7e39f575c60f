"""Waves through real Prometheus (the shipped rules, `for:` cut to seconds) and Alertmanager.

A known scenario: three SMS tasks, all SYNCING at 1 Mbit/s with nothing replicated yet (the
simulator's sizes: 20, 40 and 60 GiB), agents connected, checks OK. Wave `late-wave` (the first
two) cuts over in an hour and cannot make it; `on-track` (the third) has a year. The recording
rules give the wave's counts, bytes left, rate, estimate, ready ratio and health; the late wave
pages HuaweiCloudMigrationWaveWillMissCutover and the other does not. Then the third task's
agent drops: it goes from ready to blocked and HuaweiCloudMigrationWaveCutoverReadinessDropped
pages with reason `agent_disconnected`.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import make_tenant
from tests.e2e.harness import account_config, exporter, http_get, wait_for, write_config
from tests.e2e.stack import GRAFANA_BASE, Webhook, alertmanager, prometheus, stop

pytestmark = pytest.mark.e2e

GIB = 1 << 30


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def values(port: int, expr: str) -> dict[str, float]:
    """An instant query's values by their `wave` label (or `reason`, for blockers)."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, body = http_get(url, timeout=10)
    payload = json.loads(body)
    assert status == 200 and payload["status"] == "success", payload
    return {
        r["metric"].get("wave", r["metric"].get("reason", "")): float(r["value"][1])
        for r in payload["data"]["result"]
    }


def test_a_late_wave_pages_and_a_dropped_agent_pages_readiness(
    tmp_path: Path, webhook: Webhook
) -> None:
    now = time.time()
    tenant = estate(make_tenant("acct-w"), sms=3, oms=0, now=now, plans=False)
    tasks = tenant.sms_tasks
    for task in tasks:
        tenant.sms_overrides[task["id"]] = {"state": "SYNCING", "migrate_speed": 1.0}
    waves = {
        "from_migration_projects": False,
        "from_task_groups": False,
        "defined": [
            {
                "name": "late-wave",
                "cutover": rfc3339(now + 3600),
                "match": {"task_name": f"({tasks[0]['name']}|{tasks[1]['name']})"},
            },
            {
                "name": "on-track",
                "cutover": rfc3339(now + 365 * 86400),
                "match": {"task_name": tasks[2]["name"]},
            },
        ],
    }
    processes: list[subprocess.Popen[bytes]] = []
    with SimulatorThread(FakeCloud(tenants=[tenant])) as sim:
        config = write_config(
            tmp_path / "config.yaml", [account_config(tenant, sim.url)], waves=waves
        )
        with exporter(["--config.file", str(config)], tmp_path) as proc:
            try:
                am, am_port = alertmanager(tmp_path, webhook)
                processes.append(am)
                prom, port = prometheus(tmp_path, proc.port, am_port)
                processes.append(prom)
                proc.wait_ready()

                # The recording rules, for the known scenario.
                health = "wave:huaweicloud_migration_health"
                wait_for(lambda: len(values(port, health)) == 2, 60, "both waves' health")
                counts = values(port, "wave:huaweicloud_migration_tasks:count")
                assert counts == {"late-wave": 2, "on-track": 1}
                assert set(values(port, 'wave:huaweicloud_migration_tasks:count{state="SYNCING"}'))
                left = values(port, "wave:huaweicloud_migration_remaining_bytes:sum")
                assert left == {"late-wave": 60 * GIB, "on-track": 60 * GIB}
                speed = values(port, "wave:huaweicloud_migration_speed_bytes_per_second:sum")
                assert speed["late-wave"] == 2 * speed["on-track"] > 0
                rate = values(port, "wave:huaweicloud_migration_migrated_bytes:rate1h")
                assert rate == speed  # constant since the first scrape
                eta = values(
                    port,
                    "wave:huaweicloud_migration_estimated_completion_timestamp_seconds - time()",
                )
                for wave in ("late-wave", "on-track"):
                    assert eta[wave] == pytest.approx(left[wave] / rate[wave], abs=10)
                assert eta["late-wave"] > 3600 and eta["on-track"] < 365 * 86400
                assert values(port, "wave:huaweicloud_sms_cutover_ready:ratio") == {
                    "late-wave": 1,
                    "on-track": 1,
                }
                assert values(port, health) == {"late-wave": 1, "on-track": 0}

                late = wait_for(
                    lambda: webhook.find(
                        "HuaweiCloudMigrationWaveWillMissCutover", "firing", wave="late-wave"
                    ),
                    60,
                    "the will-miss-cutover page",
                )
                assert late["labels"]["severity"] == "critical"
                assert "late-wave" in late["annotations"]["summary"]
                assert late["annotations"]["dashboard_url"] == (
                    f"{GRAFANA_BASE}/d/hwmig-waves?var-wave=late-wave"
                )
                assert (
                    webhook.find(
                        "HuaweiCloudMigrationWaveWillMissCutover", "firing", wave="on-track"
                    )
                    is None
                )

                # The third task's agent drops: ready, then blocked, and the readiness page.
                server = tasks[2]["source_server"]["id"]
                sim.call(
                    lambda c: c.tenant("acct-w").source_overrides.update(
                        {server: {"connected": False}}
                    )
                )
                blocked = f'huaweicloud_sms_task_cutover_blocked{{task_id="{tasks[2]["id"]}"}}'
                wait_for(lambda: values(port, blocked), 60, "the task blocked")
                assert values(port, blocked) == {"agent_disconnected": 1}
                dropped = wait_for(
                    lambda: webhook.find(
                        "HuaweiCloudMigrationWaveCutoverReadinessDropped",
                        "firing",
                        task_id=tasks[2]["id"],
                    ),
                    60,
                    "the readiness page",
                )
                assert dropped["labels"]["reason"] == "agent_disconnected"
                assert dropped["labels"]["account"] == "acct-w"
                assert tasks[2]["name"] in dropped["annotations"]["summary"]
                assert values(port, "wave:huaweicloud_sms_cutover_ready:ratio") == {
                    "late-wave": 1,
                    "on-track": 0,
                }
                for task in tasks[:2]:  # the others stay ready: no page for them
                    assert (
                        webhook.find(
                            "HuaweiCloudMigrationWaveCutoverReadinessDropped",
                            "firing",
                            task_id=task["id"],
                        )
                        is None
                    )
            finally:
                for process in processes:
                    stop(process)
