"""`.ci/check-tree`, the guard `.ci/run` starts with: nothing tracked may only work here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUARD = ROOT / ".ci" / "check-tree"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "a.md").write_text("a\n")
    (repo / ".gitignore").write_text(".venv\nbuild\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    return repo


def check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GUARD)], cwd=repo, capture_output=True, text=True, timeout=30)


def test_a_clean_tree_passes(repo: Path) -> None:
    result = check(repo)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_symlink_inside_the_repository_passes(repo: Path) -> None:
    (repo / "link").symlink_to("docs/a.md")
    (repo / "docs" / "up").symlink_to("../docs")
    git(repo, "add", "link", "docs/up")
    assert check(repo).returncode == 0


@pytest.mark.parametrize("target", ["/elsewhere/venv", "../outside", "docs/../../outside"])
def test_a_tracked_symlink_leaving_the_repository_fails(
    repo: Path, tmp_path: Path, target: str
) -> None:
    """The fresh-clone breaker: `.venv -> /tmp/venv`, force-added past the ignore rule."""
    (repo / ".venv").symlink_to(target)
    git(repo, "add", "-f", ".venv")
    result = check(repo)
    assert result.returncode == 1
    assert f"tracked symlink .venv -> {target} points outside the repository" in result.stderr


def test_a_symlink_that_leaves_through_another_link_fails(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (repo / "docs" / "out").symlink_to(tmp_path / "elsewhere")  # untracked, on this machine only
    (repo / "sneaky").symlink_to("docs/out")
    git(repo, "add", "sneaky")
    result = check(repo)
    assert result.returncode == 1
    assert "tracked symlink sneaky -> docs/out" in result.stderr


def test_a_tracked_file_the_gitignore_ignores_fails(repo: Path) -> None:
    (repo / "build").mkdir()
    (repo / "build" / "lib.py").write_text("x = 1\n")
    git(repo, "add", "-f", "build/lib.py")
    result = check(repo)
    assert result.returncode == 1
    assert "tracked file build/lib.py matches .gitignore" in result.stderr


def test_this_repository_passes() -> None:
    result = subprocess.run(
        [str(GUARD)], cwd=ROOT, capture_output=True, text=True, timeout=30, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
