"""Credentials: AK/SK request signing, or an IAM password login that yields a project token.

Both answer one question for the HTTP layer: which headers make this request authentic.
Secrets stay inside `SecretStr` until the moment they are hashed or sent. Each speaks with a
`Voice` on its credential's gate (`gate.py`): the HTTP layer passes AK/SK requests through it,
and `TokenAuth` its logins.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import aiohttp
import structlog
from pydantic import SecretStr
from yarl import URL

from exporter.huawei import signing
from exporter.huawei.bodies import read_body
from exporter.huawei.errors import (
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    ThrottledError,
    for_status,
)
from exporter.huawei.gate import LOCKOUT, Gates, Voice
from exporter.huawei.network import Network, network_error, redirect_target
from exporter.huawei.retry_after import retry_after

log = structlog.get_logger(__name__)

Clock = Callable[[], float]  # wall-clock seconds since the epoch
# A token is used at least this long, whatever its `expires_at` says (a skewed clock or an odd
# gateway could otherwise make every request log in again); a 401 still replaces it at once.
MIN_TOKEN_SECONDS = 300.0
MAX_IAM_BODY_BYTES = 4 * 1024 * 1024  # a token answer with its whole catalogue is ~100 KB
AUTH_BACKOFF_SECONDS = 300.0  # api.auth_backoff_seconds' default


@dataclass(frozen=True, slots=True)
class Scope:
    """What a token is scoped to: a project id (OMS) or a project name (the region, SMS)."""

    project_id: str | None = None
    project_name: str | None = None


@dataclass(frozen=True, slots=True)
class Unsigned:
    method: str
    host: str  # Host header value, port included when not default
    path: str
    query: signing.Query
    headers: Mapping[str, str]
    body: bytes = b""


class Authenticator(Protocol):
    @property
    def refreshable(self) -> bool:
        """True when a 401 may be cured by fetching fresh credentials (tokens); False for
        AK/SK, where a 401 means the key or the signature is wrong and retrying risks the AK
        lock-out."""

    @property
    def voice(self) -> Voice:
        """This credential's voice on its gate: an access key's (AK/SK), a login's (tokens)."""

    async def prepare(self) -> None:
        """Before a request takes its turn at the gate: credentials fetched or refreshed when
        due (temporary keys, `temporary.py`); nothing for AK/SK and passwords."""

    async def authorize(self, request: Unsigned, scope: Scope) -> signing.SignedRequest: ...

    def invalidate(self, scope: Scope, credential: str | None) -> None:
        """`credential` (the token a request was sent with) was refused: forget it."""


class Rotating:
    """An account's credentials, replaceable while its sources run: a reload with a rotated
    secret swaps `current`, and the next request signs with the new one."""

    def __init__(self, current: Authenticator) -> None:
        self.current = current

    def __repr__(self) -> str:
        return f"Rotating({self.current!r})"

    @property
    def refreshable(self) -> bool:
        return self.current.refreshable

    @property
    def voice(self) -> Voice:
        return self.current.voice

    async def prepare(self) -> None:
        await self.current.prepare()

    async def authorize(self, request: Unsigned, scope: Scope) -> signing.SignedRequest:
        return await self.current.authorize(request, scope)

    def invalidate(self, scope: Scope, credential: str | None) -> None:
        self.current.invalidate(scope, credential)


