"""Polite, safe GETs against Huawei Cloud: rate limit, bounded concurrency, retries.

Retries follow the README's Reliability table: 429, 5xx, timeouts and connection failures
are tried at most `max_tries` times with exponential backoff and full jitter (or the
`Retry-After` the server asked for, bounded), always inside the caller's deadline
(`answer_by`): a wait that would end past it is not waited, the error is raised at once. A
401 with a token refreshes it and retries once. A 401/403 with AK/SK is never retried: every
request signed with that access key, of any account, is silenced for
`auth_backoff_seconds`, because the gateway locks an AK after five failed signatures; until
the key is accepted, its requests go one at a time (`gate.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import aiohttp
import msgspec
import structlog
from yarl import URL

from exporter.huawei.auth import AUTH_BACKOFF_SECONDS, Authenticator, Scope, Unsigned
from exporter.huawei.bodies import ACCEPT_ENCODING, ByteBudget, read_body
from exporter.huawei.errors import (
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    ForbiddenError,
    NetworkError,
    ServerError,
    ThrottledError,
    for_status,
)
from exporter.huawei.gate import LOCKOUT, Voice
from exporter.huawei.network import Network, network_error, redirect_target
from exporter.huawei.payload import UNREADABLE, ApiErrorBody, decode, decoder, text
from exporter.huawei.retry_after import retry_after
from exporter.huawei.signing import Query, host_header

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=msgspec.Struct)
# The event loop's time by which the caller needs its answer (a poll's deadline), if it said.
_DEADLINE: ContextVar[float | None] = ContextVar("answer_by", default=None)


@contextlib.contextmanager
def answer_by(deadline: float | None) -> Iterator[None]:
    """Requests made inside (and in tasks started inside) must be answered by `deadline`, in
    the event loop's time (`asyncio.timeout(...).when()`): no retry waits past it."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@dataclass(frozen=True, slots=True)
class RequestPolicy:
    connect_timeout: float = 5.0
    total_timeout: float = 30.0
    max_tries: int = 3
    backoff_base: float = 1.0  # first retry waits up to this long, doubling each time
    backoff_cap: float = 10.0
    max_retry_after: float = 60.0  # a longer Retry-After is waited this long (within the deadline)
    auth_backoff_seconds: float = AUTH_BACKOFF_SECONDS  # after a rejected access key
    max_in_flight: int = 32  # per endpoint
    rate_per_second: float = 50.0  # per account, token bucket
    burst: int | None = None  # None: the pages of one whole poll of the account
    max_body_bytes: int = 32 * 1024 * 1024  # one response, after decompression


class TokenBucket:
    """`rate` requests a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, monotonic: Callable[[], float]) -> None:
        self._rate = rate
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._monotonic = monotonic
        self._updated = monotonic()
        self._lock = asyncio.Lock()

    @property
    def burst(self) -> int:
        return int(self._capacity)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                self._tokens = min(
                    self._capacity, self._tokens + (now - self._updated) * self._rate
                )
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self._rate)


@dataclass(slots=True)
class AccountGuard:
    """What one account's clients share: its rate limit. (A rejected key's back-off is the
    key's, shared with every account using it: `gate.py`.)"""

    bucket: TokenBucket


class RequestObserver(Protocol):
    def __call__(self, *, code: str, seconds: float) -> None: ...


def _ignore(*, code: str, seconds: float) -> None:
    """Default observer: no telemetry."""


@dataclass(slots=True)
class _Answer:
    status: int
    body: bytearray
    request_id: str | None
    retry_after: float | None
    location: str | None
    credential: str | None = field(default=None, repr=False)  # the token sent, if one was
    silenced: bool = False  # this answer started its access key's back-off


