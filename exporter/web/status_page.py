"""The status page at `/`: every source, whether its last poll worked, what it holds now.

Pure: telemetry and a clock in, HTML out. It refreshes itself every `REFRESH_SECONDS`.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from exporter import __version__
from exporter.telemetry import SourceStatus, Telemetry

REFRESH_SECONDS = 10
STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right}.up{color:#176c2a}.pending{color:#777}
.down,.failed{color:#b00020;font-weight:bold}.demo{background:#fff4ce;border:1px solid #e0c060;
padding:6px 10px;display:inline-block}.error{font-family:monospace;font-size:90%}"""
COLUMNS = (
    "Account",
    "Service",
    "Status",
    "Last poll",
    "Last success",
    "Tasks",
    "Running",
    "Failed",
    "Last error",
    "Last API error",
)


def when(timestamp: float | None, now: float) -> str:
    if timestamp is None:
        return "never"
    stamp = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({max(0, int(now - timestamp))} s ago)"


def _row(account: str, service: str, status: SourceStatus, now: float) -> str:
    up = "up" if status.up else ("down" if status.polled else "pending")
    failed = f'<td class="num{" failed" if status.failed else ""}">{status.failed}</td>'
    cells = [
        f"<td>{html.escape(account)}</td><td>{html.escape(service)}</td>",
        f'<td class="{up}">{up}</td>',
        f"<td>{html.escape(when(status.last_poll, now))}</td>",
        f"<td>{html.escape(when(status.last_success, now))}</td>",
        f'<td class="num">{status.tasks}</td><td class="num">{status.running}</td>{failed}',
        f'<td class="error">{html.escape(status.last_error or "")}</td>',
        f'<td class="error">{html.escape(status.last_api_error or "")}</td>',
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def render(telemetry: Telemetry, *, metrics_path: str, now: float, demo: bool = False) -> str:
    rows = [_row(a, s, status, now) for (a, s), status in sorted(telemetry.sources.items())]
    empty = f'<tr><td colspan="{len(COLUMNS)}">no accounts configured</td></tr>'
    banner = (
        '<p class="demo">Demo mode: a simulated Huawei Cloud, no real account.</p>\n'
        if demo
        else ""
    )
    head = "".join(f"<th>{column}</th>" for column in COLUMNS)
    path = html.escape(metrics_path)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>Huawei Cloud migration exporter</title><style>{STYLE}</style></head>
<body><h1>Huawei Cloud migration exporter</h1>
{banner}<p>Version {html.escape(__version__)}.
<a href="{path}">Metrics</a> · <a href="/healthz">Health</a> · <a href="/readyz">Readiness</a></p>
<table><tr>{head}</tr>
{chr(10).join(rows) or empty}
</table>
<p>Refreshes every {REFRESH_SECONDS} s.</p></body></html>
"""
