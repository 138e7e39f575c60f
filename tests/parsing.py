"""prometheus_client's parsers, typed for mypy --strict."""

from __future__ import annotations

import re

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import parser as openmetrics_parser
from prometheus_client.parser import text_string_to_metric_families


def parse_openmetrics(text: str) -> list[Metric]:
    # The OpenMetrics parser is not annotated upstream.
    return list(openmetrics_parser.text_string_to_metric_families(text))  # type: ignore[no-untyped-call]


def parse_text(text: str) -> list[Metric]:
    return list(text_string_to_metric_families(text))


_LINE = re.compile(r"(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")
_PAIR = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\\n]|\\.)*)"(?:,|$)')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}

Parsed = tuple[str, tuple[tuple[str, str], ...], float]  # name, labels in order, value


def parse_lines(chunks: list[str]) -> list[Parsed]:
    """Sample lines as the mapping wrote them, strictly: every line whole, labels in order."""
    out: list[Parsed] = []
    text = "".join(chunks)
    assert not text or text.endswith("\n"), "every line ends with a newline"
    for line in text.splitlines():
        match = _LINE.fullmatch(line)
        assert match, f"not a sample line: {line!r}"
        raw = match["labels"] or ""
        pairs = [
            (m["key"], re.sub(r"\\[\\\"n]", lambda e: _UNESCAPE[e[0]], m["value"]))
            for m in _PAIR.finditer(raw)
        ]
        consumed = sum(len(m[0]) for m in _PAIR.finditer(raw))
        assert consumed == len(raw), f"malformed labels: {raw!r}"
        out.append((match["name"], tuple(pairs), float(match["value"])))
    return out
