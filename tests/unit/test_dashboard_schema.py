"""Every dashboard type-checks against Grafana's published schema: the types of @grafana/schema
(pinned in dashboards/schema-check/package-lock.json), `tsc --noEmit --strict`, through
dashboards/schema_check.py. Needs node and `scripts/install-grafana-schema` (scripts/setup
--tools runs it); without them the tests skip, or fail under CI=true."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.binaries import need
from tests.promql import DASHBOARDS, ROOT

CHECK = ROOT / "dashboards" / "schema_check.py"
CHART = ROOT / "helm" / "huaweicloud-migration-exporter"


def schema_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    """The check's run on `paths` (every dashboard when none); exit 2 (tools missing or not
    at the locked versions) skips the test, or fails it under CI."""
    need("node")
    result = subprocess.run(
        [sys.executable, str(CHECK), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode == 2:
        message = f"{result.stderr.strip()} (scripts/setup --tools runs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return result


def counts(stdout: str) -> dict[str, int]:
    """The closing `name.json: N errors` lines, by file name."""
    out = {}
    for line in stdout.splitlines():
        name, _, rest = line.partition(": ")
        if name.endswith(".json") and rest.split(" ")[-1] in ("error", "errors"):
            out[name] = int(rest.split(" ")[0])
    return out


def test_every_dashboard_type_checks_against_grafanas_schema() -> None:
    result = schema_check()
    assert result.returncode == 0, result.stdout + result.stderr  # every tsc error, placed
    # Every dashboards/*.json was checked, a dashboard added later included.
    assert counts(result.stdout) == {path.name: 0 for path in DASHBOARDS}
    assert len(DASHBOARDS) >= 5


def sms() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads((ROOT / "dashboards" / "sms.json").read_text("utf-8"))
    return dashboard


def first(dashboard: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(panel for panel in dashboard["panels"] if panel["type"] == kind)


def variable(dashboard: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in dashboard["templating"]["list"] if v["name"] == name)


# What each spoiled copy of sms.json changes, the text of the line the error is reported at
# (and how many lines below it), and what tsc says: the three deviations the dashboards had,
# then an unknown or a mistyped field at each level of a dashboard.
SPOILED: dict[str, tuple[Callable[[dict[str, Any]], object], str, int, str]] = {
    "definition": (
        lambda d: variable(d, "task").update(definition="label_values(up, job)"),
        '"definition": ',
        0,
        "'\"definition\"' does not exist",
    ),
    "empty-current": (
        lambda d: variable(d, "task").update(current={}),
        '"current": {}',
        0,
        "is missing the following properties from type",
    ),
    "link-fields": (
        lambda d: [d["links"][0].pop(key) for key in ("icon", "tooltip", "targetBlank")],
        '"links": [',
        1,  # at the link: the object that lacks them
        ": icon, targetBlank, tooltip",
    ),
    "dashboard-field": (lambda d: d.update(refreshed="1m"), '"refreshed": ', 0, "'\"refreshed\"'"),
    "panel-type": (
        lambda d: first(d, "timeseries").update(type="graph"),
        '"type": "graph"',
        0,
        "'\"graph\"' is not assignable",
    ),
    "stat-option-on-bars": (
        lambda d: first(d, "bargauge")["options"].update(colorMode="background"),
        '"colorMode": ',
        0,
        "'\"colorMode\"' does not exist",
    ),
    "legend-mode": (
        lambda d: first(d, "timeseries")["options"]["legend"].update(displayMode="tabular"),
        '"displayMode": "tabular"',
        0,
        "'\"tabular\"' is not assignable",
    ),
    "custom-field": (
        lambda d: first(d, "timeseries")["fieldConfig"]["defaults"]["custom"].update(fill=1),
        '"fill": ',
        0,
        "'\"fill\"' does not exist",
    ),
    "query-field": (
        lambda d: first(d, "timeseries")["targets"][0].update(legend="{{task_name}}"),
        '"legend": "',
        0,
        "'\"legend\"' does not exist",
    ),
    "query-type": (
        lambda d: first(d, "table")["targets"][0].update(instant="yes"),
        '"instant": "yes"',
        0,
        "is not assignable to type 'boolean",
    ),
}


def test_the_check_finds_each_field_grafana_does_not_define_at_its_line(tmp_path: Path) -> None:
    """One error for each spoiled copy of a passing dashboard, at the line of what was spoiled:
    the check is exact (excess property checks, literal types) and says where."""
    expected = {}
    for name, (spoil, text, below, message) in SPOILED.items():
        dashboard = sms()
        spoil(dashboard)
        path = tmp_path / f"{name}.json"
        rows = json.dumps(dashboard, indent=2).splitlines()
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        (line,) = [n for n, row in enumerate(rows, 1) if text in row]
        expected[path.name] = (f"{path}:{line + below}:", message)
    result = schema_check(*sorted(tmp_path.glob("*.json")))
    assert result.returncode == 1, result.stdout + result.stderr
    assert counts(result.stdout) == dict.fromkeys(expected, 1), result.stdout
    errors = [row for row in result.stdout.splitlines() if ": error TS" in row]
    for where, message in expected.values():
        (error,) = [row for row in errors if row.startswith(where)]
        assert message in error, error


def test_the_chart_carries_the_dashboards_json_and_not_the_schema_check(tmp_path: Path) -> None:
    """The chart links dashboards/ whole; the check's packages (25 MB, with files over helm's
    5 MiB limit) stay out by .helmignore."""
    result = subprocess.run(
        [need("helm"), "package", str(CHART), "--destination", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (package,) = tmp_path.glob("*.tgz")
    with tarfile.open(package) as archive:
        names = archive.getnames()
    shipped = sorted(Path(n).name for n in names if "/files/dashboards/" in n)
    assert shipped == sorted(path.name for path in DASHBOARDS)
