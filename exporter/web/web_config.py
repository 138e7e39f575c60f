"""TLS and basic auth from a web config file in the format of Prometheus' exporter-toolkit.

    tls_server_config:
      cert_file: /etc/exporter/tls.crt
      key_file: /etc/exporter/tls.key
      client_auth_type: RequireAndVerifyClientCert   # optional, with client_ca_file
      client_ca_file: /etc/exporter/ca.crt
      min_version: TLS12
    basic_auth_users:
      prometheus: $2y$10$...                          # bcrypt hash

The health endpoints (`/healthz`, `/readyz`, `/-/healthy`, `/-/ready`) stay open for probes,
as Prometheus' own do; every other path needs the credentials when users are set. Password
checks run in a small pool of their own, bounded, and repeated failures from one address are
refused unchecked for a while (`throttle.py`), so a flood of wrong passwords costs neither the
scrapes of a verified credential nor the polls.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import math
import ssl
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Literal, NamedTuple

import bcrypt
import yaml
from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from exporter.settings import describe
from exporter.web.throttle import Throttle, client_key

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/-/healthy", "/-/ready"})
REALM = 'Basic realm="huaweicloud-migration-exporter", charset="UTF-8"'
_CACHE_SIZE = 256
BCRYPT_MAX_PASSWORD = 72  # bytes; bcrypt 5 refuses longer, Go's bcrypt too (exporter-toolkit)
# bcrypt's own threads: the default pool is the polls' (asyncio.to_thread), and a flood of
# checks waiting there once delayed them past their deadline. Two: the machine's cores are
# the polls' too; what waits beyond the throttle's bound is refused, not queued.
_CHECKS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hwmig-bcrypt")

ClientAuth = Literal["NoClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"]
TlsVersion = Literal["TLS10", "TLS11", "TLS12", "TLS13"]
_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}


class WebConfigError(Exception):
    """A web config file that cannot be used; the message names the key, never a hash."""


class TlsServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cert_file: Path
    key_file: Path
    client_auth_type: ClientAuth = "NoClientCert"
    client_ca_file: Path | None = None
    min_version: TlsVersion = "TLS12"


class WebConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tls_server_config: TlsServerConfig | None = None
    basic_auth_users: dict[str, str] | None = None
    http_server_config: dict[str, Any] | None = None  # accepted for compatibility, unused

    @field_validator("basic_auth_users")
    @classmethod
    def _bcrypt_hashes(cls, users: dict[str, str] | None) -> dict[str, str] | None:
        for user, hashed in (users or {}).items():
            if not hashed.startswith(("$2a$", "$2b$", "$2y$")) or len(hashed) != 60:
                raise ValueError(f"user {user!r}: the password must be a bcrypt hash")
        return users


class Verdict(NamedTuple):
    """What a request's credentials are worth."""

    ok: bool
    retry_after: float = 0.0  # > 0: refused unchecked (throttled); worth asking after this long


