"""The Reloader on its own: a real configuration file loaded by the real loader, a clock and a
sleep of the test's, and an `apply` that records what it was given."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from structlog.testing import capture_logs

from exporter.exposition.snapshot import Snapshot
from exporter.reload import Reloader
from exporter.settings import Settings, load
from exporter.telemetry import Telemetry
from tests.conftest import SECRET_KEY

NOW = 1_800_000_000.0


def write(path: Path, **top: Any) -> None:
    account = {
        "name": "prod",
        "region": "ap-southeast-3",
        "credentials": {"access_key": "AKTESTACCESSKEY00001", "secret_key": SECRET_KEY},
    }
    path.write_text(yaml.safe_dump({"poll_interval_seconds": 30, **top, "accounts": [account]}))


def deep(path: Path) -> None:
    """A YAML file nested 20,000 deep: PyYAML's composer recurses once per level."""
    path.write_text("accounts: " + "[" * 20_000 + "]" * 20_000 + "\n")


class Harness:
    """A Reloader of the configuration file `path`, counting loads and applies."""

    def __init__(
        self,
        path: Path,
        apply: Callable[[Settings], None] | None = None,
        loader: Callable[[Path], Settings] = load,
    ) -> None:
        self.path = path
        self._loader = loader
        self.loads = 0
        self.applied: list[float] = []  # poll_interval_seconds of each applied configuration
        self.telemetry, self.snapshot = Telemetry(), Snapshot()
        self._apply = apply
        self.reloader: Reloader[float] = Reloader(
            load(path),
            load=self.load,
            prepare=lambda settings: settings.poll_interval_seconds,
            apply=self.apply,
            files=lambda settings: [path],
            telemetry=self.telemetry,
            snapshot=self.snapshot,
            clock=lambda: NOW,
        )

    def load(self) -> Settings:
        self.loads += 1
        return self._loader(self.path)

    def apply(self, settings: Settings, prepared: float) -> None:
        if self._apply is not None:
            self._apply(settings)
        self.applied.append(prepared)

    def own(self) -> str:
        return self.snapshot.body(openmetrics=False).decode()


def ticks(*steps: Callable[[], None]) -> Callable[[float], Any]:
    """A `sleep` for `watch`: each call does the next step (before the watcher looks), and
    once they are done the watch is cancelled, as the daemon cancels it at shutdown."""
    remaining = list(steps)

    async def sleep(_: float) -> None:
        if not remaining:
            raise asyncio.CancelledError
        remaining.pop(0)()

    return sleep


def nothing() -> None:
    pass


async def test_a_valid_configuration_is_applied_and_the_gauges_say_so(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    write(path)
    harness = Harness(path)
    write(path, poll_interval_seconds=45)
    with capture_logs() as logs:
        assert await harness.reloader.reload("SIGHUP") is None
    assert harness.applied == [45.0]
    assert harness.reloader.current.poll_interval_seconds == 45
    assert (harness.telemetry.reload_ok, harness.telemetry.config_loaded_at) == (True, NOW)
    assert "huaweicloud_migration_config_last_reload_successful 1" in harness.own()
    assert [e["event"] for e in logs] == ["configuration reloaded"]
    assert logs[0]["trigger"] == "SIGHUP"


async def test_an_invalid_configuration_is_refused_once_and_the_old_one_stays(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    write(path)
    harness = Harness(path)
    write(path, poll_interval_seconds=1)
    with capture_logs() as logs:
        first = await harness.reloader.reload("SIGHUP")
        again = await harness.reloader.reload("SIGHUP")
    assert first == again and first is not None and "poll_interval_seconds" in first
    assert harness.applied == []
    assert harness.reloader.current.poll_interval_seconds == 30
    assert harness.telemetry.reload_ok is False
    assert "huaweicloud_migration_config_last_reload_successful 0" in harness.own()
    assert [e["event"] for e in logs] == ["configuration reload refused; the running one stays"]
    write(path, poll_interval_seconds=20)  # a good one again: the gauge comes back
    assert await harness.reloader.reload("SIGHUP") is None
    assert "huaweicloud_migration_config_last_reload_successful 1" in harness.own()


async def test_a_file_nested_20000_deep_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    write(path)
    harness = Harness(path)
    deep(path)
    error = await harness.reloader.reload("POST /-/reload")
    assert error == f"--config.file: {path} is nested too deep to be a configuration"
    assert harness.telemetry.reload_ok is False
    assert "huaweicloud_migration_config_last_reload_successful 0" in harness.own()


async def test_whatever_loading_raises_is_a_refusal_named_by_its_type(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    write(path)

    def broken(_: Path) -> Settings:  # a loader with a bug, as a library might have one
        raise RuntimeError(f"a message that may quote the file: {SECRET_KEY}")

    harness = Harness(path, loader=broken)
    with capture_logs() as logs:
        error = await harness.reloader.reload("SIGHUP")
    assert error == "unexpected RuntimeError loading it"
    assert harness.telemetry.reload_ok is False
    assert SECRET_KEY not in repr(logs)


async def test_the_watcher_reloads_a_changed_file_and_leaves_an_unchanged_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    write(path)
    harness = Harness(path)
    with pytest.raises(asyncio.CancelledError):
        await harness.reloader.watch(
            every=15,
            sleep=ticks(
                nothing,  # unchanged: not even loaded
                lambda: write(path, poll_interval_seconds=40),
                nothing,
                lambda: write(path, poll_interval_seconds=40),  # rewritten the same: unchanged
            ),
        )
    assert harness.loads == 1
    assert harness.applied == [40.0]


async def test_the_watcher_survives_a_refused_file_and_anything_a_tick_raises(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    write(path)
    failures = [RuntimeError("first apply"), RuntimeError("second apply")]

    def apply(settings: Settings) -> None:
        if failures:
            raise failures.pop(0)  # apply "must not fail": the watcher must outlive it anyway

    harness = Harness(path, apply=apply)
    with capture_logs() as logs, pytest.raises(asyncio.CancelledError):
        await harness.reloader.watch(
            every=15,
            sleep=ticks(
                lambda: deep(path),  # refused: the gauge goes to 0, the watcher goes on
                lambda: write(path, poll_interval_seconds=41),  # apply raises
                lambda: write(path, poll_interval_seconds=42),  # apply raises again
                lambda: write(path, poll_interval_seconds=43),  # applied
            ),
        )
    assert harness.loads == 4
    assert harness.applied == [43.0]
    assert harness.reloader.current.poll_interval_seconds == 43
    assert harness.telemetry.reload_ok is True
    events = [e["event"] for e in logs]
    assert events.count("config file watcher: a check failed; still watching") == 1  # once
    assert events.count("configuration reload refused; the running one stays") == 1
    assert events[-1] == "configuration reloaded"


async def test_a_watched_file_that_disappears_is_a_change_and_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    write(path)
    harness = Harness(path)
    with pytest.raises(asyncio.CancelledError):
        await harness.reloader.watch(every=15, sleep=ticks(path.unlink, nothing))
    assert harness.loads == 1  # once: the missing file is not retried until it changes again
    assert harness.telemetry.reload_ok is False
    assert harness.reloader.current.poll_interval_seconds == 30
