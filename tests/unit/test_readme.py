"""The README stays true to the code."""

from __future__ import annotations

from pathlib import Path

from exporter.reference import END, START, markdown

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_metric_reference_is_generated_from_the_catalogue() -> None:
    block = README[README.index(START) : README.index(END) + len(END)]
    assert block == markdown(), "run: python -m exporter.reference README.md"


def test_the_readme_shows_the_two_fresh_machine_commands() -> None:
    assert "scripts/setup && .venv/bin/huaweicloud-migration-exporter --demo" in README
    assert "bash .ci/run" in README
