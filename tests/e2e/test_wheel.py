"""The wheel the image installs, built from exactly what the Dockerfile copies into its build
stage, in a temporary directory (a build in the source tree would leave build/ behind)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.dockerfile import ROOT, build_stage_copies

pytestmark = pytest.mark.e2e


def build_context(into: Path) -> Path:
    """The Dockerfile's build stage, reproduced: each COPY source at its destination."""
    src = into / "src"
    src.mkdir()
    for sources, dest in build_stage_copies():
        for source in sources:
            origin = ROOT / source
            target = src / dest / source if dest.endswith("/") else src / dest
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)
    return src


def test_the_wheel_builds_from_the_image_build_context(tmp_path: Path) -> None:
    src = build_context(tmp_path)
    dist = tmp_path / "dist"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = dist.glob("huaweicloud_migration_exporter-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "exporter/cli.py" in names and "exporter/py.typed" in names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "huaweicloud-migration-exporter = exporter.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )
