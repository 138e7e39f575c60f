"""The SMS source-server overview -> its one family. Pure: no I/O, no clock.

    huaweicloud_sms_overview_source_servers{account="prod",state="replicate"} 12

Counted by SMS itself: right even where the exporter stops listing source servers
(`max_tasks_per_source`, the offset ceiling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.metrics.family import Bad, Rows, Table, Write, identity, names
from exporter.metrics.lines import NON_NEGATIVE, Lines, number
from exporter.services.sms_overview.payload import STATES, Overview, OverviewRef

_LOW, _HIGH = NON_NEGATIVE


def _servers(name: str, opts: OverviewOptions) -> Write:
    heads = tuple((state, f',state="{state}"}} ') for state in STATES)

    def write(overview: Overview, labels: str, bad: Bad) -> str:
        lines = ""
        for state, tail in heads:
            value = getattr(overview, state)
            if value is None:
                continue
            if _LOW <= value <= _HIGH:
                lines += f"{name}{{{labels}{tail}{number(value)}\n"
            else:
                bad(name)
        return lines

    return write


_rows: Rows[OverviewOptions] = Rows("huaweicloud_sms_", ("account",), "sms_overview")
TABLE: Table[OverviewOptions] = Table(
    rows=(
        _rows.custom(
            "overview_source_servers",
            "SMS source servers by lifecycle state, as SMS counts them (every state, 0 included).",
            ("state",),
            _servers,
        ),
    ),
    counted=(),
    identity=identity(None, None),
)
FAMILIES = TABLE.families
NAMES = names(FAMILIES)


@dataclass(frozen=True, slots=True)
class OverviewOptions:
    max_label_length: int = 128
    families: frozenset[str] = frozenset(NAMES)  # the ones to map (metrics.allowlist/denylist)
    inactive_states: bool = True  # every state's count is a value, not a stateset
    finished_details: bool = True  # one object, never finished


def counts(account: str, refs: Sequence[OverviewRef], opts: OverviewOptions) -> Lines:
    """The overview is its own count."""
    return {}
