"""Reloading the real exporter process: a config file edited under it (an account added, one
removed, a secret file rotated) is picked up by itself; the unchanged account never leaves a
scrape; an invalid edit is refused and the old configuration keeps serving."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import SimulatorThread
from tests.conftest import make_tenant
from tests.e2e.harness import exporter, http_get, wait_for
from tests.payloads import TASK_LISTS_ONLY

pytestmark = pytest.mark.e2e

NEW_SECRET = "SK-ROTATED-7e6d5c4b3a29"


def cloud() -> FakeCloud:
    tenants = [make_tenant(n, access_key=f"AKTESTACCESSKEY0001{i}") for i, n in enumerate("abcd")]
    for tenant in tenants:
        tenant.sms_tasks = [{"id": f"{tenant.name}-task", "state": "RUNNING"}]
        tenant.oms_tasks = []
    return FakeCloud(tenants=tenants)


def write(path: Path, fake: FakeCloud, url: str, names: str, tmp: Path, **top: Any) -> None:
    accounts = []
    for name in names:
        account = fake.tenant(name).account_config(url)
        account["oms"] = {"enabled": False}
        if name == "b":  # its secret comes from a file, as a mounted Kubernetes Secret
            account["credentials"] = {
                "access_key": fake.tenant("b").access_key,
                "secret_key_file": str(tmp / "b-secret"),
            }
        accounts.append(account)
    config = {"poll_interval_seconds": 10, "collect": TASK_LISTS_ONLY, **top}
    path.write_text(yaml.safe_dump({**config, "accounts": accounts}))


class Scraper(threading.Thread):
    """Scrapes all the time, keeping which accounts each scrape showed."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seen: list[set[str]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            status, body = http_get(self.url + "/metrics", timeout=5)
            if status == 200:
                text = body.decode()
                self.seen.append({n for n in "abcd" if f'task_id="{n}-task"' in text})
            time.sleep(0.1)


def test_an_edited_config_applies_in_place_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    fake = cloud()
    (tmp_path / "b-secret").write_text(fake.tenant("b").secret_key)
    config = tmp_path / "config.yaml"
    with SimulatorThread(fake) as sim:
        write(config, fake, sim.url, "abc", tmp_path)
        with exporter(["--config.file", str(config)], tmp_path) as proc:
            proc.wait_ready()
            scraper = Scraper(proc.url)
            scraper.start()
            wait_for(lambda: scraper.seen and scraper.seen[-1] == {"a", "b", "c"}, 20, "a, b, c")
            before = len(scraper.seen)

            # Rotate b's secret in the cloud and in its file; drop c, add d: by file edits alone.
            def rotate(c: FakeCloud) -> None:
                c.tenant("b").secret_key = NEW_SECRET

            sim.call(rotate)
            (tmp_path / "b-secret").write_text(NEW_SECRET + "\n")
            write(config, fake, sim.url, "abd", tmp_path)
            wait_for(
                lambda: (
                    scraper.seen[-1] == {"a", "b", "d"}
                    and proc.samples("huaweicloud_migration_up")
                    == {frozenset({("account", n), ("service", "sms")}): 1.0 for n in "abd"}
                ),
                60,
                "d polled, c gone, b up again with its new secret",
            )
            assert all("a" in seen for seen in scraper.seen[before:])  # never missing
            served = sim.call(
                lambda c: [r for r in c.stats.log if r.tenant == "b" and r.status == 200]
            )
            assert served  # the cloud, knowing only the new secret, accepted b again
            reloaded = proc.samples("huaweicloud_migration_config_last_reload_successful")
            assert list(reloaded.values()) == [1.0]

            # An invalid edit: refused, logged once, the running configuration stays.
            write(config, fake, sim.url, "abd", tmp_path, poll_interval_seconds=1)
            proc.process.send_signal(signal.SIGHUP)
            wait_for(
                lambda: (
                    list(
                        proc.samples("huaweicloud_migration_config_last_reload_successful").values()
                    )
                    == [0.0]
                ),
                30,
                "the refused reload to show",
            )
            proc.process.send_signal(signal.SIGHUP)
            time.sleep(2)
            assert scraper.seen[-1] == {"a", "b", "d"}
            scraper.stopped.set()
            scraper.join(10)
            logs = proc.logs()
    assert logs.count("configuration reload refused") == 1
    assert "poll_interval_seconds" in logs
    for secret in (NEW_SECRET, fake.tenant("a").secret_key):
        assert secret not in logs
