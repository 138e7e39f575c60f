"""What a metric family is, and how a service declares its families: one row each.

A row binds a family's name, help, type and labels to how its lines are written from one item
(as kube-state-metrics' `FamilyGenerator` does). A service's `Table` of rows is both its part of
the catalogue (`catalog.py`: the renderer's HELP and TYPE, the README, the dashboard checks)
and, bound to an account and its options, the mapper a poll runs over every item:

    rows = Rows("huaweicloud_oms_", ("account", "region", "task_id", "task_name"), "oms")
    rows.gauge("task_progress_ratio", "OMS task progress, 0..1.", "progress", domain=RATIO)

Binding does the work once per source, not per item: which families the options keep, their
names with the `{` the labels follow, the factors and bounds of each value. A writer returns
its family's lines for one item as one string (`""` for none): nothing is built per sample
but the line itself. A few families need more than a value (statesets, `_info`, sub-tasks,
lists of checks): `custom` and `group` rows take a writer of the service's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

from exporter.metrics.lines import (
    NON_NEGATIVE,
    POSITIVE,
    StateSet,
    escape,
    label_values_text,
    number,
    truncate,
)

MetricType = Literal["gauge", "counter", "histogram"]

REFRESH = " Refreshed every poll interval."


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    service: str  # the list service that fills it ("sms", "oms", "oms_groups", ...), or "self"

    @property
    def openmetrics_name(self) -> str:
        """OpenMetrics names a counter family without the `_total` its samples carry."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


class Options(Protocol):
    """What every service's mapping options carry (each service adds its own)."""

    @property
    def max_label_length(self) -> int: ...  # label values are cut to this length
    @property
    def families(self) -> frozenset[str]: ...  # the ones to map (metrics.allowlist/denylist)
    @property
    def inactive_states(self) -> bool: ...  # False: a stateset's current state only
    @property
    def finished_details(self) -> bool: ...  # False: a finished item keeps its `finished` rows


Opt = TypeVar("Opt", bound=Options)
Domain = tuple[float, float]  # a value's bounds, checked `low <= value <= high` (NaN: in none)
Bad = Callable[[str], None]  # where a writer names a family whose value it left out
# One item, its label text and `Bad` -> its lines of one family (several, for a group).
Write = Callable[[Any, str, Bad], str]
GroupWrite = Callable[[Any, str, Bad], tuple[str, ...]]
# An item -> (its text per family of the service, the families of values left out).
Written = tuple[list[str], list[str]]
Mapper = Callable[[Any], Written]


@dataclass(frozen=True, slots=True)
class Row(Generic[Opt]):
    """One family written from one item, or a few written together (`group`)."""

    families: tuple[Family, ...]
    # The writer for these options (None: the options leave the family out): a `Write` for
    # one family, a `GroupWrite` for several (one string per family, in order, and "" for a
    # family the options leave out).
    make: Callable[[Opt], Write | GroupWrite | None]
    finished: bool = False  # written for a finished item too (finished_details off)

    def __post_init__(self) -> None:
        if self.finished and len(self.families) > 1:
            raise ValueError("a group of families is not written for finished items")


