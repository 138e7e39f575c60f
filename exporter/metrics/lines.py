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
import sys
from collections.abc import Iterable, Mapping

# Family name -> its lines in exposition order (a str may hold several).
Lines = dict[str, list[str]]
Block = dict[str, list[bytes]]  # family name -> its rendered pieces, in order


# A value's domain as (lowest, highest), checked `lowest <= value <= highest`: NaN is in none,
# infinity in none of these (no size, count or time is infinite).
MAX = sys.float_info.max
RATIO = (0.0, 1.0)  # _ratio
NON_NEGATIVE = (0.0, MAX)  # sizes (_bytes), speeds, counts, objects, durations
POSITIVE = (sys.float_info.min, MAX)  # timestamps: after 1970 (0 means "not set": omitted)


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


def number(value: float) -> str:
    """A sample value as text: `repr` for the finite (the common case, kept inline), else
    `format_value`."""
    return repr(value) if value - value == 0 else format_value(value)  # NaN, inf: rare


def labels_text(pairs: Iterable[tuple[str, str]]) -> str:
    """`account="prod",task_id="t-1"`: label pairs as they go between the braces."""
    return ",".join([f'{name}="{escape(value)}"' for name, value in pairs])


def label_values_text(pairs: Iterable[tuple[str, str | int | float | None]], limit: int) -> str:
    """`labels_text` of raw payload values: each made text and cut to `limit` first."""
    return labels_text([(name, truncate(value, limit)) for name, value in pairs])


def line(name: str, labels: str, value: float) -> str:
    """One sample line; `labels` is already `labels_text` (empty for none)."""
    return f"{name}{{{labels}}} {number(value)}\n" if labels else f"{name} {number(value)}\n"


def truncate(value: str | int | float | None, limit: int) -> str:
    """A label value: `None` is empty, a number its text; longer than `limit` is cut with "…"."""
    if value.__class__ is not str:  # the class test is the fast path: most values are text
        if value is None:
            return ""
        value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


class StateSet:
    """A stateset family's lines for one task: one per known state (the observed one 1, the
    others 0), then a line for an observed state the catalogue does not know.

    The known lines are prepared per observed state, split where the task's labels go, so a
    task's whole stateset is one `str.join` rather than one formatted line per state.
    """

    def __init__(self, family: str, label: str, known: Iterable[str]) -> None:
        self._family, self._label = family, label
        self._known = tuple(known)
        self._split = {state: self._parts(state) for state in self._known}
        self._none_known = self._parts(None)

    def _parts(self, observed: str | None) -> tuple[str, ...]:
        head = f"{self._family}{{"
        parts = [head]
        for state in self._known:
            parts.append(f',{self._label}="{state}"}} {1 if state == observed else 0}\n{head}')
        parts[-1] = parts[-1].removesuffix(head)
        return tuple(parts)

    def lines(self, labels: str, observed: str | None, limit: int) -> str:
        """`labels` is the task's label text; an unknown `observed` is cut to `limit`."""
        parts = self._split.get(observed)  # type: ignore[arg-type]  # None is simply not found
        if parts is not None:
            return labels.join(parts)
        zeros = labels.join(self._none_known)
        if observed is None:
            return zeros
        value = escape(truncate(observed, limit))
        return f'{zeros}{self._family}{{{labels},{self._label}="{value}"}} 1\n'

    def current(self, labels: str, observed: str | None, limit: int) -> str:
        """Only the observed state's line (value 1), for `collect.inactive_states: false`:
        queries of the form `{state="X"} == 1` work alike, at a fraction of the series."""
        if observed is None:
            return ""
        value = escape(truncate(observed, limit))
        return f'{self._family}{{{labels},{self._label}="{value}"}} 1\n'

    def count_lines(self, family: str, labels: str, counts: Mapping[str, int]) -> list[str]:
        """Tasks per state as `family`: every known state (0 included), then the others seen."""
        head = f'{family}{{{labels},{self._label}="'
        others = sorted(set(counts) - set(self._known))
        return [f'{head}{escape(s)}"}} {counts.get(s, 0)}\n' for s in (*self._known, *others)]


def encode(lines: list[str]) -> bytes:
    # Lone surrogates (JSON allows "\ud800") cannot be UTF-8: replace rather than fail.
    return "".join(lines).encode("utf-8", "replace")


def render_families(lines: Lines) -> Block:
    """Each family's lines as bytes; families without lines are left out."""
    return {name: [encode(rows)] for name, rows in lines.items() if rows}
