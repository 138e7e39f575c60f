"""The benchmark harness keeps working (a tiny run; timings are reported, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_the_benchmark_harness_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = out.read_text()
    for row in (
        "poll wall time, sms (100 tasks)",
        "/metrics gzip, 8 scrapers: p99",
        "peak RSS",
        "### Scaling",
    ):
        assert row in report, row
    # Both exporters served the same exposition size: they did the same job.
    plain = next(line for line in report.splitlines() if line.startswith("| bytes served, plain"))
    assert plain.split("|")[4].strip() in ("0.9x", "1.0x", "1.1x")
