"""One access key, one voice (DESIGN.md section 14): what every use of one credential shares
across the whole process, whichever account, region or service it is used for.

Huawei locks an access key after five failed signatures (and IAM a user after failed logins).
So a key not yet accepted is used by one request at a time; an answer that only a verified
request gets accepts it, and its requests flow concurrently from then on; a 401 or 403
silences every use of it for the back-off, after which it is "not yet accepted" again and the
first request to come is the one probe. A process thus sends at most one bad signature per
key per back-off, however many accounts and services share the key. Password logins (one
credential: user, domain, IAM endpoint) always go one at a time.

    gates = Gates()                                   # one per process: the fleet's, --once's
    voice = gates.access_key(ak, (sk, token), account="prod-ap3")
    held = await voice.gate.enter(voice)              # AuthError while the key is silenced
    try:
        status = ...                                  # send the request signed with it
        started = voice.gate.heard(voice, status, backoff_seconds=300)
    finally:
        voice.gate.leave(held)
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from exporter.huawei.errors import ApiError, AuthError, ThrottledError

Kind = Literal["access key", "login"]
# What Huawei does to a key that keeps failing, for the warning that a key was rejected.
LOCKOUT = {
    "access key": "Huawei locks an access key after 5 failed signatures (for 5 minutes): "
    "nothing is signed with it until the back-off ends, then one request tries it again",
    "login": "IAM locks a user after repeated failed logins: no login is tried with it "
    "until the back-off ends, then one",
}


def _digest(*secrets: SecretStr | None) -> str:
    """A secret's stand-in for comparisons: a key is accepted with one secret, not another."""
    hashed = hashlib.sha256()
    for secret in secrets:
        hashed.update(b"\0" + (secret.get_secret_value().encode() if secret else b"-"))
    return hashed.hexdigest()


def masked(access_key: str) -> str:
    """What a log may show of an access key id: `AKTE…`."""
    return access_key[:4] + "…"


@dataclass(eq=False, slots=True, weakref_slot=True)
class Voice:
    """One account's use of a credential: the gate of its key, the secret it signs with (as
    a digest), and the account, which the warnings name."""

    gate: Gate
    secret: str = field(repr=False)
    account: str


