"""What a new user's tools see of /metrics: every mainstream client reads the gzip body whole.

A gzip scrape is one gzip member (DESIGN.md section 14): clients that stop after the first of
several members (Chromium, `curl --compressed`, `wget`, Python's zlib) must get the same samples
as a client that asks for no encoding at all. The real binaries run against the real exporter
process; `scripts/setup --tools` installs them.
"""

from __future__ import annotations

import html
import re
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.binaries import need
from tests.conftest import make_tenant
from tests.e2e.harness import Exporter, account_config, exporter, http_get, write_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    """An exporter whose data holds still after its first poll (a long poll interval): every
    client below reads the same samples."""
    tmp = tmp_path_factory.mktemp("clients")
    cloud = FakeCloud(tenants=[estate(make_tenant(), sms=40, oms=20, now=time.time())])
    with SimulatorThread(cloud) as sim:
        config = write_config(
            tmp / "config.yaml",
            [account_config(cloud.tenants[0], sim.url)],
            poll_interval_seconds=600,
        )
        with exporter(["--config.file", str(config)], tmp) as proc:
            proc.wait_ready()
            yield proc


def samples(text: str) -> list[str]:
    """The body's lines but the process metrics', which describe the moment of each scrape."""
    lines = [
        line
        for line in text.splitlines()
        if not line.startswith(("process_", "# HELP process_", "# TYPE process_"))
    ]
    assert len(lines) > 1000 and any(
        line.startswith("huaweicloud_sms_task_info{") for line in lines
    )
    return lines


def identity(proc: Exporter) -> list[str]:
    status, body = http_get(proc.url + "/metrics", headers={"Accept-Encoding": "identity"})
    assert status == 200
    return samples(body.decode())


def test_curl_compressed_reads_the_whole_body(running: Exporter, tmp_path: Path) -> None:
    curl = need("curl")
    headers = tmp_path / "headers"
    out = subprocess.run(
        [curl, "-sS", "--compressed", "-D", str(headers), running.url + "/metrics"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert re.search(r"(?im)^content-encoding: gzip", headers.read_text())
    assert samples(out.stdout.decode()) == identity(running)


def test_wget_reads_the_whole_body(running: Exporter) -> None:
    wget = need("wget")
    out = subprocess.run(
        [wget, "-q", "-O", "-", "--compression=gzip", "-S", running.url + "/metrics"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert re.search(r"(?im)^\s*content-encoding: gzip", out.stderr.decode())
    assert samples(out.stdout.decode()) == identity(running)


def test_chromium_shows_the_whole_body(running: Exporter, tmp_path: Path) -> None:
    """The quick start sends people to open /metrics in a browser."""
    chromium = need("chromium")
    out = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            running.url + "/metrics",
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    page = out.stdout.decode()
    shown = re.search(r"<pre[^>]*>(.*)</pre>", page, re.S)
    assert shown is not None, page[:500]
    assert samples(html.unescape(shown.group(1))) == identity(running)


@pytest.mark.parametrize("accept", ["text/plain", "application/openmetrics-text; version=1.0.0"])
def test_python_zlib_reads_one_member_with_nothing_left(running: Exporter, accept: str) -> None:
    """zlib.decompressobj(31) stops after one member: it must be the whole body."""
    status, body = http_get(
        running.url + "/metrics", headers={"Accept-Encoding": "gzip", "Accept": accept}
    )
    assert status == 200
    reader = zlib.decompressobj(31)
    text = reader.decompress(body)
    assert reader.eof and reader.unused_data == b"" and reader.unconsumed_tail == b""
    status, plain = http_get(
        running.url + "/metrics", headers={"Accept-Encoding": "identity", "Accept": accept}
    )
    assert samples(text.decode()) == samples(plain.decode())
    if "openmetrics" in accept:
        assert text.endswith(b"# EOF\n")


def test_the_process_metrics_are_served(running: Exporter) -> None:
    """As every exporter serves them: process_* from client_python's collector."""
    status, body = http_get(running.url + "/metrics", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    text = zlib.decompress(body, 31).decode()
    for name in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
        "process_virtual_memory_bytes",
    ):
        assert re.search(rf"(?m)^{name} \S+$", text), name
    assert float(re.search(r"(?m)^process_resident_memory_bytes (\S+)$", text).group(1)) > 1e6  # type: ignore[union-attr]
