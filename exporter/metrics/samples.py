"""What the mapping produces and the renderer consumes.

A sample is `(identity, extra, value)`. `identity` is one `Labels` object shared by every
sample of a task (account, task id, name), so the renderer escapes it once per task rather
than once per sample; `extra` holds the family's own labels (`state`, `subtask_id`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

LabelPairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, eq=False)
class Labels:
    pairs: LabelPairs


Sample = tuple[Labels, LabelPairs, float]
Samples = dict[str, list[Sample]]  # family name -> samples, in exposition order


def truncate(value: str | None, limit: int) -> str:
    """A label value: `None` is empty; longer than `limit` characters is cut with an ellipsis."""
    if value is None:
        return ""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def new_samples(names: tuple[str, ...]) -> Samples:
    return {name: [] for name in names}
