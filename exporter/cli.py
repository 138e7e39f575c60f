"""Command line -> Settings -> run, --demo, --once or --check-config. Wiring only."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from exporter import daemon, log
from exporter.build import build
from exporter.exposition.snapshot import Snapshot
from exporter.fleet import Fleet
from exporter.memory import freeze_startup_objects
from exporter.settings import ConfigError, Settings, config_warnings, load
from exporter.sources import new_session
from exporter.telemetry import Telemetry
from exporter.web.web_config import WebConfigError, load_web_config

logger = structlog.get_logger("exporter")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="huaweicloud-migration-exporter",
        description="Prometheus exporter for Huawei Cloud SMS and OMS migration tasks.",
    )
    parser.add_argument(
        "--config.file", dest="config_file", type=Path, help="YAML configuration file"
    )
    parser.add_argument("--web.listen-address", dest="listen_address", help="HOST:PORT to serve on")
    parser.add_argument(
        "--web.telemetry-path", dest="telemetry_path", help="path of the metrics endpoint"
    )
    parser.add_argument(
        "--web.config.file",
        dest="web_config_file",
        type=Path,
        help="TLS and basic auth, in the exporter-toolkit web config format",
    )
    parser.add_argument(
        "--log.level",
        dest="log_level",
        choices=list(log.LEVELS),
        help="debug, info, warn (or warning), error",
    )
    parser.add_argument(
        "--log.format",
        dest="log_format",
        choices=list(log.FORMATS),
        help="logfmt, json, console, or auto: console on a terminal, JSON otherwise",
    )
    parser.add_argument(
        "--metric-allowlist",
        dest="metric_allowlist",
        type=_comma_list,
        help="comma-separated regexes: export only the families whose name matches one",
    )
    parser.add_argument(
        "--metric-denylist",
        dest="metric_denylist",
        type=_comma_list,
        help="comma-separated regexes: leave out the families whose name matches one",
    )
    parser.add_argument(
        "--web.enable-lifecycle",
        dest="enable_lifecycle",
        action="store_true",
        default=None,
        help="accept POST /-/reload to reload the configuration",
    )
    parser.add_argument("--shard", type=int, help="this replica's shard, 0-based")
    parser.add_argument("--total-shards", dest="total_shards", type=int, help="number of shards")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--demo", action="store_true", help="serve a built-in simulated cloud; no credentials"
    )
    mode.add_argument(
        "--once",
        action="store_true",
        help="poll once, print the metrics, exit 1 if any source failed",
    )
    mode.add_argument(
        "--check-config",
        dest="check_config",
        action="store_true",
        help="validate and print the effective configuration, secrets masked",
    )
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="show the version, revision and build date, and exit",
    )
    return parser.parse_args(argv)


class _Version(argparse.Action):
    """`--version` as Prometheus tools print it; the revision is looked up only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(build().text(parser.prog))
        parser.exit()


# flag (its argparse dest) -> where it goes in the settings
FLAG_SETTINGS = {
    "listen_address": ("web", "listen_address"),
    "telemetry_path": ("web", "telemetry_path"),
    "web_config_file": ("web", "config_file"),
    "log_level": ("log", "level"),
    "log_format": ("log", "format"),
    "shard": ("shard",),
    "total_shards": ("total_shards",),
    "metric_allowlist": ("metrics", "allowlist"),
    "metric_denylist": ("metrics", "denylist"),
    "enable_lifecycle": ("web", "enable_lifecycle"),
}


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Flags as settings, highest precedence; unset flags leave the other sources alone."""
    out: dict[str, Any] = {}
    for dest, path in FLAG_SETTINGS.items():
        value = getattr(args, dest)
        if value is not None:
            *sections, key = path
            into = out
            for section in sections:
                into = into.setdefault(section, {})
            into[key] = value
    return out


def effective_config(settings: Settings) -> str:
    """The configuration as JSON (valid YAML too), every secret shown as `**********`, and
    each account's endpoints as they are used: derived from its region when not given."""
    data = settings.model_dump(mode="json")
    for account, shown in zip(settings.accounts, data["accounts"], strict=True):
        shown["iam_endpoint"] = account.iam_url
        shown["sms"]["endpoint"] = account.sms_endpoint
        shown["oms"]["endpoint"] = account.oms_endpoint
    return json.dumps(data, indent=2)


async def once(settings: Settings) -> tuple[bytes, bool]:
    """Poll every source once; the text exposition and whether every poll succeeded."""
    snapshot = Snapshot()
    telemetry = Telemetry(shard=settings.shard, total_shards=settings.total_shards)
    async with new_session() as session:
        fleet = Fleet(snapshot, telemetry, session, start=False)
        fleet.apply(settings)
        ok = await fleet.poll_once()
    return snapshot.body(openmetrics=False), ok


async def demo(settings_overrides: dict[str, Any]) -> None:
    # Imported here: only --demo needs the simulator.
    from exporter.simulator import demo as simulated

    async with simulated.running(settings_overrides) as settings:
        logger.info(
            "demo: simulated Huawei Cloud running",
            accounts=[a.name for a in settings.accounts],
            metrics=f"http://{settings.web.listen_address}{settings.web.telemetry_path}",
        )
        await daemon.serve(settings, demo=True)


def config_file_of(args: argparse.Namespace) -> Path | None:
    return args.config_file or (
        Path(os.environ["HWMIG_CONFIG_FILE"]) if os.environ.get("HWMIG_CONFIG_FILE") else None
    )


def runnable_settings(args: argparse.Namespace, flags: dict[str, Any]) -> Settings:
    """The settings a real start would run with, checked as a real start checks them.

    `--check-config` goes through here too, so it accepts exactly what a start accepts."""
    settings = load(config_file_of(args), flags)
    if not settings.accounts:
        raise ConfigError("accounts: no account configured (see --config.file or HWMIG_ACCESS_KEY)")
    if settings.web.config_file:
        load_web_config(settings.web.config_file)
    return settings


def main(argv: list[str] | None = None) -> int:
    freeze_startup_objects()
    args = parse_args(argv)
    flags = overrides(args)
    try:
        if args.demo:
            log.configure(args.log_level or "info", args.log_format or "auto")
            # The demo reads no configuration, but where it listens: a container must say
            # 0.0.0.0 for `docker run -p` to reach it (the image does, by this variable).
            address = os.environ.get("HWMIG_WEB__LISTEN_ADDRESS")
            if address and "listen_address" not in flags.get("web", {}):
                flags.setdefault("web", {})["listen_address"] = address
            asyncio.run(demo(flags))
            return 0
        settings = runnable_settings(args, flags)
        log.configure(settings.log.level, settings.log.format)
        if args.check_config:
            for key, why in config_warnings(settings):
                print(f"huaweicloud-migration-exporter: warning: {key}: {why}", file=sys.stderr)
            print(effective_config(settings))
            return 0
        for key, why in config_warnings(settings):
            logger.warning("configuration looks unintended", key=key, problem=why)
        if args.once:
            body, ok = asyncio.run(once(settings))
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
            return 0 if ok else 1
        asyncio.run(
            daemon.serve(
                settings,
                load=partial(runnable_settings, args, flags),
                config_file=config_file_of(args),
            )
        )
        return 0
    except (ConfigError, WebConfigError) as exc:
        print(f"huaweicloud-migration-exporter: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the listen address is taken or not ours
        print(
            f"huaweicloud-migration-exporter: cannot serve: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        return 0
