"""Replicas with --shard N --total-shards M poll disjoint accounts that together cover all."""

from __future__ import annotations

from exporter.cli import once
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator
from tests.conftest import make_tenant
from tests.payloads import settings_for


async def test_each_account_is_polled_by_exactly_one_shard(
    cloud: FakeCloud, simulator: RunningSimulator
) -> None:
    cloud.tenants[:] = [
        make_tenant(f"acct-{i}", access_key=f"AKSHARDTEST{i:09d}") for i in range(9)
    ]
    base = settings_for(simulator.url, cloud)
    polled_by: dict[str, list[int]] = {}
    for shard in range(3):
        cloud.stats.reset()
        settings = base.model_copy(update={"shard": shard, "total_shards": 3})
        body, ok = await once(settings)
        assert ok
        assert f'shard="{shard}",total_shards="3"' in body.decode()
        for tenant in cloud.stats.by_tenant:
            polled_by.setdefault(tenant, []).append(shard)
    assert sorted(polled_by) == sorted(t.name for t in cloud.tenants)
    assert all(len(shards) == 1 for shards in polled_by.values()), polled_by
    assert len({s for shards in polled_by.values() for s in shards}) > 1  # spread, not all on one
