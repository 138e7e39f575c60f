"""The official SDK as oracle for temporary credentials: from the same environment, its own
default chain (`huaweicloudsdkcore.auth.provider`) and the exporter's settings obtain the same
kind of key, from the same source, for the same tenant, read the same way.

The SDK lets the metadata endpoint be set on `MetadataAccessor`; IAM, STS and pod identity
take theirs from the environment (HUAWEICLOUD_SDK_IAM_ENDPOINT, HUAWEICLOUD_SDK_STS_ENDPOINT,
HC_CONTAINER_CREDENTIALS_FULL_URI), all pointed at the simulator here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from huaweicloudsdkcore.auth.internal import MetadataAccessor
from huaweicloudsdkcore.auth.provider import CredentialProviderChain
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.http.http_client import HttpClient
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.http.http_handler import HttpHandler

from exporter.huawei.temporary import TemporaryKey, Wire
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud, IssuedKey
from exporter.simulator.server import RunningSimulator
from exporter.simulator.temporary import ISO, PATHS

ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.ORACLE-ID-TOKEN.signature"
POD_TOKEN = "ORACLE-POD-TOKEN"
AGENCY = "iam::acct-a:agency:oracle"
SDK_VARIABLES = (
    "HUAWEICLOUD_OIDC_PROVIDER_URN",
    "HUAWEICLOUD_OIDC_AGENCY_URN",
    "HUAWEICLOUD_OIDC_TOKEN_FILE",
    "HUAWEICLOUD_OIDC_ID_TOKEN",
    "HUAWEICLOUD_SDK_STS_ENDPOINT",
    "HUAWEICLOUD_SDK_IAM_ENDPOINT",
    "HUAWEICLOUD_SDK_IDP_ID",
    "HUAWEICLOUD_SDK_ID_TOKEN_FILE",
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HC_CONTAINER_CREDENTIALS_FULL_URI",
    "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


def environment(provider: str, url: str, tmp_path: Path) -> dict[str, str]:
    id_token_file, pod_token_file = tmp_path / "id-token", tmp_path / "pod-token"
    id_token_file.write_text(ID_TOKEN)
    pod_token_file.write_text(POD_TOKEN)
    # No profile file: the chain must not find the developer's own.
    env = {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(tmp_path / "no-profile")}
    if provider == "oidc_sts_inline":  # the ID token itself in the environment, no file
        env |= {
            "HUAWEICLOUD_OIDC_PROVIDER_URN": "iam::sim:identity-provider:sim-idp",
            "HUAWEICLOUD_OIDC_AGENCY_URN": AGENCY,
            "HUAWEICLOUD_OIDC_ID_TOKEN": ID_TOKEN,
            "HUAWEICLOUD_SDK_STS_ENDPOINT": url,
        }
    elif provider == "oidc_sts":
        env |= {
            "HUAWEICLOUD_OIDC_PROVIDER_URN": "iam::sim:identity-provider:sim-idp",
            "HUAWEICLOUD_OIDC_AGENCY_URN": AGENCY,
            "HUAWEICLOUD_OIDC_TOKEN_FILE": str(id_token_file),
            "HUAWEICLOUD_SDK_STS_ENDPOINT": url,
        }
    elif provider == "oidc_federation":
        env |= {
            "HUAWEICLOUD_SDK_IDP_ID": "sim-idp",
            "HUAWEICLOUD_SDK_ID_TOKEN_FILE": str(id_token_file),
            "HUAWEICLOUD_SDK_IAM_ENDPOINT": url,
        }
    elif provider == "pod_identity":
        env |= {
            "HC_CONTAINER_CREDENTIALS_FULL_URI": url + PATHS["pod_identity"],
            "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(pod_token_file),
        }
    return env


def sdk_key(url: str) -> Any:
    """The SDK's default chain, as an SDK client would run it (blocking: in a thread)."""
    config = HttpConfig.get_default_config()
    client = HttpClient(
        config, HttpHandler(), DefaultExceptionHandler(), logging.getLogger("oracle")
    )
    credentials = CredentialProviderChain.get_basic().get_credentials()
    credentials.process_sts(client)
    return credentials


async def exporter_key(
    session: aiohttp.ClientSession, url: str, cloud: FakeCloud
) -> tuple[str, TemporaryKey]:
    """The exporter's: its settings from the same environment, its provider, one fetch."""
    from exporter.sources import temporary_provider

    account = cloud.tenants[0].account_config(url)
    del account["credentials"]  # none named: the chain, as the SDK's default
    # No iam_endpoint either: federation finds IAM as the SDK does (HUAWEICLOUD_SDK_IAM_ENDPOINT)
    settings = Settings.model_validate({"accounts": [account]})
    creds = settings.accounts[0].credentials
    creds_metadata = creds.model_copy(update={"metadata_endpoint": url})
    provider = temporary_provider(
        settings.accounts[0].model_copy(update={"credentials": creds_metadata})
    )
    return provider.name, await provider.fetch(Wire(session), time.time())


def issued(cloud: FakeCloud, access_key: str) -> IssuedKey:
    key = cloud.identities.issued[access_key]
    assert key.access_key == access_key
    return key


@pytest.mark.parametrize(
    "provider", ["oidc_sts", "oidc_sts_inline", "oidc_federation", "ecs_metadata", "pod_identity"]
)
async def test_the_sdk_and_the_exporter_obtain_the_same_credentials_from_the_same_environment(
    cloud: FakeCloud,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
) -> None:
    url = simulator.url
    for name in SDK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment(provider, url, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(MetadataAccessor, "_METADATA_ENDPOINT", url)
    ids = cloud.identities
    ids.metadata = "acct-a" if provider == "ecs_metadata" else None
    ids.pod_identity[POD_TOKEN] = ids.id_tokens[ID_TOKEN] = ids.agencies[AGENCY] = "acct-a"

    theirs = await asyncio.to_thread(sdk_key, url)
    name, ours = await exporter_key(session, url, cloud)

    sdk_issued = issued(cloud, theirs.ak)
    our_issued = issued(cloud, ours.access_key.get_secret_value())
    assert sdk_issued.access_key != our_issued.access_key  # two fetches, two keys
    source = provider.removesuffix("_inline")
    assert sdk_issued.by == our_issued.by == source  # from the same source
    assert sdk_issued.tenant == our_issued.tenant == "acct-a"
    assert (theirs.sk, theirs.security_token) == (sdk_issued.secret_key, sdk_issued.security_token)
    assert (ours.secret_key.get_secret_value(), ours.security_token.get_secret_value()) == (
        our_issued.secret_key,
        our_issued.security_token,
    )
    # The expiry as each reads the answer: the SDK to the second (time.strptime), the exporter
    # to the microsecond.
    text = time.strftime(ISO.replace(".%f", ""), time.gmtime(sdk_issued.expires_at))
    assert theirs._expired_at == time.mktime(time.strptime(text, ISO.replace(".%f", "")))
    assert ours.expires_at == pytest.approx(our_issued.expires_at, abs=1e-5)
    assert name == ("chain" if provider in ("ecs_metadata", "pod_identity") else source)
