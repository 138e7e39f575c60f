"""Which tasks are in which wave (DESIGN.md section 12): the join of an account's lists and
the configuration's waves, as the wave families' lines."""

from __future__ import annotations

from typing import Any

from exporter.settings import Waves
from exporter.waves.membership import Lists, Task, join

INFO = "huaweicloud_migration_wave_info"
CUTOVER = "huaweicloud_migration_wave_cutover_timestamp_seconds"
MEMBER = "huaweicloud_migration_wave_task"

PROD = Lists(
    sms=[Task("s-1", "erp-db", "mp-1"), Task("s-2", "crm-app", "mp-2"), Task("s-3", None, None)],
    oms=[Task("o-1", "erp-files", "g-1"), Task("o-2", "logs", None)],
    projects={"mp-1": "erp", "mp-2": "crm"},
    groups={"g-1"},
)


def waves(**data: Any) -> Waves:
    return Waves.model_validate(data)


def members(lines: dict[str, list[str]]) -> set[tuple[str, ...]]:
    out = set()
    for text in lines[MEMBER]:
        labels = dict(
            part.split("=", 1) for part in text[text.index("{") + 1 : text.index("}")].split(",")
        )
        out.add(tuple(labels[k].strip('"') for k in ("wave", "account", "service", "task_id")))
    return out


def test_each_migration_project_and_task_group_is_a_wave_holding_its_tasks() -> None:
    lines, clashes = join(waves(), {"prod": PROD}, limit=128)
    assert lines[INFO] == [
        f'{INFO}{{wave="crm",origin="sms_migration_project"}} 1\n',
        f'{INFO}{{wave="erp",origin="sms_migration_project"}} 1\n',
        f'{INFO}{{wave="g-1",origin="oms_task_group"}} 1\n',
    ]
    assert members(lines) == {
        ("erp", "prod", "sms", "s-1"),
        ("crm", "prod", "sms", "s-2"),
        ("g-1", "prod", "oms", "o-1"),
    }
    assert lines[CUTOVER] == [] and clashes == set()


def test_the_switches_turn_the_project_and_group_waves_off() -> None:
    lines, _ = join(waves(from_migration_projects=False), {"prod": PROD}, limit=128)
    assert members(lines) == {("g-1", "prod", "oms", "o-1")}
    lines, _ = join(waves(from_task_groups=False), {"prod": PROD}, limit=128)
    assert {m[0] for m in members(lines)} == {"erp", "crm"}


def test_a_configured_wave_holds_the_tasks_of_both_services_it_matches() -> None:
    defined = [
        {"name": "erp-cutover", "cutover": "2027-01-15T14:00:00Z", "match": {"task_name": "erp-.*"}}
    ]
    lines, _ = join(waves(defined=defined), {"prod": PROD}, limit=128)
    assert f'{INFO}{{wave="erp-cutover",origin="config"}} 1\n' in lines[INFO]
    assert lines[CUTOVER] == [f'{CUTOVER}{{wave="erp-cutover"}} 1800021600.0\n']
    assert {m for m in members(lines) if m[0] == "erp-cutover"} == {
        ("erp-cutover", "prod", "sms", "s-1"),
        ("erp-cutover", "prod", "oms", "o-1"),
    }
    assert ("erp", "prod", "sms", "s-1") in members(lines)  # a task may be in several waves


def test_a_configured_wave_matches_a_task_by_its_project_name_or_group_id() -> None:
    defined = [
        {"name": "by-project", "match": {"migration_project": "c.*"}},
        {"name": "by-group", "match": {"task_group": "g-1"}},
        {"name": "by-account", "match": {"account": "dr"}},
    ]
    lines, _ = join(waves(defined=defined), {"prod": PROD}, limit=128)
    configured = {m for m in members(lines) if m[0].startswith("by-")}
    assert configured == {("by-project", "prod", "sms", "s-2"), ("by-group", "prod", "oms", "o-1")}
    assert f'{INFO}{{wave="by-account",origin="config"}} 1\n' in lines[INFO]  # a wave, empty


def test_a_configured_wave_wins_over_a_project_of_its_name_and_is_named_a_clash() -> None:
    defined = [{"name": "erp", "match": {"task_name": "crm-.*"}}]
    lines, clashes = join(waves(defined=defined), {"prod": PROD}, limit=128)
    assert clashes == {"erp"}
    assert f'{INFO}{{wave="erp",origin="config"}} 1\n' in lines[INFO]
    assert f'{INFO}{{wave="erp",origin="sms_migration_project"}} 1\n' not in lines[INFO]
    assert {m for m in members(lines) if m[0] == "erp"} == {("erp", "prod", "sms", "s-2")}


def test_a_task_naming_a_project_not_listed_is_in_no_project_wave() -> None:
    lists = Lists(sms=[Task("s-9", "x", "mp-gone")], projects={})
    lines, _ = join(waves(), {"prod": lists}, limit=128)
    assert lines[MEMBER] == [] and lines[INFO] == []


def test_without_the_projects_list_a_project_match_finds_nothing() -> None:
    lists = Lists(sms=[Task("s-1", "erp-db", "mp-1")])  # collect.migration_projects off
    defined = [{"name": "p", "match": {"migration_project": ".*"}}, {"name": "all"}]
    lines, _ = join(waves(defined=defined), {"prod": lists}, limit=128)
    assert members(lines) == {("all", "prod", "sms", "s-1")}


def test_accounts_with_the_same_project_name_share_one_wave() -> None:
    lines, _ = join(waves(), {"prod": PROD, "dr": PROD}, limit=128)
    assert sum('wave="erp"' in text for text in lines[INFO]) == 1
    assert {m[1] for m in members(lines) if m[0] == "erp"} == {"prod", "dr"}


def test_long_names_are_cut_like_every_label_and_lines_come_sorted() -> None:
    long = "p" * 40
    lists = Lists(sms=[Task("t" * 40, "a", "mp"), Task("b", "b", "mp")], projects={"mp": long})
    lines, _ = join(waves(), {"prod": lists}, limit=16)
    assert lines[INFO] == [f'{INFO}{{wave="{"p" * 15}…",origin="sms_migration_project"}} 1\n']
    assert [text.split('task_id="')[1].split('"')[0] for text in lines[MEMBER]] == [
        "b",
        "t" * 15 + "…",
    ]


def test_no_waves_no_lines() -> None:
    lines, _ = join(waves(), {}, limit=128)
    assert lines == {INFO: [], CUTOVER: [], MEMBER: []}
