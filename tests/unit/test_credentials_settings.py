"""`credentials` of temporary keys as settings (DESIGN.md section 13): what `--check-config`
warns of, and what is read from the official SDK's environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from exporter.huawei.temporary import OidcFederation, OidcSts
from exporter.settings import Account, ConfigError, config_warnings, load
from exporter.sources import temporary_provider

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


def account_of(tmp_path: Path, credentials: Mapping[str, object], **changes: object) -> Account:
    account = {
        "name": "prod",
        "region": "ap-southeast-3",
        "credentials": dict(credentials),
        **changes,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"accounts": [account]}))
    (loaded,) = load(path).accounts
    return loaded


FEDERATION = {"provider": "oidc_federation", "idp_id": "k8s", "id_token_file": "/t"}


def test_oidc_federation_takes_its_iam_endpoint_from_the_sdk_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the SDK's FederalAccessor: HUAWEICLOUD_SDK_IAM_ENDPOINT when none is configured."""
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.ap-southeast-3.example.com/")
    account = account_of(tmp_path, FEDERATION)
    assert account.iam_url == "https://iam.ap-southeast-3.example.com"
    provider = temporary_provider(account)
    assert isinstance(provider, OidcFederation)
    assert provider.iam_endpoint == "https://iam.ap-southeast-3.example.com"


def test_a_configured_iam_endpoint_beats_the_sdk_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.from-env.example.com")
    account = account_of(tmp_path, FEDERATION, iam_endpoint="https://iam.configured.example.com")
    assert account.iam_url == "https://iam.configured.example.com"


def test_the_chain_takes_federation_and_its_iam_endpoint_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_IDP_ID", "k8s")
    monkeypatch.setenv("HUAWEICLOUD_SDK_ID_TOKEN_FILE", "/t")
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.from-env.example.com")
    account = account_of(tmp_path, {})
    assert account.credentials.provider == "oidc_federation"
    assert account.iam_url == "https://iam.from-env.example.com"


def test_the_chain_takes_the_profile_files_iam_endpoint_for_its_federation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the SDK's ProfileCredentialProvider: the file's iam_endpoint before the variable."""
    profile = tmp_path / "credentials"
    profile.write_text(
        "[basic]\nidp_id = k8s\nid_token_file = /t\niam_endpoint = https://iam.profile.example.com\n"
    )
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(profile))
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.from-env.example.com")
    account = account_of(tmp_path, {})
    assert account.credentials.provider == "oidc_federation"
    assert account.iam_url == "https://iam.profile.example.com"


@pytest.mark.parametrize(
    "credentials",
    [{"provider": "ecs_metadata"}, {"access_key": "AK", "secret_key": "SK-never-shown"}],
)
def test_the_sdk_iam_variable_is_left_alone_where_the_sdk_does_not_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credentials: dict[str, object]
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.from-env.example.com")
    assert account_of(tmp_path, credentials).iam_endpoint is None


def test_a_bad_sdk_iam_variable_is_refused_by_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "iam.example.com")
    with pytest.raises(ConfigError, match="HUAWEICLOUD_SDK_IAM_ENDPOINT"):
        account_of(tmp_path, FEDERATION)


INLINE = "eyJhbGciOiJSUzI1NiJ9.INLINE-ID-TOKEN-in-the-environment.signature"
STS = {
    "provider": "oidc_sts",
    "provider_urn": "iam::1:identity-provider:k8s",
    "agency_urn": "iam::1:agency:exporter",
}


def test_oidc_sts_takes_an_inline_id_token_from_the_sdk_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HUAWEICLOUD_OIDC_ID_TOKEN, before HUAWEICLOUD_OIDC_TOKEN_FILE, as the SDK orders them."""
    monkeypatch.setenv("HUAWEICLOUD_OIDC_ID_TOKEN", INLINE)
    monkeypatch.setenv("HUAWEICLOUD_OIDC_TOKEN_FILE", "/from-env")
    account = account_of(tmp_path, STS)
    provider = temporary_provider(account)
    assert isinstance(provider, OidcSts)
    assert provider.id_token_file is None
    assert provider.id_token is not None and provider.id_token.get_secret_value() == INLINE
    assert INLINE not in repr(account) + repr(provider) + str(account.model_dump())


def test_a_configured_id_token_file_beats_the_inline_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_OIDC_ID_TOKEN", INLINE)
    provider = temporary_provider(account_of(tmp_path, {**STS, "id_token_file": "/configured"}))
    assert isinstance(provider, OidcSts)
    assert (provider.id_token_file, provider.id_token) == (Path("/configured"), None)


def test_the_chain_goes_to_sts_on_the_urns_and_an_inline_id_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_OIDC_PROVIDER_URN", "iam::1:identity-provider:k8s")
    monkeypatch.setenv("HUAWEICLOUD_OIDC_AGENCY_URN", "iam::1:agency:exporter")
    monkeypatch.setenv("HUAWEICLOUD_OIDC_ID_TOKEN", INLINE)
    account = account_of(tmp_path, {})
    assert account.credentials.provider == "oidc_sts"
    assert "oidc_sts needs" not in repr(account)


def test_oidc_sts_without_any_id_token_names_every_way_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HUAWEICLOUD_OIDC_ID_TOKEN") as refused:
        account_of(tmp_path, STS)
    assert INLINE not in str(refused.value)
