"""One version, said everywhere: pyproject.toml, --version, the chart and the changelog."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from exporter import __version__
from tests.dockerfile import ROOT

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_package_and_the_command_say_the_pyproject_version() -> None:
    assert __version__ == VERSION
    shown = subprocess.run(
        [sys.executable, "-m", "exporter", "--version"], capture_output=True, text=True, timeout=30
    )
    first = shown.stdout.splitlines()[0]
    assert first.startswith(f"huaweicloud-migration-exporter, version {VERSION} (revision: ")


def test_the_chart_ships_this_version() -> None:
    chart = yaml.safe_load((ROOT / "helm/huaweicloud-migration-exporter/Chart.yaml").read_text())
    assert chart["appVersion"] == VERSION


def test_the_changelog_describes_this_version_in_keep_a_changelog_form() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, re.M)
    assert releases and releases[0] == VERSION
    assert "## [Unreleased]" in text and f"[{VERSION}]: https://" in text


def test_the_license_is_the_one_pyproject_declares() -> None:
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert (
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"
    )
