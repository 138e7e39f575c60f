"""`credentials` of temporary keys as settings (DESIGN.md section 13): what `--check-config`
warns of, and what is read from the official SDK's environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from exporter.settings import config_warnings, load

SDK_VARIABLES = (
    "HUAWEICLOUD_OIDC_PROVIDER_URN",
    "HUAWEICLOUD_OIDC_AGENCY_URN",
    "HUAWEICLOUD_OIDC_TOKEN_FILE",
    "HUAWEICLOUD_OIDC_ID_TOKEN",
    "HUAWEICLOUD_OIDC_SESSION_NAME",
    "HUAWEICLOUD_OIDC_DURATION_SECONDS",
    "HUAWEICLOUD_SDK_STS_ENDPOINT",
    "HUAWEICLOUD_SDK_IAM_ENDPOINT",
    "HUAWEICLOUD_SDK_IDP_ID",
    "HUAWEICLOUD_SDK_ID_TOKEN_FILE",
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HC_CONTAINER_CREDENTIALS_FULL_URI",
    "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


@pytest.fixture(autouse=True)
def no_sdk_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the SDK's variables, and no profile file: the developer's own stay out."""
    for name in SDK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(tmp_path / "no-profile"))


def warned(tmp_path: Path, credentials: dict[str, object]) -> list[str]:
    """The keys `--check-config` warns of for one account with these `credentials`."""
    account = {"name": "prod", "region": "ap-southeast-3", "credentials": credentials}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"accounts": [account]}))
    return [key for key, _ in config_warnings(load(path))]


def pod_identity(uri: str) -> dict[str, object]:
    return {"provider": "pod_identity", "pod_identity_uri": uri, "pod_identity_token_file": "/t"}


def oidc_sts(endpoint: str) -> dict[str, object]:
    return {
        "provider": "oidc_sts",
        "provider_urn": "iam::1:identity-provider:k8s",
        "agency_urn": "iam::1:agency:exporter",
        "id_token_file": "/var/run/secrets/hwmig/oidc/token",
        "sts_endpoint": endpoint,
    }


@pytest.mark.parametrize(
    ("uri", "warning"),
    [
        ("http://pod-identity.example.com/credentials", True),
        ("http://10.0.0.7:8080/credentials", True),
        ("https://pod-identity.example.com/credentials", False),
        ("http://127.0.0.1:8080/credentials", False),
        ("http://localhost:8080/credentials", False),
    ],
)
def test_a_plain_http_pod_identity_uri_off_the_machine_is_warned_of(
    tmp_path: Path, uri: str, warning: bool
) -> None:
    expected = ["accounts.0.credentials.pod_identity_uri"] if warning else []
    assert warned(tmp_path, pod_identity(uri)) == expected


@pytest.mark.parametrize(
    ("endpoint", "warning"),
    [
        ("http://sts.example.com", True),
        ("http://192.168.1.20:9000", True),
        ("https://sts.ap-southeast-3.myhuaweicloud.com", False),
        ("http://127.0.0.1:9000", False),
        ("http://[::1]:9000", False),
    ],
)
def test_a_plain_http_sts_endpoint_off_the_machine_is_warned_of(
    tmp_path: Path, endpoint: str, warning: bool
) -> None:
    expected = ["accounts.0.credentials.sts_endpoint"] if warning else []
    assert warned(tmp_path, oidc_sts(endpoint)) == expected


@pytest.mark.parametrize(
    "endpoint", ["http://169.254.169.254", "http://10.0.0.7", "http://metadata.example.com"]
)
@pytest.mark.parametrize("provider", ["ecs_metadata", "chain"])
def test_the_metadata_endpoint_is_never_warned_of(
    tmp_path: Path, provider: str, endpoint: str
) -> None:
    """Plain http:// by nature (link-local, never routed): whatever its host."""
    assert warned(tmp_path, {"provider": provider, "metadata_endpoint": endpoint}) == []


def test_an_account_on_the_default_chain_is_not_warned_of(tmp_path: Path) -> None:
    assert warned(tmp_path, {}) == []


def test_the_sdk_variables_are_warned_of_like_the_keys_they_stand_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HC_CONTAINER_CREDENTIALS_FULL_URI in plain http to another host: the same warning."""
    monkeypatch.setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.7/credentials")
    monkeypatch.setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/t")
    assert warned(tmp_path, {"provider": "pod_identity"}) == [
        "accounts.0.credentials.pod_identity_uri"
    ]