class Rows(Generic[Opt]):
    """The rows of one service: name prefix, identity labels and service given once."""

    def __init__(self, prefix: str, ids: tuple[str, ...], service: str) -> None:
        self.prefix, self.ids, self.service = prefix, ids, service

    def family(self, name: str, help_: str, extra: tuple[str, ...] = ()) -> Family:
        return Family(self.prefix + name, "gauge", help_ + REFRESH, self.ids + extra, self.service)

    def counted(self, name: str, help_: str, labels: tuple[str, ...]) -> Family:
        """A family over all items at once (counts per state), not written per item."""
        return Family(self.prefix + name, "gauge", help_ + REFRESH, labels, self.service)

    def gauge(
        self,
        name: str,
        help_: str,
        attr: str,
        *,
        of: str | None = None,
        scale: float | Callable[[Opt], float] = 1.0,
        divide: float = 1.0,
        domain: Domain = NON_NEGATIVE,
        finished: bool = False,
        when: Callable[[Opt], bool] | None = None,
    ) -> Row[Opt]:
        """`item.attr` (or `item.of.attr`) * scale / divide, left out when null and counted
        when outside `domain`."""
        family = self.family(name, help_)

        def make(opts: Opt) -> Write | None:
            if when is not None and not when(opts):
                return None
            factor = scale(opts) if callable(scale) else scale
            return _gauge(family.name, attr, of, factor, divide, domain)

        return Row((family,), make, finished)

    def date(
        self, name: str, help_: str, attr: str, *, of: str | None = None, finished: bool = False
    ) -> Row[Opt]:
        """An epoch-ms date in seconds; null and 0 ("not set", not 1970) leave it out."""
        family = self.family(name, help_)
        return Row((family,), lambda opts: _date(family.name, attr, of), finished)

    def flag(self, name: str, help_: str, attr: str) -> Row[Opt]:
        """A boolean as 1 or 0; null leaves it out."""
        family = self.family(name, help_)
        return Row((family,), lambda opts: _flag(family.name, attr))

    def info(
        self,
        name: str,
        help_: str,
        extra: tuple[str, ...],
        values: Callable[[Any, Opt], tuple[str | int | float | None, ...]],
    ) -> Row[Opt]:
        """`_info`: value 1, its labels past the identity `extra`, valued by `values`."""
        family = self.family(name, help_, extra)

        def make(opts: Opt) -> Write:
            head, limit = family.name + "{", opts.max_label_length

            def write(item: Any, labels: str, bad: Bad) -> str:
                pairs = zip(extra, values(item, opts), strict=True)
                return f"{head}{labels},{label_values_text(pairs, limit)}}} 1\n"

            return write

        return Row((family,), make, finished=True)

    def stateset(
        self,
        name: str,
        help_: str,
        label: str,
        states: tuple[str, ...],
        value: Callable[[Any], str | None],
        *,
        none_as_zeros: bool = True,
    ) -> Row[Opt]:
        """One series per known state, the current one 1 (`collect.inactive_states: false`:
        the current one only). An item without a state: all zeros, or nothing."""
        family = self.family(name, help_, (label,))
        stateset = StateSet(family.name, label, states)

        def make(opts: Opt) -> Write:
            lines = stateset.lines if opts.inactive_states else stateset.current
            limit = opts.max_label_length

            def write(item: Any, labels: str, bad: Bad) -> str:
                state = value(item)
                if state is None and not none_as_zeros:
                    return ""
                return lines(labels, state, limit)

            return write

        return Row((family,), make, finished=True)

    def split(
        self,
        name: str,
        help_: str,
        label: str,
        fields: tuple[tuple[str, str], ...],
        *,
        domain: Domain = NON_NEGATIVE,
    ) -> Row[Opt]:
        """One family, one series per field (attribute, `label` value), each the value as sent:
        objects by result, tasks by state. Left out when null, counted when outside `domain`."""
        family = self.family(name, help_, (label,))
        heads = tuple((attr, f',{label}="{value}"}} ') for attr, value in fields)
        low, high = domain

        def write(item: Any, labels: str, bad: Bad) -> str:
            lines = ""
            for attr, tail in heads:
                value = getattr(item, attr)
                if value is None:
                    continue
                if low <= value <= high:
                    lines += f"{family.name}{{{labels}{tail}{number(value)}\n"
                else:
                    bad(family.name)
            return lines

        return Row((family,), lambda opts: write)

    def custom(
        self,
        name: str,
        help_: str,
        extra: tuple[str, ...],
        make: Callable[[str, Opt], Write | None],
    ) -> Row[Opt]:
        """A family with a writer of the service's own: `make(family name, options)`."""
        family = self.family(name, help_, extra)
        return Row((family,), lambda opts: make(family.name, opts))

    def group(
        self,
        members: tuple[tuple[str, str, tuple[str, ...]], ...],
        make: Callable[[tuple[str, ...], Opt], GroupWrite | None],
    ) -> Row[Opt]:
        """Families (name, help, extra labels) one writer fills in one pass over the item
        (sub-tasks: progress, start and end): `make(their names, options)`."""
        families = tuple(self.family(name, help_, extra) for name, help_, extra in members)
        return Row(families, lambda opts: make(tuple(f.name for f in families), opts))


def _gauge(
    name: str, attr: str, of: str | None, factor: float, divide: float, domain: Domain
) -> Write:
    head = name + "{"
    low, high = domain

    def write(item: Any, labels: str, bad: Bad) -> str:
        if of is not None:
            item = getattr(item, of)
            if item is None:
                return ""
        value = getattr(item, attr)
        if value is None:
            return ""
        value = value * factor / divide
        if low <= value <= high:
            return f"{head}{labels}}} {number(value)}\n"
        bad(name)
        return ""

    return write


