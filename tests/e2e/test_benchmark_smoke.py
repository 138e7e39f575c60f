"""The benchmark harness keeps working (a tiny run; timings are reported, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.binaries import need

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_the_benchmark_harness_runs_end_to_end(tmp_path: Path) -> None:
    need("prometheus")  # it measures what Prometheus pays, too
    out = tmp_path / "report.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = out.read_text()
    for section in (
        "### Polls, one source at a time",
        "### All sources polled at once, as the daemon does",
        "| plain, 1 scraper |",
        "gzip scrapes, one after another, while every source polls",
        "### Memory",
        "### What Prometheus pays",
        "### Against the naive exporter",
        "### The lists of a wave's objects",
        "### Targets",
    ):
        assert section in report, section
    # Every source was polled, and the unchanged poll rendered nothing afresh.
    polls = [line for line in report.splitlines() if line.startswith("| sms (100)")]
    assert polls and polls[0].split("|")[4].strip() == "0", polls
    # Prometheus really scraped both profiles.
    prometheus = report.split("### What Prometheus pays", 1)[1].split("###", 1)[0]
    rows = [line for line in prometheus.splitlines() if line.startswith(("| default", "| lean"))]
    assert len(rows) == 2 and all("n/a" not in row for row in rows), rows
    # The lists of a wave's objects were polled, each in a request or a few.
    waves = report.split("### The lists of a wave's objects", 1)[1].split("###", 1)[0]
    for name in ("sms_projects", "sms_overview", "oms_groups", "oms_sync"):
        (row,) = [line for line in waves.splitlines() if line.startswith(f"| {name} ")]
        assert 1 <= int(row.split("|")[3]) <= 2, row
