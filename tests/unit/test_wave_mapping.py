"""Mapping the objects a wave is made of to exposition lines (DESIGN.md section 12): every
family of the section's table, with every field set, with fields null, with fields missing."""

from __future__ import annotations

from typing import Any

from exporter.catalog import FAMILIES, family
from exporter.metrics.lines import Lines
from tests import mapped as through
from tests.parsing import parse_lines
from tests.payloads import FULL_PROJECT, PROJECT_OPTS

Series = dict[frozenset[tuple[str, str]], float]


def flat(lines: Lines) -> dict[str, Series]:
    """family -> {labels: value}, label order checked against the catalogue."""
    out: dict[str, Series] = {}
    for name, chunks in lines.items():
        series: Series = {}
        for sample, pairs, value in parse_lines(chunks):
            assert sample == name
            assert tuple(k for k, _ in pairs) == family(name).labels, name
            assert frozenset(pairs) not in series, f"duplicate series in {name}"
            series[frozenset(pairs)] = value
        if series:
            out[name] = series
    return out


def one(series: Series) -> tuple[dict[str, str], float]:
    ((labels, value),) = series.items()
    return dict(labels), value


# SMS migration projects -------------------------------------------------------------------

MP = "huaweicloud_sms_migration_project_"
PROJECT_IDS = {
    "account": "prod",
    "migration_project_id": "mp-1",
    "migration_project_name": "wave-erp",
}


def projects(*items: dict[str, Any]) -> dict[str, Series]:
    return flat(through.mapped(through.PROJECTS, items, PROJECT_OPTS))


def test_every_migration_project_family_is_exported_with_its_documented_labels() -> None:
    out = projects(FULL_PROJECT)
    names = {f.name for f in FAMILIES if f.service == "sms_projects"}
    assert set(out) == names == {MP + "info", MP + "speed_limit_bytes_per_second", MP + "syncing"}
    for name in names:
        assert family(name).labels[:3] == tuple(PROJECT_IDS)


def test_a_projects_info_names_its_type_and_whether_it_is_the_default() -> None:
    labels, value = one(projects(FULL_PROJECT)[MP + "info"])
    assert labels == {**PROJECT_IDS, "type": "MIGRATE_BLOCK", "default": "false"} and value == 1
    labels, _ = one(projects({**FULL_PROJECT, "isdefault": True})[MP + "info"])
    assert labels["default"] == "true"
    labels, _ = one(projects({**FULL_PROJECT, "isdefault": None, "type": None})[MP + "info"])
    assert (labels["default"], labels["type"]) == ("", "")


def test_a_projects_speed_limit_is_in_bytes_per_second_and_0_means_unlimited() -> None:
    _, value = one(projects(FULL_PROJECT)[MP + "speed_limit_bytes_per_second"])
    assert value == 100 * 125_000  # 100 Mbit/s
    _, value = one(
        projects({**FULL_PROJECT, "speed_limit": 0})[MP + "speed_limit_bytes_per_second"]
    )
    assert value == 0
    assert MP + "speed_limit_bytes_per_second" not in projects(
        {**FULL_PROJECT, "speed_limit": None}
    )
    assert MP + "speed_limit_bytes_per_second" not in projects({**FULL_PROJECT, "speed_limit": -5})
    assert (
        through.out_of_domain(through.PROJECTS, [{**FULL_PROJECT, "speed_limit": -5}], PROJECT_OPTS)
        == 1
    )


def test_a_projects_syncing_is_0_or_1_and_left_out_when_null() -> None:
    assert one(projects(FULL_PROJECT)[MP + "syncing"])[1] == 1
    assert one(projects({**FULL_PROJECT, "syncing": False})[MP + "syncing"])[1] == 0
    assert MP + "syncing" not in projects({**FULL_PROJECT, "syncing": None})


def test_a_project_with_only_an_id_exports_its_info_alone() -> None:
    out = projects({"id": "mp-9"})
    assert set(out) == {MP + "info"}
    labels, _ = one(out[MP + "info"])
    assert labels["migration_project_name"] == "" and labels["migration_project_id"] == "mp-9"