class Gate:
    """Every use of one access key (or one login) in the process."""

    def __init__(
        self,
        kind: Kind,
        label: str,
        *,
        clock: Callable[[], float],
        monotonic: Callable[[], float],
    ) -> None:
        self.kind = kind
        self.label = label  # what logs show: the key masked, or the user's name
        self._clock = clock
        self._monotonic = monotonic
        self._voices: weakref.WeakSet[Voice] = weakref.WeakSet()  # as long as its account runs
        self._one = asyncio.Lock()
        self.accepted: str | None = None  # the secret it was last accepted with (a digest)
        self.until = 0.0  # monotonic end of the back-off
        self.until_wall = 0.0  # the same, in wall-clock seconds: what the gauge shows
        self.silenced_by: type[ApiError] = AuthError

    def __repr__(self) -> str:
        return f"Gate({self.kind} {self.label}, accounts={self.accounts})"

    @property
    def accounts(self) -> list[str]:
        return sorted({voice.account for voice in self._voices})

    def add(self, voice: Voice) -> None:
        self._voices.add(voice)

    def silenced_for(self) -> float:
        """Seconds left of the back-off, 0 when there is none."""
        return max(self.until - self._monotonic(), 0.0)

    def check(self) -> None:
        """Raise while the key is silenced: the error it was silenced for."""
        left = self.silenced_for()
        if left <= 0:
            return
        if self.silenced_by is ThrottledError:
            raise ThrottledError(f"login throttled earlier; backed off for {left:.0f} s more")
        what = "access key rejected" if self.kind == "access key" else "login refused"
        raise self.silenced_by(
            f"{what} earlier; backed off for {left:.0f} s more to avoid the lock-out"
        )

    def _concurrent(self, voice: Voice) -> bool:
        return self.kind == "access key" and self.accepted == voice.secret

    async def enter(self, voice: Voice) -> bool:
        """Wait for `voice`'s turn. True: it holds the gate (a key not yet accepted with this
        secret, or a login), and must `leave` it; False: it goes along with the others."""
        self.check()
        if self._concurrent(voice):
            return False
        await self._one.acquire()
        try:
            self.check()  # the probe before this one may have been refused
        except ApiError:
            self._one.release()
            raise
        if self._concurrent(voice):  # ... or accepted: no need to hold the others up
            self._one.release()
            return False
        return True

    def leave(self, held: bool) -> None:
        if held:
            self._one.release()

    def accept(self, voice: Voice) -> None:
        # Not while silenced: a request sent before the 401 and answered after it must not
        # open the way for every request at the end of the back-off (the probe is one).
        if self.silenced_for() == 0:
            self.accepted = voice.secret

    def reject(self, seconds: float, silenced_by: type[ApiError] = AuthError) -> bool:
        """Silence every use of the key for `seconds`; True when this starts a back-off (the
        one to log), False when it renews one (another request refused with it)."""
        started = self.silenced_for() == 0
        now = self._monotonic()
        if now + seconds > self.until:
            self.until = now + seconds
            self.until_wall = self._clock() + seconds
        self.accepted = None
        self.silenced_by = silenced_by
        return started

    def heard(self, voice: Voice, status: int, *, backoff_seconds: float) -> bool:
        """What an answer to a request signed with `voice` says of the key; True when a
        401/403 started a back-off."""
        if status in (401, 403):
            return self.reject(backoff_seconds)
        # Only answers that a verified signature earns: a 429 or a 5xx may come from a
        # gateway or a balancer that never looked at it.
        if 200 <= status < 300 or (400 <= status < 500 and status not in (407, 429)):
            self.accept(voice)
        return False

    def lift(self) -> None:
        """End the back-off now: a new secret for the key deserves its one probe at once."""
        self.until = self.until_wall = 0.0
        self.accepted = None


class Gates:
    """The gates of one process, by access key (or login), made on first use."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._monotonic = monotonic
        self._gates: dict[tuple[str, str], Gate] = {}

    def _gate(self, kind: Kind, key: str, label: str) -> Gate:
        gate = self._gates.get((kind, key))
        if gate is None:
            gate = Gate(kind, label, clock=self._clock, monotonic=self._monotonic)
            self._gates[(kind, key)] = gate
        return gate

    def access_key(
        self, access_key: SecretStr, secrets: Sequence[SecretStr | None], account: str
    ) -> Voice:
        """`account`'s voice on the gate of `access_key`, signing with `secrets`."""
        key = access_key.get_secret_value()
        gate = self._gate("access key", _digest(access_key), masked(key))
        voice = Voice(gate, _digest(*secrets), account)
        gate.add(voice)
        return voice

    def login(
        self, username: str, domain: str, iam_url: str, password: SecretStr, account: str
    ) -> Voice:
        """`account`'s voice on the gate of logins as `username` of `domain` at `iam_url`."""
        key = "\0".join((username, domain, iam_url.rstrip("/")))
        gate = self._gate("login", key, f"{username} ({domain})")
        voice = Voice(gate, _digest(password), account)
        gate.add(voice)
        return voice

    def forget(self, voice: Voice) -> None:
        """A temporary key replaced by the next: its gate goes, unless another account still
        signs with the key."""
        gate = voice.gate
        if any(other is not voice for other in list(gate._voices)):
            return
        for key in [key for key, known in self._gates.items() if known is gate]:
            del self._gates[key]

    def backoffs(self) -> dict[str, float]:
        """When the back-off of each silenced account's credential ends (wall clock)."""
        out: dict[str, float] = {}
        for gate in self._gates.values():
            if gate.silenced_for() > 0:
                for account in gate.accounts:
                    out[account] = max(out.get(account, 0.0), gate.until_wall)
        return out
