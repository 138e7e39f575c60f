"""One account of the settings -> its parts: credentials, rate limit, and a `Source` per list.

This is where the configuration meets the Huawei clients; everything below it takes plain
arguments. The fleet (`fleet.py`) is the one caller that goes over accounts x services: it
builds each account's clients and sources here, and runs a `Poller` per source.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiohttp

from exporter.exposition.turns import turn
from exporter.huawei.auth import AkSkAuth, Authenticator, Rotating, TokenAuth
from exporter.huawei.gate import Gates
from exporter.huawei.http import AccountGuard, Endpoint, RequestPolicy, TokenBucket
from exporter.huawei.listing import list_mapped
from exporter.huawei.network import Network, trust
from exporter.huawei.temporary import (
    Chain,
    EcsMetadata,
    OidcFederation,
    OidcSts,
    PodIdentity,
    Provider,
    TemporaryAuth,
)
from exporter.poller import Source
from exporter.services import SERVICES
from exporter.services.service import ListService
from exporter.settings import Account, Credentials, Settings
from exporter.telemetry import Telemetry


def shard_of(account_name: str, total_shards: int) -> int:
    """Stable across processes and Python versions (unlike `hash()`)."""
    digest = hashlib.sha256(account_name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % total_shards


def my_accounts(settings: Settings) -> list[Account]:
    return [
        account
        for account in settings.accounts
        if shard_of(account.name, settings.total_shards) == settings.shard
    ]


def network_of(settings: Settings) -> Network:
    """Proxy and trust for every request: api.proxy_url, else the *_PROXY variables."""
    env_proxies = {
        scheme: proxy
        for scheme, proxy in (("https", settings.https_proxy), ("http", settings.http_proxy))
        if proxy
    }
    return Network(
        proxy_url=settings.api.proxy_url,
        env_proxies=env_proxies,
        no_proxy=settings.no_proxy or "",
        tls=trust(settings.api.ca_file) if settings.api.ca_file else None,
    )


def authenticator(
    account: Account,
    session: aiohttp.ClientSession,
    clock: Callable[[], float],
    network: Network,
    policy: RequestPolicy,
    gates: Gates,
) -> Authenticator:
    """The account's credentials, speaking on the process's `gates` (one per access key)."""
    creds = account.credentials
    if creds.kind == "aksk":
        assert creds.access_key is not None and creds.secret_key is not None  # validated
        return AkSkAuth(
            creds.access_key,
            creds.secret_key,
            creds.security_token,
            clock=clock,
            gates=gates,
            account=account.name,
        )
    if creds.kind == "temporary":
        return TemporaryAuth(
            temporary_provider(account),
            session=session,
            clock=clock,
            gates=gates,
            network=network,
            account=account.name,
            max_body_bytes=policy.max_body_bytes,
            backoff_seconds=policy.auth_backoff_seconds,
        )
    assert creds.username and creds.password and creds.domain_name  # validated
    return TokenAuth(
        session=session,
        iam_endpoint=account.iam_url,
        username=creds.username,
        password=creds.password,
        domain_name=creds.domain_name,
        clock=clock,
        network=network,
        max_body_bytes=policy.max_body_bytes,
        gates=gates,
        account=account.name,
        backoff_seconds=policy.auth_backoff_seconds,
    )


def temporary_provider(account: Account) -> Provider:
    """Where the account's temporary keys come from (`credentials.provider`, resolved)."""
    creds = account.credentials
    chain = [_provider(name, creds, account.iam_url) for name in creds.chain]
    return chain[0] if creds.provider != "chain" else Chain(chain)


