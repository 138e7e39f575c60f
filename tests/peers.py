"""Hostile peers: tiny aiohttp servers on loopback, each in a thread of its own, that answer as
a test tells them and record every request that reached them (method, URL, headers, body).

    with Peer(handler) as peer:          # handler: async (web.Request) -> web.StreamResponse
        ... peer.url ... peer.seen ...
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    method: str
    url: str  # as requested: absolute when it came through a proxy
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        """Everything the peer received, as one string to search for secrets."""
        return f"{self.method} {self.url}\n{self.headers}\n{self.body.decode('utf-8', 'replace')}"


class Peer:
    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self.host = host
        self.seen: list[Seen] = []
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peer", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def everything(self) -> str:
        return "\n".join(seen.text() for seen in self.seen)

    def __enter__(self) -> Peer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("peer did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _record(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, str(request.url), dict(request.headers), body))
        return await self._handler(request)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=1 << 20)
        app.router.add_route("*", "/{tail:.*}", self._record)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, self.host, 0)
        self._loop.run_until_complete(site.start())
        self.port = site.port
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()
