"""The catalogue: one declaration per family name, every service's table in it."""

from __future__ import annotations

import dataclasses

import pytest

from exporter.catalog import BY_NAME, FAMILIES, by_name
from exporter.services import SERVICES


def test_a_family_declared_twice_is_refused_naming_both_services() -> None:
    sms = next(f for f in FAMILIES if f.service == "sms")
    again = dataclasses.replace(sms, service="oms", help="Another help.")
    with pytest.raises(ValueError, match=f"{sms.name} is declared twice \\(sms, oms\\)"):
        by_name((*FAMILIES, again))


def test_every_family_of_every_table_is_in_the_catalogue_once() -> None:
    assert len(BY_NAME) == len(FAMILIES)
    for service in SERVICES:
        for family in service.table.families:
            assert BY_NAME[family.name] is family
            assert family.service == service.name
