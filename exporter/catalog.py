"""Every metric family the exporter serves, in exposition order: the single source of truth.

Each list service declares its families beside the mapping that writes them, the exporter's
own are declared in `telemetry.py`, the standard process ones in `process.py`; this module puts
them in one order. The renderer takes
HELP and TYPE from here; the README's metric reference and the dashboard and alert checks are
tested against it.
"""

from __future__ import annotations

from exporter import process
from exporter.metrics.family import Family
from exporter.services import SERVICES
from exporter.telemetry import HISTOGRAM_BUCKETS, OWN_FAMILIES
from exporter.waves.families import WAVE_FAMILIES

FAMILIES: tuple[Family, ...] = (
    *(family for service in SERVICES for family in service.families),
    *WAVE_FAMILIES,  # the stage after the polls (exporter/waves/)
    *OWN_FAMILIES,
    *process.FAMILIES,  # read at scrape time and served last (exporter/process.py)
)


def by_name(families: tuple[Family, ...]) -> dict[str, Family]:
    """Name -> family; a name declared twice is refused (two services, or the exporter's own
    and a service's, would otherwise write one family twice and Prometheus reject the scrape),
    as client_python's registry refuses a duplicate collector."""
    found: dict[str, Family] = {}
    for fam in families:
        other = found.setdefault(fam.name, fam)
        if other is not fam:
            raise ValueError(
                f"metric family {fam.name} is declared twice ({other.service}, {fam.service})"
            )
    return found


BY_NAME = by_name(FAMILIES)  # at import: a duplicate stops the exporter before it serves

__all__ = [
    "BY_NAME",
    "FAMILIES",
    "HISTOGRAM_BUCKETS",
    "Family",
    "by_name",
    "family",
    "sample_names",
]


def family(name: str) -> Family:
    return BY_NAME[name]


def sample_names() -> set[str]:
    """Every name that can appear on a sample line (histograms add their suffixes)."""
    names = set()
    for fam in FAMILIES:
        if fam.type == "histogram":
            names |= {fam.name + suffix for suffix in ("_bucket", "_sum", "_count")}
        else:
            names.add(fam.name)
    return names
