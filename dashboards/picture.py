"""Draw a Grafana dashboard from real Prometheus answers: one self-contained HTML page, and with
--png a headless Chromium screenshot of it (Grafana itself cannot be installed here).

    python dashboards/picture.py dashboards/waves.json --prometheus http://127.0.0.1:9090 \\
        --var wave=crm-cutover --from now-5m --to now --html waves.html --png waves.png

Each panel's queries run as Grafana's Prometheus data source runs them: range queries for a
time series or state timeline, instant queries (at the end of the range) for the targets marked
`instant` (stats, tables, bar gauges), range queries at their `step` for annotations. Grafana's
variables are substituted as tests/promql.py does for the e2e test: `--var name=a,b` as
Grafana writes a pick (`(a|b)`), every other one as All. Panels sit on their gridPos (24
columns, 30 px a unit of height) and are drawn by type: time series as SVG lines (stacked where
the panel stacks) with axes, a legend and the annotations as marks; stats as big numbers in
their threshold colour (Grafana's default thresholds where the panel has none: green, red from
80); tables through their merge, organize and sortBy transformations, as many rows as fit;
bar gauges as bars; rows as headings. Every number drawn is a Prometheus answer; a panel whose
queries return nothing says "No data". No script and no network: inline SVG and CSS only.
--json writes what was drawn (each query, its time and series, each value) for the tests.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the substitution of tests/promql.py
from tests.promql import grafana_regex, substitute  # noqa: E402

JSON = dict[str, Any]
UNIT, GAP, PAD, HEADER = 30, 8, 12, 30  # px: a gridPos unit, the gap, the page's margin, a title
PALETTE = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9",
           "#705DA0", "#37872D", "#FADE2A", "#447EBC", "#C15C17", "#890F02", "#0A437C"]  # fmt: skip
COLORS = {"green": "#73BF69", "red": "#F2495C", "blue": "#5794F2", "orange": "#FF9830",
          "yellow": "#FADE2A", "purple": "#B877D9", "text": "#CCCCDC"}  # fmt: skip
# What Grafana applies to a stat, bar gauge or table field that sets no thresholds.
DEFAULT_STEPS: list[JSON] = [{"color": "green", "value": None}, {"color": "red", "value": 80}]


class QueryError(Exception):
    """Prometheus refused a query (its `error`) or could not be asked."""


@dataclass
class Query:
    ref: str
    expr: str
    kind: str  # "instant" or "range"
    series: int = 0
    seconds: float = 0.0
    error: str | None = None


@dataclass
class Drawn:
    """One panel as drawn: its queries and every value it shows (name, the number, its text)."""

    id: int
    title: str
    type: str
    queries: list[Query] = field(default_factory=list)
    values: list[JSON] = field(default_factory=list)
    empty: bool = False
    html: str = ""


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def ask(self, path: str, params: dict[str, str]) -> JSON:
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (http only)
                payload: JSON = json.load(response)
        except urllib.error.HTTPError as exc:
            payload = json.loads(exc.read() or b"{}")
        except OSError as exc:
            raise QueryError(str(exc)) from exc
        if payload.get("status") != "success":
            raise QueryError(str(payload.get("error", "no answer")))
        data: JSON = payload["data"]
        return data

    def instant(self, expr: str, at: float) -> list[tuple[dict[str, str], float]]:
        data = self.ask("query", {"query": expr, "time": f"{at:.3f}"})
        if data["resultType"] in ("scalar", "string"):
            return [({}, float(data["result"][1]))]
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def range(
        self, expr: str, start: float, end: float, step: float
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        data = self.ask("query_range", params)
        return [
            (r["metric"], [(float(t), float(v)) for t, v in r["values"]]) for r in data["result"]
        ]


# ---- numbers as Grafana's units write them (roughly)


def number(value: float, digits: int = 3) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value)))) if value else 0
    return f"{value:.{min(decimals, 4)}f}".rstrip("0").rstrip(".")


def scaled(value: float, base: int, names: list[str]) -> str:
    n = 0
    while abs(value) >= base and n < len(names) - 1:
        value, n = value / base, n + 1
    return f"{number(value)} {names[n]}".strip()


def duration(seconds: float) -> str:
    for size, name in ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "min")):
        if abs(seconds) >= size:
            return f"{number(seconds / size)} {name}"
    return f"{number(seconds)} s"


def fmt(value: float, unit: str, now: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if unit == "bytes":
        return scaled(value, 1024, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"])
    if unit == "Bps":
        return scaled(value, 1024, ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"])
    if unit == "percentunit":
        return f"{number(value * 100)}%"
    if unit == "percent":
        return f"{number(value)}%"
    if unit == "s":
        return duration(value)
    if unit == "reqps":
        return f"{number(value)} req/s"
    if unit == "dateTimeAsIso":
        return datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    if unit == "dateTimeFromNow":
        ahead = value / 1000 - now
        return f"in {duration(ahead)}" if ahead >= 0 else f"{duration(-ahead)} ago"
    if abs(value) < 1000:
        return number(value)
    return scaled(value, 1000, ["", "K", "Mil", "Bil", "Tri"])


def color(defaults: JSON, value: float) -> str:
    """The field's colour for `value`: a fixed colour, else its thresholds (Grafana's default
    ones where it has none)."""
    mode: JSON = defaults.get("color", {})
    if mode.get("mode") == "fixed":
        fixed = str(mode.get("fixedColor", "text"))
        return COLORS.get(fixed, fixed)
    steps: list[JSON] = defaults.get("thresholds", {}).get("steps") or DEFAULT_STEPS
    chosen = str(steps[0]["color"])
    for step in steps[1:]:
        if step["value"] is not None and value >= step["value"]:
            chosen = str(step["color"])
    return COLORS.get(chosen, chosen)


def mapping(mappings: list[JSON], value: float) -> JSON:
    """A value mapping's text and colour for `value` (type `value` only), {} where none."""
    for each in mappings:
        if each.get("type") == "value" and number(value) in each.get("options", {}):
            found: JSON = each["options"][number(value)]
            return found
    return {}


