"""Every dashboard panel and variable query against real Prometheus (with the shipped recording
rules) scraping the exporter of an estate of 300 SMS tasks, their 300 source servers and 300
OMS tasks, in migration projects, task groups and five configured waves (250 + 250 of the
tasks; one wave late, the rest of the tasks in no wave): each returns data, with the default
settings and with the README's lean profile, with every wave (All) and with one picked, where
All leaves out no task (a task in no wave too). Then dashboards/picture.py draws the Waves
dashboard and the overview from that Prometheus: no panel without data, and the numbers drawn
are Prometheus' answers; headless Chromium screenshots the page. The slowest query is reported
(the machine is shared: times are read, not asserted). With HWMIG_PICTURES=DIR the pictures are
kept in DIR (docs/images/waves-all-300.png is made so)."""

from __future__ import annotations

import html
import json
import math
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import SimulatorThread
from tests.binaries import need
from tests.conftest import make_tenant
from tests.e2e.harness import account_config, exporter, http_get, write_config
from tests.e2e.stack import Webhook, alertmanager, prometheus, query, stop
from tests.payloads import LEAN
from tests.promql import ROOT, dashboard_queries, substitute, variable_queries

pytestmark = pytest.mark.e2e

PICTURE = ROOT / "dashboards" / "picture.py"
# Five waves of 50 SMS and 50 OMS tasks each (tasks 0-249 by name), every one with a deadline
# but data-cutover; crm-cutover's is a minute away (late as soon as it has an estimate).
WAVES = ["erp-cutover", "crm-cutover", "hr-cutover", "web-cutover", "data-cutover"]
PICKED = "erp-cutover"  # the stalled task, the agent offline, failures: every panel has rows


def wave() -> FakeCloud:
    tenant = estate(
        make_tenant(),
        sms=300,
        oms=300,
        now=time.time(),
        subtasks=3,
        projects=5,  # SMS migration projects, OMS task groups (one failed to create its
        groups=10,  # tasks), and sync tasks, one of which stops
        syncs=20,
    )
    # One task stalled (running, its server's bytes short of the total and still), one agent
    # offline: so that the "now" tables have rows to show.
    stuck = tenant.sms_tasks[5]
    tenant.sms_overrides[stuck["id"]] = {"state": "RUNNING"}
    tenant.source_overrides[stuck["source_server"]["id"]] = {
        "replicatesize": 10**9,
        "totalsize": 10**12,
        "migration_cycle": "replicating",
    }
    tenant.source_overrides[tenant.sms_tasks[6]["source_server"]["id"]] = {"connected": False}
    return FakeCloud(tenants=[tenant])


def configured_waves(now: float) -> dict[str, Any]:
    """The five waves, and none from the projects and groups: five waves, as a team plans
    them, and 50 SMS and 50 OMS tasks in none."""

    def at(seconds: float) -> str:
        return datetime.fromtimestamp(now + seconds, tz=UTC).isoformat(timespec="seconds")

    defined = []
    for n, name in enumerate(WAVES):
        decades = "|".join(f"{d:04d}" for d in range(5 * n, 5 * n + 5))
        cutover = {"cutover": at(60 if name == "crm-cutover" else 86400 * (n + 1))}
        match = {"task_name": f"(sms|oms)-acct-a-({decades})[0-9]"}
        defined.append(
            {"name": name, **(cutover if name != "data-cutover" else {}), "match": match}
        )
    return {"from_migration_projects": False, "from_task_groups": False, "defined": defined}


@dataclass
class Stack:
    port: int  # Prometheus'
    started: float
    tmp: Path


