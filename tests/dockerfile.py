"""The Dockerfile as (instruction, arguments) pairs, for the static checks and the wheel build."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE)  # join continuation lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def build_stage_copies() -> list[tuple[list[str], str]]:
    """The build stage's `COPY src... dest` instructions: what the wheel is built from."""
    copies: list[tuple[list[str], str]] = []
    for keyword, rest in instructions():
        if keyword == "FROM" and copies:
            break  # the runtime stage
        if keyword == "COPY" and not rest.startswith("--from"):
            *sources, dest = rest.split()
            copies.append((sources, dest))
    return copies


def pip_installs() -> list[list[str]]:
    """Every `pip install ...` of every RUN, as its words after `install`."""
    installs = []
    for keyword, rest in instructions():
        if keyword != "RUN":
            continue
        for command in rest.split("&&"):
            words = command.split()
            if words[:2] == ["pip", "install"]:
                installs.append(words[2:])
    return installs


# A lock file's pin: `name==version [; marker]` followed by its `--hash=sha256:...` options.
PIN = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]*)==(?P<version>[^\s;]+)(?: ;[^-]*)?(?P<rest>.*)$")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def pins(lock: Path) -> dict[str, tuple[str, int]]:
    """A lock file written by scripts/lock: {name: (version, number of hashes)}. A line that
    is neither a pin nor a comment fails here, so nothing slips past unread."""
    text = re.sub(r"\s*\\\n\s*", " ", lock.read_text(encoding="utf-8"))
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{lock.name}: not a pin: {line[:80]}"
        hashes = HASH.findall(match["rest"])
        assert " ".join(hashes) == match["rest"].strip(), f"{lock.name}: {line[:80]}"
        out[match["name"]] = (match["version"], len(hashes))
    return out
