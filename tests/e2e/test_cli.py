"""The real CLI process against the simulator: values, isolation, staleness, recovery, exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from exporter.services import SERVICES
from exporter.simulator.cloud import FakeCloud, Fault
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.conftest import PASSWORD, SECRET_KEY, make_tenant
from tests.e2e.harness import account_config, exporter, free_port, http_get, wait_for, write_config

pytestmark = pytest.mark.e2e


def two_accounts() -> FakeCloud:
    import time

    now = time.time()
    aksk = estate(make_tenant("acct-a"), sms=6, oms=4, now=now)
    password = estate(
        make_tenant("acct-b", access_key="AKTESTACCESSKEY00002"), sms=3, oms=2, now=now
    )
    return FakeCloud(tenants=[aksk, password])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args], capture_output=True, text=True, timeout=60
    )


def by(
    samples: dict[frozenset[tuple[str, str]], float], **labels: str
) -> dict[frozenset[tuple[str, str]], float]:
    return {k: v for k, v in samples.items() if set(labels.items()) <= k}


def test_two_accounts_end_to_end(tmp_path: Path) -> None:
    cloud = two_accounts()
    with SimulatorThread(cloud) as sim:
        config = write_config(
            tmp_path / "config.yaml",
            [
                account_config(cloud.tenants[0], sim.url),
                account_config(cloud.tenants[1], sim.url, password=True),
            ],
            stale_after_seconds=15,
        )
        with exporter(["--config.file", str(config)], tmp_path) as proc:
            proc.wait_ready()
            up = proc.samples("huaweicloud_migration_up")
            assert sorted(up.values()) == [1] * 2 * len(SERVICES)  # two accounts, every list

            # Values match what the simulator served.
            served = sim.call(lambda c: c.tenant("acct-a").sms_page(c.clock(), 0, 200))
            states = by(proc.samples("huaweicloud_sms_tasks"), account="acct-a")
            for state in {t["state"] for t in served}:
                expected = sum(1 for t in served if t["state"] == state)
                assert by(states, state=state).popitem()[1] == expected
            info = by(proc.samples("huaweicloud_sms_task_info"), account="acct-a")
            assert {dict(k)["task_id"] for k in info} == {t["id"] for t in served}
            oms = by(proc.samples("huaweicloud_oms_task_size_bytes"), account="acct-b")
            assert sorted(oms.values()) == sorted(
                float(t["total_size"]) for t in sim.call(lambda c: c.tenant("acct-b").oms_tasks)
            )

            # Break acct-a: it goes down, acct-b stays up, then acct-a's task series go stale.
            sim.call(
                lambda c: c.tenant("acct-a").add_fault(
                    Fault(service="sms", kind="status", status=500)
                )
            )
            wait_for(
                lambda: (
                    proc.samples("huaweicloud_migration_up")[
                        frozenset({("account", "acct-a"), ("service", "sms")})
                    ]
                    == 0
                ),
                25,
                "acct-a sms to go down",
            )
            up = proc.samples("huaweicloud_migration_up")
            assert up[frozenset({("account", "acct-b"), ("service", "sms")})] == 1
            assert up[frozenset({("account", "acct-a"), ("service", "oms")})] == 1
            assert by(
                proc.samples("huaweicloud_sms_task_info"), account="acct-a"
            )  # kept, not stale yet
            wait_for(
                lambda: not by(proc.samples("huaweicloud_sms_task_info"), account="acct-a"),
                30,
                "acct-a sms series to be dropped as stale",
            )
            assert by(proc.samples("huaweicloud_sms_task_info"), account="acct-b")
            errors = proc.samples("huaweicloud_migration_poll_errors_total")
            assert (
                errors[frozenset({("account", "acct-a"), ("service", "sms"), ("reason", "server")})]
                >= 1
            )

            # Recovery: the fault goes, the series come back within a poll.
            sim.call(lambda c: c.tenant("acct-a").faults.clear())
            wait_for(
                lambda: len(by(proc.samples("huaweicloud_sms_task_info"), account="acct-a")) == 6,
                25,
                "acct-a sms to recover",
            )
            code, seconds = proc.stop(signal.SIGTERM)
            assert code == 0 and seconds < 5
            logs = proc.logs()
    assert SECRET_KEY not in logs and PASSWORD not in logs
    assert '"event": "poll failed"' in logs


def test_once_prints_metrics_and_reports_failure(tmp_path: Path) -> None:
    cloud = two_accounts()
    with SimulatorThread(cloud) as sim:
        config = write_config(tmp_path / "c.yaml", [account_config(cloud.tenants[0], sim.url)])
        good = run_cli("--once", "--config.file", str(config))
        assert good.returncode == 0, good.stderr
        assert 'huaweicloud_migration_up{account="acct-a",service="sms"} 1' in good.stdout
        sim.call(lambda c: c.tenant("acct-a").add_fault(Fault(service="oms", kind="html")))
        bad = run_cli("--once", "--config.file", str(config))
        assert bad.returncode == 1
        assert 'huaweicloud_migration_up{account="acct-a",service="oms"} 0' in bad.stdout
        assert SECRET_KEY not in bad.stdout + bad.stderr


def test_check_config_prints_the_effective_config_masked(tmp_path: Path) -> None:
    cloud = two_accounts()
    config = write_config(
        tmp_path / "c.yaml",
        [
            account_config(cloud.tenants[0], "http://127.0.0.1:1"),
            account_config(cloud.tenants[1], "http://127.0.0.1:1", password=True),
        ],
    )
    result = run_cli("--check-config", "--config.file", str(config))
    assert result.returncode == 0, result.stderr
    effective = yaml.safe_load(result.stdout)
    assert effective["accounts"][0]["credentials"]["secret_key"] == "**********"
    assert SECRET_KEY not in result.stdout and PASSWORD not in result.stdout


def questionable(tmp_path: Path) -> Path:
    """Account a: a region of no Huawei form, SMS over plain http to a remote host, OMS over
    http to loopback (no warning); account b: everything derived from a real region."""
    tenant = make_tenant()
    remote = account_config(tenant, "http://127.0.0.1:1") | {"name": "a", "region": "apsoutheast3"}
    remote["sms"] = {"endpoint": "http://sms.example.com"}
    derived = account_config(tenant, "http://127.0.0.1:1") | {"name": "b", "region": "cn-north-4"}
    derived["sms"], derived["oms"] = {}, {"project_id": tenant.project_id}
    return write_config(tmp_path / "c.yaml", [remote, derived])


WARNINGS = [
    "huaweicloud-migration-exporter: warning: accounts.0.region: 'apsoutheast3' has no Huawei"
    " Cloud region's form (like ap-southeast-3): the endpoints derived from it may not exist",
    "huaweicloud-migration-exporter: warning: accounts.0.sms.endpoint: plain http:// to"
    " sms.example.com: requests, signed or with a token, cross the network unencrypted",
]


def test_check_config_prints_the_endpoints_in_use_and_warns_of_odd_ones(tmp_path: Path) -> None:
    result = run_cli("--check-config", "--config.file", str(questionable(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == WARNINGS
    a, b = yaml.safe_load(result.stdout)["accounts"]
    endpoints = [(x["iam_endpoint"], x["sms"]["endpoint"], x["oms"]["endpoint"]) for x in (a, b)]
    assert endpoints == [
        ("https://iam.myhuaweicloud.com", "http://sms.example.com", "http://127.0.0.1:1"),
        (
            "https://iam.myhuaweicloud.com",
            "https://sms.cn-north-4.myhuaweicloud.com",
            "https://oms.cn-north-4.myhuaweicloud.com",
        ),
    ]


def test_check_config_warns_of_plain_http_sts_but_not_of_the_metadata_service(
    tmp_path: Path,
) -> None:
    tenant = make_tenant()
    sts = account_config(tenant, "http://127.0.0.1:1") | {"name": "sts"}
    sts["credentials"] = {
        "provider": "oidc_sts",
        "provider_urn": "iam::1:identity-provider:k8s",
        "agency_urn": "iam::1:agency:exporter",
        "id_token_file": str(tmp_path / "token"),
        "sts_endpoint": "http://sts.example.com",
    }
    ecs = account_config(tenant, "http://127.0.0.1:1") | {"name": "ecs"}
    ecs["credentials"] = {"provider": "ecs_metadata"}  # http://169.254.169.254
    result = run_cli(
        "--check-config", "--config.file", str(write_config(tmp_path / "c.yaml", [sts, ecs]))
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "huaweicloud-migration-exporter: warning: accounts.0.credentials.sts_endpoint: plain"
        " http:// to sts.example.com: requests, signed or with a token, cross the network"
        " unencrypted"
    ]


def test_the_daemon_logs_the_same_warnings_at_start(tmp_path: Path) -> None:
    config = questionable(tmp_path)
    with exporter(["--config.file", str(config), "--log.format", "json"], tmp_path) as proc:
        wait_for(lambda: proc.logs().count("configuration looks unintended") == 2, 30, "warnings")
    events = [json.loads(line) for line in proc.logs().splitlines()]  # stopped: lines whole
    warned = [
        (e["level"], e["key"]) for e in events if e["event"] == "configuration looks unintended"
    ]
    assert warned == [("warning", "accounts.0.region"), ("warning", "accounts.0.sms.endpoint")]


def test_a_bad_config_exits_2_with_one_message_and_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    {
                        "name": "x",
                        "region": "r",
                        "credentials": {
                            "access_key": "AK",
                            "secret_key": SECRET_KEY,
                            "colour": SECRET_KEY,
                        },
                    }
                ]
            }
        )
    )
    result = run_cli("--check-config", "--config.file", str(path))
    assert result.returncode == 2
    assert "accounts.0.credentials.colour" in result.stderr
    assert SECRET_KEY not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("which", ["config", "web config"])
def test_a_file_nested_20000_deep_is_refused_at_start_naming_it(tmp_path: Path, which: str) -> None:
    """PyYAML composes recursively: such a file once escaped as a RecursionError traceback."""
    nested = tmp_path / "nested.yaml"
    nested.write_text("basic_auth_users: " + "[" * 20_000 + "]" * 20_000 + "\n")
    config = nested
    if which == "web config":
        config = write_config(
            tmp_path / "c.yaml",
            [account_config(make_tenant(), "http://127.0.0.1:1")],
            web={"config_file": str(nested)},
        )
    result = run_cli("--config.file", str(config), "--web.listen-address", "127.0.0.1:0")
    assert result.returncode == 2, result.stderr
    flag = "--config.file" if which == "config" else "--web.config.file"
    assert result.stderr.strip().splitlines() == [
        f"huaweicloud-migration-exporter: {flag}: {nested} is nested too deep"
        + (" to be a configuration" if which == "config" else "")
    ]


@pytest.mark.parametrize("mode", [["--check-config"], ["--once"], []])
def test_a_config_without_accounts_is_refused_by_every_mode(
    tmp_path: Path, mode: list[str]
) -> None:
    """--check-config accepts exactly what a real start accepts: no account, exit 2 for all."""
    path = tmp_path / "empty.yaml"
    path.write_text(yaml.safe_dump({"poll_interval_seconds": 30}))
    result = run_cli(*mode, "--config.file", str(path), "--web.listen-address", "127.0.0.1:0")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().endswith(
        "accounts: no account configured (see --config.file or HWMIG_ACCESS_KEY)"
    )
    assert result.stdout == ""


def test_the_demo_serves_live_changing_metrics(tmp_path: Path) -> None:
    """README command one: --demo shows tasks in several states, one failed, values moving."""
    with exporter(["--demo"], tmp_path) as proc:
        proc.wait_ready()
        states = proc.samples("huaweicloud_sms_tasks")
        present = {dict(k)["state"] for k, v in states.items() if v > 0}
        assert {"RUNNING", "MIGRATE_FAIL"} <= present
        assert len(present) >= 3
        first = proc.samples("huaweicloud_sms_task_migrate_speed_bytes_per_second")
        wait_for(
            lambda: proc.samples("huaweicloud_sms_task_migrate_speed_bytes_per_second") != first,
            25,
            "the demo's speeds to move on the next poll",
        )
        assert sum(proc.samples("huaweicloud_oms_task_completed_bytes").values()) > 0


def test_the_demo_runs_one_account_on_a_temporary_credential(tmp_path: Path) -> None:
    """--demo's third account signs with temporary keys from the simulated ECS metadata
    service, beside the AK/SK and the password accounts, and logs none of them."""
    with exporter(["--demo", "--log.level", "debug"], tmp_path) as proc:
        proc.wait_ready()
        up = proc.samples("huaweicloud_migration_up")
        accounts = {dict(labels)["account"] for labels in up}
        assert accounts == {"demo-prod", "demo-dr", "demo-agency"}
        agency = by(up, account="demo-agency")
        assert len(agency) >= 3 and set(agency.values()) == {1}  # sms, sms_sources, oms ...
        logs = proc.logs()
    obtained = [
        json.loads(line)
        for line in logs.splitlines()
        if line.startswith("{") and '"temporary credentials obtained"' in line
    ]
    assert obtained and {e["provider"] for e in obtained} == {"ecs_metadata"}
    assert {e["account"] for e in obtained} == {"demo-agency"}
    assert "STS-" not in logs  # the simulator's security tokens: never logged


def test_the_healthcheck_asks_where_the_exporter_listens(tmp_path: Path) -> None:
    """The image's HEALTHCHECK: healthy at the address the environment gives, not elsewhere."""
    with exporter(["--demo"], tmp_path) as proc:
        env = {**os.environ, "HWMIG_WEB__LISTEN_ADDRESS": f"0.0.0.0:{proc.port}"}
        proc.wait_ready()
        healthy = subprocess.run(
            [sys.executable, "-m", "exporter.web.healthcheck"], env=env, timeout=30
        )
        env["HWMIG_WEB__LISTEN_ADDRESS"] = f"0.0.0.0:{free_port()}"
        elsewhere = subprocess.run(
            [sys.executable, "-m", "exporter.web.healthcheck"], env=env, timeout=30
        )
    assert healthy.returncode == 0 and elsewhere.returncode == 1


def test_the_demo_listens_where_the_environment_says(tmp_path: Path) -> None:
    """As in the container: HWMIG_WEB__LISTEN_ADDRESS=0.0.0.0:PORT makes the demo reachable."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter", "--demo"],
        env={**os.environ, "HWMIG_WEB__LISTEN_ADDRESS": f"0.0.0.0:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 30, "the demo")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
