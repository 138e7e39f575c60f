"""Samples -> exposition bytes, in the text format 0.0.4 and in OpenMetrics 1.0.

Sample lines are the same in both formats; only the `# HELP`/`# TYPE` headers (a counter's
family name loses `_total` in OpenMetrics) and the closing `# EOF` differ. So a poll renders
each family's sample lines once, and a scrape joins them under the headers it wants.

    # HELP huaweicloud_migration_up 1 when the last poll of this account and service succeeded.
    # TYPE huaweicloud_migration_up gauge
    huaweicloud_migration_up{account="prod",service="sms"} 1
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from exporter.metrics.catalog import FAMILIES, Family
from exporter.metrics.samples import Labels, Samples

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


def escape(value: str) -> str:
    """A label value as it goes between double quotes."""
    return value.translate(_ESCAPES)


def format_value(value: float) -> str:
    """`1`, `0.25`, `1.5e+09`, and the spellings both formats accept for non-finite values."""
    if math.isfinite(value):
        return repr(value)
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def _label_text(labels: Labels) -> str:
    return ",".join(f'{name}="{escape(value)}"' for name, value in labels.pairs)


def render_lines(
    name: str, rows: Iterable[tuple[Labels, tuple[tuple[str, str], ...], float]]
) -> bytes:
    """The sample lines of one family."""
    prefixes: dict[int, str] = {}  # id(Labels) -> rendered; the objects outlive this call
    lines: list[str] = []
    append = lines.append
    for ident, extra, value in rows:
        prefix = prefixes.get(id(ident))
        if prefix is None:
            prefix = prefixes[id(ident)] = _label_text(ident)
        if extra:
            more = ",".join(f'{k}="{escape(v)}"' for k, v in extra)
            labels = f"{prefix},{more}" if prefix else more
        else:
            labels = prefix
        text = format_value(value)
        append(f"{name}{{{labels}}} {text}\n" if labels else f"{name} {text}\n")
    # Lone surrogates (JSON allows "\ud800") cannot be UTF-8: replace rather than fail.
    return "".join(lines).encode("utf-8", "replace")


def render_families(samples: Samples) -> dict[str, bytes]:
    """Each family's sample lines; families without samples are left out."""
    return {name: render_lines(name, rows) for name, rows in samples.items() if rows}


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def header(family: Family, openmetrics: bool) -> bytes:
    name = family.openmetrics_name if openmetrics else family.name
    help_ = _escape_help(family.help)
    return f"# HELP {name} {help_}\n# TYPE {name} {family.type}\n".encode()


HEADERS = {
    openmetrics: {family.name: header(family, openmetrics) for family in FAMILIES}
    for openmetrics in (False, True)
}


def join(blocks: Iterable[Mapping[str, bytes]], openmetrics: bool) -> bytes:
    """One exposition from several sources' rendered families, each family contiguous."""
    blocks = list(blocks)
    parts: list[bytes] = []
    headers = HEADERS[openmetrics]
    for family in FAMILIES:
        chunks = [block[family.name] for block in blocks if family.name in block]
        if chunks:
            parts.append(headers[family.name])
            parts.extend(chunks)
    if openmetrics:
        parts.append(b"# EOF\n")
    return b"".join(parts)