@pytest.fixture(scope="module", params=["default", "lean"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The simulator, the exporter, Alertmanager and Prometheus, once every panel (with All and
    with PICKED) has its data: rates and stalls need a few samples."""
    profile = request.param
    tmp = tmp_path_factory.mktemp(profile)
    fake = wave()
    extra = (LEAN if profile == "lean" else {}) | {"waves": configured_waves(time.time())}
    with ExitStack() as cleanup:
        hook = Webhook()
        cleanup.callback(hook.server.server_close)
        cleanup.callback(hook.server.shutdown)
        sim = cleanup.enter_context(SimulatorThread(fake))
        config = write_config(
            tmp / "config.yaml", [account_config(fake.tenants[0], sim.url)], **extra
        )
        proc = cleanup.enter_context(exporter(["--config.file", str(config)], tmp))
        am, am_port = alertmanager(tmp, hook)
        cleanup.callback(stop, am)
        prom, prom_port = prometheus(tmp, proc.port, am_port)
        cleanup.callback(stop, prom)
        started = time.time()
        proc.wait_ready(60)
        expressions = dashboard_queries() + dashboard_queries({"wave": PICKED})
        deadline, missing = time.monotonic() + 150, ["not asked yet"]
        while missing and time.monotonic() < deadline:
            time.sleep(2)
            missing = [w for w, expr in expressions if query(prom_port, expr)[1] == 0]
        assert not missing, missing
        yield Stack(prom_port, started, tmp)


def timed(port: int, expr: str) -> tuple[str | None, int, float]:
    started = time.monotonic()
    error, series = query(port, expr)
    return error, series, time.monotonic() - started


def labelled(port: int, selector: str, label: str) -> int:
    """How many values a `label_values(selector, label)` variable would offer."""
    url = f"http://127.0.0.1:{port}/api/v1/series?" + urllib.parse.urlencode({"match[]": selector})
    status, body = http_get(url, timeout=10)
    assert status == 200, body[:300]
    return len({s.get(label) for s in json.loads(body)["data"] if s.get(label)})


def answer(port: int, path: str, **params: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/{path}?" + urllib.parse.urlencode(params)
    status, body = http_get(url, timeout=30)
    assert status == 200, body[:300]
    result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
    return result


def value(port: int, expr: str) -> float:
    """The one value of an instant query."""
    (sample,) = answer(port, "query", query=expr)
    return float(sample["value"][1])


@pytest.mark.parametrize("picked", ["All", PICKED])
def test_every_panel_and_variable_returns_data(stack: Stack, picked: str) -> None:
    values = {} if picked == "All" else {"wave": picked}
    empty, took = [], []
    for where, expr in dashboard_queries(values):
        error, series, seconds = timed(stack.port, expr)
        if error or series == 0:
            empty.append(f"{where}: {error or 'no data'}")
        took.append((seconds, where))
    for where, selector, label in variable_queries(values):
        if labelled(stack.port, selector, label) == 0:
            empty.append(f"{where}: no values")
    assert not empty, empty
    assert labelled(stack.port, "huaweicloud_sms_task_info", "task_id") >= 300
    slowest, where = max(took)
    print(f"{picked}: {len(took)} queries, the slowest {slowest:.3f} s ({where})")


def panel_expr(dashboard: str, pid: int) -> str:
    found = json.loads((ROOT / "dashboards" / dashboard).read_text(encoding="utf-8"))
    (panel,) = [p for p in found["panels"] if p["id"] == pid]
    expr: str = panel["targets"][0]["expr"]
    return expr


def test_all_waves_leave_out_no_task_and_a_pick_keeps_its_own(stack: Stack) -> None:
    """With All the task dashboards' filters are no-ops (the 50 + 50 tasks in no wave count),
    with a wave picked they keep its tasks: SMS tasks by migration project, OMS bytes, servers."""
    projects = f"sum({panel_expr('sms.json', 31)})"
    oms_total = panel_expr("oms.json", 2).replace("completed_bytes", "size_bytes")
    servers = f"count({panel_expr('sms-servers.json', 7)})"
    every = {
        projects: "count(huaweicloud_sms_task_info)",
        oms_total: "sum(huaweicloud_oms_task_size_bytes)",
        servers: "count(huaweicloud_sms_source_server_total_bytes)",
    }
    for panel, truth in every.items():
        assert value(stack.port, substitute(panel)) == value(stack.port, truth), panel
    assert value(stack.port, substitute(projects)) == 300
    assert value(stack.port, substitute(projects, {"wave": PICKED})) == 50
    assert value(stack.port, substitute(servers, {"wave": PICKED})) == 50
    members = f'huaweicloud_migration_wave_task{{wave="{PICKED}", service="oms"}}'
    size = f"sum(huaweicloud_oms_task_size_bytes and on (account, task_id) {members})"
    assert value(stack.port, substitute(oms_total, {"wave": PICKED})) == value(stack.port, size)


def draw(
    stack: Stack, dashboard: str, picked: dict[str, str], png: bool
) -> tuple[dict[str, Any], str]:
    """dashboards/picture.py over the stack's Prometheus, from its start to a few seconds ago
    (every sample and rule evaluation up to then is in, so the test's own queries at that
    time get the answers the drawer got)."""
    name = f"{Path(dashboard).stem}-{picked.get('wave', 'all')}"
    page, report, picture = (stack.tmp / f"{name}.{ext}" for ext in ("html", "json", "png"))
    args = [
        sys.executable,
        str(PICTURE),
        str(ROOT / "dashboards" / dashboard),
        "--prometheus",
        f"http://127.0.0.1:{stack.port}",
        *[f"--var={k}={v}" for k, v in picked.items()],
        f"--from={stack.started:.0f}",
        f"--to={time.time() - 5:.3f}",
        "--min-step=1",
        f"--html={page}",
        f"--json={report}",
    ]
    if png:
        args += [f"--png={picture}", f"--chromium={need('chromium')}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    print(done.stdout.strip())
    if png:
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert picture.stat().st_size > 20_000
        keep = os.environ.get("HWMIG_PICTURES")
        if keep:
            shutil.copy(picture, Path(keep) / f"{name}-300.png")
    drawn: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return drawn, page.read_text(encoding="utf-8")


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(
    ("dashboard", "picked"), [("waves.json", PICKED), ("waves.json", ""), ("overview.json", "")]
)
def test_the_drawer_draws_each_panel_from_prometheus(
    stack: Stack, dashboard: str, picked: str
) -> None:
    drawn, page = draw(stack, dashboard, {"wave": picked} if picked else {}, png=True)
    # The annotations' range query steps a minute: over the stack's minute or two it may
    # find no change at its few points (Grafana's would not either); it must run, though.
    marks = [p for p in drawn["panels"] if p["type"] == "annotation"]
    assert all(q["error"] is None for p in marks for q in p["queries"]), marks
    panels = [p for p in drawn["panels"] if p["type"] != "annotation"]
    assert "No data" not in page
    assert not [p["title"] for p in panels if p["empty"]]
    assert {p["type"] for p in panels} >= {"stat", "timeseries", "table"}
    end, start, step = drawn["end"], drawn["start"], drawn["step"]
    for panel in panels:
        # Each query answered (one of a table's may be empty a moment: `failed since` steps
        # a minute); what the panel drew is checked against Prometheus below.
        assert all(q["error"] is None for q in panel["queries"]), panel
        if panel["type"] in ("stat", "bargauge"):
            # Each value drawn is the instant query's at the end of the range, in order.
            asked = [
                float(s["value"][1])
                for q in panel["queries"]
                for s in answer(stack.port, "query", query=q["expr"], time=f"{end:.3f}")
            ]
            assert len(asked) == len(panel["values"]), panel["title"]
            for got, shown in zip(asked, panel["values"], strict=True):
                assert same(got, shown["value"]), (panel["title"], got, shown)
        if panel["type"] == "timeseries":
            # Each legend's last value is the last point of its range query.
            lasts = [
                float(s["values"][-1][1])
                for q in panel["queries"]
                for s in answer(
                    stack.port,
                    "query_range",
                    query=q["expr"],
                    start=f"{start:.3f}",
                    end=f"{end:.3f}",
                    step=f"{step:g}",
                )
            ]
            assert [v["value"] for v in panel["values"]] == pytest.approx(lasts, nan_ok=True)
        for shown in panel["values"]:
            texts = shown.values() if panel["type"] == "table" else [shown["text"]]
            for text in texts:
                assert html.escape(str(text), quote=True) in page, (panel["title"], text)
    if dashboard == "waves.json" and picked:
        (tasks,) = [p for p in panels if p["title"] == "Tasks"]
        assert tasks["values"][0]["value"] == 50 + 50
        (health,) = [p for p in panels if p["title"] == "Health"]
        assert health["values"][0]["text"] in ("healthy", "lagging", "error")
        (table,) = [p for p in panels if p["title"] == "Waves"]
        assert [row["wave"] for row in table["values"]] == [PICKED]
