"""TLS and basic auth from an exporter-toolkit web config, served for real on loopback."""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import bcrypt
import pytest
import trustme
import yaml
from aiohttp import web

from exporter.exposition.snapshot import Snapshot
from exporter.telemetry import Telemetry
from exporter.web.server import make_app
from exporter.web.web_config import WebConfig, WebConfigError, WebConfigFile, load_web_config

PASSWORD = "scrape-PW-7f3a9c"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def write_config(
    tmp_path: Path, ca: trustme.CA, *, client_auth: str | None = None, users: bool = True
) -> Path:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    tls: dict[str, str] = {
        "cert_file": str(tmp_path / "server.pem"),
        "key_file": str(tmp_path / "server.pem"),
    }
    if client_auth:
        tls |= {"client_auth_type": client_auth, "client_ca_file": str(tmp_path / "ca.pem")}
    data: dict[str, object] = {"tls_server_config": tls}
    if users:
        data["basic_auth_users"] = {"prometheus": HASH}
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump(data))
    return path


async def serve(config: WebConfig) -> tuple[web.AppRunner, str]:
    snapshot = Snapshot()
    snapshot.set_own(Telemetry().render())
    runner = web.AppRunner(make_app(snapshot, Telemetry(), middlewares=config.middlewares()))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=config.ssl_context())
    await site.start()
    return runner, f"https://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def tls_server(
    tmp_path: Path, ca: trustme.CA
) -> AsyncIterator[tuple[str, ssl.SSLContext, WebConfig]]:
    config = load_web_config(write_config(tmp_path, ca))
    runner, url = await serve(config)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    yield url, client, config
    await runner.cleanup()


async def test_metrics_need_the_right_credentials_over_tls(
    tls_server: tuple[str, ssl.SSLContext, WebConfig],
) -> None:
    url, client, _ = tls_server
    async with aiohttp.ClientSession() as session:
        async with session.get(
            url + "/metrics", ssl=client, headers=basic("prometheus", PASSWORD)
        ) as ok:
            assert ok.status == 200
            assert "huaweicloud_migration_exporter_build_info" in await ok.text()
        answers = []
        for headers in (
            {},
            basic("prometheus", "wrong"),
            basic("nobody", PASSWORD),
            {"Authorization": "Basic !!!"},
        ):
            async with session.get(url + "/metrics", ssl=client, headers=headers) as denied:
                answers.append(
                    (denied.status, await denied.text(), denied.headers.get("WWW-Authenticate"))
                )
    # The same answer whether the user or the password was wrong.
    assert len(set(answers)) == 1
    status, text, challenge = answers[0]
    assert (
        status == 401 and text == "Unauthorized\n" and challenge and challenge.startswith("Basic")
    )


async def test_health_endpoints_stay_open_for_probes_and_the_landing_page_does_not(
    tls_server: tuple[str, ssl.SSLContext, WebConfig],
) -> None:
    url, client, config = tls_server
    async with aiohttp.ClientSession() as session:
        for path in ("/healthz", "/readyz"):
            async with session.get(url + path, ssl=client) as health:
                assert health.status == 200, path
        for path in ("/-/healthy", "/-/ready"):  # Prometheus' spellings: never asked for a password
            async with session.get(url + path, ssl=client) as health:
                assert health.status != 401, path
        for path in ("/", "/metrics"):
            async with session.get(url + path, ssl=client) as page:
                assert page.status == 401
    assert config.bcrypt_checks == 0


async def test_bcrypt_runs_once_per_credential_not_per_scrape(
    tls_server: tuple[str, ssl.SSLContext, WebConfig],
) -> None:
    url, client, config = tls_server
    async with aiohttp.ClientSession() as session:
        for _ in range(10):
            async with session.get(
                url + "/metrics", ssl=client, headers=basic("prometheus", PASSWORD)
            ) as response:
                assert response.status == 200
    assert config.bcrypt_checks == 1


async def test_plain_http_is_refused_on_a_tls_port(
    tls_server: tuple[str, ssl.SSLContext, WebConfig],
) -> None:
    url, _, _ = tls_server
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            async with session.get(url.replace("https", "http") + "/healthz") as response:
                await response.read()


async def test_client_certificates_can_be_required(tmp_path: Path, ca: trustme.CA) -> None:
    config = load_web_config(
        write_config(tmp_path, ca, client_auth="RequireAndVerifyClientCert", users=False)
    )
    runner, url = await serve(config)
    try:
        anonymous = ssl.create_default_context()
        ca.configure_trust(anonymous)
        with_cert = ssl.create_default_context()
        ca.configure_trust(with_cert)
        ca.issue_cert("prometheus@example.test").configure_cert(with_cert)
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/metrics", ssl=with_cert) as response:
                assert response.status == 200
            with pytest.raises(aiohttp.ClientError):
                async with session.get(url + "/metrics", ssl=anonymous) as response:
                    await response.read()
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"basic_auth_users": {"u": "plaintext-password"}}, "must be a bcrypt hash"),
        (
            {
                "tls_server_config": {
                    "cert_file": "/nonexistent.pem",
                    "key_file": "/nonexistent.pem",
                }
            },
            "cannot load the certificate /nonexistent.pem with the key /nonexistent.pem: No such file",
        ),
        (
            {"tls_server_config": {"cert_file": "a", "key_file": "b", "min_version": "SSL3"}},
            "tls_server_config.min_version",
        ),
        (
            {
                "tls_server_config": {
                    "cert_file": "a",
                    "key_file": "b",
                    "client_auth_type": "Sometimes",
                }
            },
            "client_auth_type",
        ),
        ({"surprise": 1}, "surprise"),
        (["not", "a", "mapping"], "must hold a mapping"),
    ],
)
def test_a_bad_web_config_fails_at_start_with_the_key_and_no_secret(
    tmp_path: Path, content: object, message: str
) -> None:
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump(content))
    with pytest.raises(WebConfigError, match=message) as caught:
        load_web_config(path)
    assert "plaintext-password" not in str(caught.value)


def test_a_missing_web_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WebConfigError, match="cannot read"):
        load_web_config(tmp_path / "absent.yml")


async def test_unknown_users_cost_as_much_as_known_ones() -> None:
    """Timing does not tell which user names exist: a wrong password of an unknown user runs
    bcrypt as often as a known user's, against a hash of the same cost as the dearest real one."""
    dear = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=7)).decode()
    config = WebConfig(WebConfigFile(basic_auth_users={"prometheus": dear}))

    async def checks(user: str) -> int:
        before = config.bcrypt_checks
        for n in range(5):
            # One address per try: the throttle would otherwise refuse the later ones unchecked.
            verdict = await config.check(basic(user, f"wrong-{n}")["Authorization"], f"10.0.0.{n}")
            assert verdict == (False, 0.0)
        return config.bcrypt_checks - before

    assert await checks("prometheus") == await checks("nobody") == 5
    assert config._dummy[:7] == dear.encode()[:7] == b"$2b$07$"  # the same cost


async def test_a_password_over_72_bytes_is_a_plain_401(
    tls_server: tuple[str, ssl.SSLContext, WebConfig], caplog: pytest.LogCaptureFixture
) -> None:
    url, client, config = tls_server
    async with aiohttp.ClientSession() as session:
        for password in (PASSWORD + "x" * 80, "é" * 40):  # 80+ ASCII bytes; 80 UTF-8 bytes
            async with session.get(
                url + "/metrics", ssl=client, headers=basic("prometheus", password)
            ) as response:
                assert response.status == 401
    assert config.bcrypt_checks == 0
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_reload_keeps_verified_credentials_only_of_users_whose_hash_did_not_change() -> (
    None
):
    other = bcrypt.hashpw(b"other-PW", bcrypt.gensalt(rounds=4)).decode()
    config = WebConfig(WebConfigFile(basic_auth_users={"prometheus": HASH, "grafana": other}))
    for user, password in (("prometheus", PASSWORD), ("grafana", "other-PW")):
        assert (await config.check(basic(user, password)["Authorization"], "10.0.0.1")).ok
    assert config.bcrypt_checks == 2
    rotated = bcrypt.hashpw(b"new-PW", bcrypt.gensalt(rounds=4)).decode()
    config.replace(
        WebConfig(WebConfigFile(basic_auth_users={"prometheus": HASH, "grafana": rotated}))
    )
    assert (await config.check(basic("prometheus", PASSWORD)["Authorization"], "10.0.0.1")).ok
    assert config.bcrypt_checks == 2  # unchanged user: still verified, no bcrypt
    assert not (await config.check(basic("grafana", "other-PW")["Authorization"], "10.0.0.1")).ok
    assert config.bcrypt_checks == 3  # its hash changed: the old password is checked, and fails
