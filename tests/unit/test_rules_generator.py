"""The rules generator: the shipped file is its default output, and its links are valid rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from exporter.devtools.rules import DASHBOARD_LINKS, RulesError, generate
from tests.binaries import need
from tests.promql import ROOT, RULES

SHIPPED = RULES.read_text(encoding="utf-8")
RUNBOOK = "https://wiki.example.com/hwmig/runbook.md"
GRAFANA = "https://grafana.example.com/"


def alerts(text: str) -> dict[str, dict[str, str]]:
    groups = yaml.safe_load(text)["groups"]
    return {r["alert"]: r["annotations"] for g in groups for r in g["rules"] if "alert" in r}


def test_the_shipped_file_is_the_generators_output_without_links() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "exporter.devtools.rules"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert result.stdout == SHIPPED
    assert all(
        "runbook_url" not in a and "dashboard_url" not in a for a in alerts(SHIPPED).values()
    )


def test_every_alert_links_its_runbook_section_under_the_base() -> None:
    for name, links in alerts(generate(SHIPPED, runbook_base=RUNBOOK)).items():
        assert links["runbook_url"] == f"{RUNBOOK}#{name.lower()}"
        assert "dashboard_url" not in links


def test_the_wave_alerts_link_the_waves_dashboard_showing_their_wave() -> None:
    linked = alerts(generate(SHIPPED, dashboard_base=GRAFANA))
    assert {name for name, a in linked.items() if "dashboard_url" in a} == set(DASHBOARD_LINKS)
    assert linked["HuaweiCloudMigrationWaveWillMissCutover"]["dashboard_url"] == (
        "https://grafana.example.com/d/hwmig-waves?var-wave={{ $labels.wave | urlquery }}"
    )
    assert "runbook_url" not in linked["HuaweiCloudMigrationWaveWillMissCutover"]


def test_generating_again_from_a_generated_file_changes_nothing() -> None:
    once = generate(SHIPPED, RUNBOOK, GRAFANA)
    assert generate(once, RUNBOOK, GRAFANA) == once
    assert generate(once) == SHIPPED


def test_only_the_link_lines_differ_from_the_shipped_file() -> None:
    added = set(generate(SHIPPED, RUNBOOK, GRAFANA).splitlines()) - set(SHIPPED.splitlines())
    assert added and all(
        line.strip().startswith(("runbook_url: ", "dashboard_url: ")) for line in added
    )


def test_promtool_accepts_the_rules_with_links(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(generate(SHIPPED, RUNBOOK, GRAFANA), encoding="utf-8")
    result = subprocess.run(
        [need("promtool"), "check", "rules", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generator_writes_the_file_it_is_given(tmp_path: Path) -> None:
    out = tmp_path / "rules.yml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "exporter.devtools.rules",
            "--runbook-base",
            RUNBOOK,
            "--output",
            str(out),
        ],
        cwd=ROOT,
        check=True,
    )
    assert out.read_text(encoding="utf-8") == generate(SHIPPED, RUNBOOK)


@pytest.mark.parametrize(
    "base",
    [
        "ftp://example.com",
        "example.com/runbook",
        'https://x.example/"q',
        "https://x/{{ a }}",
        "https://x.example/r.md#top",
    ],
)
def test_a_base_that_is_no_plain_http_url_is_refused(base: str) -> None:
    with pytest.raises(RulesError):
        generate(SHIPPED, runbook_base=base)


def test_an_alert_without_its_runbook_line_is_refused() -> None:
    broken = SHIPPED.replace(
        "runbook: docs/runbook.md#huaweicloudsmstaskfailed", "runbook: elsewhere", 1
    )
    with pytest.raises(RulesError, match="HuaweiCloudSMSTaskFailed"):
        generate(broken)
