"""Type-check dashboards against Grafana's published schema (@grafana/schema, with tsc).

    scripts/install-grafana-schema       # once: npm ci into dashboards/schema-check/node_modules
    python dashboards/schema_check.py    # every dashboards/*.json
    python dashboards/schema_check.py x.json y.json

Each dashboard is written, in a temporary directory, as a TypeScript file declaring
`const dashboard: CheckedDashboard = <the JSON>;` (the type: dashboards/schema-check/dashboard.ts),
and one `tsc --noEmit --strict` checks them all. Every error is printed at its line and column
in the JSON file, the lines that explain it indented below, then a count per file:

    dashboards/sms.json:37:9: error TS2353: Object literal may only specify known properties,
      and '"definition"' does not exist in type ...     (one line in the real output)
    sms.json: 1 error
    oms.json: 0 errors

Exit 0 when no file has an error, 1 when one has, 2 when node or the locked packages are
missing. Standard library only.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOL = ROOT / "schema-check"
TYPES = TOOL / "dashboard.ts"
TSC = TOOL / "node_modules" / "typescript" / "bin" / "tsc"
INSTALL = "scripts/install-grafana-schema"
# The JSON starts on the header's last line: line n of the JSON is line n + 1 of the TypeScript
# file, and the columns of its first line are shifted by that line's prefix.
IMPORT = "import type {{ CheckedDashboard }} from {types};\n"
DECLARE = "export const dashboard: CheckedDashboard = "
DIAGNOSTIC = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): (?P<text>error TS\d+: .*)$")
# skipLibCheck: the packages' own .d.ts files are Grafana's to keep compiling; their types are
# still what the JSON is checked against. types: no @types package is looked for.
COMPILER_OPTIONS = {
    "strict": True,
    "noEmit": True,
    "target": "es2022",
    "lib": ["es2022"],
    "module": "esnext",
    "moduleResolution": "bundler",
    "skipLibCheck": True,
    "types": [],
    "pretty": False,
}


class ToolsMissing(Exception):
    """node, tsc or the locked packages are not installed."""


def stale_packages() -> list[str]:
    """The packages of package-lock.json that node_modules lacks or holds at another version:
    `["@grafana/schema: 10.4.19 locked, 11.0.0 installed"]`."""
    locked = json.loads((TOOL / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    out = []
    for where, entry in locked.items():
        if not where:
            continue  # the tool's own entry
        manifest = TOOL / where / "package.json"
        found = "none"
        if manifest.is_file():
            found = json.loads(manifest.read_text(encoding="utf-8")).get("version", "none")
        if found != entry["version"]:
            name = where.removeprefix("node_modules/")
            out.append(f"{name}: {entry['version']} locked, {found} installed")
    return out


def node() -> str:
    found = shutil.which("node")
    if not found:
        raise ToolsMissing("node is not installed (Node.js 18 or newer)")
    stale = stale_packages()
    if stale or not TSC.is_file():
        raise ToolsMissing(f"{'; '.join(stale) or 'no tsc'}: run {INSTALL}")
    return found


def check(paths: list[Path]) -> dict[Path, list[str]]:
    """tsc's errors for each dashboard file, each `file:line:col: error TSnnnn: message` with
    the lines that explain it (indented) after it; an empty list for a file that passes."""
    errors: dict[Path, list[str]] = {path: [] for path in paths}
    header = IMPORT.format(types=json.dumps(str(TYPES.with_suffix("")))) + DECLARE
    with tempfile.TemporaryDirectory(prefix="hwmig-schema-check-") as tmp:
        sources: dict[str, Path] = {}
        for n, path in enumerate(paths):
            text = path.read_text(encoding="utf-8")
            json.loads(text)  # a file that is not JSON fails here, by its name
            sources[f"d{n}.ts"] = path
            (Path(tmp) / f"d{n}.ts").write_text(f"{header}{text.rstrip()};\n", encoding="utf-8")
        config = Path(tmp) / "tsconfig.json"
        config.write_text(
            json.dumps({"compilerOptions": COMPILER_OPTIONS, "files": sorted(sources)}),
            encoding="utf-8",
        )
        command = [node(), str(TSC), "--noEmit", "--strict", "--project", str(config)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    current: list[str] | None = None
    for line in result.stdout.splitlines():
        match = DIAGNOSTIC.match(line)
        if match is None:
            if current is None:
                raise RuntimeError(f"tsc said what this script cannot place: {result.stdout}")
            current.append(line)  # the indented lines under an error: which part failed
            continue
        source = sources.get(Path(match["file"]).name)
        row, col = int(match["line"]) - 1, int(match["col"])
        if source is None or row < 1:
            # Not in a dashboard: the type module or the packages are broken.
            raise RuntimeError(f"tsc failed on the checker itself: {result.stdout}")
        if row == 1:
            col -= len(DECLARE)
        current = errors[source]
        current.append(f"{shown(source)}:{row}:{col}: {match['text']}")
    if result.returncode != 0 and not any(errors.values()):
        raise RuntimeError(f"tsc failed: {result.stdout}{result.stderr}")
    return errors


def shown(path: Path) -> str:
    """The path from the repository's top when inside it: `dashboards/sms.json`."""
    try:
        return str(path.relative_to(ROOT.parent))
    except ValueError:
        return str(path)


def count(lines: list[str]) -> int:
    """How many errors: the lines that name a place, not the indented ones that explain."""
    return sum(1 for line in lines if not line.startswith(" "))


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(ROOT.glob("*.json"))
    try:
        errors = check(paths)
    except ToolsMissing as missing:
        print(f"schema_check: {missing}", file=sys.stderr)
        return 2
    for lines in errors.values():
        for line in lines:
            print(line)
    for path, lines in errors.items():
        n = count(lines)
        print(f"{path.name}: {n} error{'' if n == 1 else 's'}")
    return 1 if any(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
