"""Reloading the configuration without a restart: on SIGHUP, on `POST /-/reload`
(`--web.enable-lifecycle`), or by itself when a file it was read from changes (the config
file, every `*_file` secret, the web config and the files it names: a rotated Kubernetes
Secret or ConfigMap is picked up within `WATCH_SECONDS`).

A valid new configuration is applied in place (see `fleet.py`); an invalid one is refused, the
old one keeps running, the error is logged once, and
`huaweicloud_migration_config_last_reload_successful` reads 0 until a good one loads. Whatever
loading raises refuses the configuration (a bug's exception is named by its type only: its
message may quote the file), and the watcher outlives anything a tick may raise.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

import structlog

from exporter.exposition.snapshot import Snapshot
from exporter.settings import ConfigError, Settings
from exporter.telemetry import Telemetry
from exporter.web.web_config import WebConfigError

log = structlog.get_logger(__name__)

WATCH_SECONDS = 15.0
P = TypeVar("P")  # what a configuration is prepared into before it is applied


def fingerprint(paths: Iterable[Path]) -> str:
    """A digest of the contents of `paths` (a missing or unreadable file counts as such)."""
    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError as exc:
            digest.update(f"unreadable: {exc.errno}".encode())
    return digest.hexdigest()


class Reloader(Generic[P]):
    """Loads, prepares and applies a configuration; keeps the running one if that fails.

    `load` reads the configuration afresh (file, environment, secrets); `prepare` does the
    work that can fail (the web config, its certificates) without touching anything running;
    `apply` puts the prepared configuration in place and must not fail; `files` names what a
    configuration was read from, for the watcher.
    """

    def __init__(
        self,
        current: Settings,
        *,
        load: Callable[[], Settings],
        prepare: Callable[[Settings], P],
        apply: Callable[[Settings, P], object],
        files: Callable[[Settings], list[Path]],
        telemetry: Telemetry,
        snapshot: Snapshot,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.current = current
        self._load, self._prepare, self._apply, self._files = load, prepare, apply, files
        self._telemetry, self._snapshot, self._clock = telemetry, snapshot, clock
        self._lock = asyncio.Lock()
        self._last_error: str | None = None
        self._watch_errors: set[type[BaseException]] = set()  # logged once per kind
        self._watched = files(current)  # named once per loaded configuration
        self._seen = fingerprint(self._watched)
        telemetry.reload_ok = True
        telemetry.config_loaded_at = clock()

    async def reload(self, why: str) -> str | None:
        """Reload now; None when the new configuration runs, else why it was refused."""
        async with self._lock:
            try:
                # In a thread: reading secrets and certificates, hashing a bcrypt dummy.
                new, prepared = await asyncio.to_thread(self._load_and_prepare)
            except (ConfigError, WebConfigError) as exc:
                return self._refused(why, str(exc))
            except Exception as exc:  # a broad catch: not a refusal we wrote, but a refusal
                return self._refused(why, f"unexpected {type(exc).__name__} loading it")
            self._apply(new, prepared)
            self.current = new
            self._watched = self._files(new)
            self._seen = fingerprint(self._watched)
            self._last_error = None
            self._telemetry.reload_ok = True
            self._telemetry.config_loaded_at = self._clock()
            self._snapshot.set_own(self._telemetry.render())
            log.info("configuration reloaded", trigger=why)
            return None

    def _load_and_prepare(self) -> tuple[Settings, P]:
        new = self._load()
        return new, self._prepare(new)

    def _refused(self, why: str, error: str) -> str:
        if error != self._last_error:  # once, not at every SIGHUP or watcher tick
            log.error(
                "configuration reload refused; the running one stays", trigger=why, error=error
            )
        self._last_error = error
        self._telemetry.reload_ok = False
        self._snapshot.set_own(self._telemetry.render())
        return error

    def changed(self) -> bool:
        """Whether a file the running configuration came from changed since it was loaded
        (or since the last refused attempt: an invalid file is not retried until it changes)."""
        seen = fingerprint(self._watched)
        if seen == self._seen:
            return False
        self._seen = seen
        return True

    async def watch(
        self,
        every: float = WATCH_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Reload whenever a watched file changes; runs until cancelled, whatever a tick
        raises (logged once per kind of exception)."""
        while True:
            await sleep(every)
            try:
                if await asyncio.to_thread(self.changed):
                    await self.reload("a watched file changed")
            except Exception as exc:  # a broad catch: the watcher must not die
                if type(exc) not in self._watch_errors:
                    self._watch_errors.add(type(exc))
                    log.error(
                        "config file watcher: a check failed; still watching",
                        error=f"unexpected {type(exc).__name__}",
                    )