class WebConfig:
    """The running web config. A reload `replace`s its contents in place: the middleware and
    the TLS context the server holds see the new users and certificates at once."""

    def __init__(self, config: WebConfigFile, throttle: Throttle | None = None) -> None:
        self.bcrypt_checks = 0  # how often bcrypt ran: once per credential, not per scrape
        self.throttle = throttle or Throttle()  # kept across reloads: it is about clients
        self._context: ssl.SSLContext | None = None
        self._users: dict[str, bytes] = {}
        # Digests of good credentials -> their user.
        self._verified: OrderedDict[bytes, str] = OrderedDict()
        self._take(config)

    @classmethod
    def open(cls) -> WebConfig:
        """No TLS, no users: what runs without a web config file (a reload may add users)."""
        return cls(WebConfigFile())

    def _take(self, config: WebConfigFile) -> None:
        old_users = self._users
        self.config = config
        self.tls = config.tls_server_config
        self._users = {u: h.encode() for u, h in (config.basic_auth_users or {}).items()}
        # Unknown users are checked against this, at the cost of the dearest real hash, so the
        # answer's timing does not tell which user names exist.
        self._dummy = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds=_dearest(self._users)))
        # A reload keeps the credentials verified of users whose hash did not change:
        # Prometheus is not sent back to bcrypt (and the throttle) by a reload.
        self._verified = OrderedDict(
            (digest, user)
            for digest, user in self._verified.items()
            if user in self._users and old_users.get(user) == self._users[user]
        )

    def files(self) -> list[Path]:
        """The files this config reads, for the reload watcher."""
        if self.tls is None:
            return []
        return [f for f in (self.tls.cert_file, self.tls.key_file, self.tls.client_ca_file) if f]

    def replace(self, new: WebConfig) -> None:
        """Take `new`'s users and certificates; whether TLS is on stays as it started."""
        self._take(new.config)
        if self._context is not None and self.tls is not None:
            _load_into(self._context, self.tls)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The server's TLS context, made once (a reload loads new certificates into it)."""
        if self.tls is None:
            return None
        if self._context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = _VERSIONS[self.tls.min_version]
            _load_into(context, self.tls)
            self._context = context
        return self._context

    async def check(self, header: str | None, peer: str | None = None) -> Verdict:
        """Check `Authorization: Basic ...` from the client at `peer`: a credential verified
        before at once; else bcrypt, in its own pool, unless the throttle refuses first."""
        if not self._users:
            return Verdict(True)
        user, password = _basic(header)
        if user is None or password is None or len(password.encode()) > BCRYPT_MAX_PASSWORD:
            return Verdict(False)
        digest = hashlib.sha256(user.encode() + b"\0" + password.encode()).digest()
        if digest in self._verified:  # before any throttling: a valid scrape always passes
            self._verified.move_to_end(digest)
            return Verdict(True)
        address = client_key(peer)
        wait = self.throttle.wait(address)
        if wait > 0:
            return Verdict(False, wait)
        hashed = self._users.get(user)
        self.bcrypt_checks += 1
        self.throttle.started()
        # Unknown users pay bcrypt too, so timing does not tell which part was wrong.
        check = asyncio.get_running_loop().run_in_executor(
            _CHECKS, _checkpw, password.encode(), hashed or self._dummy
        )
        # The pool's work, not this coroutine, holds the throttle's slot: a handler cancelled
        # mid-check (shielded) must not let another check start while this one still runs.
        check.add_done_callback(partial(self._checked, address, hashed is not None))
        if await asyncio.shield(check) and hashed is not None:
            self._verified[digest] = user
            if len(self._verified) > _CACHE_SIZE:
                self._verified.popitem(last=False)
            return Verdict(True)
        return Verdict(False)

    def _checked(self, address: str, known: bool, check: asyncio.Future[bool]) -> None:
        ok = not check.cancelled() and check.exception() is None and check.result() and known
        self.throttle.finished(address, ok=ok)

    def middlewares(self) -> tuple[Middleware, ...]:
        """Basic auth, asked only while users are configured (a reload may add or drop them)."""

        @web.middleware
        async def basic_auth(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.path in OPEN_PATHS:
                response: web.StreamResponse = await handler(request)
                return response
            verdict = await self.check(request.headers.get("Authorization"), request.remote)
            if verdict.ok:
                response = await handler(request)
                return response
            if verdict.retry_after > 0:
                # Answered at once and the connection closed: a refused guess holds no slot.
                throttled = web.Response(
                    status=429,
                    text="Too Many Requests\n",
                    headers={"Retry-After": str(max(1, math.ceil(verdict.retry_after)))},
                )
                throttled.force_close()
                return throttled
            return web.Response(
                status=401, text="Unauthorized\n", headers={"WWW-Authenticate": REALM}
            )

        return (basic_auth,)


def _load_into(context: ssl.SSLContext, tls: TlsServerConfig) -> None:
    """The certificates of `tls` into `context`; an unreadable file is named."""
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "not PEM"
        raise WebConfigError(
            f"tls_server_config: cannot load the certificate {tls.cert_file} with the key "
            f"{tls.key_file}: {reason}"
        ) from None
    if tls.client_ca_file is not None:
        try:
            context.load_verify_locations(cafile=tls.client_ca_file)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "not PEM"
            raise WebConfigError(
                f"tls_server_config.client_ca_file: cannot load {tls.client_ca_file}: {reason}"
            ) from None
    if tls.client_auth_type == "RequireAndVerifyClientCert":
        context.verify_mode = ssl.CERT_REQUIRED
    elif tls.client_auth_type == "VerifyClientCertIfGiven":
        context.verify_mode = ssl.CERT_OPTIONAL
    else:
        context.verify_mode = ssl.CERT_NONE


def _dearest(hashes: dict[str, bytes]) -> int:
    """The highest bcrypt cost among `hashes` (`$2b$10$...` costs 10), at least 4."""
    costs = [int(h[4:6]) for h in hashes.values() if h[4:6].isdigit()]
    return min(max(costs, default=4), 31)


def _checkpw(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # a malformed hash that passed the shape check: no way in
        return False


def _basic(header: str | None) -> tuple[str | None, str | None]:
    if not header or header[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def load_web_config(path: Path) -> WebConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise WebConfigError(
            f"--web.config.file: cannot read {path}: {type(exc).__name__}"
        ) from None
    except yaml.YAMLError:
        raise WebConfigError(f"--web.config.file: {path} is not valid YAML") from None
    except RecursionError:  # PyYAML composes recursively: a file nested thousands deep
        raise WebConfigError(f"--web.config.file: {path} is nested too deep") from None
    if not isinstance(data, dict):
        raise WebConfigError(f"--web.config.file: {path} must hold a mapping")
    try:
        config = WebConfig(WebConfigFile.model_validate(data))
    except ValidationError as exc:
        raise WebConfigError(
            describe(exc).replace("invalid configuration", "invalid web config")
        ) from None
    config.ssl_context()  # load certificates now: a bad path fails at start, not at a scrape
    return config
