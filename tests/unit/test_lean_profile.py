"""The lean profile (examples/lean-profile.yaml, shown in the README): at most half the series
of an SMS task, and every shipped alert, recording rule and dashboard panel still works on it.
(The e2e dashboard test runs every panel against real Prometheus on it, too.)"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import yaml

from exporter.services import SERVICES
from exporter.settings import Settings
from exporter.simulator.scenarios import estate
from tests.binaries import need
from tests.conftest import make_tenant
from tests.mapped import mapped
from tests.payloads import LEAN
from tests.promql import METRIC, ROOT, RULE_TESTS, RULES, dashboard_queries, rules

LEAN_FILE = ROOT / "examples" / "lean-profile.yaml"
# The statesets: what `collect.inactive_states: false` shortens to the current state's series.
STATESETS = (
    "huaweicloud_sms_task_state",
    "huaweicloud_oms_task_status",
    "huaweicloud_sms_source_server_migration_cycle",
    "huaweicloud_oms_task_group_status",
)


def settings(extra: dict[str, object]) -> Settings:
    account = {
        "name": "prod",
        "region": "ap-southeast-3",
        "credentials": {"access_key": "AK", "secret_key": "not-a-secret"},
    }
    return Settings.model_validate({"accounts": [account], **extra})


def test_the_readme_shows_the_lean_profile_as_shipped() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```yaml\n{LEAN_FILE.read_text()}```" in readme


def series_per_task(config: Settings) -> float:
    """Series per SMS task of a simulated wave of 300, in every phase of a migration."""
    sms = next(service for service in SERVICES if service.name == "sms")
    opts = sms.options(config, config.accounts[0])
    now = time.time()
    tasks = estate(make_tenant(), sms=300, oms=0, now=now).sms_page(now, 0, 300)
    lines = mapped(sms, tasks, opts)
    return sum(text.count("\n") for rows in lines.values() for text in rows) / len(tasks)


def test_the_lean_profile_exports_at_most_half_the_series_of_an_sms_task() -> None:
    default, lean = series_per_task(settings({})), series_per_task(settings(LEAN))
    assert lean <= default / 2, (default, lean)


def test_no_shipped_query_reads_a_family_the_lean_profile_leaves_out() -> None:
    lean = settings(LEAN)
    used = {name for _, expr in dashboard_queries() for name in METRIC.findall(expr)}
    used |= {name for rule in rules() for name in METRIC.findall(rule["expr"])}
    dropped = {name for name in used if ":" not in name and not lean.metrics.keeps(_family(name))}
    assert not dropped


def _family(sample: str) -> str:
    return re.sub(r"_(bucket|sum|count)$", "", sample)


def test_every_stateset_query_asks_for_the_current_state() -> None:
    """With no 0 series, `{state="X"} == 0` would find nothing: the shipped queries ask `== 1`."""
    for where, expr in [*dashboard_queries(), *((r.get("alert", ""), r["expr"]) for r in rules())]:
        for family in STATESETS:
            for use in re.finditer(rf"{family}\{{[^}}]*\}}\s*(==\s*\d)?", expr):
                assert use.group(1) is not None and use.group(1).endswith("1"), (where, expr)


def lean_series(values: str) -> str:
    """A stateset series as the lean profile exports it: absent wherever it was 0. A series
    that leaves a scrape gets a staleness marker at once (`stale`), then nothing (`_`)."""
    samples = []
    for token in values.split():  # `1x3` is four samples of 1
        number, _, times = token.partition("x")
        assert number in ("0", "1"), f"a stateset sample of 0 or 1, not {token!r}"
        samples += [number] * (int(times) + 1 if times else 1)
    out, present = [], False
    for sample in samples:
        if sample == "1":
            out.append("1")
        else:
            out.append("stale" if present else "_")
        present = sample == "1"
    return " ".join(out)


def test_promtool_unit_tests_pass_on_the_series_the_lean_profile_exports(
    tmp_path: Path,
) -> None:
    lean = settings(LEAN)
    tests = yaml.safe_load(RULE_TESTS.read_text())
    tests["rule_files"] = [str(RULES)]
    changed = 0
    for case in tests["tests"]:
        kept = []
        for series in case.get("input_series", []):
            name = series["series"].split("{", 1)[0]
            if not lean.metrics.keeps(name):
                changed += 1
                continue
            if name in STATESETS:
                lean_values = lean_series(series["values"])
                changed += lean_values != series["values"]
                series = {**series, "values": lean_values}
            kept.append(series)
        case["input_series"] = kept
    assert changed > 5  # the lean series do differ from the default ones
    lean_tests = tmp_path / "lean.rules.test.yml"
    lean_tests.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run(
        [need("promtool"), "test", "rules", str(lean_tests)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_statesets_named_here_are_every_stateset_of_the_catalogue() -> None:
    """A new stateset (the task groups' status) is shortened by the lean profile too: its
    queries must ask for the current state, which the test above checks for these."""
    found = {
        family.name
        for service in SERVICES
        for row in service.table.rows
        for family in row.families
        if row.finished and len(row.families) == 1 and "stateset" in repr(row.make)
    }
    assert found == set(STATESETS)