def _date(name: str, attr: str, of: str | None) -> Write:
    head = name + "{"
    after, before = POSITIVE

    def write(item: Any, labels: str, bad: Bad) -> str:
        if of is not None:
            item = getattr(item, of)
            if item is None:
                return ""
        value = getattr(item, attr)
        if not value:  # null or 0: not set
            return ""
        if after <= value <= before:
            return f"{head}{labels}}} {number(value / 1000)}\n"
        bad(name)
        return ""

    return write


def _flag(name: str, attr: str) -> Write:
    head = name + "{"

    def write(item: Any, labels: str, bad: Bad) -> str:
        value = getattr(item, attr)
        return "" if value is None else f"{head}{labels}}} {1 if value else 0}\n"

    return write


# The label text of an item's identity: (account, options) -> item -> text.
Identity = Callable[[str, Opt], Callable[[Any], str]]


def identity(
    key_label: str | None,
    name_label: str | None,
    fixed: Callable[[str, Opt], tuple[tuple[str, str], ...]] = lambda account, opts: (
        ("account", account),
    ),
) -> Identity[Opt]:
    """`account="prod",task_id="t-1",task_name="web"`: the `fixed` labels of the source (as
    given), then the item's key and name, each cut to the label length. A service whose
    items have no name (`name_label` None) labels the key only; one whose single object has
    no identity of its own (`key_label` None) the fixed labels only."""

    def bind(account: str, opts: Opt) -> Callable[[Any], str]:
        limit = opts.max_label_length
        pairs = fixed(account, opts)
        if key_label is None:
            only = ",".join(f'{n}="{escape(v)}"' for n, v in pairs)
            return lambda item: only
        head = "".join(f'{n}="{escape(v)}",' for n, v in pairs)
        head += f'{key_label}="'
        if name_label is None:
            return lambda item: f'{head}{escape(truncate(item.key, limit))}"'
        tail = f'",{name_label}="'

        def labels(item: Any) -> str:
            name = item.name
            if name.__class__ is not str or len(name) > limit:
                name = truncate(name, limit)
            return f'{head}{escape(truncate(item.key, limit))}{tail}{escape(name)}"'

        return labels

    return bind


@dataclass(frozen=True, slots=True)
class Table(Generic[Opt]):
    """A service's families: those written per item (`rows`), then those over all items."""

    rows: tuple[Row[Opt], ...]
    counted: tuple[Family, ...]
    identity: Identity[Opt]

    @property
    def families(self) -> tuple[Family, ...]:
        """In exposition order."""
        return (*(f for row in self.rows for f in row.families), *self.counted)

    def bind(
        self, account: str, opts: Opt, finished: Callable[[Any], bool] | None = None
    ) -> Mapper:
        """The mapper of one source: an item -> its text per family, and the families of the
        values it left out. `finished(item)`: only the rows marked `finished` are written
        (when `opts.finished_details` is off)."""
        singles: list[tuple[int, Write]] = []
        groups: list[tuple[int, int, GroupWrite]] = []
        finished_singles: list[tuple[int, Write]] = []
        start = 0
        for row in self.rows:
            end = start + len(row.families)
            on = [f.name in opts.families for f in row.families]
            write = row.make(opts) if any(on) else None
            if write is not None:
                if len(row.families) == 1:
                    single = cast("Write", write)
                    singles.append((start, single))
                    if row.finished:
                        finished_singles.append((start, single))
                else:
                    groups.append((start, end, cast("GroupWrite", write)))
            start = end
        blank = [""] * len(self.families)
        labels_of = self.identity(account, opts)
        finished = None if opts.finished_details else finished

        def mapper(item: Any) -> Written:
            labels = labels_of(item)
            rejected: list[str] = []
            bad = rejected.append
            texts = blank.copy()
            if finished is not None and finished(item):
                for i, write in finished_singles:
                    texts[i] = write(item, labels, bad)
                return texts, rejected
            for i, write in singles:
                texts[i] = write(item, labels, bad)
            for i, j, group in groups:
                texts[i:j] = group(item, labels, bad)
            return texts, rejected

        return mapper


def names(families: tuple[Family, ...]) -> tuple[str, ...]:
    return tuple(family.name for family in families)
