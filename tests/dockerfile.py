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
