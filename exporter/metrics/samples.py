"""What the mapping produces and the renderer consumes.

A sample is `(identity, extra, value)`. `identity` is one `Labels` shared by every sample of a
task (account, task id, name), so the renderer escapes it once per task rather than once per
sample; `extra` holds the family's own labels (`state`, `subtask_id`, ...) or is `None`.
Constant extras (one per known state, say) are module-level `Labels`, rendered once.
"""

from __future__ import annotations

LabelPairs = tuple[tuple[str, str], ...]


class Labels:
    """An immutable label set. `rendered` is the renderer's cache of its exposition text."""

    __slots__ = ("pairs", "rendered")

    def __init__(self, pairs: LabelPairs) -> None:
        self.pairs = pairs
        self.rendered: str | None = None

    def __repr__(self) -> str:
        return f"Labels({self.pairs!r})"


Sample = tuple[Labels, Labels | None, float]
Samples = dict[str, list[Sample]]  # family name -> samples, in exposition order


def truncate(value: str | int | float | None, limit: int) -> str:
    """A label value: `None` is empty, a number its text; longer than `limit` is cut with "…"."""
    if value.__class__ is not str:  # the class test is the fast path: most values are text
        if value is None:
            return ""
        value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def new_samples(names: tuple[str, ...]) -> Samples:
    return {name: [] for name in names}


def pairs_of(ident: Labels, extra: Labels | None) -> LabelPairs:
    """All labels of a sample, identity first (for tests and tools, not the hot path)."""
    return ident.pairs + (extra.pairs if extra is not None else ())
