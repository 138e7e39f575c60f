"""What `--version` and `build_info` say of the build: the image's build file, else the git
checkout's revision, else "unknown"; nothing odd from either becomes a label."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exporter import __version__
from exporter.build import Build, read_build
from tests.dockerfile import ROOT

REVISION = "3f2a9c0d4b1e6f7a8b9c0d1e2f3a4b5c6d7e8f90"
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(
    GIT is None and os.environ.get("CI") != "true", reason="git is not installed"
)


def checkout(path: Path) -> str:
    """A git repository with one commit; its revision."""
    path.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
            cwd=path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    (path / "a").write_text("a\n")
    git("add", "a")
    git("commit", "-q", "-m", "a")
    return git("rev-parse", "HEAD")


def test_the_build_file_of_an_image_says_revision_and_date(tmp_path: Path) -> None:
    build_file = tmp_path / "_build.json"
    build_file.write_text(json.dumps({"revision": REVISION, "build_date": "20250101-12:00:00"}))
    assert read_build(build_file, tmp_path) == Build(__version__, REVISION, "20250101-12:00:00")


@needs_git
def test_a_git_checkout_says_its_revision_when_there_is_no_build_file(tmp_path: Path) -> None:
    revision = checkout(tmp_path / "repo")
    assert read_build(tmp_path / "absent.json", tmp_path / "repo") == Build(
        __version__, revision, "unknown"
    )


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"revision": 'abc"} 1\nfake_metric 1', "build_date": "x" * 500}),
        json.dumps({"revision": 12345, "build_date": None}),
    ],
)
def test_neither_says_unknown_and_a_hostile_build_file_says_nothing(
    tmp_path: Path, content: str
) -> None:
    build_file = tmp_path / "_build.json"
    build_file.write_text(content)
    assert read_build(build_file, tmp_path) == Build(__version__, "unknown", "unknown")


def test_version_is_printed_the_way_prometheus_tools_print_it() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "exporter", "--version"], capture_output=True, text=True, timeout=30
    )
    assert shown.returncode == 0, shown.stderr
    first, *rest = shown.stdout.splitlines()
    expected = read_build(ROOT / "exporter" / "_build.json", ROOT)
    assert (
        first
        == f"huaweicloud-migration-exporter, version {__version__} (revision: {expected.revision})"
    )
    assert [line.split(":")[0].strip() for line in rest] == [
        "build date",
        "python version",
        "platform",
    ]
    assert rest[1].split()[-1] == ".".join(map(str, sys.version_info[:3]))
