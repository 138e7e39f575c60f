"""A monitoring stack on loopback for end-to-end tests: the real Prometheus (with the shipped
rules, every `for:` cut to seconds, with the links of the rules generator for the example bases
below) and Alertmanager, routing to a webhook the test serves."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from exporter.devtools.rules import generate
from tests.binaries import need
from tests.e2e.harness import free_port, http_get
from tests.promql import RULES

RUNBOOK_BASE = "https://wiki.example.com/hwmig/runbook.md"
GRAFANA_BASE = "https://grafana.example.com"


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
    linked = generate(RULES.read_text(encoding="utf-8"), RUNBOOK_BASE, GRAFANA_BASE)
    rules.write_text(re.sub(r"for: \d+m", "for: 2s", linked))
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
