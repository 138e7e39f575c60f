"""What a scrape of the exporter costs the real Prometheus: samples, scrape duration, its RSS and
CPU per scrape.

Prometheus (from PATH or .tools/bin; `scripts/setup --tools` installs it) scrapes the exporter
with the shipped recording rules loaded, as a deployment would. The first scrape creates every
series and costs some ten times a later one: its duration is reported apart, and the steady
duration is the median of the later scrapes; its CPU is read from /proc between the second
scrape and the last, for the same reason; its RSS is the peak.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "alerts" / "huaweicloud-migration.rules.yml"
TICKS = os.sysconf("SC_CLK_TCK")


def binary() -> str | None:
    local = ROOT / ".tools" / "bin" / "prometheus"
    return str(local) if local.is_file() else shutil.which("prometheus")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _query(port: int, expr: str) -> float | None:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # loopback
            result = json.loads(response.read())["data"]["result"]
    except OSError:
        return None
    return float(result[0]["value"][1]) if result else None


def _durations(port: int) -> list[float]:
    """Every scrape's duration so far, oldest first."""
    expr = 'scrape_duration_seconds{job="bench"}[1h]'
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # loopback
            result = json.loads(response.read())["data"]["result"]
    except OSError:
        return []
    return [float(value) for _, value in result[0]["values"]] if result else []


def measure(target_port: int, prom_port: int, *, scrapes: int, interval: float) -> dict[str, Any]:
    """Let Prometheus scrape 127.0.0.1:`target_port` `scrapes` + 2 times; its figures."""
    found = binary()
    if found is None:
        return {"error": "prometheus is not installed (scripts/setup --tools installs it)"}
    with tempfile.TemporaryDirectory(prefix="hwmig-bench-prom-") as tmp:
        config = {
            "global": {
                "scrape_interval": f"{round(interval * 1000)}ms",
                "scrape_timeout": f"{round(interval * 1000)}ms",
            },
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {"job_name": "bench", "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}
            ],
        }
        path = Path(tmp) / "prometheus.yml"
        path.write_text(yaml.safe_dump(config))
        log = (Path(tmp) / "prometheus.log").open("wb")
        process = subprocess.Popen(
            [
                found,
                f"--config.file={path}",
                f"--storage.tsdb.path={Path(tmp) / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            count = 'count_over_time(scrape_samples_scraped{job="bench"}[1h])'

            def scraped() -> float:
                return _query(prom_port, count) or 0.0

            deadline = time.monotonic() + (scrapes + 4) * interval + 60
            while scraped() < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            first, cpu = scraped(), _cpu_seconds(process.pid)
            while scraped() < first + scrapes and time.monotonic() < deadline:
                time.sleep(0.2)
            last, spent = scraped(), _cpu_seconds(process.pid) - cpu
            durations = _durations(prom_port)
            return {
                "scrapes": last - first,
                "samples": _query(prom_port, 'scrape_samples_scraped{job="bench"}'),
                "first_scrape_seconds": durations[0] if durations else None,
                "scrape_seconds": statistics.median(durations[1:]) if durations[1:] else None,
                "cpu_per_scrape": spent / (last - first) if last > first else None,
                "peak_rss_mb": _peak_rss_mb(process.pid),
            }
        finally:
            if process.poll() is not None:  # it never ran: say why
                log.flush()
                print((Path(tmp) / "prometheus.log").read_text()[-2000:], file=sys.stderr)
            process.terminate()
            process.wait(30)
            log.close()
