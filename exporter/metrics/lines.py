"""What the mapping produces and the renderer consumes: exposition lines, per family.

The mapping writes each sample straight as its line, `name{labels} value\n`: building a
tuple per sample and formatting it later cost more than the formatting itself (a poll of
10,000 SMS tasks writes about 580,000 lines). These helpers are the only place a label value
or a number becomes text, so escaping and number spellings are decided once.

Sample lines are the same in the text format 0.0.4 and OpenMetrics 1.0, so one rendering
serves both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

Lines = dict[
    str, list[str]
]  # family name -> its lines in exposition order (a str may hold several)

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


def escape(value: str) -> str:
    """A label value as it goes between double quotes."""
    if "\\" in value or '"' in value or "\n" in value:  # rare: skip the translate otherwise
        return value.translate(_ESCAPES)
    return value


def format_value(value: float) -> str:
    """`1`, `0.25`, `1.5e+09`, and the spellings both formats accept for non-finite values."""
    if math.isfinite(value):
        return repr(value)
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def labels_text(pairs: Iterable[tuple[str, str]]) -> str:
    """`account="prod",task_id="t-1"`: label pairs as they go between the braces."""
    return ",".join([f'{name}="{escape(value)}"' for name, value in pairs])


def line(name: str, labels: str, value: float) -> str:
    """One sample line; `labels` is already `labels_text` (empty for none)."""
    number = repr(value) if value - value == 0 else format_value(value)  # NaN, inf: rare
    return f"{name}{{{labels}}} {number}\n" if labels else f"{name} {number}\n"


def new_lines(names: tuple[str, ...]) -> Lines:
    return {name: [] for name in names}


def truncate(value: str | int | float | None, limit: int) -> str:
    """A label value: `None` is empty, a number its text; longer than `limit` is cut with "…"."""
    if value.__class__ is not str:  # the class test is the fast path: most values are text
        if value is None:
            return ""
        value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"
