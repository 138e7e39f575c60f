"""The running exporter: the HTTP server, the fleet of pollers, reloads and signals.

    await serve(settings, load=...)   # until SIGTERM/SIGINT; SIGHUP reloads via `load`

`load` reads the configuration afresh (the CLI passes the same function it started with); the
demo passes none, and a reload there is a no-op.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import structlog
from aiohttp import web

from exporter import log
from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Changes, Fleet
from exporter.reload import Reloader
from exporter.settings import Settings
from exporter.sources import new_session
from exporter.telemetry import Telemetry
from exporter.web.connections import Connections, Limits, descriptor_budget
from exporter.web.server import CONNECTIONS, listen, make_app, make_runner
from exporter.web.web_config import WebConfig, load_web_config

logger = structlog.get_logger("exporter")

SHUTDOWN_SECONDS = 2.5  # in-flight responses get this long; SIGTERM exits within 5 s
# Signals a service manager or an operator may send: logged, never fatal.
IGNORED_SIGNALS = (signal.SIGUSR1, signal.SIGUSR2)
# What a reload cannot change in a running server: it is logged and waits for a restart.
NEEDS_RESTART = (
    "listen_address",
    "telemetry_path",
    "max_connections",
    "header_timeout_seconds",
    "keepalive_timeout_seconds",
    "write_timeout_seconds",
)


def web_config_of(settings: Settings) -> WebConfig | None:
    return load_web_config(settings.web.config_file) if settings.web.config_file else None


def watched_files(settings: Settings, config_file: Path | None) -> list[Path]:
    """Every file the configuration `settings` was read from."""
    files = [config_file] if config_file else []
    for account in settings.accounts:
        creds = account.credentials
        files += [
            path
            for path in (
                creds.access_key_file,
                creds.secret_key_file,
                creds.security_token_file,
                creds.password_file,
            )
            if path is not None
        ]
    if settings.api.ca_file:
        files.append(settings.api.ca_file)
    if settings.web.config_file:
        files.append(settings.web.config_file)
        web = web_config_of(settings)
        if web is not None:
            files += web.files()
    return files


def needs_restart(
    old: Settings, new: Settings, *, tls_at_start: bool, new_web: WebConfig | None
) -> list[str]:
    """What of `new` a running server cannot take: the `web.` keys it changes of those fixed
    at start, and `tls_server_config` when TLS would be switched on or off."""
    stuck = [key for key in NEEDS_RESTART if getattr(new.web, key) != getattr(old.web, key)]
    if bool(new_web and new_web.tls) != tls_at_start:
        stuck.append("tls_server_config")
    return stuck


@dataclass
class Reconfigure:
    """A reloaded configuration put in place in the running exporter: log settings, the web
    config (users, TLS certificates) and the fleet; what needs a restart is logged."""

    current: Callable[[], Settings]  # the configuration in place (the reloader's)
    web_config: WebConfig  # the live one, swapped in place
    tls_at_start: bool
    fleet: Fleet | None = None  # None until the pollers run

    def __call__(self, new: Settings, new_web: WebConfig | None) -> Changes | None:
        """What changed of the fleet (None: no fleet yet)."""
        stuck = needs_restart(self.current(), new, tls_at_start=self.tls_at_start, new_web=new_web)
        if stuck:
            logger.warning("these settings take effect after a restart", keys=stuck)
        log.configure(new.log.level, new.log.format)
        self.web_config.replace(new_web or WebConfig.open())
        if self.fleet is None:
            return None
        changes = self.fleet.apply(new)
        logger.info(
            "sources after reload",
            started=len(changes.started),
            stopped=len(changes.stopped),
            restarted=len(changes.restarted),
            rotated_accounts=changes.rotated,
        )
        return changes


async def serve(
    settings: Settings,
    *,
    load: Callable[[], Settings] | None = None,
    config_file: Path | None = None,
    stop: asyncio.Event | None = None,
    demo: bool = False,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop`), then shut down within a few seconds."""
    started_web = web_config_of(settings)
    web_config = started_web or WebConfig.open()
    snapshot = Snapshot()
    telemetry = Telemetry(shard=settings.shard, total_shards=settings.total_shards)
    apply = Reconfigure(
        current=lambda: reloader.current,
        web_config=web_config,
        tls_at_start=bool(started_web and started_web.tls),
    )
    reloader: Reloader[WebConfig | None] = Reloader(
        settings,
        load=load or (lambda: reloader.current),
        prepare=web_config_of,
        apply=apply,
        files=lambda s: watched_files(s, config_file) if load else [],
        telemetry=telemetry,
        snapshot=snapshot,
    )

    async def background(app: web.Application) -> AsyncIterator[None]:
        async with new_session() as session:
            fleet = apply.fleet = Fleet(snapshot, telemetry, session)
            fleet.apply(reloader.current)
            watcher = asyncio.create_task(reloader.watch(), name="reload-watcher")
            try:
                yield
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
                await fleet.close()

    app = make_app(
        snapshot,
        telemetry,
        telemetry_path=settings.web.telemetry_path,
        background=background,
        middlewares=web_config.middlewares(),
        limits=Limits(
            max_connections=descriptor_budget(settings.web.max_connections),
            header_timeout=settings.web.header_timeout_seconds,
        ),
        reload=lambda: reloader.reload("POST /-/reload"),
        lifecycle=lambda: reloader.current.web.enable_lifecycle,
        demo=demo,
        write_timeout=settings.web.write_timeout_seconds,
    )
    runner = make_runner(
        app,
        shutdown_timeout=SHUTDOWN_SECONDS,
        keepalive_timeout=settings.web.keepalive_timeout_seconds,
    )
    await runner.setup()
    pending: set[asyncio.Task[str | None]] = set()

    def on_sighup() -> None:
        task = asyncio.create_task(reloader.reload("SIGHUP"))
        pending.add(task)
        task.add_done_callback(pending.discard)

    try:
        await listen(runner, settings.web.host, settings.web.port, web_config.ssl_context())
        logger.info(
            "listening",
            address=settings.web.listen_address,
            tls=web_config.tls is not None,
            sources=len(telemetry.sources),
        )
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        for sig in IGNORED_SIGNALS:
            loop.add_signal_handler(sig, _ignored, sig)
        await stop.wait()
        logger.info("shutting down")
    finally:
        await shutdown(runner, app[CONNECTIONS], grace=SHUTDOWN_SECONDS)


def _ignored(sig: signal.Signals) -> None:
    logger.info("signal ignored", signal=sig.name)


async def shutdown(runner: web.AppRunner, connections: Connections, *, grace: float) -> None:
    """Stop accepting and polling; answers in flight get `grace` seconds, then every connection
    still open is cut (a client that stalls mid-body would otherwise hold the exit)."""
    cleanup = asyncio.ensure_future(runner.cleanup())
    done, _ = await asyncio.wait({cleanup}, timeout=grace)
    if not done:
        cut = connections.abort_all()
        logger.info("shutdown: connections cut after the grace period", connections=cut)
    await cleanup
