"""A reload put in place in the running exporter (`daemon.Reconfigure`): the log settings, the
web config and the fleet change; what a running server cannot change is named and waits for a
restart; `watched_files` names every file the configuration was read from; `serve` runs them
all in this process, polls, takes a reload and stops within its grace."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import structlog.testing
import trustme

from exporter import log
from exporter.daemon import SHUTDOWN_SECONDS, Reconfigure, needs_restart, serve, watched_files
from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Fleet
from exporter.services import SERVICES
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator
from exporter.telemetry import Telemetry
from exporter.web.web_config import TlsServerConfig, WebConfig, WebConfigFile
from tests.conftest import FAST, make_tenant
from tests.e2e.harness import free_port
from tests.payloads import settings_for

ACCOUNT = {
    "name": "prod",
    "region": "ap-southeast-3",
    "credentials": {"access_key": "AK", "secret_key": "not-a-secret"},
}
TLS = WebConfig(
    WebConfigFile(tls_server_config=TlsServerConfig(cert_file=Path("c"), key_file=Path("k")))
)


def settings(**top: Any) -> Settings:
    return Settings.model_validate({"accounts": [ACCOUNT], **top})


def test_nothing_needs_a_restart_when_the_fixed_settings_stay() -> None:
    old = settings()
    new = settings(web={"enable_lifecycle": True}, log={"level": "debug"})
    assert needs_restart(old, new, tls_at_start=False, new_web=None) == []
    assert needs_restart(old, new, tls_at_start=True, new_web=TLS) == []


def test_each_setting_fixed_at_start_is_named_when_a_reload_changes_it() -> None:
    old = settings()
    new = settings(
        web={"listen_address": ":9199", "write_timeout_seconds": 5, "max_connections": 99}
    )
    stuck = needs_restart(old, new, tls_at_start=False, new_web=None)
    assert stuck == ["listen_address", "max_connections", "write_timeout_seconds"]


def test_switching_tls_on_or_off_needs_a_restart() -> None:
    same = settings()
    assert needs_restart(same, same, tls_at_start=False, new_web=TLS) == ["tls_server_config"]
    assert needs_restart(same, same, tls_at_start=True, new_web=None) == ["tls_server_config"]
    assert needs_restart(same, same, tls_at_start=True, new_web=WebConfig.open()) == [
        "tls_server_config"
    ]


def test_a_reload_takes_the_log_level_and_the_web_users_and_names_what_waits() -> None:
    old = settings()
    live = WebConfig.open()
    apply = Reconfigure(current=lambda: old, web_config=live, tls_at_start=False)
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    users = WebConfig(WebConfigFile(basic_auth_users={"prometheus": hashed}))
    try:
        with structlog.testing.capture_logs() as logs:
            apply(settings(web={"listen_address": ":9199"}, log={"level": "error"}), users)
        assert [e["keys"] for e in logs if e["event"].startswith("these settings")] == [
            ["listen_address"]
        ]
        assert live.config.basic_auth_users == {"prometheus": hashed}  # swapped in place
        assert structlog.get_config()["wrapper_class"] is structlog.make_filtering_bound_logger(
            logging.ERROR
        )
        apply(old, None)  # no web config any more: open again
        assert live.config.basic_auth_users is None
    finally:
        log.configure("info", "console")  # as the other tests expect it


def test_watched_files_are_the_config_its_secret_files_the_ca_and_the_web_config(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "sk"
    secret.write_text("not-a-secret")
    ca = tmp_path / "ca.pem"
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(ca))
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    issued = authority.issue_cert("localhost")
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    web = tmp_path / "web.yml"
    web.write_text(f"tls_server_config: {{cert_file: {cert}, key_file: {key}}}\n")
    account = {**ACCOUNT, "credentials": {"access_key": "AK", "secret_key_file": str(secret)}}
    config = Settings.model_validate(
        {"accounts": [account], "api": {"ca_file": str(ca)}, "web": {"config_file": str(web)}}
    )
    config_file = tmp_path / "config.yml"
    assert watched_files(config, config_file) == [
        config_file,
        secret,
        ca,
        web,
        cert,
        key,
    ]
    assert watched_files(settings(), None) == []


async def test_a_reload_adds_and_removes_sources_of_the_running_fleet(
    simulator: RunningSimulator,
    cloud: FakeCloud,
    session: aiohttp.ClientSession,
) -> None:
    cloud.tenants.append(make_tenant("acct-b"))
    one = settings_for(simulator.url, FakeCloud(tenants=cloud.tenants[:1]))
    both = settings_for(simulator.url, cloud)
    fleet = Fleet(Snapshot(), Telemetry(), session, policy=FAST, start=False)
    fleet.apply(one)
    current = [one]
    apply = Reconfigure(
        current=lambda: current[0], web_config=WebConfig.open(), tls_at_start=False, fleet=fleet
    )
    try:
        added = apply(both, None)
        current[0] = both
        removed = apply(one, None)
        left = {p.source.key[0] for p in fleet.pollers}
    finally:
        await fleet.close()
        log.configure("info", "console")  # as the other tests expect it
    assert added is not None and removed is not None
    assert sorted(added.started) == [("acct-b", s) for s in sorted(s.name for s in SERVICES)]
    assert sorted(removed.stopped) == sorted(added.started)
    assert not (added.stopped or added.restarted or removed.started or removed.restarted)
    assert left == {"acct-a"}


async def test_serve_answers_reloads_and_stops_within_its_grace(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    """The daemon in this process: it polls, a `POST /-/reload` is applied, and setting `stop`
    shuts it down within the grace period."""
    port = free_port()
    config = settings_for(
        simulator.url,
        cloud,
        web={"listen_address": f"127.0.0.1:{port}", "enable_lifecycle": True},
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve(config, load=lambda: config, stop=stop))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                async with session.get(f"{base}/metrics") as response:
                    if b"huaweicloud_sms_tasks{" in await response.read():
                        break
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the daemon never served the SMS tasks")
        async with session.post(f"{base}/-/reload") as response:
            assert response.status == 200, await response.text()
    finally:
        stop.set()
        async with asyncio.timeout(SHUTDOWN_SECONDS * 2):
            await running
        log.configure("info", "console")  # as the other tests expect it
