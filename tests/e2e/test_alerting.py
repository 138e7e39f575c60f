"""Exporter -> real Prometheus (with our rules) -> real Alertmanager -> a webhook this test serves.

A failed SMS task, a failed OMS task and a disconnected SMS agent page with their labels and a
description naming them; every dashboard and alert expression returns data from the live
Prometheus; when they recover, the resolved notifications arrive.

Prometheus runs the shipped rules with every `for:` cut to seconds: the expressions are the
shipped ones, only the waiting is shortened (the agent alert waits 10 minutes in real life).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.binaries import need
from tests.conftest import make_tenant
from tests.e2e.harness import account_config, exporter, free_port, http_get, wait_for, write_config
from tests.promql import RULES, alert_rules, dashboard_queries, without_threshold

pytestmark = pytest.mark.e2e


class Webhook:
    """Alertmanager's webhook receiver: keeps every alert it is sent."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        received = self.alerts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.extend(json.loads(body)["alerts"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reports what matters."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, alertname: str, status: str, **wanted: str) -> dict[str, Any] | None:
        for alert in self.alerts:
            labels = alert["labels"]
            if (
                labels.get("alertname") == alertname
                and alert["status"] == status
                and all(labels.get(k) == v for k, v in wanted.items())
            ):
                return alert
        return None


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def alertmanager(tmp_path: Path, webhook: Webhook) -> tuple[subprocess.Popen[bytes], int]:
    binary = need("prometheus-alertmanager")
    config = {
        "route": {
            "receiver": "test",
            "group_by": ["alertname", "account", "task_id", "source_server_id"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {"name": "test", "webhook_configs": [{"url": webhook.url, "send_resolved": True}]}
        ],
    }
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    process = start(
        [
            binary,
            f"--config.file={path}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no gossip: nothing listens beyond loopback
        ],
        tmp_path / "alertmanager.log",
    )
    return process, port


def prometheus(
    tmp_path: Path, exporter_port: int, am_port: int
) -> tuple[subprocess.Popen[bytes], int]:
    binary = need("prometheus")
    rules = tmp_path / "rules.yml"
    rules.write_text(re.sub(r"for: \d+m", "for: 2s", RULES.read_text(encoding="utf-8")))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]
        },
        "scrape_configs": [
            {
                "job_name": "huaweicloud-migration",
                "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
            }
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    process = start(
        [
            binary,
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--rules.alert.resend-delay=1s",
        ],
        tmp_path / "prometheus.log",
    )
    return process, port


def query(port: int, expr: str) -> tuple[str | None, int]:
    """(error, number of series) of an instant query through Prometheus' HTTP API."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, body = http_get(url, timeout=10)
    payload = json.loads(body)
    if status != 200 or payload.get("status") != "success":
        return payload.get("error", f"HTTP {status}"), 0
    result = payload["data"]["result"]
    return None, len(result) if isinstance(result, list) else 1


def cloud() -> FakeCloud:
    now = time.time()
    return FakeCloud(tenants=[estate(make_tenant("acct-a"), sms=8, oms=6, now=now, failures=False)])


def test_failed_tasks_page_and_resolve_through_real_prometheus_and_alertmanager(
    tmp_path: Path, webhook: Webhook
) -> None:
    fake = cloud()
    tenant = fake.tenants[0]
    sms_task = tenant.sms_tasks[1]
    oms_task = tenant.oms_tasks[1]
    server = tenant.sms_tasks[2]["source_server"]
    # One throttled answer early on, so the throttling expressions have a series to look at.
    tenant.add_fault(Fault(service="sms", kind="status", status=429, retry_after=0, times=1))
    processes: list[subprocess.Popen[bytes]] = []
    with SimulatorThread(fake) as sim:
        config = write_config(tmp_path / "config.yaml", [account_config(tenant, sim.url)])
        with exporter(["--config.file", str(config)], tmp_path) as proc:
            try:
                am, am_port = alertmanager(tmp_path, webhook)
                processes.append(am)
                prom, prom_port = prometheus(tmp_path, proc.port, am_port)
                processes.append(prom)
                proc.wait_ready()
                wait_for(
                    lambda: http_get(f"http://127.0.0.1:{am_port}/-/ready")[0] == 200,
                    30,
                    "alertmanager",
                )
                wait_for(
                    lambda: query(prom_port, "huaweicloud_migration_up == 1")[1] == 3,
                    30,
                    "prometheus scraping",
                )

                def fail(c: FakeCloud) -> None:
                    t = c.tenant("acct-a")
                    t.sms_overrides[sms_task["id"]] = {
                        "state": "MIGRATE_FAIL",
                        "error_json": '{"error_code": "SMS.6403", "error_msg": "agent lost"}',
                    }
                    t.oms_overrides[str(oms_task["id"])] = {
                        "status": 4,
                        "error_reason": {"error_code": "OMS.0012", "error_msg": "access denied"},
                    }
                    t.source_overrides[server["id"]] = {
                        "connected": False,
                        "migration_cycle": "replicating",
                    }

                sim.call(fail)
                sms_alert = wait_for(
                    lambda: webhook.find(
                        "HuaweiCloudSMSTaskFailed", "firing", task_id=sms_task["id"]
                    ),
                    60,
                    "the SMS page",
                )
                oms_alert = wait_for(
                    lambda: webhook.find(
                        "HuaweiCloudOMSTaskFailed", "firing", task_id=str(oms_task["id"])
                    ),
                    60,
                    "the OMS page",
                )
                agent_alert = wait_for(
                    lambda: webhook.find(
                        "HuaweiCloudSMSAgentDisconnected", "firing", source_server_id=server["id"]
                    ),
                    60,
                    "the agent page",
                )
                assert agent_alert["labels"]["severity"] == "critical"
                assert agent_alert["labels"]["task_name"] == tenant.sms_tasks[2]["name"]
                assert server["name"] in agent_alert["annotations"]["description"]
                for alert, task in ((sms_alert, sms_task), (oms_alert, oms_task)):
                    assert alert["labels"]["account"] == "acct-a"
                    assert alert["labels"]["task_name"] == task["name"]
                    assert task["name"] in alert["annotations"]["description"]
                    assert str(task["id"]) in alert["annotations"]["description"]
                    assert alert["annotations"]["runbook_url"].startswith("https://")
                assert (
                    sms_alert["labels"]["source_server_name"] == sms_task["source_server"]["name"]
                )

                # Every dashboard query and every alert's data, on the live Prometheus.
                wait_for(
                    lambda: query(prom_port, "huaweicloud_sms_task_error_info")[1] >= 1,
                    20,
                    "error info",
                )
                problems = []
                expressions = list(dashboard_queries())
                for rule in alert_rules():
                    expressions += [
                        (f"alert {rule['alert']}", part) for part in without_threshold(rule["expr"])
                    ]
                for where, expr in expressions:
                    error, series = query(prom_port, expr)
                    if error or series == 0:
                        problems.append(f"{where}: {error or 'no data'}: {expr}")
                assert not problems, "\n".join(problems)

                # Recovery: both tasks leave the failed state, both alerts resolve.
                def recover(c: FakeCloud) -> None:
                    c.tenant("acct-a").sms_overrides.clear()
                    c.tenant("acct-a").oms_overrides.clear()
                    c.tenant("acct-a").source_overrides.clear()

                sim.call(recover)
                for alertname, labels in (
                    ("HuaweiCloudSMSTaskFailed", {"task_id": sms_task["id"]}),
                    ("HuaweiCloudOMSTaskFailed", {"task_id": str(oms_task["id"])}),
                    ("HuaweiCloudSMSAgentDisconnected", {"source_server_id": server["id"]}),
                ):
                    wait_for(partial(webhook.find, alertname, "resolved", **labels), 60, alertname)
            finally:
                for process in processes:
                    stop(process)
