"""Temporary credentials (DESIGN.md section 13): an ECS agency, CCE pod identity, OIDC
federation, as the official SDK's providers obtain them, and signed like AK/SK plus the
`X-Security-Token` header.

    provider = EcsMetadata("http://169.254.169.254")      # or PodIdentity, OidcFederation, ...
    auth = TemporaryAuth(provider, session=..., network=..., clock=time.time, gates=gates)
    await auth.prepare()          # the first key fetched, or a refresh once it is due
    signed = await auth.authorize(request, scope)         # never with a key past expires_at

One `TemporaryAuth` per account: every service of the account signs with its key, and the
key's voice is on the process's gates like any access key's (section 14). A key is refreshed
ahead of its expiry by a margin fitting its lifetime (a tenth, at least `MIN_MARGIN`), with
jitter; a failed refresh keeps the key while it lasts and tries again after a back-off; a key
past its expiry (less `SIGN_GUARD`, the request's way to the gateway) signs nothing: the poll
fails as `reason="auth"`, its old data kept. ID-token files are read at every fetch, since
Kubernetes rotates a projected token in place.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import aiohttp
import structlog
from pydantic import SecretStr
from yarl import URL

from exporter.huawei import signing
from exporter.huawei.auth import AkSkAuth, Scope, Unsigned
from exporter.huawei.bodies import read_body
from exporter.huawei.errors import (
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    for_status,
)
from exporter.huawei.gate import Gate, Gates, Voice
from exporter.huawei.network import Network, network_error, redirect_target

log = structlog.get_logger(__name__)

Clock = Callable[[], float]
MIN_MARGIN = 3.0  # seconds ahead of expires_at a refresh is due, at least
SIGN_GUARD = 1.0  # a key this close to its expiry signs nothing: it would arrive expired
# Two fetches this far apart at least, whatever the key's expiry says: a service handing out
# its cached key near its end (or a clock ahead of the cloud's) would make a refresh due at
# once after every fetch, a storm of requests to it.
MIN_FETCH_INTERVAL = 2.0
# No temporary key lives longer than a day or two (STS: 12 h at most): an expiry further out
# (an epoch in milliseconds, a provider's "never") is taken as this, so the key is refreshed.
MAX_LIFETIME = 48 * 3600.0
MAX_TOKEN_BYTES = 64 * 1024  # an ID token is a few KB: a larger file is the wrong file
MAX_ANSWER_BYTES = 1024 * 1024
METADATA_ENDPOINT = "http://169.254.169.254"  # the SDK's MetadataAccessor
STS_ENDPOINT = "https://sts.cn-north-4.myhuaweicloud.com"  # the SDK's StsHelper default
METADATA_SESSION_TTL = 6 * 3600  # the SDK's X-Metadata-Token-Ttl-Seconds
METADATA_SESSION_RETRY = 24 * 3600.0  # no session token: ask again after this long
FEDERATION_SECONDS = 6 * 3600  # the SDK's FederalAccessor duration
OIDC_STS_SECONDS = 3600  # the SDK's OidcStsAccessor duration
AGENCY_MISSING = "Please configure Cloud Service Agency first"


@dataclass(frozen=True, slots=True)
class TemporaryKey:
    access_key: SecretStr
    secret_key: SecretStr
    security_token: SecretStr
    expires_at: float  # wall-clock seconds

    def __repr__(self) -> str:
        return f"TemporaryKey(access_key=**********, expires_at={self.expires_at:.0f})"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Wire:
    """The HTTP of the providers: no redirect, bounded bodies, and for the link-local
    services (metadata, pod identity) no proxy."""

    session: aiohttp.ClientSession
    network: Network = field(default_factory=Network)
    timeout: float = 10.0
    max_body_bytes: int = MAX_ANSWER_BYTES

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        direct: bool = False,
    ) -> Answer:
        target = URL(url)
        options = self.network.options(target)
        if direct:
            options["proxy"] = None
        try:
            async with self.session.request(
                method,
                target,
                data=body or None,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                **options,
            ) as response:
                status = response.status
                answered = {k: v for k, v in response.headers.items()}
                content = bytes(await read_body(response, limit=self.max_body_bytes))
        except TimeoutError:
            raise ApiTimeoutError(f"request to {target.host} timed out") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise network_error(target.host, exc) from None
        if 300 <= status < 400:
            raise BadResponseError(
                f"redirect refused: to {redirect_target(answered.get('Location'))}",
                status=status,
            )
        return Answer(status, answered, content)


class Provider(Protocol):
    @property
    def name(self) -> str: ...

    async def fetch(self, wire: Wire, now: float) -> TemporaryKey: ...


def read_token(path: Path, what: str) -> SecretStr:
    """An ID token (or a pod identity token) as the file holds it now (at most 64 KiB)."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_TOKEN_BYTES + 1)
        if len(data) > MAX_TOKEN_BYTES:
            raise AuthError(f"{what}: {path} holds more than {MAX_TOKEN_BYTES} bytes")
        text = data.decode("utf-8").strip()
    except OSError as exc:
        raise AuthError(
            f"{what}: cannot read {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    except UnicodeDecodeError:
        raise AuthError(f"{what}: {path} is not UTF-8 text") from None
    if not text:
        raise AuthError(f"{what}: {path} is empty")
    return SecretStr(text)


def _timestamp(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def parse_key(body: bytes, what: str) -> TemporaryKey:
    """A temporary key as the SDK reads one: under `credential` (or `credentials`), the
    spellings `access`/`accessKeyId`/`access_key_id` and so on, `expires_at` or `expiration`."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadResponseError(f"{what}: the answer is not JSON") from None
    if isinstance(data, dict):
        data = data.get("credential") or data.get("credentials") or data
    if not isinstance(data, dict):
        raise BadResponseError(f"{what}: the answer holds no credential")

    def first(*names: str) -> str | None:
        for name in names:
            value = data.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    access = first("access", "accessKeyId", "access_key_id")
    secret = first("secret", "secretAccessKey", "secret_access_key")
    token = first("securitytoken", "securityToken", "security_token")
    expires_at = _timestamp(data.get("expires_at") or data.get("expiration"))
    if not access or not secret or not token or expires_at is None:
        raise BadResponseError(f"{what}: the answer lacks a key, its token or its expiry")
    return TemporaryKey(SecretStr(access), SecretStr(secret), SecretStr(token), expires_at)


def _refused(answer: Answer, what: str) -> ApiError:
    code = None
    try:
        parsed = json.loads(answer.body)
        error = parsed.get("error", parsed) if isinstance(parsed, dict) else {}
        code = str(error.get("error_code") or error.get("code") or "") or None
    except (ValueError, AttributeError, RecursionError):
        pass
    return for_status(
        answer.status,
        f"{what} failed",
        error_code=code,
        request_id=answer.headers.get("X-Request-Id"),
    )


JSON = {"Content-Type": "application/json;charset=UTF-8"}


class EcsMetadata:
    """The ECS agency of this VM: a session token (`PUT /meta-data/latest/api/token`, optional:
    404, 405 and 503 mean the service has none), then `GET /openstack/latest/securitykey`."""

    name = "ecs_metadata"

    def __init__(self, endpoint: str = METADATA_ENDPOINT) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._session_token: SecretStr | None = None
        self._session_asked: float | None = None

    def __repr__(self) -> str:
        return f"EcsMetadata({self.endpoint!r})"

    async def _new_session(self, wire: Wire, now: float, *, required: bool) -> None:
        self._session_asked = now
        answer = await wire.send(
            "PUT",
            self.endpoint + "/meta-data/latest/api/token",
            headers={"X-Metadata-Token-Ttl-Seconds": str(METADATA_SESSION_TTL)},
            direct=True,
        )
        if answer.status == 200 and answer.body.strip():
            self._session_token = SecretStr(answer.body.decode("utf-8", "replace").strip())
        elif answer.status in (404, 405, 503) and not required:
            self._session_token = None
        else:
            raise _refused(answer, "metadata session token")

    async def _key(self, wire: Wire) -> Answer:
        headers = {}
        if self._session_token is not None:
            headers["X-Metadata-Token"] = self._session_token.get_secret_value()
        return await wire.send(
            "GET", self.endpoint + "/openstack/latest/securitykey", headers=headers, direct=True
        )

    async def fetch(self, wire: Wire, now: float) -> TemporaryKey:
        if self._session_token is None and (
            self._session_asked is None or now - self._session_asked > METADATA_SESSION_RETRY
        ):
            await self._new_session(wire, now, required=False)
        answer = await self._key(wire)
        if answer.status == 401 and AGENCY_MISSING.encode() not in answer.body:
            await self._new_session(wire, now, required=True)  # the session token expired
            answer = await self._key(wire)
        if answer.status >= 400:
            raise _refused(answer, "metadata security key")
        return parse_key(answer.body, "metadata security key")


class PodIdentity:
    """CCE pod identity: `POST` to the agent's URI, the token file's content as `Authorization`."""

    name = "pod_identity"

    def __init__(self, uri: str, token_file: Path) -> None:
        self.uri = uri
        self.token_file = token_file

    def __repr__(self) -> str:
        return f"PodIdentity({self.uri!r})"

    async def fetch(self, wire: Wire, now: float) -> TemporaryKey:
        token = read_token(self.token_file, "pod_identity_token_file")
        answer = await wire.send(
            "POST",
            self.uri,
            headers={**JSON, "Authorization": token.get_secret_value()},
            body=b"{}",
            direct=True,
        )
        if answer.status >= 400:
            raise _refused(answer, "pod identity credential")
        return parse_key(answer.body, "pod identity credential")


class OidcFederation:
    """An OpenID Connect ID token to an IAM token (`X-Idp-Id`), the token to a temporary key."""

    name = "oidc_federation"

    def __init__(
        self,
        iam_endpoint: str,
        idp_id: str,
        id_token_file: Path,
        duration_seconds: int = FEDERATION_SECONDS,
    ) -> None:
        self.iam_endpoint = iam_endpoint.rstrip("/")
        self.idp_id = idp_id
        self.id_token_file = id_token_file
        self.duration_seconds = duration_seconds

    def __repr__(self) -> str:
        return f"OidcFederation({self.iam_endpoint!r}, idp_id={self.idp_id!r})"

    async def fetch(self, wire: Wire, now: float) -> TemporaryKey:
        id_token = read_token(self.id_token_file, "id_token_file")
        body = {"auth": {"id_token": {"id": id_token.get_secret_value()}}}
        answer = await wire.send(
            "POST",
            self.iam_endpoint + "/v3.0/OS-AUTH/id-token/tokens",
            headers={**JSON, "X-Idp-Id": self.idp_id},
            body=json.dumps(body).encode(),
        )
        token = answer.headers.get("X-Subject-Token")
        if answer.status >= 400:
            raise _refused(answer, "IAM token by ID token")
        if not token:
            raise BadResponseError("IAM answered without a token", status=answer.status)
        identity = {
            "methods": ["token"],
            "token": {"id": token, "duration_seconds": self.duration_seconds},
        }
        answer = await wire.send(
            "POST",
            self.iam_endpoint + "/v3.0/OS-CREDENTIAL/securitytokens",
            headers=JSON,
            body=json.dumps({"auth": {"identity": identity}}).encode(),
        )
        if answer.status >= 400:
            raise _refused(answer, "IAM temporary key")
        return parse_key(answer.body, "IAM temporary key")


class OidcSts:
    """STS `assume-with-oidc`: an ID token and an agency to a temporary key. The ID token is
    `id_token_file`'s content at each fetch, or `id_token` as given (the SDK's
    HUAWEICLOUD_OIDC_ID_TOKEN), exactly one of them."""

    name = "oidc_sts"

    def __init__(
        self,
        sts_endpoint: str,
        provider_urn: str,
        agency_urn: str,
        id_token_file: Path | None,
        session_name: str = "oidc-sts-session",
        duration_seconds: int = OIDC_STS_SECONDS,
        *,
        id_token: SecretStr | None = None,
    ) -> None:
        if (id_token_file is None) == (id_token is None):
            raise ValueError("OidcSts: give id_token_file or id_token, one of them")
        self.sts_endpoint = sts_endpoint.rstrip("/")
        self.provider_urn = provider_urn
        self.agency_urn = agency_urn
        self.id_token_file = id_token_file
        self.id_token = id_token
        self.session_name = session_name
        self.duration_seconds = duration_seconds

    def __repr__(self) -> str:
        return f"OidcSts({self.sts_endpoint!r}, agency_urn={self.agency_urn!r})"

    async def fetch(self, wire: Wire, now: float) -> TemporaryKey:
        id_token = self.id_token
        if id_token is None:
            assert self.id_token_file is not None  # one of them, checked at construction
            id_token = read_token(self.id_token_file, "id_token_file")
        payload = {
            "provider_urn": self.provider_urn,
            "agency_urn": self.agency_urn,
            "agency_session_name": self.session_name,
            "id_token": id_token.get_secret_value(),
            "duration_seconds": self.duration_seconds,
        }
        answer = await wire.send(
            "POST",
            self.sts_endpoint + "/v5/agencies/assume-with-oidc",
            headers=JSON,
            body=json.dumps(payload).encode(),
        )
        if answer.status >= 400:
            raise _refused(answer, "STS assume-with-oidc")
        return parse_key(answer.body, "STS assume-with-oidc")


class Chain:
    """The SDK's chain at run time: the first of `providers` that answers is the one kept."""

    name = "chain"

    def __init__(self, providers: Sequence[Provider]) -> None:
        self.providers = list(providers)
        self.chosen: Provider | None = None

    def __repr__(self) -> str:
        return f"Chain({self.providers!r})"

    async def fetch(self, wire: Wire, now: float) -> TemporaryKey:
        if self.chosen is not None:
            return await self.chosen.fetch(wire, now)
        errors = []
        for provider in self.providers:
            try:
                key = await provider.fetch(wire, now)
            except ApiError as exc:
                errors.append(f"{provider.name}: {exc}")
                continue
            self.chosen = provider
            log.info("credential chain resolved", provider=provider.name)
            return key
        raise AuthError("no provider of the chain answered: " + "; ".join(errors))


def margin(lifetime: float) -> float:
    """How long before its expiry a key of `lifetime` seconds is refreshed."""
    return max(lifetime / 10.0, MIN_MARGIN)


class TemporaryAuth:
    """An account's temporary keys from `provider`: fetched before first use, refreshed ahead
    of expiry, signed with their security token, and never used past `expires_at`.

    A failed fetch backs off 1 s, 2 s, 4 s ... up to `backoff_seconds` (with jitter): the key
    in hand signs while it lasts; without one, requests fail as `reason="auth"` until a fetch
    succeeds."""

    refreshable = False

    def __init__(
        self,
        provider: Provider,
        *,
        session: aiohttp.ClientSession,
        clock: Clock,
        gates: Gates | None = None,
        network: Network | None = None,
        account: str = "",
        timeout: float = 10.0,
        max_body_bytes: int = MAX_ANSWER_BYTES,
        backoff_seconds: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.provider = provider
        self._wire = Wire(session, network or Network(), timeout, max_body_bytes)
        self._clock = clock
        self._gates = gates or Gates()
        self._account = account
        self._backoff_seconds = backoff_seconds
        self._rng = rng or random.Random()
        self._fetching: asyncio.Future[None] | None = None  # the fetch under way, if any
        self._key: TemporaryKey | None = None
        self._signer: AkSkAuth | None = None
        self._refresh_at = 0.0
        self._retry_at = 0.0
        self._failures = 0
        self._failure = ""
        # Until the first key: a voice of its own that nothing is ever signed with.
        pending = Gate("access key", f"{provider.name} (no key yet)", clock=clock, monotonic=clock)
        self._pending = Voice(pending, "", account)
        self.fetches = 0  # keys obtained (for tests and logs)
        self._timer: asyncio.TimerHandle | None = None
        self._refreshing: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"TemporaryAuth({self.provider!r})"

    @property
    def voice(self) -> Voice:
        return self._signer.voice if self._signer is not None else self._pending

    @property
    def expires_at(self) -> float | None:
        return self._key.expires_at if self._key is not None else None

    def _usable(self, now: float) -> bool:
        return self._key is not None and now < self._key.expires_at - SIGN_GUARD

    async def prepare(self) -> None:
        """A key that is good to sign with: fetched now when none is. A refresh that is due
        runs on its own: requests go on signing with the key in hand while it lasts, and a
        request cancelled while waiting (its poll's deadline) does not cancel the fetch."""
        now = self._clock()
        if not self._due(now):
            return
        fetching = self._fetching
        if fetching is None or fetching.done():
            fetching = self._fetching = asyncio.ensure_future(self._fetch(now))
            fetching.add_done_callback(_retrieved)
        if self._usable(now):
            return
        await asyncio.shield(fetching)

    def _due(self, now: float) -> bool:
        if now < self._refresh_at and self._usable(now):
            return False
        if now < self._retry_at:  # backing off after a failed fetch
            if self._usable(now):
                return False
            raise AuthError(
                f"temporary credentials from {self.provider.name} unavailable "
                f"({self._failure}); next try in {self._retry_at - now:.0f} s"
            )
        return True

    async def _fetch(self, now: float) -> None:
        try:
            key = await self.provider.fetch(self._wire, now)
            if not math.isfinite(key.expires_at):
                raise BadResponseError(f"{self.provider.name}: the key answered has no expiry")
            if key.expires_at - SIGN_GUARD <= self._clock():
                raise BadResponseError(f"{self.provider.name}: the key answered is expired")
            ceiling = self._clock() + MAX_LIFETIME
            if key.expires_at > ceiling:
                key = dataclasses.replace(key, expires_at=ceiling)
        except ApiError as exc:
            self._failed(exc, self._clock())  # the back-off counts from the failure
            if self._usable(self._clock()):
                return
            raise AuthError(
                f"temporary credentials from {self.provider.name} unavailable ({exc})"
            ) from None
        self._install(key, self._clock())

    def _failed(self, exc: ApiError, now: float) -> None:
        self._failures += 1
        ceiling = min(2.0 ** (self._failures - 1), self._backoff_seconds)
        delay = ceiling * self._rng.uniform(0.5, 1.0)
        self._retry_at = now + delay
        self._failure = f"{exc.reason}: {exc}"[:300]
        log.warning(
            "temporary credentials not obtained",
            account=self._account,
            provider=self.provider.name,
            reason=exc.reason,
            error=str(exc),
            retry_in_s=round(delay, 3),
            key_expires_in_s=None if self._key is None else round(self._key.expires_at - now, 3),
        )

    def _install(self, key: TemporaryKey, now: float) -> None:
        old = self._signer
        lifetime = key.expires_at - now
        ahead = margin(lifetime)
        due = key.expires_at - ahead - self._rng.uniform(0.0, ahead / 2)
        self._refresh_at = max(due, now + MIN_FETCH_INTERVAL)
        self._key = key
        self._signer = AkSkAuth(
            key.access_key,
            key.secret_key,
            key.security_token,
            clock=self._clock,
            gates=self._gates,
            account=self._account,
        )
        self._failures = 0
        self._retry_at = 0.0
        self.fetches += 1
        self._schedule(self._refresh_at - now)
        if old is not None and old.voice.gate is not self._signer.voice.gate:
            self._gates.forget(old.voice)
        log.debug(
            "temporary credentials obtained",
            account=self._account,
            provider=self.provider.name,
            access_key=self._signer.voice.gate.label,
            expires_in_s=round(lifetime, 3),
            refresh_in_s=round(self._refresh_at - now, 3),
        )

    def _schedule(self, delay: float) -> None:
        """The refresh, ahead of expiry even when no request comes in the margin (a poll
        interval longer than it). Held weakly: an account removed takes its timer along."""
        if self._timer is not None:
            self._timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._timer = loop.call_later(max(delay, 0.0), _wake, weakref.ref(self))

    async def _refresh(self) -> None:
        try:
            await self.prepare()
            if self._fetching is not None:
                await asyncio.shield(self._fetching)
        except ApiError:
            pass  # logged by _failed; the next request tries again after the back-off
        except Exception as exc:  # a broad catch: a timer's refresh must not fail unseen
            log.warning(
                "temporary credentials not refreshed",
                account=self._account,
                provider=self.provider.name,
                error=f"unexpected {type(exc).__name__}",
            )

    async def authorize(self, request: Unsigned, scope: Scope) -> signing.SignedRequest:
        # No await before signing: the key signed with is the voice's the request was let in on.
        if self._signer is None or not self._usable(self._clock()):
            raise AuthError(f"temporary credentials from {self.provider.name} expired")
        return await self._signer.authorize(request, scope)

    def invalidate(self, scope: Scope, credential: str | None) -> None:
        """Nothing to do at once: a refused key is silenced by its gate; the next key has one
        of its own."""


def _retrieved(fetch: asyncio.Future[None]) -> None:
    """A fetch nobody waited for (a refresh while the key still signs): its failure is logged
    by `_failed`, not left as "exception never retrieved"."""
    if not fetch.cancelled():
        fetch.exception()


def _wake(ref: weakref.ReferenceType[TemporaryAuth]) -> None:
    auth = ref()
    if auth is not None:
        auth._refreshing = asyncio.ensure_future(auth._refresh())
