"""A whole monitoring stack on loopback, in one command: the demo exporter (a simulated Huawei
Cloud, no account needed), a real Prometheus with the project's rules, a real Alertmanager,
and a receiver that prints every page it gets. Ctrl-C stops everything.

    scripts/demo-stack                  # ports 9897 (exporter), 9090, 9093, 9099
    scripts/demo-stack --base-port 19000

Uses Debian's `prometheus` and `prometheus-alertmanager`, as the tests do
(`scripts/setup --tools` installs them). A MIGRATE_FAIL page arrives within a minute or two,
and so does `HuaweiCloudMigrationWaveWillMissCutover` for the demo's late wave, crm-cutover:
the demo's waves last minutes, so the rules this stack loads wait one minute where the shipped
ones wait half an hour (`DEMO_WAITS`); they are the shipped rules otherwise, without links.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "alerts" / "huaweicloud-migration.rules.yml"
EXPORTER = ROOT / ".venv" / "bin" / "huaweicloud-migration-exporter"
# The waits of the wave alerts, cut to the demo's minutes-long waves (the shipped rules: 30m
# for a wave that will miss its cutover, 5m for a ready task blocked again).
DEMO_WAITS = {
    "HuaweiCloudMigrationWaveWillMissCutover": "1m",
    "HuaweiCloudMigrationWaveCutoverReadinessDropped": "1m",
}


def demo_rules(work: Path) -> Path:
    """The shipped rules with the demo's waits: a copy in `work`."""
    rules = yaml.safe_load(RULES.read_text())
    cut = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in DEMO_WAITS:
                rule["for"] = DEMO_WAITS[rule["alert"]]
                cut.add(rule["alert"])
    if cut != set(DEMO_WAITS):
        sys.exit(f"demo-stack: the rules file has no alert {sorted(set(DEMO_WAITS) - cut)}")
    path = work / "rules.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return path


def receiver(port: int) -> ThreadingHTTPServer:
    """Alertmanager's webhook receiver: one printed line per alert it is sent."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            for alert in body.get("alerts", []):
                labels, notes = alert["labels"], alert.get("annotations", {})
                print(
                    f"PAGE {alert['status']:8} {labels.get('severity', ''):8} "
                    f"{labels.get('alertname')}: {notes.get('summary', '')}",
                    flush=True,
                )
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the pages are what this prints."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def configs(work: Path, ports: dict[str, int]) -> tuple[Path, Path]:
    prometheus = {
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
        "rule_files": [str(demo_rules(work))],
        "alerting": {
            "alertmanagers": [
                {"static_configs": [{"targets": [f"127.0.0.1:{ports['alertmanager']}"]}]}
            ]
        },
        "scrape_configs": [
            {
                "job_name": "huaweicloud-migration",
                "static_configs": [{"targets": [f"127.0.0.1:{ports['exporter']}"]}],
            }
        ],
    }
    alertmanager = {
        "route": {
            "receiver": "print",
            "group_by": ["alertname", "account", "task_id", "source_server_id", "wave"],
            "group_wait": "5s",
            "group_interval": "10s",
            "repeat_interval": "12h",
        },
        "receivers": [
            {
                "name": "print",
                "webhook_configs": [
                    {"url": f"http://127.0.0.1:{ports['receiver']}/", "send_resolved": True}
                ],
            }
        ],
    }
    (work / "prometheus.yml").write_text(yaml.safe_dump(prometheus))
    (work / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager))
    return work / "prometheus.yml", work / "alertmanager.yml"


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        sys.exit(f"demo-stack: {name} is not installed; scripts/setup --tools installs it")
    return found


def ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310  # loopback
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"demo-stack: {url} did not come up")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo-stack", description=__doc__.splitlines()[0])
    parser.add_argument("--base-port", type=int, default=0, help="use 4 ports from here on")
    args = parser.parse_args(argv)
    base = args.base_port
    ports = (
        {"exporter": base, "prometheus": base + 1, "alertmanager": base + 2, "receiver": base + 3}
        if base
        else {"exporter": 9897, "prometheus": 9090, "alertmanager": 9093, "receiver": 9099}
    )
    prometheus_bin, alertmanager_bin = binary("prometheus"), binary("prometheus-alertmanager")
    if not EXPORTER.exists():
        sys.exit("demo-stack: run scripts/setup first (it installs the exporter into .venv)")
    work = Path(tempfile.mkdtemp(prefix="hwmig-demo-stack-"))
    prom_config, am_config = configs(work, ports)
    hook = receiver(ports["receiver"])
    quiet = subprocess.DEVNULL
    processes = [
        subprocess.Popen(
            [str(EXPORTER), "--demo", "--web.listen-address", f"127.0.0.1:{ports['exporter']}"],
            stdout=quiet,
            stderr=quiet,
        ),
        subprocess.Popen(
            [
                alertmanager_bin,
                f"--config.file={am_config}",
                f"--storage.path={work / 'am'}",
                f"--web.listen-address=127.0.0.1:{ports['alertmanager']}",
                "--cluster.listen-address=",
            ],
            stdout=quiet,
            stderr=quiet,
        ),
        subprocess.Popen(
            [
                prometheus_bin,
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={work / 'prom'}",
                f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
            ],
            stdout=quiet,
            stderr=quiet,
        ),
    ]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        ready(f"http://127.0.0.1:{ports['exporter']}/readyz")
        ready(f"http://127.0.0.1:{ports['alertmanager']}/-/ready")
        ready(f"http://127.0.0.1:{ports['prometheus']}/-/ready")
        print(
            "demo-stack: running on loopback; Ctrl-C stops it\n"
            f"  exporter      http://127.0.0.1:{ports['exporter']}/  (status page, /metrics)\n"
            # Debian's Prometheus 2.42 ships the classic UI only: /alerts is 404 there.
            f"  Prometheus    http://127.0.0.1:{ports['prometheus']}/classic/alerts"
            f"  (or /api/v1/alerts)\n"
            f"  Alertmanager  http://127.0.0.1:{ports['alertmanager']}/\n"
            "  pages arrive below as Alertmanager sends them (within minutes: a MIGRATE_FAIL,\n"
            "  the late wave crm-cutover, the agent the demo drops at +150 s):",
            flush=True,
        )
        while not stop.wait(1):
            if any(p.poll() is not None for p in processes):
                print("demo-stack: a process of the stack exited; stopping", file=sys.stderr)
                return 1
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        hook.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
