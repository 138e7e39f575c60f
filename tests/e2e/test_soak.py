"""Fault storm: the real daemon, three accounts, every fault of the Reliability table, scraped nonstop.

CI (`CI=true`, which `.ci/run` sets) runs it at a small size, about a minute; a plain local
`pytest` skips it, saying so. HWMIG_SOAK_ROUNDS=N runs it anywhere, repeating the storm N times.
At the end: the process is alive, memory is flat, every scrape was a valid exposition, the
error counters name the faults that were injected (and no others), no AK/SK request followed a
401 inside the back-off, and every source is up again within a poll of the faults stopping.
"""

from __future__ import annotations

import gzip
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from exporter.services import SERVICES
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import PASSWORD, SECRET_KEY, SECURITY_TOKEN, make_tenant
from tests.e2e.harness import Exporter, account_config, free_port, http_get, wait_for, write_config
from tests.parsing import parse_openmetrics, parse_text

BACKOFF = 12.0
ROUNDS = int(os.environ.get("HWMIG_SOAK_ROUNDS", "1"))
WANTED = os.environ.get("CI") == "true" or "HWMIG_SOAK_ROUNDS" in os.environ

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.soak,
    pytest.mark.skipif(
        not WANTED, reason="a minute-long soak: runs under CI=true or with HWMIG_SOAK_ROUNDS=N"
    ),
]


def cloud() -> FakeCloud:
    now = time.time()
    a = estate(make_tenant("acct-a"), sms=30, oms=20, now=now)
    b = estate(make_tenant("acct-b", access_key="AKTESTACCESSKEY00002"), sms=20, oms=10, now=now)
    c = estate(
        make_tenant("acct-c", access_key="AKTESTACCESSKEY00003", security_token=SECURITY_TOKEN),
        sms=10,
        oms=10,
        now=now,
    )
    return FakeCloud(tenants=[a, b, c])


# (seconds into the round, account, what to do); each fault fails exactly one poll.
STORM: list[tuple[float, str, str, Fault | None]] = [
    (1, "acct-a", "sms", Fault(service="sms", kind="status", status=503, times=3)),
    (
        1,
        "acct-a",
        "oms",
        Fault(
            service="oms", kind="status", status=429, error_code="APIG.0308", retry_after=0, times=3
        ),
    ),
    (1, "acct-b", "oms", Fault(service="oms", kind="status", status=500, times=3)),
    (1, "acct-c", "sms", Fault(service="sms", kind="wrong_shape", times=1)),
    (1, "acct-c", "oms", Fault(service="oms", kind="empty", times=3)),
    (11, "acct-a", "sms", Fault(service="sms", kind="reset", times=6)),
    (11, "acct-a", "oms", Fault(service="oms", kind="html", times=1)),
    (11, "acct-b", "tokens", None),  # every token revoked: the exporter logs in again
    (11, "acct-c", "sms", Fault(service="sms", kind="malformed", times=1)),
    (21, "acct-b", "latency", None),  # slower than the request timeout
    (
        21,
        "acct-a",
        "sms",
        Fault(service="sms", kind="status", status=401, error_code="APIGW.0301", times=1),
    ),
    (21, "acct-c", "oms", Fault(service="oms", kind="status", status=502, times=3)),
    (40, "acct-b", "calm", None),  # twenty seconds of latency: at least one whole poll inside
]
EXPECTED = {
    ("acct-a", "sms"): {"server", "network", "auth"},
    ("acct-a", "oms"): {"throttled", "bad_response", "auth"},  # the sms 401 backs the account off
    ("acct-b", "sms"): {"timeout"},
    ("acct-b", "oms"): {"server", "timeout"},
    ("acct-c", "sms"): {"bad_response"},
    ("acct-c", "oms"): {"server"},
}


def apply(sim: SimulatorThread, account: str, what: str, fault: Fault | None) -> None:
    def change(c: FakeCloud) -> None:
        tenant = c.tenant(account)
        if fault is not None:
            tenant.add_fault(Fault(**fault.__dict__))
        elif what == "tokens":
            c.expire_tokens()
        elif what == "latency":
            tenant.latency = 3.0
        elif what == "calm":
            tenant.latency = 0.0

    sim.call(change)


