"""Exporter -> real Prometheus (with our rules) -> real Alertmanager -> a webhook this test serves.

A failed SMS task, a failed OMS task, the OMS task group it belongs to (failed: the group
table's 5) and a disconnected SMS agent page with their labels and a description naming them; every alert expression returns data from the live Prometheus; when
they recover, the resolved notifications arrive.

Prometheus runs the shipped rules with every `for:` cut to seconds: the expressions are the
shipped ones, only the waiting is shortened (the agent alert waits 10 minutes in real life).
"""

from __future__ import annotations

import subprocess
import time
from functools import partial
from pathlib import Path

import pytest

from exporter.services import SERVICES
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import make_tenant
from tests.e2e.harness import account_config, exporter, http_get, wait_for, write_config
from tests.e2e.stack import (
    GRAFANA_BASE,
    RUNBOOK_BASE,
    Webhook,
    alertmanager,
    prometheus,
    query,
    stop,
)
from tests.promql import alert_rules, without_threshold

pytestmark = pytest.mark.e2e


# Every task, and a deadline long gone: the wave alerts' expressions have data to look at.
LATE_WAVE = {"defined": [{"name": "late-wave", "cutover": "2000-01-01T00:00:00Z"}]}


def cloud() -> FakeCloud:
    now = time.time()
    tenant = estate(make_tenant("acct-a"), sms=8, oms=6, now=now, failures=False, groups=2)
    return FakeCloud(tenants=[tenant])


def test_failed_tasks_page_and_resolve_through_real_prometheus_and_alertmanager(
    tmp_path: Path, webhook: Webhook
) -> None:
    fake = cloud()
    tenant = fake.tenants[0]
    sms_task = tenant.sms_tasks[1]
    oms_task = tenant.oms_tasks[1]
    server = tenant.sms_tasks[2]["source_server"]
    group = oms_task["group_id"]  # all its tasks fail: the group's migration failed
    group_tasks = [str(t["id"]) for t in tenant.oms_tasks if t["group_id"] == group]
    # One throttled answer early on, so the throttling expressions have a series to look at.
    tenant.add_fault(Fault(service="sms", kind="status", status=429, retry_after=0, times=1))
    processes: list[subprocess.Popen[bytes]] = []
    with SimulatorThread(fake) as sim:
        config = write_config(
            tmp_path / "config.yaml", [account_config(tenant, sim.url)], waves=LATE_WAVE
        )
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
                    lambda: query(prom_port, "huaweicloud_migration_up == 1")[1] == len(SERVICES),
                    30,
                    "prometheus scraping",
                )

                def fail(c: FakeCloud) -> None:
                    t = c.tenant("acct-a")
                    t.sms_overrides[sms_task["id"]] = {
                        "state": "MIGRATE_FAIL",
                        "error_json": '{"error_code": "SMS.6403", "error_msg": "agent lost"}',
                    }
                    for task_id in group_tasks:
                        t.oms_overrides[task_id] = {
                            "status": 4,
                            "error_reason": {"error_code": "OMS.0012", "error_msg": "denied"},
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
                group_alert = wait_for(
                    lambda: webhook.find("HuaweiCloudOMSTaskGroupFailed", "firing", group_id=group),
                    60,
                    "the task group page",
                )
                assert group_alert["labels"]["status"] == "failed"
                assert group_alert["labels"]["severity"] == "critical"
                assert group in group_alert["annotations"]["description"]
                assert group_alert["annotations"]["runbook_url"] == (
                    RUNBOOK_BASE + "#huaweicloudomstaskgroupfailed"
                )
                assert group_alert["annotations"]["dashboard_url"] == (
                    f"{GRAFANA_BASE}/d/hwmig-waves?var-wave={group}"
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
                    assert alert["annotations"]["runbook_url"].startswith(RUNBOOK_BASE + "#")
                    assert "dashboard_url" not in alert["annotations"]
                assert (
                    sms_alert["labels"]["source_server_name"] == sms_task["source_server"]["name"]
                )

                # Every alert's data, on the live Prometheus (the dashboards: test_dashboards).
                wait_for(
                    lambda: query(prom_port, "huaweicloud_sms_task_error_info")[1] >= 1,
                    20,
                    "error info",
                )
                problems = []
                expressions: list[tuple[str, str]] = []
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
                    ("HuaweiCloudOMSTaskGroupFailed", {"group_id": group}),
                    ("HuaweiCloudSMSAgentDisconnected", {"source_server_id": server["id"]}),
                ):
                    wait_for(partial(webhook.find, alertname, "resolved", **labels), 60, alertname)
            finally:
                for process in processes:
                    stop(process)