def legend(template: str, labels: dict[str, str], expr: str) -> str:
    if template and template != "__auto":
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m[1], ""), template)
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items()))
    return labels.get("__name__", "") + (f"{{{inner}}}" if inner else "") or expr


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# ---- the page


@dataclass
class Frame:
    """Where a panel is, in px, and the time range and variables it is drawn for."""

    x: int
    y: int
    w: int
    h: int


@dataclass
class Context:
    prom: Prometheus
    start: float
    end: float
    step: float
    values: dict[str, str]  # variable -> text substituted into queries
    texts: dict[str, str]  # variable -> text shown in titles
    column: float  # px of one of the 24 columns
    marks: list[tuple[float, str]] = field(default_factory=list)  # annotations: time, title

    def expr(self, text: str) -> str:
        return substitute(text, self.values)

    def title(self, text: str) -> str:
        for name in sorted(self.texts, key=len, reverse=True):
            text = text.replace(f"${name}", self.texts[name])
        return text


def frame_of(panel: JSON, ctx: Context) -> Frame:
    pos = panel["gridPos"]
    return Frame(
        x=round(PAD + pos["x"] * (ctx.column + GAP)),
        y=PAD + HEADER * 2 + pos["y"] * (UNIT + GAP),
        w=round(pos["w"] * ctx.column + (pos["w"] - 1) * GAP),
        h=pos["h"] * UNIT + (pos["h"] - 1) * GAP,
    )


def run(ctx: Context, drawn: Drawn, target: JSON, instant: bool) -> list[Any]:
    query = Query(
        target.get("refId", "A"), ctx.expr(target["expr"]), "instant" if instant else "range"
    )
    drawn.queries.append(query)
    started = time.monotonic()
    result: list[Any] = []
    try:
        if instant:
            result = ctx.prom.instant(query.expr, ctx.end)
        else:
            result = ctx.prom.range(query.expr, ctx.start, ctx.end, ctx.step)
    except QueryError as exc:
        query.error = str(exc)
    query.seconds = time.monotonic() - started
    query.series = len(result)
    return result


