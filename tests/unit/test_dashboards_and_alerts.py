"""Dashboards and alert rules: built from code, valid, and using only catalogued metrics."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from exporter.catalog import sample_names
from tests.binaries import need
from tests.promql import (
    METRIC,
    ROOT,
    RULE_TESTS,
    RULES,
    alert_rules,
    dashboard_queries,
    load_dashboards,
    panels,
    recording_rules,
    variable_query,
    without_threshold,
)

RUNBOOK = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
PER_TASK = ("TaskFailed", "TaskStalled")


def test_the_committed_dashboards_are_what_the_builder_makes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "dashboards" / "build.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


NAMES = [
    "overview.json",
    "sms.json",
    "sms-servers.json",
    "oms.json",
    "exporter-health.json",
    "waves.json",
]


def test_six_dashboards_with_unique_stable_uids() -> None:
    dashboards = load_dashboards()
    assert set(dashboards) == set(NAMES)
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(NAMES) and all(uid.startswith("hwmig-") for uid in uids)


@pytest.mark.parametrize("name", NAMES)
def test_each_dashboard_is_grafana_10_json_with_a_datasource_variable(name: str) -> None:
    dashboard = load_dashboards()[name]
    assert 36 <= dashboard["schemaVersion"] <= 41  # the range Grafana 10 and 11 read as is
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert {"job", "account"} <= set(variables)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["fieldConfig"]["defaults"].get("unit"), f"{panel['title']} has no unit"
        assert panel["description"], f"{panel['title']} has no description"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] == "${datasource}"


def test_every_query_matches_the_job_so_two_deployments_do_not_mix() -> None:
    for name, dashboard in load_dashboards().items():
        for panel in panels(dashboard):
            for target in panel["targets"]:
                for selector in re.findall(r"[a-zA-Z_:]+\{[^}]*\}", target["expr"]):
                    assert 'job=~"$job"' in selector, (name, panel["title"], selector)
        for variable in dashboard["templating"]["list"]:
            query = variable_query(variable)
            if variable["name"] != "job" and "label_values" in query:
                assert 'job=~"$job"' in query, (name, variable["name"])


def test_panel_ids_are_written_in_the_builder_not_counted() -> None:
    """Inserting a panel must not renumber the others: every id is a literal in build.py, the
    first argument of a panel call or of a table row, before the panel's title."""
    source = (ROOT / "dashboards" / "build.py").read_text()
    for name, dashboard in load_dashboards().items():
        for panel in dashboard["panels"]:
            literal = rf"\(\s*{panel['id']},\s*\"{re.escape(panel['title'])}\""
            assert re.search(literal, source), (name, panel["id"], panel["title"])


def test_per_task_detail_repeats_only_for_the_picked_tasks() -> None:
    for name in ("sms.json", "oms.json", "sms-servers.json"):
        dashboard = load_dashboards()[name]
        (repeated,) = [p for p in dashboard["panels"] if p.get("repeat")]
        picked = {v["name"]: v for v in dashboard["templating"]["list"]}[repeated["repeat"]]
        # No saved choice: Grafana shows the first value until one is picked.
        assert picked["includeAll"] is False and "current" not in picked


def test_panels_do_not_overlap() -> None:
    for name, dashboard in load_dashboards().items():
        cells: set[tuple[int, int]] = set()
        for panel in panels(dashboard):
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24
            mine = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not cells & mine, f"{name}: {panel['title']} overlaps"
            cells |= mine


def test_every_metric_in_dashboards_and_alerts_is_in_the_catalogue() -> None:
    known = sample_names() | {rule["record"] for rule in recording_rules()}
    used: dict[str, set[str]] = {}
    for where, expr in dashboard_queries():
        for metric in METRIC.findall(expr):
            used.setdefault(metric, set()).add(where)
    for dashboard in load_dashboards().values():
        for variable in dashboard["templating"]["list"]:
            for metric in METRIC.findall(variable_query(variable)):
                used.setdefault(metric, set()).add("variable " + variable["name"])
    for rule in alert_rules() + recording_rules():
        for metric in METRIC.findall(rule["expr"]):
            used.setdefault(metric, set()).add(rule.get("alert", rule.get("record", "")))
    unknown = {metric: sorted(where) for metric, where in used.items() if metric not in known}
    assert not unknown
    assert len(used) > 30


def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run(
        [need("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = subprocess.run(
        [need("promtool"), "test", "rules", RULE_TESTS.name],
        capture_output=True,
        text=True,
        cwd=RULE_TESTS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_every_alert_is_unit_tested_firing_and_not_firing() -> None:
    import yaml

    tested: dict[str, list[bool]] = {}
    for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            tested.setdefault(check["alertname"], []).append(bool(check.get("exp_alerts")))
    for rule in alert_rules():
        checks = tested.get(rule["alert"], [])
        assert any(checks), f"{rule['alert']} never tested firing"
        assert not all(checks), f"{rule['alert']} never tested silent"


def test_every_alert_has_severity_summary_description_and_a_runbook_section() -> None:
    anchors = {
        re.sub(r"[^a-z0-9]", "", line[3:].lower())
        for line in RUNBOOK.splitlines()
        if line.startswith("## ")
    }
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("critical", "warning", "info")
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"]
        page, anchor = annotations["runbook"].split("#")
        assert page == "docs/runbook.md" and "runbook_url" not in annotations
        assert anchor == rule["alert"].lower() and anchor in anchors, rule["alert"]
        if rule["alert"].endswith(PER_TASK):
            for label in ("task_name", "task_id", "account"):
                assert "$labels." + label in annotations["description"], (rule["alert"], label)


def test_thresholds_come_off_for_the_data_check() -> None:
    assert without_threshold('(x{state=~"A|B"} == 1) * on (a) group_left (b) y') == [
        '(x{state=~"A|B"}) * on (a) group_left (b) y'
    ]
    assert without_threshold("a == 1 and on (k) (b == 0) and on (k) (max by (k) (c) == 0)") == [
        "a",
        "(b)",
        "(max by (k) (c))",
    ]
    assert without_threshold("time() - t > 900") == ["time() - t"]
