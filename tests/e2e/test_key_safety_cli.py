"""One access key, one voice, process by process: the daemon and `--once` runs beside it.

Three accounts (three regions) share one access key with a wrong secret, each polling sms,
sms_sources and oms: nine sources. Each process sends that key once per back-off, so a daemon
and two `--once` runs together send three bad signatures, under the five that lock it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import SimulatorThread
from tests.conftest import ACCESS_KEY, SECRET_KEY, make_tenant
from tests.e2e.harness import exporter, wait_for, write_config

pytestmark = pytest.mark.e2e

WRONG_SECRET = "SK-WRONG-0000000000000000"
REGIONS = ("ap-southeast-1", "ap-southeast-2", "ap-southeast-3")


def accounts(url: str, cloud: FakeCloud) -> list[dict[str, Any]]:
    out = []
    for n, region in enumerate(REGIONS):
        account = cloud.tenants[0].account_config(url)
        account.update(name=f"region-{n}", region=region)
        account["credentials"]["secret_key"] = WRONG_SECRET
        out.append(account)
    return out


def bad_signatures(sim: SimulatorThread) -> int:
    count: int = sim.call(
        lambda cloud: sum(1 for r in cloud.stats.log if r.auth == "aksk" and r.status == 401)
    )
    return count


def once(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", "--once", "--config.file", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_daemon_and_two_once_runs_send_a_shared_wrong_key_three_times(tmp_path: Path) -> None:
    cloud = FakeCloud(tenants=[make_tenant()])
    with SimulatorThread(cloud) as sim:
        config = write_config(tmp_path / "config.yaml", accounts(sim.url, cloud))
        with exporter(["--config.file", str(config)], tmp_path) as daemon:
            daemon.wait_ready()  # every source polled once: all nine failed
            assert bad_signatures(sim) == 1
            until = daemon.samples("huaweicloud_migration_auth_backoff_until_timestamp_seconds")
            assert sorted(dict(k)["account"] for k in until) == ["region-0", "region-1", "region-2"]
            assert all(value > time.time() + 250 for value in until.values())
            for run in (1, 2):
                result = once(config)
                assert result.returncode == 1  # every source failed
                assert 'huaweicloud_migration_up{account="region-2",service="oms"} 0' in (
                    result.stdout
                )
                assert bad_signatures(sim) == 1 + run  # one more per process, not nine
                assert WRONG_SECRET not in result.stdout + result.stderr
            wait_for(lambda: "credentials rejected" in daemon.logs(), 10, "the warning")
            logs = daemon.logs()
        assert sim.call(lambda c: c.ak_failures[ACCESS_KEY]) == 3
        assert ACCESS_KEY not in sim.call(lambda c: dict(c.ak_locked_until))
    warnings = [line for line in logs.splitlines() if '"credentials rejected"' in line]
    assert len(warnings) == 1 and "Huawei locks an access key after 5" in warnings[0]
    for secret in (WRONG_SECRET, SECRET_KEY, ACCESS_KEY):
        assert secret not in logs