def box(panel: JSON, frame: Frame, ctx: Context, body: str) -> str:
    return (
        f'<div class="panel" style="left:{frame.x}px;top:{frame.y}px;width:{frame.w}px;'
        f'height:{frame.h}px"><div class="title">{esc(ctx.title(panel.get("title", "")))}</div>'
        f'<div class="body" style="height:{frame.h - HEADER}px">{body}</div></div>'
    )


def nodata(drawn: Drawn) -> str:
    errors = [f"{q.ref}: {q.error}" for q in drawn.queries if q.error]
    drawn.empty = True
    return f'<div class="nodata">No data{esc(" — " + "; ".join(errors)) if errors else ""}</div>'


def draw_stat(panel: JSON, frame: Frame, ctx: Context, drawn: Drawn) -> str:
    defaults = panel["fieldConfig"]["defaults"]
    options = panel.get("options", {})
    tiles: list[tuple[str, float]] = []
    for target in panel["targets"]:
        for labels, value in run(ctx, drawn, target, True):
            tiles.append((legend(target.get("legendFormat", ""), labels, target["expr"]), value))
    if not tiles:
        return nodata(drawn)
    unit = defaults.get("unit", "short")
    named = options.get("textMode") == "value_and_name" or len(tiles) > 1
    width = (frame.w - 8) / len(tiles)
    cells = []
    for name, value in tiles:
        mapped = mapping(defaults.get("mappings", []), value)
        text = mapped.get("text") or fmt(value, unit, ctx.end)
        drawn.values.append({"name": name, "value": value, "text": text})
        hue = (
            COLORS.get(mapped["color"], mapped["color"])
            if "color" in mapped
            else color(defaults, value)
        )
        mode = options.get("colorMode", "value")
        style = f"background:{hue};color:#fff" if mode == "background" else f"color:{hue}"
        size = max(
            12, min((frame.h - HEADER) * (0.38 if named else 0.5), width / max(len(text), 3) * 1.6)
        )
        label = f'<div class="name">{esc(name)}</div>' if named else ""
        cells.append(
            f'<div class="tile" style="{style}">{label}'
            f'<div class="big" style="font-size:{size:.0f}px">{esc(text)}</div></div>'
        )
    return '<div class="tiles">' + "".join(cells) + "</div>"


def draw_bars(panel: JSON, frame: Frame, ctx: Context, drawn: Drawn) -> str:
    defaults = panel["fieldConfig"]["defaults"]
    bars = []
    for target in panel["targets"]:
        for labels, value in run(ctx, drawn, target, True):
            bars.append((legend(target.get("legendFormat", ""), labels, target["expr"]), value))
    if not bars:
        return nodata(drawn)
    low = defaults.get("min", 0)
    top = defaults.get("max", max(v for _, v in bars)) or 1
    height = min(28, (frame.h - HEADER - 8) / len(bars) - 4)
    rows = []
    for name, value in bars:
        text = fmt(value, defaults.get("unit", "short"), ctx.end)
        drawn.values.append({"name": name, "value": value, "text": text})
        share = max(0.0, min(1.0, (value - low) / ((top - low) or 1)))
        rows.append(
            f'<div class="bar" style="height:{height:.0f}px"><span class="bname">{esc(name)}</span>'
            f'<span class="track"><span style="width:{share * 100:.1f}%;background:'
            f'{color(defaults, value)}"></span></span><span class="bval">{esc(text)}</span></div>'
        )
    return "".join(rows)


def frames(panel: JSON, ctx: Context, drawn: Drawn) -> list[list[JSON]]:
    """The instant targets as Grafana's table format: one row per series, its labels and
    `Value` (`Value #A`, `Value #B`... when the panel has several queries)."""
    targets = panel["targets"]
    out = []
    for target in targets:
        name = "Value" if len(targets) == 1 else f"Value #{target['refId']}"
        out.append([labels | {name: value} for labels, value in run(ctx, drawn, target, True)])
    return out


