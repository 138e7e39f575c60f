"""The simulator's scenarios: what the demo shows in one ten-minute cycle."""

from __future__ import annotations

from exporter.services.oms_tasks.table import OMS_STATUSES
from exporter.services.sms_tasks.table import SMS_STATES
from exporter.simulator.scenarios import demo_cloud

T0 = 1_800_000_000.0


def test_every_documented_state_and_status_occurs_in_each_demo_cycle() -> None:
    clock = [T0]
    cloud = demo_cloud(lambda: clock[0])
    sms_seen: set[str] = set()
    oms_seen: set[int] = set()
    for second in range(0, 600, 5):
        clock[0] = T0 + second
        for tenant in cloud.tenants:
            sms_seen |= {t["state"] for t in tenant.sms_page(clock[0], 0, 100)}
            oms_seen |= {t["status"] for t in tenant.oms_page(clock[0], 0, 100)}
    assert sms_seen == set(SMS_STATES)
    assert oms_seen == set(OMS_STATUSES)


def test_speeds_stay_under_their_limits() -> None:
    clock = [T0]
    cloud = demo_cloud(lambda: clock[0])
    checked = 0
    for second in range(0, 600, 7):
        clock[0] = T0 + second
        for tenant in cloud.tenants:
            for task in tenant.sms_page(clock[0], 0, 100):
                if task["speed_limit"]:
                    checked += 1
                    assert task["migrate_speed"] <= task["speed_limit"]
            for task in tenant.oms_page(clock[0], 0, 100):
                for policy in task["bandwidth_policy"]:
                    checked += 1
                    assert task["migrate_speed"] <= policy["max_bandwidth"]
    assert checked > 100
