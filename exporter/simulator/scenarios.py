"""Ready-made fake clouds: the lively demo, and uniform estates of any size."""

from __future__ import annotations

import time
from collections.abc import Callable

from exporter.simulator.cloud import FakeCloud, Identities, Tenant
from exporter.simulator.tasks import (
    Plan,
    migration_project,
    oms_task,
    sms_task,
    sync_task,
    task_group,
)

DEMO_ACCESS_KEY = "DEMOACCESSKEY0000001"
DEMO_SECRET_KEY = "demo-secret-key-not-a-real-one"  # obviously fake: the demo's own cloud
DEMO_PASSWORD = "demo-password-not-real"
DEMO_AGENCY_ACCOUNT = "demo-agency"  # the account of the ECS agency (temporary keys)


SMS_ROUTE_CYCLE = (
    "migrate",
    "sync",
    "abort",
    "fail",
    "migrate",
    "skip",
    "delete",
    "sync_fail",
    "reset",
    "rollback",
    "fail",
    "migrate",
)
OMS_ROUTE_CYCLE = ("migrate", "pause", "fail", "retry", "unstarted", "migrate", "migrate", "fail")
FAILING = frozenset({"fail", "sync_fail", "reset"})


def estate(
    tenant: Tenant,
    *,
    sms: int,
    oms: int,
    now: float,
    subtasks: int = 10,
    plans: bool = True,
    failures: bool = True,
    projects: int = 0,
    groups: int = 0,
    syncs: int = 0,
) -> Tenant:
    """Fill `tenant` with `sms` + `oms` tasks; with `plans`, tasks move as time goes by.

    Tasks start spread over a ten-minute cycle that repeats, each on a route through the
    states (SMS_ROUTE_CYCLE, OMS_ROUTE_CYCLE): twelve SMS tasks and eight OMS tasks pass
    through every documented state and status in each cycle. Without `failures`, no task
    fails. With `projects`, the SMS tasks are spread over that many migration projects (the
    first the default), each task naming its own in `enterprise_project_id`. With `groups`,
    the OMS tasks are spread over that many task groups (their counters add up from their
    tasks), and with `failures` one more group failed to create its tasks. With `syncs`, that
    many OMS sync tasks; with `failures`, the first stops a few minutes after `now`.
    """
    now_ms = int(now * 1000)
    made = [migration_project(n, seed=tenant.name, region=tenant.region) for n in range(projects)]
    tenant.sms_projects += made
    for i in range(sms):
        task = sms_task(i, seed=tenant.name, now_ms=now_ms, subtasks=subtasks)
        if made:
            task["enterprise_project_id"] = made[i % len(made)]["id"]
        tenant.sms_tasks.append(task)
        if plans:
            route = SMS_ROUTE_CYCLE[i % len(SMS_ROUTE_CYCLE)]
            tenant.sms_plans[task["id"]] = Plan(
                start=now - (i * 97) % 600,
                duration=120.0 + (i % 7) * 60,
                ready_for=20.0,
                period=600.0,
                speed=200.0 + (i % 5) * 150,
                route=route if failures or route not in FAILING else "migrate",
            )
    made_groups = [task_group(n, seed=tenant.name, region=tenant.region) for n in range(groups)]
    tenant.oms_groups += made_groups
    if groups and failures:
        failed = task_group(groups, seed=tenant.name, region=tenant.region, create_fails=True)
        tenant.oms_groups.append(failed)
    for n in range(syncs):
        tenant.oms_sync_tasks.append(
            sync_task(n, seed=tenant.name, now_ms=now_ms, region=tenant.region)
        )
    if syncs and failures:
        tenant.sync_stops[tenant.oms_sync_tasks[0]["sync_task_id"]] = now + 240.0
    for i in range(oms):
        task = oms_task(i, seed=tenant.name, now_ms=now_ms, region=tenant.region)
        if made_groups:
            task["group_id"] = made_groups[i % len(made_groups)]["group_id"]
            task["group_type"] = "GROUP_TASK"
        tenant.oms_tasks.append(task)
        if plans:
            route = OMS_ROUTE_CYCLE[i % len(OMS_ROUTE_CYCLE)]
            tenant.oms_plans[str(task["id"])] = Plan(
                start=now - (i * 131) % 600,
                duration=180.0 + (i % 5) * 60,
                ready_for=20.0,
                period=600.0,
                speed=20.0 + (i % 4) * 15,
                route=route if failures or route not in FAILING else "migrate",
            )
    return tenant


DEMO_AGENT_LOST = 1  # the demo-prod SMS task whose source server loses its agent


def demo_cloud(clock: Callable[[], float] = time.time) -> FakeCloud:
    """Three accounts: one with AK/SK, one with an IAM password, tasks in every state; and one
    on the ECS agency of the VM, whose metadata service hands out 60 s temporary keys. One
    demo-prod server loses its agent 150 s after `clock()` (`DEMO_AGENT_LOST`)."""
    now = clock()
    aksk = Tenant(
        name="demo-prod",
        access_key=DEMO_ACCESS_KEY,
        secret_key=DEMO_SECRET_KEY,
        project_id="0" * 31 + "1",
    )
    password = Tenant(
        name="demo-dr",
        access_key="DEMOACCESSKEY0000002",
        secret_key=DEMO_SECRET_KEY,
        project_id="0" * 31 + "2",
        region="ap-southeast-1",
        username="demo-user",
        password=DEMO_PASSWORD,
        domain_name="demo-domain",
    )
    agency = Tenant(
        name=DEMO_AGENCY_ACCOUNT,
        access_key="DEMOACCESSKEY0000003",  # never sent: the account signs with temporary keys
        secret_key=DEMO_SECRET_KEY,
        project_id="0" * 31 + "3",
    )
    estate(aksk, sms=12, oms=8, now=now, projects=3, groups=2, syncs=3)
    # The wave `erp-cutover` (demo.py) loses a server's agent: the task syncs (ready to cut
    # over) from about two minutes in, and its agent drops for good half a minute later.
    aksk.agent_drops[aksk.sms_tasks[DEMO_AGENT_LOST]["source_server"]["id"]] = now + 150.0
    return FakeCloud(
        tenants=[
            aksk,
            estate(password, sms=6, oms=5, now=now, projects=2, groups=1, syncs=1),
            estate(agency, sms=3, oms=2, now=now, failures=False),
        ],
        clock=clock,
        identities=Identities(metadata=DEMO_AGENCY_ACCOUNT),
    )