def merged(tables: list[list[JSON]]) -> list[JSON]:
    """Grafana's merge transformation: rows of the frames whose common fields agree are one."""
    fields = [{k for row in rows for k in row if not k.startswith("Value")} for rows in tables]
    common = sorted(set.intersection(*fields)) if fields else []
    rows: dict[tuple[str, ...], JSON] = {}
    for table in tables:
        for row in table:
            rows.setdefault(tuple(str(row.get(k, "")) for k in common), {}).update(row)
    return list(rows.values())


def draw_table(panel: JSON, frame: Frame, ctx: Context, drawn: Drawn) -> str:
    tables = frames(panel, ctx, drawn)
    rows = tables[0] if len(tables) == 1 else []
    columns: list[str] = sorted({k for row in rows for k in row})
    rename: dict[str, str] = {}
    for step in panel.get("transformations", []):
        options = step.get("options", {})
        if step["id"] == "merge":
            rows = merged(tables)
            columns = sorted({k for row in rows for k in row})
        elif step["id"] == "organize":
            include = [k for k, on in options.get("includeByName", {}).items() if on]
            columns = sorted(
                include or columns, key=lambda k: options.get("indexByName", {}).get(k, 99)
            )
            rename = options.get("renameByName", {})
        elif step["id"] == "sortBy":
            for sort in options.get("sort", []):
                key = next((k for k in columns if rename.get(k, k) == sort["field"]), sort["field"])
                rows.sort(key=lambda r: (key in r, r.get(key, 0)), reverse=sort.get("desc", False))
    if not rows:
        return nodata(drawn)
    overrides = panel["fieldConfig"].get("overrides", [])
    units = {
        o["matcher"]["options"]: p["value"]
        for o in overrides
        for p in o["properties"]
        if p["id"] == "unit"
    }
    maps = {
        o["matcher"]["options"]: p["value"]
        for o in overrides
        for p in o["properties"]
        if p["id"] == "mappings"
    }
    default = panel["fieldConfig"]["defaults"].get("unit", "short")
    fits = max(1, int((frame.h - HEADER - 26) // 22))
    head = "".join(f"<th>{esc(rename.get(c, c))}</th>" for c in columns)
    body = []
    for row in rows[: fits if len(rows) <= fits else fits - 1]:
        shown: JSON = {}
        for c in columns:
            value = row.get(c, "")
            header = rename.get(c, c)
            text = str(value)
            if isinstance(value, float):
                mapped = mapping(maps.get(header, []), value)
                text = mapped.get("text") or fmt(value, units.get(header, default), ctx.end)
            shown[header] = text
        drawn.values.append(shown)
        body.append("<tr>" + "".join(f"<td>{esc(t)}</td>" for t in shown.values()) + "</tr>")
    if len(rows) > fits:
        more = f"… {len(rows) - fits + 1} more rows ({len(rows)} in all; Grafana scrolls)"
        body.append(f'<tr><td class="more" colspan="{len(columns)}">{esc(more)}</td></tr>')
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def ticks(low: float, high: float, unit: str) -> list[float]:
    span = (high - low) or 1.0
    if unit == "s" and span >= 120:
        choices = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800]
        size = next((c for c in choices if span / c <= 5), 604800)
    elif unit.startswith("dateTime"):
        choices = [s * 1000 for s in (1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
                                      21600, 43200, 86400, 172800, 604800, 1209600)]  # fmt: skip
        size = next((c for c in choices if span / c <= 5), choices[-1])
    else:
        raw = span / 4
        power = 10 ** math.floor(math.log10(raw))
        size = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / size) * size
    return [first + n * size for n in range(int((high - first) / size) + 1)]


