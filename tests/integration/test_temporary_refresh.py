"""How a temporary key is fetched and refreshed, against providers that answer when told to:
a refresh does not hold up requests while the key in hand still signs, a request cancelled
while it waits does not cancel the fetch, an expiry that is no time (NaN, infinity) is refused
and one absurdly far out is cut to MAX_LIFETIME, a failure backs off from when it failed, and
a token file larger than any token is refused."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from exporter.huawei.errors import AuthError, BadResponseError
from exporter.huawei.temporary import (
    MAX_LIFETIME,
    MAX_TOKEN_BYTES,
    TemporaryAuth,
    TemporaryKey,
    Wire,
    read_token,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Provider:
    """Answers each fetch when `answer` is set, with a key of `lifetime` (or `expires_at`),
    or fails with `failure`; `takes` seconds of the clock pass during a fetch."""

    name = "test"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.answer = asyncio.Event()
        self.answer.set()
        self.calls = 0
        self.lifetime = 600.0
        self.expires_at: float | None = None
        self.failure: Exception | None = None
        self.takes = 0.0

    async def fetch(self, wire: Wire, now: float) -> TemporaryKey:
        self.calls += 1
        await self.answer.wait()
        self.clock.now += self.takes
        if self.failure is not None:
            raise self.failure
        expires = self.expires_at if self.expires_at is not None else self.clock() + self.lifetime
        number = str(self.calls)
        return TemporaryKey(
            SecretStr("AK" + number), SecretStr("SK" + number), SecretStr("TOKEN"), expires
        )


@pytest.fixture
async def parts(
    session: aiohttp.ClientSession,
) -> tuple[TemporaryAuth, Provider, Clock]:
    clock = Clock()
    provider = Provider(clock)
    auth = TemporaryAuth(provider, session=session, clock=clock, account="acct")
    return auth, provider, clock


async def test_a_due_refresh_runs_beside_requests_while_the_key_still_signs(
    parts: tuple[TemporaryAuth, Provider, Clock],
) -> None:
    auth, provider, clock = parts
    await auth.prepare()
    first = auth.expires_at
    assert provider.calls == 1 and first is not None
    clock.now = first - 5  # past the refresh, within the key's life
    provider.answer.clear()
    async with asyncio.timeout(1):
        await auth.prepare()  # not held up by the fetch it started
        await auth.prepare()  # nor starts a second one
        await asyncio.sleep(0)  # the fetch's first turn
    assert provider.calls == 2 and auth.expires_at == first
    provider.answer.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert auth.expires_at is not None and auth.expires_at > first


async def test_a_request_cancelled_while_waiting_does_not_cancel_the_fetch(
    parts: tuple[TemporaryAuth, Provider, Clock],
) -> None:
    auth, provider, _ = parts
    provider.answer.clear()
    waiting = asyncio.ensure_future(auth.prepare())
    await asyncio.sleep(0)
    waiting.cancel()  # its poll's deadline
    with pytest.raises(asyncio.CancelledError):
        await waiting
    provider.answer.set()
    await auth.prepare()  # the same fetch, finished: no second one
    assert provider.calls == 1 and auth.expires_at is not None


@pytest.mark.parametrize("expiry", [math.nan, math.inf])
async def test_an_expiry_that_is_no_time_is_refused_and_backed_off(
    parts: tuple[TemporaryAuth, Provider, Clock], expiry: float
) -> None:
    auth, provider, _ = parts
    provider.expires_at = expiry
    with pytest.raises(AuthError, match="no expiry"):
        await auth.prepare()
    with pytest.raises(AuthError, match="next try in"):
        await auth.prepare()  # backing off: no fetch on every request
    assert provider.calls == 1 and auth.expires_at is None


async def test_an_expiry_absurdly_far_out_is_cut_to_the_longest_lifetime(
    parts: tuple[TemporaryAuth, Provider, Clock],
) -> None:
    auth, provider, clock = parts
    provider.expires_at = 1_893_456_000_000.0  # an epoch in milliseconds: 60,000 years
    await auth.prepare()
    assert auth.expires_at == clock.now + MAX_LIFETIME


async def test_the_back_off_counts_from_when_the_fetch_failed(
    parts: tuple[TemporaryAuth, Provider, Clock],
) -> None:
    auth, provider, _ = parts
    provider.failure = BadResponseError("the provider timed out")
    provider.takes = 10.0  # a fetch that fails by timing out
    with pytest.raises(AuthError):
        await auth.prepare()
    with pytest.raises(AuthError, match="next try in"):
        await auth.prepare()  # 0.5-1 s after the failure, not after the fetch began
    assert provider.calls == 1


def test_a_token_file_larger_than_any_token_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_bytes(b"x" * (MAX_TOKEN_BYTES + 1))
    with pytest.raises(AuthError, match="more than"):
        read_token(token, "oidc_sts")
    token.write_bytes(b"x" * MAX_TOKEN_BYTES)
    assert len(read_token(token, "oidc_sts").get_secret_value()) == MAX_TOKEN_BYTES
