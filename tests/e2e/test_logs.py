"""The real exporter process's logs: under `--log.format json` every line is JSON, aiohttp's and
asyncio's included, and a client hanging up mid-body is a debug line, not an error."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import make_tenant
from tests.e2e.harness import account_config, exporter, http_get, write_config

pytestmark = pytest.mark.e2e

HANG_UPS = 5


def raw(port: int, request: bytes, keep: int) -> None:
    """Send `request` over a raw socket, read `keep` bytes of the answer, hang up."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        conn.recv(keep)


def test_every_line_is_json_and_a_client_hanging_up_is_no_error(tmp_path: Path) -> None:
    # Several megabytes of /metrics: far more than a socket's buffers hold.
    cloud = FakeCloud(tenants=[estate(make_tenant(), sms=500, oms=0, now=time.time())])
    with SimulatorThread(cloud) as sim:
        config = write_config(tmp_path / "c.yaml", [account_config(cloud.tenants[0], sim.url)])
        args = ["--config.file", str(config), "--log.format", "json", "--log.level", "debug"]
        with exporter(args, tmp_path) as proc:
            proc.wait_ready()
            status, body = http_get(proc.url + "/metrics")
            assert status == 200 and len(body) > 4 * 1024 * 1024
            for _ in range(HANG_UPS):
                raw(proc.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", keep=100)
            assert http_get(proc.url + "/metrics")[0] == 200  # still serving
            # aiohttp's own error lines: a header past its limit, a NUL in the request line.
            too_long = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20_000 + b"\r\n\r\n"
            raw(proc.port, too_long, keep=1000)
            raw(proc.port, b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", keep=1000)
            assert http_get(proc.url + "/healthz")[0] == 200
    lines = proc.logs().splitlines()  # the process has stopped: every line is whole
    events = [json.loads(line) for line in lines]  # each line is JSON, or this raises
    assert len(events) == len(lines) > 0
    from_http = [(e["level"], e["event"]) for e in events if e.get("logger") == "exporter.http"]
    refused = [event for level, event in from_http if level == "error"]
    assert refused == [
        "bad HTTP request refused (LineTooLong); details withheld: they may quote headers",
        "bad HTTP request refused (InvalidURLError); details withheld: they may quote headers",
    ]
    # A hang-up mid-body is seen by the scrape handler (or, past it, by aiohttp): debug only.
    hung_up = [event for level, event in from_http if level == "debug"] + [
        e["event"] for e in events if e["event"] == "scrape client disconnected"
    ]
    assert 1 <= len(hung_up) <= HANG_UPS
    assert all(
        event.startswith(("client disconnected before its answer", "scrape client disconnected"))
        for event in hung_up
    )
    assert all(e["level"] == "debug" for e in events if e["event"] == "scrape client disconnected")
    assert not [e for e in events if e["level"] == "error" and e.get("logger") != "exporter.http"]
