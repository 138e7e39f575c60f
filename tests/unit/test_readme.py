"""The README stays true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from exporter.devtools.reference import END, START, markdown
from exporter.huawei.errors import REASONS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_metric_reference_is_generated_from_the_catalogue() -> None:
    block = README[README.index(START) : README.index(END) + len(END)]
    assert block == markdown(), "run: python -m exporter.devtools.reference README.md"


def test_the_readme_shows_the_two_fresh_machine_commands() -> None:
    assert "scripts/setup && .venv/bin/huaweicloud-migration-exporter --demo" in README
    assert "bash .ci/run" in README


def test_the_failure_reasons_shown_are_those_the_exporter_reports() -> None:
    """One vocabulary: the README and the runbook list exactly the exception classes' reasons."""
    shown = re.search(r"`reason=([a-z_|]+)`", README)
    assert shown is not None
    assert tuple(shown.group(1).split("|")) == REASONS
    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    section = runbook.split("## HuaweiCloudMigrationSourceDown", 1)[1].split("\n## ", 1)[0]
    listed = re.search(r"by `reason` tells why:\s+((?:`[a-z_]+`,?\s*)+)\.", section)
    assert listed is not None
    assert tuple(re.findall(r"`([a-z_]+)`", listed.group(1))) == REASONS
    act = section.split("**Act.**", 1)[1]
    for reason in REASONS:  # and the runbook says what to do about each
        assert f"`{reason}`" in act, reason
