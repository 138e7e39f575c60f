"""The rules file with your runbook and dashboard links.

python -m exporter.devtools.rules                      # print the shipped file's text
python -m exporter.devtools.rules --runbook-base https://wiki.example.com/hwmig/runbook.md \\
    --dashboard-base https://grafana.example.com --output rules.yml

Every alert names its runbook section as `runbook: docs/runbook.md#<alert, lower case>`. With
`--runbook-base` (where you publish docs/runbook.md) it also gets
`runbook_url: <base>#<alert, lower case>`; with `--dashboard-base` (your Grafana's URL) the
wave alerts get `dashboard_url`, the Waves dashboard (uid `hwmig-waves`) showing their wave.
Without either the output is `alerts/huaweicloud-migration.rules.yml` as shipped (a test
checks that), valid as it is. The Helm chart does the same from `prometheusRule.runbookBaseUrl`
and `prometheusRule.dashboardBaseUrl`.
"""

from __future__ import annotations

import argparse
import re
import sys
import urllib.parse
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "alerts" / "huaweicloud-migration.rules.yml"
WAVES_DASHBOARD = "/d/hwmig-waves"
# The Waves dashboard's variables for each alert that has a wave to show.
DASHBOARD_LINKS = {
    "HuaweiCloudMigrationWaveWillMissCutover": "var-wave={{ $labels.wave | urlquery }}",
    # The task's waves are not the alert's labels (a task may be in several): its account.
    "HuaweiCloudMigrationWaveCutoverReadinessDropped": (
        "var-account={{ $labels.account | urlquery }}"
    ),
    # An OMS task group is a wave named by its group_id.
    "HuaweiCloudOMSTaskGroupFailed": "var-wave={{ $labels.group_id | urlquery }}",
}

_ALERT = re.compile(r"^\s*- alert: (\w+)\s*$")
_RUNBOOK = re.compile(r"^(\s+)runbook: docs/runbook\.md#([a-z0-9]+)\s*$")
_GENERATED = re.compile(r"^\s+(runbook_url|dashboard_url): ")


class RulesError(ValueError):
    """A base URL that is not one, or an alert without its runbook line."""


def base_url(value: str) -> str:
    """An http(s) URL without a trailing slash, safe inside a double-quoted YAML string."""
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise RulesError(f"not an http(s) URL: {value!r}")
    if re.search(r'[\s"\\{}]', value) or parsed.fragment:
        raise RulesError(f"a base URL has no spaces, quotes, braces or fragment: {value!r}")
    return value.rstrip("/")


def generate(text: str, runbook_base: str | None = None, dashboard_base: str | None = None) -> str:
    """The rules text with the links for these bases (none: no links), whatever links it had."""
    runbook = base_url(runbook_base) if runbook_base else None
    dashboard = base_url(dashboard_base) if dashboard_base else None
    out: list[str] = []
    alert: str | None = None
    linked: set[str] = set()
    for line in text.splitlines(keepends=True):
        if _GENERATED.match(line):
            continue
        out.append(line)
        if match := _ALERT.match(line):
            alert = match[1]
        elif match := _RUNBOOK.match(line):
            indent, anchor = match[1], match[2]
            if alert is None or anchor != alert.lower():
                raise RulesError(f"runbook section {anchor!r} is not its alert's ({alert})")
            linked.add(alert)
            if runbook:
                out.append(f'{indent}runbook_url: "{runbook}#{anchor}"\n')
            if dashboard and alert in DASHBOARD_LINKS:
                link = f"{dashboard}{WAVES_DASHBOARD}?{DASHBOARD_LINKS[alert]}"
                out.append(f'{indent}dashboard_url: "{link}"\n')
    alerts = {m[1] for m in map(_ALERT.match, text.splitlines()) if m}
    if missing := sorted(alerts - linked):
        raise RulesError(f"alerts without a 'runbook: docs/runbook.md#...' line: {missing}")
    return "".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporter.devtools.rules", description=__doc__)
    parser.add_argument("--runbook-base", help="the URL where docs/runbook.md is published")
    parser.add_argument("--dashboard-base", help="the Grafana URL serving the Waves dashboard")
    parser.add_argument("--output", type=Path, help="write here instead of printing")
    args = parser.parse_args(argv)
    try:
        text = generate(RULES.read_text(encoding="utf-8"), args.runbook_base, args.dashboard_base)
    except RulesError as exc:
        parser.error(str(exc))
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
