"""Temporary credentials over real HTTP, one provider at a time (DESIGN.md section 13).

The simulator issues 60 s keys; the exporter and the simulator share a clock that the tests
move on, so a run of several lifetimes takes no time. The simulator counts every request
signed with an expired key, or without its security token: there must be none.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from exporter.huawei.auth import AkSkAuth
from exporter.huawei.errors import AuthError
from exporter.huawei.temporary import MIN_FETCH_INTERVAL
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator
from exporter.simulator.temporary import PATHS, issue
from tests.conftest import FAST, Wiring
from tests.fleets import Built, build

ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.ID-TOKEN-acct-a.signature"
POD_TOKEN = "POD-IDENTITY-TOKEN-acct-a"
AGENCY = "iam::acct-a:agency:exporter"
PROVIDERS = ("ecs_metadata", "pod_identity", "oidc_federation", "oidc_sts", "chain")
SERVICES = ("sms", "sms_sources", "oms")


def credentials(provider: str, url: str, tmp_path: Path) -> dict[str, Any]:
    """The account's `credentials` for `provider`, every endpoint the simulator."""
    id_token_file = tmp_path / "id-token"
    id_token_file.write_text(ID_TOKEN)
    pod_token_file = tmp_path / "pod-token"
    pod_token_file.write_text(POD_TOKEN)
    if provider == "ecs_metadata":
        return {"provider": provider, "metadata_endpoint": url}
    if provider == "pod_identity":
        return {
            "provider": provider,
            "pod_identity_uri": url + PATHS["pod_identity"],
            "pod_identity_token_file": str(pod_token_file),
        }
    if provider == "oidc_federation":
        return {"provider": provider, "idp_id": "sim-idp", "id_token_file": str(id_token_file)}
    if provider == "oidc_sts":
        return {
            "provider": provider,
            "provider_urn": "iam::sim:identity-provider:sim-idp",
            "agency_urn": AGENCY,
            "id_token_file": str(id_token_file),
            "sts_endpoint": url,
        }
    # The chain: no agency on this VM (the metadata service says so), then pod identity.
    return {
        "metadata_endpoint": url,
        "pod_identity_uri": url + PATHS["pod_identity"],
        "pod_identity_token_file": str(pod_token_file),
    }


def trusting(cloud: FakeCloud, provider: str) -> None:
    """The simulator's identities: each provider's proof stands for acct-a."""
    ids = cloud.identities
    ids.metadata = None if provider == "chain" else "acct-a"
    ids.pod_identity[POD_TOKEN] = "acct-a"
    ids.id_tokens[ID_TOKEN] = "acct-a"
    ids.agencies[AGENCY] = "acct-a"


def settings_for(cloud: FakeCloud, url: str, tmp_path: Path, provider: str) -> Settings:
    account = cloud.tenants[0].account_config(url)
    account["credentials"] = credentials(provider, url, tmp_path)
    account["iam_endpoint"] = url
    return Settings.model_validate({"accounts": [account]})


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(cloud: FakeCloud) -> Clock:
    shared = Clock()
    cloud.clock = shared
    cloud.identities.lifetime = 60.0
    return shared


async def poll(built: Built) -> list[bool]:
    return [await built.poller(service).poll_once() for service in SERVICES]


