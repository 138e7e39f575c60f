"""What this build is: version, revision and build date, said the way Prometheus tools say it.

    huaweicloud-migration-exporter, version 0.2.0 (revision: 3f2a9c0d...)
      build date:       20250101-12:00:00
      python version:   3.11.11
      platform:         linux/x86_64

The revision and the build date come from `exporter/_build.json` when the image build wrote
one (it is never tracked: .gitignore), else, for a git checkout (an editable install), the
revision from `git rev-parse HEAD` (run without a shell, with a timeout), else "unknown".
"""

from __future__ import annotations

import functools
import json
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from exporter import __version__

PACKAGE = Path(__file__).resolve().parent
BUILD_FILE = PACKAGE / "_build.json"  # {"revision": "<git sha>", "build_date": "..."}
UNKNOWN = "unknown"
GIT_TIMEOUT = 2.0  # seconds: `--version` and the first scrape never wait long for git
_REVISION = re.compile(r"^[0-9a-f]{7,64}$")
_DATE = re.compile(r"^[0-9A-Za-z:+.\- ]{1,40}$")  # 20250101-12:00:00, or RFC 3339


@dataclass(frozen=True, slots=True)
class Build:
    version: str
    revision: str = UNKNOWN
    date: str = UNKNOWN

    def text(self, prog: str = "huaweicloud-migration-exporter") -> str:
        """What `--version` prints."""
        return (
            f"{prog}, version {self.version} (revision: {self.revision})\n"
            f"  build date:       {self.date}\n"
            f"  python version:   {platform.python_version()}\n"
            f"  platform:         {platform.system().lower()}/{platform.machine()}"
        )


@functools.cache
def build() -> Build:
    """This process's build, found once."""
    return read_build(BUILD_FILE, PACKAGE.parent)


def read_build(build_file: Path, checkout: Path) -> Build:
    """The build `build_file` names, else the revision of the git checkout at `checkout`."""
    revision, date = _from_file(build_file)
    if revision is None:
        revision = _git_revision(checkout)
    return Build(__version__, revision or UNKNOWN, date or UNKNOWN)


def _from_file(path: Path) -> tuple[str | None, str | None]:
    """The file's revision and date, each if it has the expected shape (it becomes a label)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent (not an image), unreadable or not JSON
        return None, None
    if not isinstance(data, dict):
        return None, None
    revision, date = data.get("revision"), data.get("build_date")
    return (
        revision if isinstance(revision, str) and _REVISION.match(revision) else None,
        date if isinstance(date, str) and _DATE.match(date) else None,
    )


def _git_revision(checkout: Path) -> str | None:
    """`git rev-parse HEAD` of `checkout` if it is a git checkout and git answers in time."""
    git = shutil.which("git")
    if git is None or not (checkout / ".git").exists():
        return None
    try:
        answer = subprocess.run(
            # No hook or fsmonitor of the checkout's configuration runs for rev-parse; say so.
            [git, "-c", "core.fsmonitor=false", "-C", str(checkout), "rev-parse", "HEAD"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    revision = answer.stdout.strip()
    return revision if answer.returncode == 0 and _REVISION.match(revision) else None
