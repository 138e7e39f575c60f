"""Values outside their domain, served by the simulator and polled through the real wiring:
left out of the exposition and counted per poll in `huaweicloud_migration_values_out_of_domain`,
the count carried with the rendered item, so it holds when the item or its page is reused."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from exporter.exposition.snapshot import Snapshot
from exporter.settings import Settings
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator
from tests.conftest import FAST
from tests.fleets import build
from tests.parsing import parse_text
from tests.payloads import FULL_OMS, FULL_SMS, TASK_LISTS_ONLY

CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    # service: (an item with two values out of domain, one in domain, a family left out)
    "sms": (
        FULL_SMS | {"id": "bad", "migrate_speed": -1, "agent_cpu_usage": 150},
        FULL_SMS | {"id": "good"},
        "huaweicloud_sms_task_migrate_speed_bytes_per_second",
    ),
    "oms": (
        FULL_OMS | {"id": 1, "progress": 1.2e29, "total_size": -1},
        FULL_OMS | {"id": 2},
        "huaweicloud_oms_task_progress_ratio",
    ),
}


def samples(snapshot: Snapshot, name: str) -> dict[str, float]:
    """`name`'s samples by task id (or by service, for the exporter's own families)."""
    out = {}
    for family in parse_text(snapshot.body(openmetrics=False).decode()):
        for sample in family.samples:
            if sample.name == name:
                out[sample.labels.get("task_id") or sample.labels["service"]] = sample.value
    return out


@pytest.mark.parametrize("service", ["sms", "oms"])
async def test_values_out_of_domain_are_left_out_and_counted_poll_after_poll(
    service: str, cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    bad, good, family = CASES[service]
    tenant = cloud.tenants[0]
    setattr(tenant, f"{service}_tasks", [bad, good])
    # The one list polled is the one configured: the exporter's own families name it alone.
    other = "oms" if service == "sms" else "sms"
    account = {**tenant.account_config(simulator.url), other: {"enabled": False}}
    settings = Settings.model_validate({"accounts": [account], "collect": TASK_LISTS_ONLY})
    built = build(settings, session, policy=FAST)
    snapshot, telemetry, poller = built.snapshot, built.telemetry, built.poller(service)
    own = "huaweicloud_migration_values_out_of_domain"

    assert await poller.poll_once()
    assert samples(snapshot, own) == {service: 2}
    assert set(samples(snapshot, family)) == {str(good["id"])}  # the bad value only is left out
    assert set(samples(snapshot, f"huaweicloud_{service}_task_info")) == {
        str(bad["id"]),
        str(good["id"]),
    }
    assert telemetry.sources[("acct-a", service)].not_exported == 0  # values, not tasks

    assert await poller.poll_once()  # the same page: reused whole, not decoded
    assert (poller.renderer.rendered, samples(snapshot, own)) == (0, {service: 2})

    setattr(tenant, f"{service}_tasks", [bad, good | {"name": "renamed"}])
    assert await poller.poll_once()  # the page changed, the bad item did not: reused
    assert (poller.renderer.rendered, samples(snapshot, own)) == (1, {service: 2})

    setattr(tenant, f"{service}_tasks", [good | {"id": bad["id"]}, good])
    assert await poller.poll_once()
    assert samples(snapshot, own) == {service: 0}
    assert set(samples(snapshot, family)) == {str(bad["id"]), str(good["id"])}