def clock(t: float, span: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%H:%M:%S" if span <= 900 else "%H:%M")


def draw_timeseries(panel: JSON, frame: Frame, ctx: Context, drawn: Drawn) -> str:
    defaults = panel["fieldConfig"]["defaults"]
    unit = defaults.get("unit", "short")
    stacked = defaults.get("custom", {}).get("stacking", {}).get("mode", "none") == "normal"
    lines: list[tuple[str, list[tuple[float, float]]]] = []
    for target in panel["targets"]:
        for labels, points in run(ctx, drawn, target, False):
            lines.append((legend(target.get("legendFormat", ""), labels, target["expr"]), points))
    if not lines:
        return nodata(drawn)
    # The legend says each series' own last value, also where it is drawn stacked.
    lasts = [next((v for _, v in reversed(p) if math.isfinite(v)), math.nan) for _, p in lines]
    floors: list[dict[float, float]] = [{} for _ in lines]  # where each area's fill stops
    if stacked:
        below: dict[float, float] = {}
        stacks = []
        for n, (name, points) in enumerate(lines):
            floors[n] = dict(below)
            top = [(t, v + below.get(t, 0.0)) for t, v in points]
            below.update(top)
            stacks.append((name, top))
        lines = stacks
    values = [v for _, points in lines for _, v in points if math.isfinite(v)]
    low, high = min(values), max(values)
    if not unit.startswith("dateTime"):  # 0 in sight: counts, bytes, a deadline's 0 s to spare
        low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + (abs(low) * 0.1 or 1.0)
    scale = ticks(low, high, unit)
    low, high = min(low, scale[0]), max(high, scale[-1])
    options = panel.get("options", {}).get("legend", {})
    right = options.get("placement") == "right"
    labels = [fmt(v, unit, ctx.end) for v in scale]
    axis = 8 + 6.5 * max(len(t) for t in labels)
    longest = max(len(name) for name, _ in lines)
    reserved = min(frame.w * 0.45, 7 * longest + 120) if right else frame.w - 16
    width = frame.w - 16 - (reserved if right else 0)
    height = frame.h - HEADER - 12 - (0 if right else 22 * min(3, len(lines)))
    plot_w, plot_h = width - axis - 8, height - 20

    def px(t: float, v: float) -> tuple[float, float]:
        x = axis + (t - ctx.start) / ((ctx.end - ctx.start) or 1) * plot_w
        return x, 4 + (1 - (v - low) / (high - low)) * plot_h

    svg = [f'<svg width="{width:.0f}" height="{height:.0f}">']
    for value, text in zip(scale, labels, strict=True):
        _, y = px(ctx.start, value)
        svg.append(
            f'<line x1="{axis}" x2="{axis + plot_w:.0f}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        svg.append(f'<text x="{axis - 4}" y="{y + 4:.1f}" text-anchor="end">{esc(text)}</text>')
    span = ctx.end - ctx.start
    for t in ticks(ctx.start * 1000, ctx.end * 1000, "dateTimeAsIso")[:8]:
        x, _ = px(t / 1000, low)
        svg.append(
            f'<text x="{x:.0f}" y="{height - 4:.0f}" text-anchor="middle">'
            f"{clock(t / 1000, span)}</text>"
        )
    for at, title in ctx.marks:
        x, _ = px(at, low)
        svg.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{plot_h + 4:.0f}" class="mark">'
            f"<title>{esc(title)}</title></line>"
        )
    fill = defaults.get("custom", {}).get("fillOpacity", 0) / 100
    keys = []
    for n, (name, points) in enumerate(lines):
        hue = PALETTE[n % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = []
        for t, v in points:
            if runs and t - runs[-1][-1][0] <= ctx.step * 1.5:
                runs[-1].append((t, v))
            else:
                runs.append([(t, v)])
        for run_ in runs:
            xy = [px(t, v) for t, v in run_]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            if fill and len(xy) > 1:
                floor = [px(t, floors[n].get(t, max(low, 0.0))) for t, _ in reversed(run_)]
                area = path + " " + " ".join(f"{x:.1f},{y:.1f}" for x, y in floor)
                svg.append(f'<polygon points="{area}" fill="{hue}" fill-opacity="{fill}"/>')
            if len(xy) == 1:
                svg.append(f'<circle cx="{xy[0][0]:.1f}" cy="{xy[0][1]:.1f}" r="2" fill="{hue}"/>')
            svg.append(f'<polyline points="{path}" fill="none" stroke="{hue}" stroke-width="1.5"/>')
        last = lasts[n]
        text = fmt(last, unit, ctx.end)
        drawn.values.append({"name": name, "value": last, "text": text})
        keys.append(
            f'<tr><td><i style="background:{hue}"></i>{esc(name)}</td><td>{esc(text)}</td></tr>'
        )
    svg.append("</svg>")
    fits = max(1, int((frame.h - HEADER - 30) // 20) if right else min(3, len(lines)))
    if len(keys) > fits:
        keys = [
            *keys[: fits - 1],
            f'<tr><td class="more">… {len(keys) - fits + 1} more series</td></tr>',
        ]
    head = "<tr><th>Name</th><th>Last *</th></tr>" if options.get("displayMode") == "table" else ""
    key = f'<table class="legend" style="width:{reserved:.0f}px">{head}{"".join(keys)}</table>'
    return f'<div class="series {"right" if right else ""}">{"".join(svg)}{key}</div>'


def draw_timeline(panel: JSON, frame: Frame, ctx: Context, drawn: Drawn) -> str:
    defaults = panel["fieldConfig"]["defaults"]
    names: JSON = {}
    for mapping in defaults.get("mappings", []):
        names |= mapping.get("options", {})
    lines = []
    for target in panel["targets"]:
        for labels, points in run(ctx, drawn, target, False):
            lines.append((legend(target.get("legendFormat", ""), labels, target["expr"]), points))
    if not lines:
        return nodata(drawn)
    width, label = frame.w - 16, 180
    height = max(10, min(26, (frame.h - HEADER - 30) / len(lines) - 2))
    out = []
    for name, points in lines:
        cells = []
        for t, v in points:
            mapped = names.get(number(v), {})
            hue = COLORS.get(mapped.get("color", ""), PALETTE[int(v) % len(PALETTE)])
            x = label + (t - ctx.start) / ((ctx.end - ctx.start) or 1) * (width - label)
            step_w = ctx.step / ((ctx.end - ctx.start) or 1) * (width - label)
            cells.append(
                f'<rect x="{x:.1f}" width="{step_w + 0.5:.1f}" height="{height:.0f}" fill="{hue}"/>'
            )
        last = points[-1][1] if points else math.nan
        text = str(names.get(number(last), {}).get("text", number(last)))
        drawn.values.append({"name": name, "value": last, "text": text})
        out.append(
            f'<svg width="{width}" height="{height + 2:.0f}"><text x="0" y="{height * 0.7:.0f}">'
            f"{esc(name)}: {esc(text)}</text>{''.join(cells)}</svg>"
        )
    return "".join(out)


DRAW = {
    "stat": draw_stat,
    "bargauge": draw_bars,
    "table": draw_table,
    "timeseries": draw_timeseries,
    "state-timeline": draw_timeline,
}

STYLE = """
body{margin:0;background:#111217;color:#ccccdc;font:13px/1.3 Inter,Helvetica,Arial,sans-serif}
.page{position:relative}
h1{position:absolute;left:12px;top:6px;margin:0;font-size:18px;font-weight:500}
.vars{position:absolute;left:12px;top:34px;color:#9fa7b3}
.vars b{color:#ccccdc;font-weight:500;background:#22252b;padding:1px 6px;border-radius:2px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:2px}
.panel{overflow:hidden}
.title{height:30px;line-height:30px;padding:0 8px;font-weight:500}
.title{white-space:nowrap;overflow:hidden}
.body{padding:0 8px 8px;box-sizing:border-box;overflow:hidden}
.row{position:absolute;font-size:15px;font-weight:500;border-bottom:1px solid #2c3235}
.nodata{height:100%;display:flex;align-items:center;justify-content:center;color:#8e8e8e}
.tiles{display:flex;gap:4px;height:100%}
.tile{flex:1;display:flex;flex-direction:column;justify-content:center;align-items:center;border-radius:2px;min-width:0}
.big{font-weight:500;white-space:nowrap}.name{font-size:12px}
.bar{display:flex;align-items:center;gap:8px;margin:2px 0}
.bname{width:40%;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.track{flex:1;height:70%;background:#22252b}.track span{display:block;height:100%}
.bval{width:70px;text-align:right}
table{border-collapse:collapse;width:100%}
th{text-align:left;color:#6e9fff;font-weight:500;border-bottom:1px solid #2c3235;padding:3px 6px}
td{padding:2px 6px;height:18px;border-bottom:1px solid #202226;white-space:nowrap}
td{max-width:260px;overflow:hidden;text-overflow:ellipsis}
td.more{color:#8e8e8e;font-style:italic}
.series{display:flex;flex-direction:column}.series.right{flex-direction:row}
.series.right .legend{width:auto;flex:none;align-self:flex-start}
.legend{table-layout:fixed}.legend td{border:none;padding:1px 4px;max-width:none}
.legend td+td{width:30%}
.legend i{display:inline-block;width:14px;height:4px;margin-right:6px;vertical-align:middle}
svg text{fill:#9fa7b3;font-size:11px}.grid{stroke:#2c3235}.mark{stroke:#5794F2;stroke-dasharray:3 3}
"""


def annotation_marks(dashboard: JSON, ctx: Context, drawn: list[Drawn]) -> None:
    """The annotation queries as Grafana's Prometheus source runs them (a range query at the
    annotation's step): one mark where each series starts a run of samples."""
    for n, annotation in enumerate(dashboard.get("annotations", {}).get("list", [])):
        expr = annotation.get("target", {}).get("expr")
        if not expr or not annotation.get("enable", True):
            continue
        step = float(str(annotation.get("step", "60s")).rstrip("s") or 60)
        record = Drawn(-1 - n, annotation["name"], "annotation")
        query = Query("annotation", ctx.expr(expr), "range")
        record.queries.append(query)
        started = time.monotonic()
        try:
            found = ctx.prom.range(query.expr, ctx.start, ctx.end, step)
        except QueryError as exc:
            query.error, found = str(exc), []
        query.seconds, query.series = time.monotonic() - started, len(found)
        for labels, points in found:
            title = legend(annotation.get("titleFormat", ""), labels, expr)
            previous = None
            for t, _ in points:
                if previous is None or t - previous > step * 1.5:
                    ctx.marks.append((t, title))
                    record.values.append({"name": title, "value": t, "text": clock(t, 0)})
                previous = t
        record.empty = not record.values
        drawn.append(record)


def step_for(start: float, end: float, min_step: float) -> float:
    """The range queries' step: about 250 points, never under the scrape interval."""
    return max(min_step, math.ceil((end - start) / 250))


def draw(
    dashboard: JSON,
    prom: Prometheus,
    start: float,
    end: float,
    picked: dict[str, list[str]],
    *,
    width: int = 1600,
    min_step: float = 15.0,
) -> tuple[str, list[Drawn], int]:
    """The page (HTML), what each panel drew, and the page's height in px."""
    step = step_for(start, end, min_step)
    values = {name: grafana_regex(v) for name, v in picked.items()}
    values |= {
        "__rate_interval": f"{int(max(step + min_step, 4 * min_step))}s",
        "__interval": f"{int(step)}s",
        "__range": f"{int(end - start)}s",
    }
    texts = {v["name"]: "All" for v in dashboard["templating"]["list"]}
    texts |= {name: " + ".join(v) for name, v in picked.items()}
    column = (width - 2 * PAD - 23 * GAP) / 24
    ctx = Context(prom, start, end, step, values, texts, column)
    drawn: list[Drawn] = []
    annotation_marks(dashboard, ctx, drawn)
    parts, bottom = [], 0
    for panel in dashboard["panels"]:
        frame = frame_of(panel, ctx)
        bottom = max(bottom, frame.y + frame.h)
        if panel["type"] == "row":
            parts.append(
                f'<div class="row" style="left:{frame.x}px;top:{frame.y + 4}px;width:{frame.w}px">'
                f"{esc(ctx.title(panel['title']))}</div>"
            )
            continue
        record = Drawn(panel["id"], ctx.title(panel["title"]), panel["type"])
        drawer = DRAW.get(panel["type"])
        body = (
            drawer(panel, frame, ctx, record) if drawer else f"unknown panel type {panel['type']}"
        )
        record.html = box(panel, frame, ctx, body)
        parts.append(record.html)
        drawn.append(record)
    first, last = (datetime.fromtimestamp(t, tz=UTC) for t in (start, end))
    when = f"{first:%Y-%m-%d %H:%M:%S} to {last:%H:%M:%S} UTC"
    shown = "".join(
        f" {esc(v.get('label', v['name']))} <b>{esc(texts[v['name']])}</b>"
        for v in dashboard["templating"]["list"]
        if v["type"] == "query"
    )
    marks = f" · {len(ctx.marks)} annotation marks (dashed)" if ctx.marks else ""
    height = bottom + PAD
    page = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{esc(dashboard["title"])}</title>'
        f'<style>{STYLE}</style></head><body><div class="page" style="width:{width}px;'
        f'height:{height}px">'
        f'<h1>{esc(dashboard["title"])}</h1><div class="vars">{shown} · {when}{marks} · drawn by'
        f" dashboards/picture.py from Prometheus' answers</div>{''.join(parts)}"
        "</div></body></html>\n"
    )
    return page, drawn, height


def moment(text: str, now: float) -> float:
    """`now`, `now-5m` (s, m, h, d) or unix seconds."""
    match = re.fullmatch(r"now(?:-(\d+)([smhd]))?", text)
    if not match:
        return float(text)
    return now - (
        int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]] if match[1] else 0
    )


def screenshot(page: Path, png: Path, width: int, height: int, chromium: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dashboard", type=Path)
    parser.add_argument("--prometheus", required=True, help="its base URL")
    parser.add_argument("--from", dest="start", default="now-1h")
    parser.add_argument("--to", dest="end", default="now")
    parser.add_argument("--var", action="append", default=[], help="name=value[,value...]")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--min-step", type=float, default=15.0, help="the scrape interval, s")
    parser.add_argument("--html", type=Path, required=True)
    parser.add_argument("--png", type=Path)
    parser.add_argument("--json", type=Path, help="what was drawn, for tests")
    parser.add_argument("--chromium", default="chromium")
    args = parser.parse_args(argv)
    now = time.time()
    picked = {k: v.split(",") for k, v in (item.split("=", 1) for item in args.var)}
    dashboard = json.loads(args.dashboard.read_text(encoding="utf-8"))
    start, end = moment(args.start, now), moment(args.end, now)
    page, drawn, height = draw(
        dashboard,
        Prometheus(args.prometheus),
        start,
        end,
        picked,
        width=args.width,
        min_step=args.min_step,
    )
    args.html.write_text(page, encoding="utf-8")
    if args.json:
        step = step_for(start, end, args.min_step)
        report = {
            "start": start,
            "end": end,
            "step": step,
            "panels": [asdict(d) | {"html": ""} for d in drawn],
        }
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    if args.png:
        screenshot(args.html, args.png, args.width, height, args.chromium)
    empty = [d.title for d in drawn if d.empty]
    slowest = max((q.seconds, d.title) for d in drawn for q in d.queries)
    print(
        f"{args.html}: {len(drawn)} panels, no data in {empty or 'none'};"
        f" slowest query {slowest[0]:.3f} s ({slowest[1]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
