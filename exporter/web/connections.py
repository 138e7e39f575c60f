"""Inbound connections, bounded: a deadline for request headers and a ceiling on their number.

aiohttp gives a connection that sends half a request line all the time it likes, and accepts
connections until the process runs out of file descriptors; a thousand such clients once kept
every scrape waiting 40 s. Here each connection is wrapped before aiohttp sees it:

- its request headers must be complete within `header_timeout` of their first byte (of the
  connection's opening, for the first request), or it is closed;
- at `limit` open connections a new one evicts the longest-waiting connection: half a header
  for over a second first, then idle keep-alive, then the reader that stopped reading longest
  ago, then a connection still sending its first header (its answer
  has waited on a full socket for over `STALLED_AFTER`), so a real scrape or a probe always
  gets in, whatever the others do.

Idle keep-alive connections are aiohttp's to close (`keepalive_timeout`); an answer not sent
within the write deadline is cut by the server (`server.py`).
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from ssl import SSLContext

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

log = structlog.get_logger(__name__)

HEADERS_END = b"\r\n\r\n"
RESERVED_DESCRIPTORS = 128  # for API connections, files and the listening socket itself
IDLE_AFTER = 1.0  # seconds without a byte, outside a handler, before a connection counts idle
STALLED_AFTER = 1.0  # seconds an answer waits on a full socket before its reader counts stalled
REFUSED_LOG_EVERY = 60.0  # seconds between two log lines about refused connections


@dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int = 512
    header_timeout: float = 5.0


def descriptor_budget(wanted: int) -> int:
    """How many inbound connections this process can hold: `wanted`, or fewer when the file
    descriptor limit leaves less. The soft limit is raised to the hard one first, as the Go
    runtime does for every exporter written in Go."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # keep what we have
    return max(1, min(wanted, soft - RESERVED_DESCRIPTORS))


class _Guarded(asyncio.Protocol):
    """aiohttp's protocol for one connection, with the header deadline kept in front of it."""

    def __init__(self, inner: asyncio.Protocol, owner: Connections) -> None:
        self.inner = inner
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.busy = 0  # handlers running for this connection
        self.in_headers = True  # the first request has not arrived yet
        self.since = owner.clock()  # when the current wait for headers began
        self.last_activity = self.since
        self.paused_since: float | None = None  # when the socket last filled up, while it is full
        self._tail = b""
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol, passed on to aiohttp ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.owner.admit(self):
            transport.abort()  # nothing to evict: every connection is being answered
            return
        self._arm()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.last_activity = self.owner.clock()
        if not self.in_headers:  # the first byte of the next request
            self.in_headers = True
            self.since = self.last_activity
            self._tail = b""
            self._arm()
        seen = self._tail + data
        if HEADERS_END in seen:
            self.in_headers = False
            self._disarm()
        self._tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.owner.forget(self):
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.paused_since is None:
            self.paused_since = self.owner.clock()
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.paused_since = None
        self.inner.resume_writing()

    # -- the deadline -----------------------------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(
            self.owner.limits.header_timeout, self._expire
        )

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self.in_headers and not self.busy and self.transport is not None:
            self.owner.closed_slow += 1
            self.transport.abort()

    def idle(self, now: float) -> bool:
        return not self.busy and not self.in_headers and now - self.last_activity > IDLE_AFTER

    def stalled(self, now: float) -> bool:
        """Being answered, to a reader that has not taken a byte for a while."""
        return (
            self.busy > 0
            and self.paused_since is not None
            and now - self.paused_since > STALLED_AFTER
        )


class Connections:
    """The open connections of one listening socket."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.live: dict[asyncio.BaseTransport, _Guarded] = {}
        self.evicted = 0
        self.evicted_stalled = 0  # of those, readers cut mid-answer
        self.refused = 0  # connections turned away: every one was being answered
        self.closed_slow = 0
        self._warned = False
        self._refused_logged_at: float | None = None

    def factory(self, make: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        return lambda: _Guarded(make(), self)

    def admit(self, conn: _Guarded) -> bool:
        """Make room for `conn`; False when none can be made."""
        if len(self.live) >= self.limits.max_connections:
            victim = self._victim()
            if victim is None:
                self._refuse()
                return False
            self.evicted += 1
            if not self._warned:
                self._warned = True
                log.warning(
                    "connection limit reached: closing the longest-waiting idle connections",
                    max_connections=self.limits.max_connections,
                )
            if victim.busy:
                self.evicted_stalled += 1
                log.info(
                    "scrape cut to make room: its reader stopped reading",
                    stalled_s=round(self.clock() - (victim.paused_since or self.clock()), 1),
                    max_connections=self.limits.max_connections,
                )
            self.forget(victim)  # now, not when the loop gets to it: the count stays bounded
            if victim.transport is not None:
                victim.transport.abort()
                victim.inner.connection_lost(None)
        assert conn.transport is not None
        self.live[conn.transport] = conn
        return True

    def _refuse(self) -> None:
        """No room and nobody to evict: every connection is being answered at a reader that
        still reads. Said in the log, once a minute at most."""
        self.refused += 1
        now = self.clock()
        if self._refused_logged_at is None or now - self._refused_logged_at >= REFUSED_LOG_EVERY:
            self._refused_logged_at = now
            log.warning(
                "connection refused: every connection is being answered",
                max_connections=self.limits.max_connections,
                refused=self.refused,
            )

    def forget(self, conn: _Guarded) -> bool:
        """Drop `conn`; True if it was live (aiohttp still has to hear it is gone)."""
        if conn.transport is not None and self.live.get(conn.transport) is conn:
            del self.live[conn.transport]
            return True
        return False

    def abort_all(self) -> int:
        """Cut every open connection now (shutdown, once the grace period is over)."""
        cut = list(self.live.values())
        for conn in cut:
            self.forget(conn)
            if conn.transport is not None:
                conn.transport.abort()
                conn.inner.connection_lost(None)
        return len(cut)

    def _victim(self) -> _Guarded | None:
        now = self.clock()
        waiting = [c for c in self.live.values() if c.in_headers and not c.busy]
        # Half a header for a while first: a connection opened a moment ago (a burst accepts
        # many in one turn of the loop) has had no time to send its request yet.
        slow = [c for c in waiting if now - c.since > IDLE_AFTER]
        if slow:
            return min(slow, key=lambda c: c.since)
        idle = [c for c in self.live.values() if c.idle(now)]
        if idle:
            return min(idle, key=lambda c: c.last_activity)
        stalled = [c for c in self.live.values() if c.stalled(now)]
        if stalled:
            return min(stalled, key=lambda c: c.paused_since or now)
        return min(waiting, key=lambda c: c.since) if waiting else None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the connection as being answered, so that it is never evicted mid-answer."""
        conn = self.live.get(request.transport) if request.transport is not None else None
        if conn is None:
            return await handler(request)
        conn.busy += 1
        try:
            return await handler(request)
        finally:
            conn.busy -= 1
            conn.last_activity = self.clock()


class GuardedSite(web.BaseSite):
    """A TCP site whose every connection goes through `connections`."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        connections: Connections,
        *,
        ssl_context: SSLContext | None = None,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self._host, self._port = host, port
        self.connections = connections

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self.connections.factory(server),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=True,
        )
