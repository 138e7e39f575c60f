"""The real exporter process under abuse: slowloris at the descriptor limit, a client that
stalls mid-body when SIGTERM arrives, and the signals service managers send."""

from __future__ import annotations

import resource
import signal
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
from tests.e2e.harness import Exporter, account_config, free_port, http_get, wait_for, write_config

pytestmark = pytest.mark.e2e


@contextmanager
def running(tmp_path: Path, sms: int = 12, descriptors: int | None = None) -> Iterator[Exporter]:
    cloud = FakeCloud(tenants=[estate(make_tenant(), sms=sms, oms=4, now=time.time())])
    with SimulatorThread(cloud) as sim:
        config = write_config(tmp_path / "c.yaml", [account_config(cloud.tenants[0], sim.url)])
        limit = None if descriptors is None else (descriptors, descriptors)
        process = Exporter(
            ["--config.file", str(config)], free_port(), tmp_path / "log", nofile=limit
        )
        try:
            process.wait_ready()
            yield process
        finally:
            process.stop()


def test_slowloris_at_the_descriptor_limit_leaves_scrapes_answered(tmp_path: Path) -> None:
    """1,100 connections sending half a header, the process at 1,024 descriptors: a scrape
    is still answered within 10 s."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1500:  # this test process holds the attackers' sockets
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    with running(tmp_path, descriptors=1024) as exporter:
        attackers = []
        try:
            for _ in range(1100):
                attacker = socket.create_connection(("127.0.0.1", exporter.port), timeout=5)
                attacker.sendall(b"GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Drip: ")
                attackers.append(attacker)
            started = time.monotonic()
            status, body = http_get(exporter.url + "/metrics", timeout=10)
            took = time.monotonic() - started
        finally:
            for attacker in attackers:
                attacker.close()
        assert status == 200 and b"huaweicloud_migration_up" in body
        assert took < 10, took
        assert exporter.process.poll() is None
        logs = exporter.logs()
        assert "connection limit reached" in logs
        assert "Too many open files" not in logs


def test_sigterm_while_a_client_stalls_mid_body_exits_within_5_s(tmp_path: Path) -> None:
    with running(tmp_path, sms=2500) as exporter:
        assert len(http_get(exporter.url + "/metrics")[1]) > 20_000_000
        stalled = socket.create_connection(("127.0.0.1", exporter.port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n")
        assert stalled.recv(1024).startswith(b"HTTP/1.1 200")  # then it reads no more
        time.sleep(1)
        code, took = exporter.stop(signal.SIGTERM)
        stalled.close()
    assert code == 0
    assert took < 5, took


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2])
def test_signals_a_service_manager_sends_do_not_kill_it_silently(
    tmp_path: Path, sig: signal.Signals
) -> None:
    with running(tmp_path) as exporter:
        exporter.process.send_signal(sig)
        wait_for(lambda: sig.name in exporter.logs(), 5, f"a log line about {sig.name}")
        assert exporter.process.poll() is None
        assert http_get(exporter.url + "/healthz")[0] == 200
