"""The simulator's sources of temporary credentials, as the official SDK finds them:

    PUT  /meta-data/latest/api/token            ECS metadata session token (X-Metadata-Token)
    GET  /openstack/latest/securitykey          the VM's agency: a temporary key
    POST /pod-identity/credentials              CCE pod identity (Authorization: the token)
    POST /v3.0/OS-AUTH/id-token/tokens          IAM: an OIDC ID token (X-Idp-Id) -> a token
    POST /v3.0/OS-CREDENTIAL/securitytokens     IAM: that token -> a temporary key
    POST /v5/agencies/assume-with-oidc          STS: an ID token and an agency -> a temporary key

Keys live `cloud.identities.lifetime` seconds; `server._authenticate` accepts them only with
their security token and before they expire, and counts the requests that try otherwise.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from exporter.simulator.cloud import FakeCloud, IssuedKey, IssuedToken

PATHS = {
    "metadata_token": "/meta-data/latest/api/token",
    "metadata_key": "/openstack/latest/securitykey",
    "pod_identity": "/pod-identity/credentials",
    "id_token": "/v3.0/OS-AUTH/id-token/tokens",
    "securitytokens": "/v3.0/OS-CREDENTIAL/securitytokens",
    "sts": "/v5/agencies/assume-with-oidc",
}
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def _answer(payload: Any, status: int = 200, **headers: str) -> web.Response:
    return web.json_response(
        payload, status=status, headers={"X-Request-Id": secrets.token_hex(16), **headers}
    )


def _refuse(status: int, code: str, message: str) -> web.Response:
    return _answer({"error_code": code, "error_msg": message}, status=status)


def issue(cloud: FakeCloud, tenant: str, by: str) -> IssuedKey:
    key = IssuedKey(
        access_key="TMP" + secrets.token_hex(8).upper(),
        tenant=tenant,
        secret_key=secrets.token_urlsafe(24),
        security_token="STS-" + secrets.token_urlsafe(48),
        expires_at=cloud.clock() + cloud.identities.lifetime,
        by=by,
    )
    cloud.identities.issued[key.access_key] = key
    return key


def _fields(key: IssuedKey, spelling: str) -> dict[str, str]:
    expiry = datetime.fromtimestamp(key.expires_at, UTC).strftime(ISO)
    if spelling == "sts":  # STS v5's spelling; the SDK reads both
        return {
            "access_key_id": key.access_key,
            "secret_access_key": key.secret_key,
            "security_token": key.security_token,
            "expiration": expiry,
        }
    return {
        "access": key.access_key,
        "secret": key.secret_key,
        "securitytoken": key.security_token,
        "expires_at": expiry,
    }


def _cloud(request: web.Request, app_key: web.AppKey[FakeCloud]) -> FakeCloud | web.Response:
    cloud = request.app[app_key]
    if cloud.identities.outage:
        return _refuse(503, "SYS.0503", "credentials service unavailable")
    return cloud


def add_routes(app: web.Application, app_key: web.AppKey[FakeCloud]) -> None:
    async def metadata_token(request: web.Request) -> web.StreamResponse:
        cloud = _cloud(request, app_key)
        if isinstance(cloud, web.Response):
            return cloud
        try:
            ttl = float(request.headers.get("X-Metadata-Token-Ttl-Seconds", "21600"))
        except ValueError:
            return _refuse(400, "META.0400", "bad TTL")
        token = "MT-" + secrets.token_urlsafe(32)
        cloud.identities.metadata_sessions[token] = cloud.clock() + ttl
        return web.Response(text=token)

    async def metadata_key(request: web.Request) -> web.StreamResponse:
        cloud = _cloud(request, app_key)
        if isinstance(cloud, web.Response):
            return cloud
        ids = cloud.identities
        session = request.headers.get("X-Metadata-Token", "")
        if ids.metadata_sessions.get(session, 0.0) <= cloud.clock():
            return _refuse(401, "META.0401", "metadata session token missing or expired")
        if ids.metadata is None:
            return _refuse(404, "META.0404", "Please configure Cloud Service Agency first")
        key = issue(cloud, ids.metadata, "ecs_metadata")
        return _answer({"credential": _fields(key, "iam")})

    async def pod_identity(request: web.Request) -> web.StreamResponse:
        cloud = _cloud(request, app_key)
        if isinstance(cloud, web.Response):
            return cloud
        tenant = cloud.identities.pod_identity.get(request.headers.get("Authorization", ""))
        if tenant is None:
            return _refuse(401, "CCE.0401", "pod identity token not recognised")
        key = issue(cloud, tenant, "pod_identity")
        return _answer(_fields(key, "iam"))

    async def id_token(request: web.Request) -> web.StreamResponse:
        cloud = _cloud(request, app_key)
        if isinstance(cloud, web.Response):
            return cloud
        try:
            token = (await request.json())["auth"]["id_token"]["id"]
        except (ValueError, KeyError, TypeError):
            return _refuse(400, "IAM.0003", "malformed id-token request")
        ids = cloud.identities
        tenant = ids.id_tokens.get(str(token))
        if request.headers.get("X-Idp-Id") != ids.idp_id or tenant is None:
            return _refuse(401, "IAM.0101", "ID token or identity provider not recognised")
        unscoped = "MIU" + secrets.token_urlsafe(48)
        expires_at = cloud.clock() + cloud.token_lifetime
        cloud.tokens[unscoped] = IssuedToken(tenant=tenant, expires_at=expires_at)
        expiry = datetime.fromtimestamp(expires_at, UTC).strftime(ISO)
        return _answer(
            {"token": {"expires_at": expiry, "methods": ["mapped"]}},
            status=201,
            **{"X-Subject-Token": unscoped},
        )

    async def securitytokens(request: web.Request) -> web.StreamResponse:
        cloud = _cloud(request, app_key)
        if isinstance(cloud, web.Response):
            return cloud
        try:
            token = (await request.json())["auth"]["identity"]["token"]["id"]
        except (ValueError, KeyError, TypeError):
            return _refuse(400, "IAM.0003", "malformed securitytokens request")
        issued = cloud.tokens.get(str(token))
        if issued is None or issued.revoked or cloud.clock() >= issued.expires_at:
            return _refuse(401, "IAM.0101", "token not recognised")
        key = issue(cloud, issued.tenant, "oidc_federation")
        return _answer({"credential": _fields(key, "iam")}, status=201)

    async def sts(request: web.Request) -> web.StreamResponse:
        cloud = _cloud(request, app_key)
        if isinstance(cloud, web.Response):
            return cloud
        try:
            body = json.loads(await request.read())
            provider, agency, token = body["provider_urn"], body["agency_urn"], body["id_token"]
        except (ValueError, KeyError, TypeError):
            return _refuse(400, "STS.0003", "malformed assume-with-oidc request")
        ids = cloud.identities
        tenant = ids.agencies.get(str(agency))
        if provider != ids.provider_urn or tenant is None or str(token) not in ids.id_tokens:
            return _refuse(403, "STS.0403", "not allowed to assume this agency")
        key = issue(cloud, tenant, "oidc_sts")
        return _answer({"credentials": _fields(key, "sts")}, status=201)

    app.router.add_put(PATHS["metadata_token"], metadata_token, name="credentials.metadata_token")
    app.router.add_get(PATHS["metadata_key"], metadata_key, name="credentials.metadata_key")
    app.router.add_post(PATHS["pod_identity"], pod_identity, name="credentials.pod_identity")
    app.router.add_post(PATHS["id_token"], id_token, name="credentials.id_token")
    app.router.add_post(PATHS["securitytokens"], securitytokens, name="credentials.securitytokens")
    app.router.add_post(PATHS["sts"], sts, name="credentials.sts")
