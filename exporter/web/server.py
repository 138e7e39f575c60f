"""The HTTP side: /metrics, the landing page, /healthz and /readyz (and Prometheus' own
spellings of them, /-/healthy and /-/ready).

`/metrics` only reads the snapshot the pollers prepared (and the process metrics of the
moment); it never calls the cloud. A scrape not sent within its write deadline is cut.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from exporter import process
from exporter.exposition.assembly import (
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
)
from exporter.exposition.snapshot import Body, Snapshot
from exporter.log import http_error_logger
from exporter.telemetry import Telemetry
from exporter.web import status_page
from exporter.web.connections import Connections, GuardedSite, Limits
from exporter.web.negotiation import accepts_gzip, wants_openmetrics

SNAPSHOT = web.AppKey("snapshot", Snapshot)
TELEMETRY = web.AppKey("telemetry", Telemetry)
TELEMETRY_PATH = web.AppKey("telemetry_path", str)
CONNECTIONS = web.AppKey("connections", Connections)
Reload = Callable[[], Awaitable[str | None]]  # None: reloaded; else why it was refused
RELOAD: web.AppKey[Reload] = web.AppKey("reload")
LIFECYCLE: web.AppKey[Callable[[], bool]] = web.AppKey("lifecycle")
DEMO = web.AppKey("demo", bool)
WRITE_TIMEOUT = web.AppKey("write_timeout", float)
SLICE = 64 * 1024  # bytes handed to the socket at once: what a stalled reader pins of its own

log = structlog.get_logger(__name__)

Background = Callable[[web.Application], AsyncIterator[None]]
HEALTH_PATHS = ("/healthz", "/-/healthy")  # ours, and Prometheus' spelling
READY_PATHS = ("/readyz", "/-/ready")


async def metrics(request: web.Request) -> web.StreamResponse:
    snapshot = request.app[SNAPSHOT]
    openmetrics = wants_openmetrics(request.headers.get("Accept", ""))
    headers = {
        "Content-Type": OPENMETRICS_CONTENT_TYPE if openmetrics else TEXT_CONTENT_TYPE,
        "Vary": "Accept, Accept-Encoding",
    }
    gzip = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    if gzip:
        headers["Content-Encoding"] = "gzip"
    response = web.StreamResponse(headers=headers)
    body = snapshot.prepared(openmetrics=openmetrics, gzip=gzip)
    closing = body.closing(process.text(openmetrics))
    response.content_length = body.length + len(closing)
    deadline = request.app[WRITE_TIMEOUT]
    try:
        async with asyncio.timeout(deadline):
            await response.prepare(request)
            if request.method != "HEAD":  # a body here would be read as the next response
                await write_body(response, body, closing)
            await response.write_eof()
    except TimeoutError:
        log.warning(
            "scrape cut: not sent within web.write_timeout_seconds",
            peer=request.remote,
            timeout_s=deadline,
        )
        if request.transport is not None:
            request.transport.abort()
    except ConnectionError:  # the client hung up, or was cut to make room for another
        log.debug("scrape client disconnected", peer=request.remote)
    return response  # aiohttp finds the connection gone and lets it be


async def write_body(response: web.StreamResponse, body: Body, closing: bytes) -> None:
    """The prepared body, SLICE bytes at a time, each awaited: what a stalled reader holds of
    its own is a slice in the socket's buffer; the write it is in is shared with every other
    scrape sending it (a plain body's text is unpacked on the way, LZ4: 0.1 ms a megabyte)."""
    for index in range(len(body.writes)):
        write = body.write(index)  # held while its slices go out
        view = memoryview(write.data)
        for start in range(0, len(view), SLICE):
            await response.write(view[start : start + SLICE])
        del write, view
    await response.write(closing)


async def lifecycle_reload(request: web.Request) -> web.Response:
    """`POST /-/reload`, as Prometheus answers it: 200, or 500 with why the config was
    refused (the message names the key and never a secret), or 403 without the flag."""
    if not request.app[LIFECYCLE]():
        return web.Response(status=403, text="Lifecycle API is not enabled.\n")
    error = await request.app[RELOAD]()
    if error is None:
        return web.Response(text="configuration reloaded\n")
    return web.Response(status=500, text=f"failed to reload config: {error}\n")


async def _no_reload() -> str | None:
    return "nothing to reload here"


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    if request.app[TELEMETRY].ready:
        return web.Response(text="ready\n")
    return web.Response(status=503, text="waiting for the first poll of every source\n")


async def landing(request: web.Request) -> web.Response:
    page = status_page.render(
        request.app[TELEMETRY],
        metrics_path=request.app[TELEMETRY_PATH],
        now=time.time(),
        demo=request.app[DEMO],
    )
    return web.Response(text=page, content_type="text/html")


def make_app(
    snapshot: Snapshot,
    telemetry: Telemetry,
    *,
    telemetry_path: str = "/metrics",
    background: Background | None = None,
    middlewares: tuple[Middleware, ...] = (),
    limits: Limits | None = None,
    reload: Reload = _no_reload,
    lifecycle: Callable[[], bool] = lambda: False,
    demo: bool = False,
    write_timeout: float = 60.0,
) -> web.Application:
    connections = Connections(limits or Limits())
    # Request headers are bounded by aiohttp (8 KiB lines); no request has a body worth reading.
    app = web.Application(middlewares=(connections.middleware, *middlewares), client_max_size=1024)
    app[CONNECTIONS] = connections
    app[RELOAD] = reload
    app[LIFECYCLE] = lifecycle
    app[DEMO] = demo
    app[WRITE_TIMEOUT] = write_timeout
    app[SNAPSHOT] = snapshot
    app[TELEMETRY] = telemetry
    app[TELEMETRY_PATH] = telemetry_path
    app.router.add_get(telemetry_path, metrics)
    app.router.add_get("/", landing)
    for path in HEALTH_PATHS:
        app.router.add_get(path, healthz)
    for path in READY_PATHS:
        app.router.add_get(path, readyz)
    app.router.add_post("/-/reload", lifecycle_reload)
    if background is not None:
        app.cleanup_ctx.append(background)
    return app


def make_runner(
    app: web.Application, shutdown_timeout: float = 3.0, keepalive_timeout: float = 75.0
) -> web.AppRunner:
    """The runner for `app`: no access log, request errors logged without their details, idle
    keep-alive connections closed after `keepalive_timeout` (aiohttp's own default is an hour)."""
    return web.AppRunner(
        app,
        access_log=None,
        shutdown_timeout=shutdown_timeout,
        keepalive_timeout=keepalive_timeout,
        logger=http_error_logger(),
    )


async def listen(
    runner: web.AppRunner, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> GuardedSite:
    """Serve `runner`'s app on host:port with its connection limits; port 0 picks one."""
    site = GuardedSite(runner, host, port, runner.app[CONNECTIONS], ssl_context=ssl_context)
    await site.start()
    return site
