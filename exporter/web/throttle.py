"""Password checks, bounded: how many bcrypt checks may wait at once, and how often one
client address may fail before its attempts are refused unchecked.

bcrypt costs tens of milliseconds of CPU by design. 600 clients sending wrong passwords (no
credentials needed) once kept every connection slot busy waiting for their checks and the
default thread pool with them, and valid scrapes and polls failed. Here:

- at most `max_pending` checks wait or run at once; beyond that an attempt is refused at once,
  unchecked, and its connection is freed;
- an address that failed `free` times waits, before its next attempt is checked, a penalty
  that doubles with each further failure (1 s, 2 s, 4 s, ... `max_penalty`), counted from its
  last failure; meanwhile its attempts are refused unchecked;
- the table of failing addresses holds at most `max_addresses` (the least recently failed
  leave first), and an IPv6 client counts by its /64, what one host is usually given.

A credential already verified never comes here: it is found in a cache first (web_config.py),
so valid scrapes pass whatever the throttle thinks of their address.

    throttle = Throttle()
    wait = throttle.wait(address)      # 0.0: check it; else refuse, Retry-After: wait
    throttle.started()                 # ... then, once bcrypt has answered:
    throttle.finished(address, ok=False)
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Failures:
    count: int
    last: float  # monotonic time of the last failure


class Throttle:
    """Failed password checks per client address, and the checks under way."""

    def __init__(
        self,
        *,
        max_pending: int = 8,
        free: int = 3,
        max_penalty: float = 60.0,
        max_addresses: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_pending, self.free, self.max_penalty = max_pending, free, max_penalty
        self.max_addresses = max_addresses
        self.clock = clock
        self.pending = 0  # checks waiting for or running in the bcrypt pool
        self.refused = 0  # attempts answered without a check
        self._failed: OrderedDict[str, _Failures] = OrderedDict()  # least recent first

    def penalty(self, failures: int) -> float:
        """How long an address waits after its `failures`-th failure: 0 for the first `free`.

        >>> [Throttle().penalty(n) for n in (1, 3, 4, 6, 20)]
        [0.0, 1.0, 2.0, 8.0, 60.0]
        """
        if failures < self.free:
            return 0.0
        return min(2.0 ** min(failures - self.free, 30), self.max_penalty)

    def wait(self, address: str) -> float:
        """0.0 when an attempt from `address` may be checked now; else how many seconds are
        left before one may (the attempt is refused unchecked, and counted)."""
        if self.pending >= self.max_pending:
            self.refused += 1
            return 1.0
        failures = self._failed.get(address)
        if failures is not None:
            left = failures.last + self.penalty(failures.count) - self.clock()
            if left > 0:
                self.refused += 1
                return left
        return 0.0

    def started(self) -> None:
        self.pending += 1

    def finished(self, address: str | None, *, ok: bool) -> None:
        """A check ended; `address` None: its answer is not counted (nobody heard it)."""
        self.pending -= 1
        if address is None:
            return
        failures = self._failed.pop(address, None)
        if ok:
            return  # the right password: the address starts afresh
        if failures is None:
            failures = _Failures(0, 0.0)
        failures.count += 1
        failures.last = self.clock()
        self._failed[address] = failures
        while len(self._failed) > self.max_addresses:
            self._failed.popitem(last=False)

    @property
    def addresses(self) -> int:
        """How many addresses have failures on record."""
        return len(self._failed)


def client_key(peer: str | None) -> str:
    """The address a client's failures count against: its IP, an IPv6 one by its /64.

    >>> client_key("2001:db8:1:2:aaaa::1"), client_key("::ffff:10.0.0.1"), client_key(None)
    ('2001:db8:1:2::/64', '10.0.0.1', '')
    """
    if not peer:
        return ""
    try:
        ip = ipaddress.ip_address(peer)
    except ValueError:  # not an IP (a Unix socket's peer): as given, bounded
        return peer[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