class Scrapers:
    """Scrape /metrics nonstop in three formats, and sample the exporter's RSS."""

    def __init__(self, url: str, pid: int) -> None:
        self.url, self.pid = url, pid
        self.scrapes = 0
        self.failures: list[str] = []
        self.rss: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.scrape, args=(kind,), daemon=True)
            for kind in ("plain", "gzip", "openmetrics")
        ]
        self.threads.append(threading.Thread(target=self.sample_rss, daemon=True))

    def __enter__(self) -> Scrapers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(15)

    def scrape(self, kind: str) -> None:
        headers = {"Accept-Encoding": "gzip"} if kind == "gzip" else {}
        if kind == "openmetrics":
            headers["Accept"] = "application/openmetrics-text"
        while not self.stop.is_set():
            try:
                status, body = http_get(self.url + "/metrics", timeout=10, headers=headers)
                if status != 200:
                    raise ValueError(f"HTTP {status}")
                text = (gzip.decompress(body) if kind == "gzip" else body).decode()
                parse_openmetrics(text) if kind == "openmetrics" else parse_text(text)
                self.scrapes += 1
            except Exception as exc:  # every failure is recorded and asserted on
                self.failures.append(f"{kind}: {type(exc).__name__}: {exc}")
            time.sleep(0.05)

    def sample_rss(self) -> None:
        while not self.stop.is_set():
            status = Path(f"/proc/{self.pid}/status").read_text()
            kb = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            self.rss.append((time.monotonic(), kb))
            time.sleep(0.5)


def test_fault_storm(tmp_path: Path) -> None:
    fake = cloud()
    with SimulatorThread(fake) as sim:
        accounts = [
            account_config(fake.tenants[0], sim.url),
            account_config(fake.tenants[1], sim.url, password=True),
            account_config(fake.tenants[2], sim.url),
        ]
        config = write_config(
            tmp_path / "config.yaml",
            accounts,
            stale_after_seconds=25,
            api={"timeout_seconds": 2.0, "auth_backoff_seconds": BACKOFF},
            log={"level": "debug"},
        )
        process = Exporter(["--config.file", str(config)], free_port(), tmp_path / "exporter.log")
        try:
            process.wait_ready()
            with Scrapers(process.url, process.process.pid) as scrapers:
                for _ in range(ROUNDS):
                    started = time.monotonic()
                    for at, account, what, fault in STORM:
                        time.sleep(max(0.0, started + at - time.monotonic()))
                        apply(sim, account, what, fault)
                    time.sleep(max(0.0, started + 41 - time.monotonic()))
                faults_stopped = time.monotonic()
                # Recovery: every source (each account's every list) up within one poll (10 s)
                # of the last fault clearing.
                wait_for(
                    lambda: (
                        sorted(process.samples("huaweicloud_migration_up").values())
                        == [1.0] * (len(accounts) * len(SERVICES))
                    ),
                    25,
                    "recovery",
                )
                recovered_after = time.monotonic() - faults_stopped
            assert process.process.poll() is None, "the exporter died"
            errors = process.samples("huaweicloud_migration_poll_errors_total")
            logs = process.logs()
        finally:
            code, seconds = process.stop()
        log = fake.stats.log
        locked = dict(fake.ak_locked_until)

    assert code == 0 and seconds < 5
    assert not scrapers.failures, scrapers.failures[:5]
    assert scrapers.scrapes > 100
    assert recovered_after < 25

    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for labels, value in errors.items():
        if value > 0:
            label = dict(labels)
            seen[(label["account"], label["service"])].add(label["reason"])
    for source, reasons in EXPECTED.items():
        assert seen[source] >= reasons, (source, dict(seen))
        unexpected = seen[source] - reasons - {"timeout"}  # a slow machine may time a poll out
        assert not unexpected, (source, unexpected)

    # No AK/SK request from acct-a inside the back-off that followed its 401; the AK never locked.
    rejected = [r.at for r in log if r.tenant == "acct-a" and r.status == 401]
    assert len(rejected) == ROUNDS
    for at in rejected:
        # A request already on its way when the 401 went out is no retry: allow 0.3 s for that.
        assert not [r for r in log if r.tenant == "acct-a" and at + 0.3 < r.at < at + BACKOFF - 0.5]
    assert not locked

    # Memory stays flat: the last third of the run peaks no higher than the middle third + 25 MB.
    samples = [kb for _, kb in scrapers.rss]
    third = len(samples) // 3
    assert max(samples[2 * third :]) <= max(samples[third : 2 * third]) + 25_000

    for secret in (SECRET_KEY, PASSWORD, SECURITY_TOKEN, *fake.tokens):
        assert secret not in logs