def fleet(
    cloud: FakeCloud,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    provider: str,
    clock: Callable[[], float],
) -> Built:
    trusting(cloud, provider)
    return build(
        settings_for(cloud, simulator.url, tmp_path, provider), session, policy=FAST, clock=clock
    )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_keys_are_fetched_first_refreshed_before_expiry_and_never_used_expired(
    cloud: FakeCloud,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    clock: Clock,
    provider: str,
) -> None:
    built = fleet(cloud, simulator, session, tmp_path, provider, clock)
    started = clock.now
    assert await poll(built) == [True, True, True]  # the first poll already signs
    for _ in range(40):  # 40 x 5 s: more than three lifetimes
        clock.now += 5
        assert await poll(built) == [True, True, True]
    ids = cloud.identities
    keys = sorted(ids.issued.values(), key=lambda key: key.expires_at)
    expected = "pod_identity" if provider == "chain" else provider
    assert {key.by for key in keys} == {expected}
    assert {key.tenant for key in keys} == {"acct-a"}
    # Every key was replaced before it expired, once for all three services of the account.
    assert len(keys) >= 4
    for old, new in itertools.pairwise(keys):
        assert new.expires_at - ids.lifetime < old.expires_at
    assert len(keys) <= (clock.now - started) / 50 + 1  # no more than one per lifetime
    assert ids.expired_uses == 0
    assert ids.untokened_uses == 0
    assert cloud.stats.by_tenant["acct-a"] >= 41 * 3
    for service in SERVICES:
        assert built.telemetry.sources[("acct-a", service)].errors["auth"] == 0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_failed_refresh_keeps_the_key_then_the_data_with_up_0_and_recovers(
    cloud: FakeCloud,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    clock: Clock,
    provider: str,
) -> None:
    built = fleet(cloud, simulator, session, tmp_path, provider, clock)
    assert await poll(built) == [True, True, True]
    cloud.identities.outage = True
    clock.now += 55  # the refresh is due and fails: the key in hand still signs
    assert await poll(built) == [True, True, True]
    clock.now += 10  # past its expiry: nothing is signed with it
    assert await poll(built) == [False, False, False]
    for service in SERVICES:
        status = built.telemetry.sources[("acct-a", service)]
        assert not status.up
        assert status.errors["auth"] == 1
        assert status.last_error is not None and status.last_error.startswith("auth:")
        assert built.snapshot.has_source(("acct-a", service))  # the old data, still served
    assert cloud.identities.expired_uses == 0
    cloud.identities.outage = False
    clock.now += 10  # past the back-off of the failed fetches
    assert await poll(built) == [True, True, True]
    for service in SERVICES:
        assert built.telemetry.sources[("acct-a", service)].up
    assert cloud.identities.expired_uses == 0
    assert cloud.identities.untokened_uses == 0


async def test_the_id_token_file_is_read_again_at_each_refresh(
    cloud: FakeCloud,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    clock: Clock,
) -> None:
    built = fleet(cloud, simulator, session, tmp_path, "oidc_sts", clock)
    assert await poll(built) == [True, True, True]
    rotated = ID_TOKEN + "-rotated"
    (tmp_path / "id-token").write_text(rotated)  # Kubernetes rotates the projected token
    del cloud.identities.id_tokens[ID_TOKEN]  # ... and the old one is no longer honoured
    cloud.identities.id_tokens[rotated] = "acct-a"
    clock.now += 58
    assert await poll(built) == [True, True, True]
    assert len(cloud.identities.issued) == 2
    assert cloud.identities.expired_uses == 0


async def test_temporary_keys_sign_only_with_their_token_and_before_expiry(
    cloud: FakeCloud, wiring: Wiring
) -> None:
    """The simulator's side: a temporary key without its token, or expired, is refused."""
    key = issue(cloud, "acct-a", "test")
    ak, sk = SecretStr(key.access_key), SecretStr(key.secret_key)
    with pytest.raises(AuthError):
        await wiring.sms(AkSkAuth(ak, sk, clock=time.time)).list_items(max_items=10)
    assert cloud.identities.untokened_uses == 1
    signed = AkSkAuth(ak, sk, SecretStr(key.security_token), clock=time.time)
    assert (await wiring.sms(signed).list_items(max_items=10)).count >= 0
    key.expires_at = time.time() - 1
    with pytest.raises(AuthError):
        await wiring.sms(signed).list_items(max_items=10)
    assert cloud.identities.expired_uses == 1


async def test_a_key_handed_out_near_its_expiry_brings_no_refresh_storm(
    cloud: FakeCloud,
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    clock: Clock,
) -> None:
    """A metadata service handing out keys with 3 s left (its cached key near its end): the
    refresh is due at once, yet keys are fetched at most once per MIN_FETCH_INTERVAL."""
    cloud.identities.lifetime = 3.0
    built = fleet(cloud, simulator, session, tmp_path, "ecs_metadata", clock)
    assert await poll(built) == [True, True, True]
    await asyncio.sleep(0.2)  # the refresh timer's turn, the clock standing still
    assert len(cloud.identities.issued) == 1
    clock.now += MIN_FETCH_INTERVAL + 0.5  # past the key's last second of use: a new one
    assert await poll(built) == [True, True, True]
    assert len(cloud.identities.issued) == 2
    assert cloud.identities.expired_uses == 0
