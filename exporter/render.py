"""Exposition lines -> the bytes a scrape serves, in the text format 0.0.4 and OpenMetrics 1.0.

Sample lines are the same in both formats; only the `# HELP`/`# TYPE` headers (a counter's
family name loses `_total` in OpenMetrics) and the closing `# EOF` differ. So a poll renders
each family's sample lines once, and a scrape joins them under the headers it wants.

    # HELP huaweicloud_migration_up 1 when the last poll of this account and service succeeded.
    # TYPE huaweicloud_migration_up gauge
    huaweicloud_migration_up{account="prod",service="sms"} 1
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from exporter.catalog import FAMILIES
from exporter.metrics.family import Family
from exporter.metrics.lines import Block, Lines, render_families

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

T = TypeVar("T")


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


def chunks(blocks: Iterable[Mapping[str, list[bytes]]], openmetrics: bool) -> list[bytes]:
    """One exposition from several sources' rendered families, each family contiguous."""
    blocks = list(blocks)
    parts: list[bytes] = []
    headers = HEADERS[openmetrics]
    for family in FAMILIES:
        present = [piece for block in blocks for piece in block.get(family.name, ()) if piece]
        if present:
            parts.append(headers[family.name])
            parts.extend(present)
    if openmetrics:
        parts.append(b"# EOF\n")
    return parts


def render_batched(
    tasks: list[T],
    per_task: Callable[[Sequence[T]], Lines],
    summary: Callable[[Sequence[T]], Lines] | None = None,
    batch: int = 1000,
) -> tuple[Block, int]:
    """Map and render `batch` tasks at a time; the rendered families and the tasks skipped.

    It consumes `tasks` as it goes, so the decoded tasks and the rendered text are never
    both whole in memory. `per_task` maps each task on its own (the tasks are already
    de-duplicated); `summary` sees every task at once (counts per state) and runs first.
    A task the mapping cannot take is skipped and counted rather than failing the source.
    """
    pieces: Block = {}

    def add(lines: Lines) -> None:
        for name, data in render_families(lines).items():
            pieces.setdefault(name, []).extend(data)

    summarised: Block = {}
    if summary is not None:
        try:
            summarised = render_families(summary(tasks))
        except Exception:  # counts are a nicety: never lose the tasks for them
            summarised = {}
    skipped = 0
    while tasks:
        chunk = tasks[:batch]
        del tasks[:batch]
        try:
            add(per_task(chunk))
        except Exception:  # find the task(s) at fault; keep the rest
            for task in chunk:
                try:
                    add(per_task([task]))
                except Exception:  # one bad task must not sink its source
                    skipped += 1
    for name, data in summarised.items():
        pieces.setdefault(name, []).extend(data)
    # Kept as pieces, not joined: joining would copy each family once more at the peak.
    return pieces, skipped
