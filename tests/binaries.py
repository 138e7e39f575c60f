"""Finding the real binaries tests drive: skip with a reason locally, fail under CI=true."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTRA_PATHS = [ROOT / ".tools" / "bin"]


def need(name: str) -> str:
    """The path of `name`; under CI its absence is a failure, elsewhere a skip saying why."""
    for directory in EXTRA_PATHS:
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (scripts/setup --tools installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