@dataclass
class Endpoint:
    """One service endpoint of one account, e.g. `https://sms.ap-southeast-3.myhuaweicloud.com`.

    Every request it sends is authorised by `auth` (through its access key's gate, for
    AK/SK), limited by the account's `guard` and by `max_in_flight` here, and reported to
    `observe` (code and duration).
    """

    session: aiohttp.ClientSession
    base_url: str
    auth: Authenticator
    scope: Scope
    guard: AccountGuard
    policy: RequestPolicy = field(default_factory=RequestPolicy)
    observe: RequestObserver = _ignore
    network: Network = field(default_factory=Network)
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.time  # for a Retry-After given as an HTTP date
    # Taken around decoding a page (a few ms of CPU): the poll's `turns.turn`, so that pages
    # arriving by the dozen decode one at a time between scrapes. None: decode at once.
    pace: Callable[[], AbstractAsyncContextManager[Any]] | None = None

    def __post_init__(self) -> None:
        url = URL(self.base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"endpoint must be an http(s) URL, got {self.base_url!r}")
        self._origin = url.origin()
        self._prefix = url.raw_path.rstrip("/")
        self._host = host_header(url.raw_host or "", url.explicit_port, url.scheme)
        self._semaphore = asyncio.Semaphore(self.policy.max_in_flight)

    async def get(
        self,
        path: str,
        query: Query,
        model: type[M],
        headers: dict[str, str] | None = None,
        budget: ByteBudget | None = None,
    ) -> M:
        """GET `path` and parse the body as `model`, retrying as the policy says; the body
        counts against `budget`, what the whole poll may hold."""
        unsigned = Unsigned(
            method="GET",
            host=self._host,
            path=self._prefix + path,
            query=query,
            headers=headers or {},
        )
        answer = await self._with_retries(unsigned, budget)
        try:
            async with self.pace() if self.pace else nullcontext():
                return decode(model, answer.body)  # a lone surrogate repaired
        except UNREADABLE as exc:  # malformed, wrong shape, nested too deep
            raise BadResponseError(
                f"unexpected response body: {str(exc)[:200]}",
                status=answer.status,
                request_id=answer.request_id,
            ) from None

    async def _with_retries(self, unsigned: Unsigned, budget: ByteBudget | None) -> _Answer:
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = await self._send(unsigned, budget)
            except (ApiTimeoutError, NetworkError) as exc:
                await self._pause_or_raise(exc, attempt, None)
                continue
            if 200 <= answer.status < 300:
                return answer
            if 300 <= answer.status < 400:
                # Never followed: the signed headers (or a token) would go wherever it says.
                raise BadResponseError(
                    f"redirect refused: to {redirect_target(answer.location)}",
                    status=answer.status,
                    request_id=answer.request_id,
                )
            error = self._error(answer)
            if isinstance(error, AuthError | ForbiddenError):
                if isinstance(error, AuthError) and self.auth.refreshable and not refreshed:
                    # A token expired or was revoked: one fresh token, one more try.
                    self.auth.invalidate(self.scope, answer.credential)
                    refreshed = True
                    attempt -= 1
                    continue
                self._rejected(error, answer)
                raise error
            if isinstance(error, ThrottledError | ServerError):
                await self._pause_or_raise(error, attempt, answer.retry_after)
                continue
            raise error

    def _rejected(self, error: ApiError, answer: _Answer) -> None:
        fields = {
            "base_url": self.base_url,
            "status": error.status,
            "error_code": error.error_code,
            "request_id": error.request_id,
        }
        if self.auth.refreshable:  # a token refused again after a fresh one: nothing locks
            log.warning("credentials rejected", **fields, backed_off=False)
            return
        gate = self.auth.voice.gate
        if not answer.silenced:  # another request of the key started this back-off
            log.debug("credentials rejected", **fields, backed_off=True)
            return
        log.warning(  # once per back-off of the key, whichever account hit it
            "credentials rejected",
            **fields,
            backed_off=True,
            access_key=gate.label,
            accounts=gate.accounts,
            backoff_s=self.policy.auth_backoff_seconds,
            lockout=LOCKOUT["access key"],
        )

    async def _pause_or_raise(
        self, error: ApiError, attempt: int, retry_after: float | None
    ) -> None:
        if attempt >= self.policy.max_tries:
            raise error
        if retry_after is not None:
            delay = min(retry_after, self.policy.max_retry_after)
        else:
            ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempt - 1))
            delay = self.rng.uniform(0.0, ceiling)
        if not 0.0 <= delay < self._time_left():
            # The retry could not be answered before the caller stops waiting: fail now, with
            # the reason it has, rather than as a timeout later.
            raise error
        log.debug(
            "retrying request",
            base_url=self.base_url,
            reason=error.reason,
            status=error.status,
            request_id=error.request_id,
            attempt=attempt,
            delay_s=round(delay, 3),
        )
        await self.sleep(delay)

    def _time_left(self) -> float:
        deadline = _DEADLINE.get()
        if deadline is None:
            return math.inf
        return deadline - asyncio.get_running_loop().time()

    async def _turn(self) -> tuple[Voice, bool]:
        """This request's turn at its access key's gate: the voice it signs with, and whether
        it holds the gate (the key not yet accepted: one request at a time)."""
        while True:
            voice = self.auth.voice
            held = await voice.gate.enter(voice)
            # Nothing suspends between here and signing: the voice is the signer's, unless
            # a reload swapped the credentials while this request queued.
            if self.auth.voice is voice:
                return voice, held
            voice.gate.leave(held)

    async def _send(self, unsigned: Unsigned, budget: ByteBudget | None) -> _Answer:
        # AK/SK requests pass their key's gate; a token's are free (its logins are gated).
        gated = not self.auth.refreshable
        await self.auth.prepare()  # a temporary key fetched or refreshed when due
        if gated:
            self.auth.voice.gate.check()  # silenced: not even a token of the rate limit
        await self.guard.bucket.acquire()
        async with self._semaphore:
            voice, held = await self._turn() if gated else (None, False)
            try:
                return await self._signed_and_sent(unsigned, budget, voice)
            finally:
                if voice is not None:
                    voice.gate.leave(held)

    async def _signed_and_sent(
        self, unsigned: Unsigned, budget: ByteBudget | None, voice: Voice | None
    ) -> _Answer:
        signed = await self.auth.authorize(unsigned, self.scope)
        url = self._origin.join(URL(signed.path_and_query, encoded=True))
        timeout = aiohttp.ClientTimeout(
            total=self.policy.total_timeout, sock_connect=self.policy.connect_timeout
        )
        started = self.monotonic()
        code = "error"
        # Accept-Encoding after signing: it is not a signed header, and it names only
        # what read_body can inflate within its bounds.
        headers = {**signed.headers, "Accept-Encoding": ACCEPT_ENCODING}
        try:
            async with self.session.get(
                url, headers=headers, timeout=timeout, **self.network.options(url)
            ) as response:
                code = str(response.status)
                # Heard before the body is read: a refusal whose body is too large to read
                # still silences the key.
                silenced = voice is not None and voice.gate.heard(
                    voice, response.status, backoff_seconds=self.policy.auth_backoff_seconds
                )
                body = await read_body(response, limit=self.policy.max_body_bytes, budget=budget)
                return _Answer(
                    status=response.status,
                    body=body,
                    request_id=response.headers.get("X-Request-Id"),
                    retry_after=retry_after(response.headers.get("Retry-After"), now=self.clock()),
                    location=response.headers.get("Location"),
                    credential=signed.headers.get("X-Auth-Token"),
                    silenced=silenced,
                )
        except TimeoutError:
            raise ApiTimeoutError(f"request to {self._origin.host} timed out") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise network_error(self._origin.host, exc) from None
        finally:
            self.observe(code=code, seconds=self.monotonic() - started)

    def _error(self, answer: _Answer) -> ApiError:
        error_code = None
        with contextlib.suppress(*UNREADABLE):  # HTML pages, empty bodies
            error_code = text(decoder(ApiErrorBody).decode(answer.body).error_code)
        return for_status(
            answer.status,
            "API request failed",
            error_code=error_code,
            request_id=answer.request_id,
            retry_after=answer.retry_after,
        )
