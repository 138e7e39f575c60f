"""When the exporter process dies, real Prometheus and Alertmanager page that it is down (the
migration pages it raised resolve, and this one takes their place); it resolves once the
exporter is back."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import make_tenant
from tests.e2e.harness import Exporter, account_config, free_port, http_get, wait_for, write_config
from tests.e2e.stack import Webhook, alertmanager, prometheus, query, stop

pytestmark = pytest.mark.e2e


def test_the_exporter_killed_pages_and_back_resolves(tmp_path: Path, webhook: Webhook) -> None:
    fake = FakeCloud(tenants=[estate(make_tenant(), sms=3, oms=2, now=time.time(), failures=False)])
    processes: list[subprocess.Popen[bytes]] = []
    port = free_port()
    with SimulatorThread(fake) as sim:
        config = write_config(tmp_path / "config.yaml", [account_config(fake.tenants[0], sim.url)])
        first = Exporter(["--config.file", str(config)], port, tmp_path / "first.log")
        second: Exporter | None = None
        try:
            am, am_port = alertmanager(tmp_path, webhook)
            processes.append(am)
            prom, prom_port = prometheus(tmp_path, port, am_port)
            processes.append(prom)
            first.wait_ready()
            wait_for(
                lambda: query(prom_port, 'up{job="huaweicloud-migration"} == 1')[1] == 1,
                30,
                "a scrape",
            )
            first.stop(signal.SIGKILL)  # no goodbye
            # This instance's page: before Prometheus first scraped anything, `absent(up)` may
            # have paged already (the test cuts `for:` to seconds), without an instance.
            instance = f"127.0.0.1:{port}"
            down = wait_for(
                lambda: webhook.find(
                    "HuaweiCloudMigrationExporterDown", "firing", instance=instance
                ),
                60,
                "the page",
            )
            assert down["labels"]["severity"] == "critical"
            second = Exporter(["--config.file", str(config)], port, tmp_path / "second.log")
            second.wait_ready()
            wait_for(
                lambda: webhook.find(
                    "HuaweiCloudMigrationExporterDown", "resolved", instance=instance
                ),
                60,
                "the resolution",
            )
            assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        finally:
            if second is not None:
                second.stop()
            for process in processes:
                stop(process)