def _provider(name: str, creds: Credentials, iam_url: str) -> Provider:
    if name == "ecs_metadata":
        return EcsMetadata(creds.metadata_endpoint)
    if name == "pod_identity":
        assert creds.pod_identity_uri and creds.pod_identity_token_file  # validated
        return PodIdentity(creds.pod_identity_uri, creds.pod_identity_token_file)
    if name == "oidc_federation":
        assert creds.idp_id and creds.id_token_file  # validated
        return OidcFederation(iam_url, creds.idp_id, creds.id_token_file)
    assert name == "oidc_sts" and creds.provider_urn and creds.agency_urn  # validated
    return OidcSts(
        creds.sts_endpoint,
        creds.provider_urn,
        creds.agency_urn,
        creds.id_token_file,
        creds.session_name,
        creds.duration_seconds,
        id_token=None if creds.id_token_file else creds.inline_id_token,
    )


def request_policy(settings: Settings) -> RequestPolicy:
    return RequestPolicy(
        total_timeout=settings.api.timeout_seconds,
        max_in_flight=settings.api.max_in_flight,
        rate_per_second=settings.api.requests_per_second,
        burst=settings.api.burst,
        max_body_bytes=settings.api.max_response_bytes,
        auth_backoff_seconds=settings.api.auth_backoff_seconds,
    )


def poll_pages(settings: Settings, account: Account) -> dict[str, int]:
    """The page requests of one whole poll of `account`, by service, when each of its lists
    holds `max_tasks_per_source` items or all its offsets reach: its rate limit's burst by
    default (`api.burst` unset), so that a cold poll waits for no token.

        {"sms": 50, "sms_sources": 50, "oms": 100, "sms_projects": 10, "sms_overview": 1,
         "oms_groups": 10, "oms_sync": 10}     # max_tasks_per_source 10,000
        {"sms": 329, "sms_sources": 329, "oms": 101, ...}  # 100,000: past both offset ceilings

    (The lists of a wave's objects stop at their own cap of 1,000 items: 10 pages at most.)
    """
    pages = {}
    for service in SERVICES:
        if service.enabled(settings, account):
            request = service.target(account).request
            pages[service.name] = request.pages(settings.max_tasks_per_source)
    return pages


@dataclass
class AccountClients:
    """What the sources of one account share: its credentials (swappable by a reload) and
    its rate limit. (A rejected key's back-off is the key's: every account using it shares
    it, through `Gates`.)"""

    auth: Rotating
    guard: AccountGuard

    def rotate(self, auth: Authenticator) -> None:
        """Rotated secrets: every source of the account signs its next request with `auth`."""
        self.auth.current = auth


def account_clients(
    settings: Settings,
    account: Account,
    session: aiohttp.ClientSession,
    network: Network,
    policy: RequestPolicy,
    gates: Gates,
    clock: Callable[[], float] = time.time,
) -> AccountClients:
    burst = policy.burst or max(sum(poll_pages(settings, account).values()), 1)
    return AccountClients(
        auth=Rotating(authenticator(account, session, clock, network, policy, gates)),
        guard=AccountGuard(TokenBucket(policy.rate_per_second, burst, time.monotonic)),
    )


def source_of(
    settings: Settings,
    account: Account,
    service: ListService[Any, Any],
    clients: AccountClients,
    session: aiohttp.ClientSession,
    telemetry: Telemetry,
    network: Network,
    policy: RequestPolicy,
) -> Source:
    """One list service of one account, ready to poll."""
    target = service.target(account)
    endpoint = Endpoint(
        session=session,
        base_url=target.base_url,
        auth=clients.auth,
        scope=target.scope,
        guard=clients.guard,
        policy=policy,
        observe=partial(telemetry.request, account.name, service.name),
        network=network,
        pace=turn,  # pages decode one at a time, between scrapes
    )
    return Source(
        account=account.name,
        service=service,
        options=service.options(settings, account),
        fetch=partial(
            list_mapped,
            endpoint,
            target.request,
            max_items=settings.max_tasks_per_source,
            max_poll_bytes=settings.max_poll_bytes,
        ),
        label_limit=settings.label_value_max_length,
    )


def new_session() -> aiohttp.ClientSession:
    # Cookies are never needed, and the gateway's would only grow in memory.
    return aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), raise_for_status=False)
