"""Readers that stop reading: cut by the write deadline, evicted at the connection ceiling,
and cheap while they last (the real exporter process, raw sockets on loopback)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import make_tenant
from tests.e2e.harness import Exporter, account_config, exporter, http_get, wait_for, write_config

pytestmark = pytest.mark.e2e

REQUEST = b"GET /metrics HTTP/1.1\r\nHost: exporter\r\nAccept-Encoding: identity\r\n\r\n"


@contextmanager
def running(tmp_path: Path, **web: object) -> Iterator[Exporter]:
    """An exporter whose plain body is some 15 MB: far more than the sockets' buffers hold."""
    cloud = FakeCloud(tenants=[estate(make_tenant(), sms=1200, oms=0, now=time.time())])
    with SimulatorThread(cloud) as sim:
        config = write_config(
            tmp_path / "config.yaml",
            [account_config(cloud.tenants[0], sim.url)],
            poll_interval_seconds=600,
            web=web,
        )
        with exporter(["--config.file", str(config)], tmp_path) as proc:
            proc.wait_ready()
            yield proc


def stalled_reader(port: int) -> socket.socket:
    """A client that asks for /metrics and never reads a byte of the answer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(REQUEST)
    return sock


def rss_mb(proc: Exporter) -> float:
    for line in Path(f"/proc/{proc.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def cut(sock: socket.socket, timeout: float) -> bool:
    """Whether the exporter closed `sock` within `timeout` (reading what it had sent)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(1 << 20):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False


def test_a_scrape_and_the_probes_get_in_with_the_ceiling_full_of_stalled_readers(
    tmp_path: Path,
) -> None:
    """64 readers that stopped reading at max_connections: 64 used to reset every new
    connection, /healthz included, without a log line. The one stalled longest is evicted."""
    with running(tmp_path, max_connections=64) as proc:
        readers = [stalled_reader(proc.port) for _ in range(64)]
        try:
            time.sleep(3)  # every answer has filled its socket and waited on it for a while
            for path in ("/healthz", "/-/healthy", "/readyz", "/metrics"):
                status, body = http_get(proc.url + path, timeout=60)
                assert status == 200 and body, path
            assert "scrape cut to make room: its reader stopped reading" in proc.logs()
        finally:
            for sock in readers:
                sock.close()


def test_a_scrape_not_sent_within_the_write_deadline_is_cut(tmp_path: Path) -> None:
    with running(tmp_path, write_timeout_seconds=2) as proc:
        sock = stalled_reader(proc.port)
        try:
            time.sleep(3)
            assert cut(sock, 20), "the stalled scrape was never cut"
        finally:
            sock.close()
        wait_for(
            lambda: "scrape cut: not sent within web.write_timeout_seconds" in proc.logs(),
            10,
            "the cut in the log",
        )
        assert http_get(proc.url + "/metrics", timeout=60)[0] == 200


def test_two_hundred_stalled_readers_cost_less_than_100_mb(tmp_path: Path) -> None:
    """They share the writes they are stuck in; each holds a slice of its own at most (they
    took 1.6 MB each, 500 of them RSS from 70 to 877 MB)."""
    with running(tmp_path) as proc:
        http_get(proc.url + "/metrics", timeout=60)  # the body of this version made once
        before = rss_mb(proc)
        readers = [stalled_reader(proc.port) for _ in range(200)]
        try:
            time.sleep(5)
            assert http_get(proc.url + "/healthz", timeout=60)[0] == 200
            added = rss_mb(proc) - before
            print(f"200 stalled readers: RSS {before:.0f} -> {before + added:.0f} MB")
            assert added < 100, f"{added:.0f} MB"
        finally:
            for sock in readers:
                sock.close()
