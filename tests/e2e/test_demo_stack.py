"""`scripts/demo-stack`, as a newcomer runs it: a MIGRATE_FAIL page and the late wave's
`HuaweiCloudMigrationWaveWillMissCutover` printed within minutes, and everything gone again
after Ctrl-C."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.binaries import need
from tests.dockerfile import ROOT
from tests.e2e.harness import http_get

pytestmark = pytest.mark.e2e


def free_block(size: int = 4) -> int:
    """A first port with `size` free ports from it on."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base: int = probe.getsockname()[1]
        if base + size > 65535:
            continue
        try:
            for port in range(base, base + size):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no block of free ports")


def test_a_migrate_fail_and_a_late_wave_page_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    need("prometheus")
    need("prometheus-alertmanager")
    base = free_block()
    stack = subprocess.Popen(
        [str(ROOT / "scripts" / "demo-stack"), "--base-port", str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output = stack.stdout
    assert output is not None

    def read() -> None:
        for line in output:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    wanted = ("HuaweiCloudSMSTaskFailed", "HuaweiCloudMigrationWaveWillMissCutover")

    def firing(alert: str) -> list[str]:
        return [line for line in seen if alert in line and "PAGE firing" in line]

    try:
        deadline = time.monotonic() + 300  # the wave's page: its 1m wait, then Alertmanager's
        while time.monotonic() < deadline and not all(firing(alert) for alert in wanted):
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        failed, late = (firing(alert) for alert in wanted)
        assert failed and late, "".join(seen)
        assert "critical" in failed[0] and "failed (MIGRATE_FAIL)" in failed[0]
        assert [page.split(": ", 1)[1].strip() for page in late] == [
            "Wave crm-cutover will miss its cutover"  # and not erp-cutover, on track
        ]
        # Every address it printed answers (Debian's Prometheus 2.42 has no /alerts page).
        urls = [url for line in seen for url in re.findall(r"http://127\.0\.0\.1:\d+/\S*", line)]
        assert any(url.startswith(f"http://127.0.0.1:{base + 1}/") for url in urls), seen
        for url in urls:
            assert http_get(url)[0] == 200, url
    finally:
        stack.send_signal(signal.SIGINT)
        code = stack.wait(30)
        output.close()
    assert code == 0
    for port in range(base, base + 4):  # nothing of the stack still listens
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
