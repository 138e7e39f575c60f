"""What the dashboard and alert checks need to know about PromQL and the shipped files."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
RULES = ROOT / "alerts" / "huaweicloud-migration.rules.yml"
RULE_TESTS = ROOT / "alerts" / "huaweicloud-migration.rules.test.yml"
# A metric name: a catalogued family, or a recording rule over one (`job:huaweicloud_x:sum`).
METRIC = re.compile(r"(?<![\w:])(?:[a-z_]+:)?huaweicloud_[a-z0-9_]+(?::[a-z0-9_]+)?(?![\w:])")
COMPARISON = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*[-+0-9.e]+\s*$")
# Grafana's variables, as a user with every value selected would see them.
VARIABLES = {
    "$__rate_interval": "1m",
    "$job": ".*",
    "$account": ".*",
    "$service": ".*",
    # Before `$task`, which is a prefix of it.
    "$task_group": ".*",
    "$migration_project": ".*",
    "$task": ".*",
    "$source_server": ".*",
    "$wave": ".*",
}


def load_dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARDS}


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel with queries: rows left out, the panels of collapsed rows in."""
    out = []
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def variable_query(variable: dict[str, Any]) -> str:
    """The PromQL of a query variable (its `query.query`, as Grafana's Prometheus data source
    stores it), "" for any other kind of variable."""
    query = variable.get("query") if variable["type"] == "query" else None
    return str(query.get("query", "")) if isinstance(query, dict) else ""


def variable_queries(values: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(where, metric selector, label) of every `label_values(selector, label)` variable."""
    out = []
    for name, dashboard in load_dashboards().items():
        for variable in dashboard["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.*), (\w+)\)", variable_query(variable))
            if match:
                selector = substitute(match[1], values)
                out.append((f"{name}: ${variable['name']}", selector, match[2]))
    return out


def dashboard_queries(values: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(where, expression) for every panel target and annotation query, variables substituted
    (`values`: variable name -> the regex Grafana would write for the values picked, e.g.
    `{"wave": "erp-cutover"}`; every other variable as with All selected)."""
    out = []
    for name, dashboard in load_dashboards().items():
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                where = f"{name}: {panel['title']} ({target['refId']})"
                out.append((where, substitute(target["expr"], values)))
        for annotation in dashboard.get("annotations", {}).get("list", []):
            expr = annotation.get("target", {}).get("expr")
            if expr:
                out.append((f"{name}: annotation {annotation['name']}", substitute(expr, values)))
    return out


def substitute(expr: str, values: Mapping[str, str] | None = None) -> str:
    """`expr` with Grafana's variables replaced: those of `values` (name without `$` -> text)
    as given, the others as VARIABLES has them (All selected)."""
    given = {f"${name}": value for name, value in (values or {}).items()}
    # VARIABLES' order first (a name before any that is its prefix), new names longest first.
    names = list(VARIABLES) + sorted(set(given) - set(VARIABLES), key=len, reverse=True)
    for variable in names:
        expr = expr.replace(variable, given.get(variable, VARIABLES.get(variable, variable)))
    return expr


def grafana_regex(picked: list[str]) -> str:
    """What Grafana writes for a multi-value variable in a Prometheus query: one value
    escaped, several as `(a|b)`. A regex character is escaped twice, as Grafana does: once for
    the regex, once for the PromQL string it stands in (`a.b` -> `a\\\\.b`)."""
    escaped = [
        re.sub(r"([$^*{}\[\]'+?.()|])", r"\\\\\1", value.replace("\\", "\\" * 4))
        for value in picked
    ]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def alert_rules() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "alert" in rule]


def recording_rules() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "record" in rule]


def split_top_level(expr: str, words: tuple[str, ...] = ("and", "or", "unless")) -> list[str]:
    """Split on set operators outside parentheses: each operand must return data by itself."""
    parts, depth, start, i = [], 0, 0, 0
    text = " ".join(expr.split())
    while i < len(text):
        char = text[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            for word in words:
                token = f" {word} "
                if text.startswith(token, i):
                    parts.append(text[start:i])
                    i += len(token)
                    # skip an `on (...)`/`ignoring (...)` modifier
                    match = re.match(r"(on|ignoring)\s*\([^)]*\)\s*", text[i:])
                    if match:
                        i += match.end()
                    start = i
                    break
            else:
                i += 1
                continue
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _wrapped(text: str) -> bool:
    """Whether one pair of parentheses holds all of `text`."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def without_threshold(expr: str) -> list[str]:
    """`a == 1 and on (x) b > 5` -> [`a`, `b`]: the data an alert looks at, minus its threshold.

    An operand that is itself a parenthesised `and`/`or`/`unless` is split in turn; `absent()`
    returns data only when what it watches is gone, so it is left out."""
    out = []
    for part in split_top_level(expr):
        if part.startswith("absent("):
            continue
        inner = part[1:-1].strip() if _wrapped(part) else ""
        if inner and len(split_top_level(inner)) > 1:
            out += without_threshold(inner)
            continue
        part = COMPARISON.sub("", part)
        # A comparison inside the outermost parentheses: `(x == 1) * y` -> `x * y`.
        part = re.sub(r"\s*(==|!=|>=|<=|>|<)\s*[-+0-9.e]+\s*\)", ")", part)
        out.append(part)
    return out
