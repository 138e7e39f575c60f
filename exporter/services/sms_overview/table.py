"""The SMS source-server overview -> its one family. Pure: no I/O, no clock.

    huaweicloud_sms_overview_source_servers{account="prod",state="replicate"} 12

Counted by SMS itself: right even where the exporter stops listing source servers
(`max_tasks_per_source`, the offset ceiling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.metrics.family import Rows, Table, identity, names
from exporter.metrics.lines import NON_NEGATIVE, Lines
from exporter.services.sms_overview.payload import STATES, OverviewRef

_LOW, _HIGH = NON_NEGATIVE


_rows: Rows[OverviewOptions] = Rows("huaweicloud_sms_", ("account",), "sms_overview")
TABLE: Table[OverviewOptions] = Table(
    rows=(
        _rows.split(
            "overview_source_servers",
            "SMS source servers by lifecycle state, as SMS counts them (every state, 0 included).",
            "state",
            tuple((state, state) for state in STATES),
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
