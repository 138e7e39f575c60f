"""`--demo`: the simulated cloud on loopback and settings that point the exporter at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import demo_cloud
from exporter.simulator.server import start


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


def demo_waves(now: float) -> dict[str, Any]:
    """Two configured waves beside the demo's migration projects and task groups:
    `erp-cutover`, six demo-prod servers due in two weeks (on track; one loses its agent, see
    demo_cloud), and `crm-cutover`, every demo-dr server and bucket due three minutes after
    the start, which it cannot make: its estimated completion passes the deadline."""
    return {
        "defined": [
            {
                "name": "erp-cutover",
                "cutover": rfc3339(now + 14 * 86400),
                "match": {"account": "demo-prod", "task_name": "sms-demo-prod-0000[0-5]"},
            },
            {
                "name": "crm-cutover",
                "cutover": rfc3339(now + 180),
                "match": {"account": "demo-dr"},
            },
        ]
    }


def demo_settings(url: str, cloud: FakeCloud, overrides: dict[str, Any]) -> Settings:
    """The demo cloud's accounts as a user would configure them: AK/SK, IAM password, and
    `provider: ecs_metadata` (the simulator is the metadata service: temporary keys, refreshed
    ahead of their expiry); and its two configured waves (demo_waves)."""
    prod, dr, agency = cloud.tenants
    temporary = agency.account_config(url)
    temporary["credentials"] = {"provider": "ecs_metadata", "metadata_endpoint": url}
    web = {"listen_address": "127.0.0.1:9897", **overrides.get("web", {})}
    # model_validate, not Settings(...): the demo ignores HWMIG_* variables and config files.
    return Settings.model_validate(
        {
            "poll_interval_seconds": 10,
            "waves": demo_waves(cloud.clock()),
            "accounts": [
                prod.account_config(url),
                dr.account_config(url, password=True),
                temporary,
            ],
            **overrides,
            "web": web,
        }
    )


@asynccontextmanager
async def running(overrides: dict[str, Any]) -> AsyncIterator[Settings]:
    cloud = demo_cloud()
    simulator = await start(cloud)
    try:
        yield demo_settings(simulator.url, cloud, overrides)
    finally:
        await simulator.close()
