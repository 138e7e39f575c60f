"""The lock files of scripts/lock: every pin hashed, one version of each package everywhere,
and scripts/setup (so .ci/run) installing nothing but what they hold."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.dockerfile import ROOT, pins

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCKS = ["constraints.txt", "requirements-runtime.txt", "requirements-build.txt"]
SETUP = (ROOT / "scripts" / "setup").read_text(encoding="utf-8")


def names(requirements: list[str]) -> set[str]:
    """PEP 503 names of requirement strings: "pydantic-settings[yaml]>=2.3" -> pydantic-settings."""
    out = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert match, requirement
        out.add(re.sub(r"[-_.]+", "-", match[0]).lower())
    return out


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_of_a_lock_file_carries_its_hashes(lock: str) -> None:
    locked = pins(ROOT / lock)
    assert locked, f"{lock} pins nothing"
    unhashed = [name for name, (_, hashes) in locked.items() if hashes == 0]
    assert not unhashed, f"{lock}: no --hash for {unhashed}: run scripts/lock"


@pytest.mark.parametrize("lock", ["requirements-runtime.txt", "requirements-build.txt"])
def test_the_image_s_locks_hold_the_versions_ci_tests(lock: str) -> None:
    tested = pins(ROOT / "constraints.txt")
    for name, (version, _) in pins(ROOT / lock).items():
        assert tested[name][0] == version, f"{lock}: {name}=={version}, CI tests {tested[name][0]}"


def test_each_lock_holds_what_its_install_needs() -> None:
    runtime = names(PYPROJECT["project"]["dependencies"])
    dev = names(PYPROJECT["project"]["optional-dependencies"]["dev"])
    build_system = names(PYPROJECT["build-system"]["requires"])
    assert runtime | dev | build_system | {"pip"} <= set(pins(ROOT / "constraints.txt"))
    assert runtime <= set(pins(ROOT / "requirements-runtime.txt"))
    assert not dev & set(pins(ROOT / "requirements-runtime.txt")) - runtime  # no test tool
    assert build_system | {"build"} <= set(pins(ROOT / "requirements-build.txt"))


def test_setup_installs_the_lock_with_hashes_required_then_the_project_alone() -> None:
    """pip's --require-hashes covers everything one command installs and the editable project
    has no hash: so the lock first, then the project without its dependencies or an index."""
    assert "pip=(.venv/bin/python -m pip --quiet)" in SETUP
    pip_install = '"${pip[@]}" install '
    commands = [
        line.strip().removeprefix(pip_install).split()
        for line in SETUP.splitlines()
        if line.strip().startswith(pip_install)
    ]
    assert commands == [
        ["--require-hashes", "-r", "constraints.txt"],
        ["--no-index", "--no-deps", "--no-build-isolation", "-e", "."],
    ]
    assert SETUP.count("-m pip") == 1 and "pip install" not in SETUP  # no other way in