class AkSkAuth:
    """Signs every request with the access key and its secret key (and the security token of
    temporary credentials). `gates` are the process's (a private set when not given)."""

    refreshable = False

    def __init__(
        self,
        access_key: SecretStr,
        secret_key: SecretStr,
        security_token: SecretStr | None = None,
        *,
        clock: Clock,
        gates: Gates | None = None,
        account: str = "",
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._security_token = security_token
        self._clock = clock
        self.voice = (gates or Gates()).access_key(
            access_key, (secret_key, security_token), account
        )

    def __repr__(self) -> str:
        return "AkSkAuth(access_key=**********, secret_key=**********)"

    async def prepare(self) -> None:
        """Nothing to fetch: the key is the configuration's."""

    async def authorize(self, request: Unsigned, scope: Scope) -> signing.SignedRequest:
        headers = dict(request.headers)
        if self._security_token is not None:
            headers["X-Security-Token"] = self._security_token.get_secret_value()
        return signing.sign(
            method=request.method,
            host=request.host,
            path=request.path,
            query=request.query,
            headers=headers,
            body=request.body,
            access_key=self._access_key.get_secret_value(),
            secret_key=self._secret_key.get_secret_value(),
            now=datetime.fromtimestamp(self._clock(), UTC),
        )

    def invalidate(self, scope: Scope, credential: str | None) -> None:
        """Nothing to refresh: a signature is made anew for every request."""


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: float
    refresh_at: float


class TokenAuth:
    """IAM password login (`POST /v3/auth/tokens`), one cached token per scope.

    A token is refreshed at 80% of its life (IAM tokens live about 24 h), but never sooner than
    `MIN_TOKEN_SECONDS` after it was issued, and at once after `invalidate`, which the HTTP
    layer calls on a 401. The login follows no redirect: its body holds the password.

    Logins as one user (of one domain, at one IAM endpoint) go one at a time across the process
    (`gates`); a login refused (401, 403) or throttled (429) silences them all for
    `backoff_seconds` (a 429 for its `Retry-After` instead, when it gives one, within 1 s and
    `backoff_seconds`), since IAM locks users who keep failing.
    """

    refreshable = True

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        iam_endpoint: str,
        username: str,
        password: SecretStr,
        domain_name: str,
        clock: Clock,
        timeout: float = 10.0,
        network: Network | None = None,
        max_body_bytes: int = MAX_IAM_BODY_BYTES,
        gates: Gates | None = None,
        account: str = "",
        backoff_seconds: float = AUTH_BACKOFF_SECONDS,
    ) -> None:
        self._session = session
        self._url = URL(iam_endpoint.rstrip("/") + "/v3/auth/tokens")
        self._network = network or Network()
        self._max_body_bytes = max_body_bytes
        self._skew_warned = False
        self._username = username
        self._password = password
        self._domain_name = domain_name
        self._clock = clock
        self._timeout = timeout
        self._tokens: dict[Scope, _Token] = {}
        self._locks: dict[Scope, asyncio.Lock] = {}
        self._backoff_seconds = backoff_seconds
        self.voice = (gates or Gates()).login(
            username, domain_name, iam_endpoint, password, account
        )
        self.logins = 0  # how many tokens were obtained (for tests and logs)

    def __repr__(self) -> str:
        return f"TokenAuth(username={self._username!r}, password=**********)"

    async def prepare(self) -> None:
        """Tokens are fetched per scope, in `authorize`."""

    async def authorize(self, request: Unsigned, scope: Scope) -> signing.SignedRequest:
        token = await self._token(scope)
        headers = {**request.headers, "Host": request.host, "X-Auth-Token": token}
        query = signing.canonical_query(request.query)
        path_and_query = f"{request.path}?{query}" if query else request.path
        return signing.SignedRequest(path_and_query=path_and_query, headers=headers)

    def invalidate(self, scope: Scope, credential: str | None) -> None:
        # Only the refused token: pages in flight that were refused together must not throw
        # away the fresh one the first of them already fetched (one login, not one each).
        cached = self._tokens.get(scope)
        if cached is not None and (credential is None or cached.value == credential):
            del self._tokens[scope]

    async def _token(self, scope: Scope) -> str:
        lock = self._locks.setdefault(scope, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(scope)
            if cached is not None and self._clock() < cached.refresh_at:
                return cached.value
            token = await self._gated_login(scope)
            self._tokens[scope] = token
            return token.value

    async def _gated_login(self, scope: Scope) -> _Token:
        gate = self.voice.gate
        held = await gate.enter(self.voice)  # raises while the user is backed off
        try:
            token = await self._login(scope)
        except (AuthError, ForbiddenError) as exc:
            self._refused(exc, self._backoff_seconds, AuthError)
            raise
        except ThrottledError as exc:
            seconds = self._backoff_seconds
            if exc.retry_after is not None:  # honoured, within reason
                seconds = min(max(exc.retry_after, 1.0), self._backoff_seconds)
            self._refused(exc, seconds, ThrottledError)
            raise
        else:
            gate.accept(self.voice)
            return token
        finally:
            gate.leave(held)

    def _refused(self, exc: ApiError, seconds: float, silenced_by: type[ApiError]) -> None:
        gate = self.voice.gate
        if not gate.reject(seconds, silenced_by):  # another login started this back-off
            return
        fields = {
            "iam_host": self._url.host,
            "user": gate.label,
            "accounts": gate.accounts,
            "status": exc.status,
            "error_code": exc.error_code,
            "request_id": exc.request_id,
            "backoff_s": round(seconds, 3),
        }
        if silenced_by is ThrottledError:
            log.warning("login throttled", **fields)
        else:  # once per back-off, as for a rejected access key
            log.warning("login refused", **fields, lockout=LOCKOUT["login"])

    def _body(self, scope: Scope) -> bytes:
        project = {"id": scope.project_id} if scope.project_id else {"name": scope.project_name}
        return json.dumps(
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": self._username,
                                "password": self._password.get_secret_value(),
                                "domain": {"name": self._domain_name},
                            }
                        },
                    },
                    "scope": {"project": project},
                }
            }
        ).encode()

    async def _login(self, scope: Scope) -> _Token:
        now = self._clock()
        host = self._url.host
        try:
            async with self._session.post(
                self._url,
                data=self._body(scope),
                headers={"Content-Type": "application/json;charset=utf8"},
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                **self._network.options(self._url),
            ) as response:
                status = response.status
                request_id = response.headers.get("X-Request-Id")
                subject_token = response.headers.get("X-Subject-Token")
                location = response.headers.get("Location")
                wait = retry_after(response.headers.get("Retry-After"), now=self._clock())
                body = await read_body(response, limit=self._max_body_bytes)
        except TimeoutError as exc:
            raise ApiTimeoutError(f"IAM token request to {host} timed out") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise network_error(host, exc) from None
        if 300 <= status < 400:
            raise BadResponseError(
                f"IAM redirect refused: to {redirect_target(location)}",
                status=status,
                request_id=request_id,
            )
        if status != 201 or not subject_token:
            raise _iam_error(status, body, request_id, wait)
        self.logins += 1
        expires_at = _expires_at(body) or now + 3600.0
        lifetime = expires_at - now
        if lifetime < MIN_TOKEN_SECONDS and not self._skew_warned:
            self._skew_warned = True
            log.warning(
                "IAM token expires too soon: is this clock or the gateway's wrong?",
                iam_host=host,
                expires_in_s=round(lifetime),
                used_for_s=MIN_TOKEN_SECONDS,
            )
        keep = max(0.8 * lifetime, MIN_TOKEN_SECONDS)
        return _Token(value=subject_token, expires_at=expires_at, refresh_at=now + keep)


def _expires_at(body: bytes | bytearray) -> float | None:
    try:
        text = json.loads(body)["token"]["expires_at"]
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


def _iam_error(
    status: int, body: bytes | bytearray, request_id: str | None, wait: float | None = None
) -> ApiError:
    code = None
    try:
        parsed = json.loads(body)
        error = parsed.get("error", parsed) if isinstance(parsed, dict) else {}
        code = str(error.get("error_code") or error.get("code") or "") or None
    except (ValueError, AttributeError, RecursionError):
        pass
    if status == 201:  # created, but no X-Subject-Token header
        return BadResponseError(
            "IAM answered without a token", status=status, request_id=request_id
        )
    return for_status(
        status, "IAM token request failed", error_code=code, request_id=request_id, retry_after=wait
    )
